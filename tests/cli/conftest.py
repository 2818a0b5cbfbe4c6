"""Fixtures shared by the CLI tests."""

from tests.cli.teamrepo import team

__all__ = ["team"]
