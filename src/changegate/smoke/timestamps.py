"""Reading "when did the job last run" from whatever a heartbeat source holds.

Jobs record their last run in many ways: an ISO 8601 string, epoch seconds (or
milliseconds), a database ``timestamp`` with or without a zone. All become an
aware UTC datetime; a timestamp without a zone is read as UTC (what SQLite's
``CURRENT_TIMESTAMP`` and most job runners write).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

# Epoch values above this are milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 1e11


def parse(value: object) -> datetime:
    """An aware datetime from a datetime, epoch number or text; ``ValueError`` otherwise."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a timestamp")
    if isinstance(value, Decimal):  # PostgreSQL's extract(epoch from ...)
        value = float(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > _MS_THRESHOLD else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value!r} is not a usable epoch timestamp") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        try:
            return parse(float(text))
        except ValueError:
            pass
        try:
            return parse(datetime.fromisoformat(text))
        except ValueError:
            raise ValueError(
                f"{text[:60]!r} is not a timestamp (ISO 8601 or epoch seconds)"
            ) from None
    raise ValueError(f"a {type(value).__name__} is not a timestamp")


def describe_age(seconds: float) -> str:
    """``3725`` → ``1h 2m 5s``: ages people can read at a glance."""
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{h}h"] if h else []
    if m or h:
        parts.append(f"{m}m")
    parts.append(f"{sec}s")
    return " ".join(parts)
