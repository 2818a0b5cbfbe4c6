"""Fixtures of the migration engine's tests: a server URL usable by ``verify``."""

from __future__ import annotations

import pytest

from changegate.adapters.pgserver import PgServer


@pytest.fixture
def pg_admin_url(pg_server: PgServer) -> str:
    """The throwaway server's maintenance database; ``verify`` creates its own database."""
    return pg_server.url
