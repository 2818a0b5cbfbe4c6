"""Business-day deadlines (policy §3: "reviewed retroactively within one business day").

The rule, stated once so that every edge case has the same answer:
the deadline is the **end of the Nth business day after the day of the
deploy**, in the team's time zone, where a business day is a weekday that is
not a public holiday of the policy's country (and subdivision). So:

- a deploy on Friday evening is due by the end of Monday;
- a deploy on Saturday or Sunday is due by the end of Monday too;
- a deploy on the eve of a holiday skips the holiday (Thursday before a
  Friday holiday: due by the end of Monday);
- a deploy at 00:30 and one at 23:30 on the same day share a deadline: a whole
  working day is given either way, never a few minutes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=32)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=[year])
    return frozenset(calendar.keys())


def is_business_day(day: date, country: str, subdivision: str | None = None) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, subdivision, day.year)


def business_days_after(day: date, n: int, country: str, subdivision: str | None = None) -> date:
    """The Nth business day after ``day`` (``day`` itself never counts)."""
    current = day
    counted = 0
    while counted < n:
        current += timedelta(days=1)
        if is_business_day(current, country, subdivision):
            counted += 1
    return current


def due(
    moment: datetime, business_days: int, country: str, subdivision: str | None, timezone: str
) -> datetime:
    """The deadline (UTC) for something that happened at ``moment`` (an aware datetime)."""
    zone = ZoneInfo(timezone)
    local_day = moment.astimezone(zone).date()
    last_day = business_days_after(local_day, business_days, country, subdivision)
    end = datetime.combine(last_day, time(23, 59, 59), tzinfo=zone)
    return end.astimezone(UTC)


def is_overdue(deadline: datetime, now: datetime) -> bool:
    return now > deadline


def check_calendar(country: str, subdivision: str | None) -> str | None:
    """None when the holiday calendar exists; otherwise what is wrong (for policy check)."""
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        return f"unknown holiday calendar country {country!r}; use an ISO code such as 'US'"
    if subdivision is not None and subdivision not in supported[country]:
        return (
            f"unknown subdivision {subdivision!r} for {country}; one of "
            f"{', '.join(sorted(supported[country])[:12])}..."
        )
    return None
