"""``changegate audit log|verify|checkpoint|export``."""

from __future__ import annotations

from pathlib import Path

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, console, emit_json, parse_moment


@click.group()
def audit() -> None:
    """The tamper-evident ledger: list, verify, checkpoint; the evidence export."""


@audit.command("log")
@click.option("--actor", help="Only events by this actor.")
@click.option("--action", help="Only this action, or a prefix such as 'audit.*'.")
@click.option("--subject", help="Only events about this subject.")
@click.option("--since", help="From this date/time (inclusive, UTC).")
@click.option("--until", help="Before this date/time (exclusive, UTC).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events.")
@FORMAT_OPTION
@pass_cli
def log_cmd(
    cli: CliContext,
    actor: str | None,
    action: str | None,
    subject: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    fmt: str,
) -> int:
    """List recorded events, oldest first."""
    from changegate.adapters.storage.store import EventFilter
    from changegate.workflows.audit import log

    flt = EventFilter(
        actor,
        action,
        subject,
        parse_moment(since, "--since"),
        parse_moment(until, "--until"),
        limit,
    )
    events = log(cli.app(), flt)
    if fmt == "json":
        emit_json({"events": [e.as_dict() for e in events]})
        return 0
    from rich.table import Table

    table = Table(show_lines=False)
    table.add_column("seq", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("actor", overflow="fold", min_width=18)
    table.add_column("action", overflow="fold", min_width=26)
    table.add_column("subject", overflow="ellipsis", no_wrap=True, max_width=20)
    table.add_column("payload", overflow="ellipsis", no_wrap=True, max_width=60)
    for e in events:
        ts = e.ts[:19].replace("T", " ")
        table.add_row(str(e.seq), ts, e.actor, e.action, e.subject, e.payload)
    console().print(table)
    click.echo(f"{len(events)} event(s)")
    return 0


@audit.command("verify")
@FORMAT_OPTION
@pass_cli
def verify_cmd(cli: CliContext, fmt: str) -> int:
    """Walk the hash chain and compare it with the latest signed checkpoint.

    Exit 1 names the first bad seq and the kind of damage: edited, inserted,
    deleted, reordered, truncated, rewritten or bad-checkpoint.
    """
    from changegate.workflows.audit import verify

    report = verify(cli.app())
    cp = report.checkpoint
    if fmt == "json":
        emit_json(
            {
                "ok": report.ok,
                "events": report.events,
                "head": {"seq": report.head_seq, "hash": report.head_hash},
                "checkpoint": None
                if cp is None
                else {"seq": cp.seq, "hash": cp.hash, "ts": cp.ts, "source": cp.source},
                "damage": None
                if report.finding is None
                else {
                    "kind": str(report.finding.kind),
                    "seq": report.finding.seq,
                    "detail": report.finding.detail,
                },
                "notes": report.notes,
                "history": report.history,
            }
        )
        return 0 if report.ok else 1
    for problem in report.history:
        click.echo(f"history REWRITTEN: {problem}", err=True)
    if report.finding is not None:
        f = report.finding
        click.echo(f"ledger DAMAGED: {f.kind} at seq {f.seq}: {f.detail}", err=True)
        return 1
    if report.history:
        return 1
    where = f"; matches checkpoint at seq {cp.seq} ({_shown(cli, cp.source)})" if cp else ""
    click.echo(
        f"ledger intact: {report.events} event(s), head seq {report.head_seq} "
        f"hash {report.head_hash[:16]}…{where}"
    )
    for note in report.notes:
        click.echo(f"note: {note}")
    return 0


def _shown(cli: CliContext, source: str) -> str:
    """A checkpoint's place, relative to the repository when it is inside it."""
    path = Path(source)
    root = cli.app().root
    return (
        str(path.relative_to(root)) if path.is_absolute() and path.is_relative_to(root) else source
    )


@audit.command("checkpoint")
@pass_cli
def checkpoint_cmd(cli: CliContext) -> int:
    """Sign the ledger head with the ledger key and store it outside the database."""
    from changegate.workflows.audit import checkpoint

    cp, places = checkpoint(cli.app())
    click.echo(f"checkpoint: seq {cp.seq} hash {cp.hash[:16]}… signed by key {cp.key_id}")
    for place in places:
        click.echo(f"  stored in {place}")
    return 0


@audit.command("export")
@click.option("--from", "date_from", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, help="Last day of the period, inclusive.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new (or empty) directory for the pack.",
)
@click.option(
    "--sample",
    default=25,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many changes to sample with their full trail.",
)
@click.option("--seed", type=int, help="Seed of the sample (recorded; default: random).")
@FORMAT_OPTION
@pass_cli
def export_cmd(
    cli: CliContext,
    date_from: str,
    date_to: str,
    out: Path,
    sample: int,
    seed: int | None,
    fmt: str,
) -> int:
    """Write the SOC 2 evidence pack for a period: populations (CSV + JSON), exceptions,
    segregation-of-duties flags, policy hashes, ledger verification, a seeded sample
    and report.html; the export is recorded in the ledger.

    Exit 1 when the ledger fails verification (the pack is still written and says so).
    """
    from changegate.evidence.report import summary
    from changegate.workflows.export import export

    done = export(cli.app(), date_from, date_to, out, sample=sample, seed=seed)
    ev = done.evidence
    figures = summary(ev)
    if fmt == "json":
        emit_json(
            {
                "out": str(done.pack.out),
                "files": done.pack.files,
                "manifest_sha256": done.pack.manifest_sha256,
                "ledger_seq": done.seq,
                "summary": figures,
            }
        )
        return 0 if ev.verification["ok"] else 1
    for note in ev.notes:
        click.echo(f"note: {note}", err=not ev.verification["ok"])
    click.echo(
        f"evidence {ev.period.label_from}..{ev.period.label_to}: {figures['changes']} change(s), "
        f"{figures['deployments']} deployment(s), "
        f"{figures['config_changes']} config key change(s), "
        f"{figures['emergencies_declared']} emergenc(ies), {figures['exceptions']} exception(s), "
        f"{figures['sod_flags']} SoD flag(s); sample of {len(ev.sample['changes'])} "
        f"with seed {ev.sample['seed']}"
    )
    for kind, n in sorted(figures["exceptions_by_kind"].items()):
        click.echo(f"  {kind}: {n}")
    click.echo(
        f"wrote {len(done.pack.files)} files to {done.pack.out} (manifest sha256 "
        f"{done.pack.manifest_sha256[:16]}…, recorded at seq {done.seq})"
    )
    click.echo(f"report: {done.pack.out / 'report.html'}")
    return 0 if ev.verification["ok"] else 1
