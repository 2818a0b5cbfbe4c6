"""Timestamps as jobs write them, all read as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from changegate.smoke.timestamps import describe_age, parse

T = datetime(2026, 5, 24, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-05-24T10:30:00Z",
        "2026-05-24T12:30:00+02:00",
        "2026-05-24 10:30:00",
        " 1779618600\n",
        1779618600,
        1779618600.0,
        1779618600000,
        Decimal("1779618600.000000"),
        b"2026-05-24T10:30:00Z",
        datetime(2026, 5, 24, 10, 30),
        datetime(2026, 5, 24, 12, 30, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_parse_forms(value: object):
    assert parse(value) == T


@pytest.mark.parametrize("value", ["soon", "", True, None, [1], float("nan"), "1e30"])
def test_parse_rejects(value: object):
    with pytest.raises(ValueError):
        parse(value)


def test_describe_age():
    assert describe_age(5) == "5s"
    assert describe_age(125) == "2m 5s"
    assert describe_age(3725) == "1h 2m 5s"
    assert describe_age(7200) == "2h 0m 0s"
