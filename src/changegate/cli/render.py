"""Shared CLI helpers: rich on a terminal, plain JSON for machines, date options."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import click

from changegate.errors import InputError

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines.",
)


def console() -> Any:
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out.width = max(out.width, 140)  # logs and pipes: no point wrapping at 80 columns
    return out


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def parse_moment(value: str | None, option: str) -> str | None:
    """A date or ISO date-time (UTC unless it says otherwise) as ledger timestamp text."""
    if not value:
        return None
    from changegate.core.ledger import utc_timestamp

    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError as exc:
        raise InputError(
            f"{option} {value!r}: not a date; use YYYY-MM-DD or an ISO date-time"
        ) from exc
    return utc_timestamp(moment)
