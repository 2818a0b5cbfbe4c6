"""Fixtures: launches of the sample service, stopped after each test."""

from tests.sample.deployroot import launcher  # noqa: F401 (a fixture)
