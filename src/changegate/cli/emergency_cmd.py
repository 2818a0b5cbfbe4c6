"""``changegate emergency declare|list|close|stats`` (policy §3)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, console, emit_json, parse_moment
from changegate.errors import Blocked


@click.group()
def emergency() -> None:
    """Emergency changes: a recorded bypass, a retroactive review, skipped gates re-run."""


@emergency.command("declare")
@click.option("--incident", required=True, help="The incident id, e.g. INC-231.")
@click.option("--sev", required=True, help="Severity, e.g. SEV1 (the policy says which may).")
@click.option("--reason", required=True, help="Why speed matters more than process here.")
@click.option(
    "--kind",
    "reason_kind",
    default="incident",
    show_default=True,
    type=click.Choice(["incident", "critical-vulnerability", "customer-outage"]),
)
@click.option("--rev", help="The hotfix commit (default: HEAD).")
@click.option("--base", help="Where it goes (default: origin/HEAD, main).")
@click.option(
    "--skip",
    help="Gates to bypass, comma-separated (default: review,"
    "adversarial_review). Secret scanning can never be skipped.",
)
@pass_cli
def declare_cmd(
    cli: CliContext,
    incident: str,
    sev: str,
    reason: str,
    reason_kind: str,
    rev: str | None,
    base: str | None,
    skip: str | None,
) -> int:
    """Open an emergency for a change: its skipped gates report `bypassed`, with its id."""
    from changegate.workflows.emergency import declare

    gates = [g.strip() for g in skip.split(",") if g.strip()] if skip else None
    state, record = declare(
        cli.app(), incident, sev, reason, reason_kind=reason_kind, rev=rev, base=base, skip=gates
    )
    click.echo(
        f"{state.id}: {state.sev} emergency for {state.commit[:12]} ({state.incident}); "
        f"bypassed: {', '.join(state.skipped)}"
    )
    click.echo(
        f"retroactive review due {state.due}; deviation logged in {record.name} and the ledger"
    )
    click.echo(
        f"then: a teammate's `changegate review approve`, and `changegate emergency "
        f"close {state.id}`"
    )
    return 0


@emergency.command("list")
@click.option("--all", "show_all", is_flag=True, help="Closed ones too.")
@FORMAT_OPTION
@pass_cli
def list_cmd(cli: CliContext, show_all: bool, fmt: str) -> int:
    """Open emergencies with their due time; overdue ones first and highlighted (exit 1)."""
    from changegate.workflows.emergency import emergencies

    now = datetime.now(UTC)
    states = [s for s in emergencies(cli.app()).values() if show_all or s.is_open]
    states.sort(key=lambda s: (not s.overdue(now), s.due))
    overdue = sum(s.overdue(now) for s in states)
    if fmt == "json":
        emit_json(
            {
                "emergencies": [{**s.as_dict(), "overdue": s.overdue(now)} for s in states],
                "overdue": overdue,
            }
        )
        return 1 if overdue else 0
    from rich.table import Table

    table = Table()
    for col in ("id", "incident", "sev", "commit", "bypassed", "declared by", "due", "state"):
        table.add_column(col, overflow="fold")
    for s in states:
        state = (
            ("[red]OVERDUE[/]" if s.overdue(now) else "open")
            if s.is_open
            else ("closed late" if s.late else "closed")
        )
        table.add_row(
            s.id,
            s.incident,
            s.sev,
            s.commit[:12],
            ", ".join(s.skipped),
            s.declared_by,
            s.due[:16].replace("T", " "),
            state,
        )
    console().print(table)
    click.echo(f"{sum(s.is_open for s in states)} open, {overdue} overdue")
    return 1 if overdue else 0


@emergency.command("close")
@click.argument("ident")
@pass_cli
def close_cmd(cli: CliContext, ident: str) -> int:
    """Close an emergency: needs a retroactive review of the shipped diff and every skipped
    gate re-run and passing on the shipped commit."""
    from changegate.workflows.emergency import close

    result = close(cli.app(), ident)
    if result.problems:
        raise Blocked(f"{ident} cannot close yet", details=result.problems)
    s = result.state
    late = " (LATE: recorded as such)" if s.late else ""
    click.echo(
        f"{s.id} closed{late}: retroactive review by {', '.join(s.retro_reviewers)}; "
        f"skipped gates re-run and passing"
    )
    return 0


@emergency.command("stats")
@click.option("--since", help="From this date (YYYY-MM-DD).")
@click.option("--until", help="Before this date (YYYY-MM-DD).")
@FORMAT_OPTION
@pass_cli
def stats_cmd(cli: CliContext, since: str | None, until: str | None, fmt: str) -> int:
    """Emergency share of changes, time to retroactive review, late closures."""
    from changegate.adapters.storage.store import EventFilter
    from changegate.core.ledger import parse_timestamp
    from changegate.workflows.emergency import emergencies

    app = cli.app()
    lo, hi = parse_moment(since, "--since"), parse_moment(until, "--until")
    states = [
        s
        for s in emergencies(app).values()
        if (lo is None or s.declared_at >= lo) and (hi is None or s.declared_at < hi)
    ]
    verdicts = app.store().events(EventFilter(action="check.verdict", since=lo, until=hi))
    changes = len({e.subject for e in verdicts} | {s.commit for s in states})
    closed = [s for s in states if s.closed_at]
    hours = sorted(
        (parse_timestamp(s.closed_at) - parse_timestamp(s.declared_at)).total_seconds() / 3600
        for s in closed
        if s.closed_at
    )
    data = {
        "emergencies": len(states),
        "changes": changes,
        "share": round(len(states) / changes, 4) if changes else 0.0,
        "closed": len(closed),
        "late": sum(s.late for s in closed),
        "open": sum(s.is_open for s in states),
        "median_hours_to_close": hours[len(hours) // 2] if hours else None,
    }
    if fmt == "json":
        emit_json(data)
        return 0
    share = f"{data['share']:.0%}" if changes else "n/a"
    click.echo(
        f"{data['emergencies']} emergencies among {changes} changes ({share}; auditors "
        f"look twice above 10%); {data['closed']} closed, {data['late']} late, "
        f"{data['open']} open"
    )
    if hours:
        click.echo(f"median time to retroactive closure: {data['median_hours_to_close']:.1f} h")
    return 0


@emergency.command("notify")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@pass_cli
def notify_cmd(cli: CliContext, dry_run: bool) -> int:
    """Send each overdue emergency, once, to the Slack-compatible webhook whose URL is in the
    environment variable named by [emergency] webhook_url_env; recorded as emergency.notified."""
    import json

    from changegate.workflows.emergency_notify import notify

    result = notify(cli.app(), dry_run=dry_run)
    if not result.pending:
        click.echo("no overdue emergency waiting to be notified")
        return 0
    if dry_run:
        for notice in result.pending:
            click.echo(json.dumps(notice.message, ensure_ascii=False))
        click.echo(f"dry run: {len(result.pending)} message(s) would be sent; nothing recorded")
        return 0
    click.echo(
        f"notified {', '.join(result.sent)} via the webhook at {result.host} "
        "(recorded as emergency.notified)"
    )
    return 0
