"""The audit period: the two dates an auditor asks for, as ledger timestamp bounds.

``--to`` is a date *inclusive* (a quarter is asked for as 07-01..09-30), so the
exclusive end is the next midnight UTC; a date-time is taken as given. Both
bounds become ledger timestamp text, which sorts like time, so every
population is filtered in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from changegate.core.ledger import utc_timestamp
from changegate.errors import InputError


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    label_from: str
    label_to: str

    @property
    def since(self) -> str:
        return utc_timestamp(self.start)

    @property
    def until(self) -> str:
        return utc_timestamp(self.end)

    def contains(self, ts: str) -> bool:
        """Whether ledger timestamp text ``ts`` falls inside the period."""
        return self.since <= ts < self.until

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.label_from,
            "to": self.label_to,
            "since": self.since,
            "until": self.until,
        }


def _moment(value: str, option: str, *, end: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"{option} {value!r}: not a date; use YYYY-MM-DD or an ISO date-time"
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_period(date_from: str, date_to: str) -> Period:
    """The period ``--from``..``--to``; dates in the wrong order are bad input."""
    start = _moment(date_from, "--from", end=False)
    end = _moment(date_to, "--to", end=True)
    if end <= start:
        raise InputError(f"--from {date_from} is after --to {date_to}: give the earlier date first")
    return Period(start, end, date_from.strip(), date_to.strip())
