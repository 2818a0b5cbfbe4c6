"""Retroactive-review deadlines across weekends, holidays and time zones (fixed clocks)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changegate.core.deadlines import check_calendar, due, is_business_day, is_overdue


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("deployed", "expected_local_day", "why"),
    [
        (utc(2026, 11, 24, 14, 0), "2026-11-25", "Tuesday: end of Wednesday"),
        (utc(2026, 11, 20, 21, 0), "2026-11-23", "Friday evening: end of Monday"),
        (utc(2026, 11, 21, 10, 0), "2026-11-23", "Saturday: end of Monday"),
        (utc(2026, 11, 25, 15, 0), "2026-11-27", "eve of Thanksgiving: Thursday skipped"),
        (utc(2026, 7, 2, 15, 0), "2026-07-06", "July 4th observed on Friday July 3"),
    ],
)
def test_united_states(deployed, expected_local_day, why):
    deadline = due(deployed, 1, "US", None, "America/New_York")
    local = deadline.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert (local.date().isoformat(), local.hour, local.minute) == (expected_local_day, 23, 59), why


def test_germany_with_a_regional_holiday():
    # Epiphany (6 January) is a holiday in Bavaria but not in Berlin.
    deployed = utc(2026, 1, 5, 12, 0)  # Monday
    bavaria = due(deployed, 1, "DE", "BY", "Europe/Berlin")
    berlin = due(deployed, 1, "DE", "BE", "Europe/Berlin")
    assert bavaria.date().isoformat() == "2026-01-07"
    assert berlin.date().isoformat() == "2026-01-06"
    assert not is_business_day(datetime(2026, 1, 6).date(), "DE", "BY")


def test_france_may_day_and_two_business_days():
    deployed = utc(2026, 4, 30, 16, 0)  # Thursday; 1 May (Friday) is a holiday
    assert due(deployed, 1, "FR", None, "Europe/Paris").date().isoformat() == "2026-05-04"
    assert due(deployed, 2, "FR", None, "Europe/Paris").date().isoformat() == "2026-05-05"


def test_the_local_day_decides_not_the_utc_day():
    # 23:30 UTC on Friday is still Friday afternoon in Los Angeles...
    la = due(utc(2026, 11, 20, 23, 30), 1, "US", None, "America/Los_Angeles")
    assert la == utc(2026, 11, 24, 7, 59, 59)  # end of Monday, PST
    # ...but already Saturday morning in Tokyo, and Monday is a holiday there (Labour Thanksgiving
    # observed): due the end of Tuesday.
    tokyo = due(utc(2026, 11, 20, 23, 30), 1, "JP", None, "Asia/Tokyo")
    assert tokyo == utc(2026, 11, 24, 14, 59, 59)


def test_overdue_and_calendar_check():
    deadline = due(utc(2026, 11, 20, 21, 0), 1, "US", None, "UTC")
    assert not is_overdue(deadline, utc(2026, 11, 23, 23, 0))
    assert is_overdue(deadline, utc(2026, 11, 24, 0, 0))
    assert check_calendar("US", "CA") is None
    assert "unknown holiday calendar" in (check_calendar("XX", None) or "")
    assert "unknown subdivision" in (check_calendar("US", "ZZ") or "")
