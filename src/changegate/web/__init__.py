"""The web dashboard (``changegate serve``): server-rendered pages over the same workflows."""

from __future__ import annotations

from changegate.web.app import create_app

__all__ = ["create_app"]
