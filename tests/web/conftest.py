"""Fixtures for the dashboard tests."""

from __future__ import annotations

import pytest
from tests.web.site import Site, make_site


@pytest.fixture
def site(repo, db_url, monkeypatch) -> Site:
    s = make_site(repo, db_url, monkeypatch)
    yield s
    s.app.close()
