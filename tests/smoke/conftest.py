"""Fixtures for the smoke engine's tests: a real local HTTP server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.smoke.server import SmokeServer, serving


@pytest.fixture
def server() -> Iterator[SmokeServer]:
    with serving() as s:
        yield s
