"""``changegate check``: the pre-merge verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import console, emit_json
from changegate.core.verdict import GateResult
from changegate.workflows.check_summary import CheckSummary

if TYPE_CHECKING:  # the full check (policy model, database) loads only on a verdict-cache miss
    from changegate.workflows.check import Progress

ICONS = {
    "pass": "[green]pass[/]",
    "fail": "[red]FAIL[/]",
    "error": "[red]ERROR[/]",
    "skipped": "[dim]skipped[/]",
    "bypassed": "[yellow]bypassed[/]",
}


def markdown(report: CheckSummary) -> str:
    """A pull-request comment: what blocks and how to clear it, first."""
    head = report.head[:12]
    mark = "✅ **pass**" if report.verdict == "pass" else "⛔ **blocked**"
    lines = [
        f"### changegate: {mark} for `{head}`",
        "",
        f"Classification: {', '.join(report.labels)} — " + "; ".join(report.reasons),
        "",
        "| gate | status | reason |",
        "|---|---|---|",
    ]
    for r in report.results:
        lines.append(f"| {r.gate} | {r.status} | {r.reason.replace('|', '/')} |")
    blocking = [r for r in report.results if r.blocking]
    if blocking:
        lines += ["", "**To clear:**"]
        for r in blocking:
            lines.append(f"- **{r.gate}**: {r.reason}")
            for f in r.findings[:10]:
                where = f"`{f.path}:{f.line}` " if f.path else ""
                lines.append(f"  - {where}{f.message}")
    lines += ["", f"Evidence digest `{report.evidence_digest[:16]}`, ledger seq {report.seq}."]
    return "\n".join(lines) + "\n"


def sarif(report: CheckSummary) -> dict[str, object]:
    from changegate import __version__
    from changegate.core import sarif as shapes

    results = []
    for r in report.results:
        for f in r.findings:
            entry: dict[str, object] = {
                "ruleId": f"{r.gate}/{f.rule or r.gate}",
                "level": "error" if f.severity == "error" and r.blocking else "warning",
                "message": {"text": f.message},
            }
            if f.path:
                entry["locations"] = [shapes.location(f.path, f.line)]
            results.append(entry)
    return shapes.document("changegate", __version__, [], results)


@contextmanager
def _live_table(enabled: bool) -> Iterator[Progress | None]:
    """On a terminal, a table of the gates that fills in as each one finishes."""
    out = console() if enabled else None
    if out is None or not out.is_terminal:
        yield None
        return
    from rich.live import Live
    from rich.table import Table

    states: dict[str, str] = {}

    def table() -> Table:
        t = Table(title="changegate check", show_edge=False)
        t.add_column("gate")
        t.add_column("status")
        for name, state in states.items():
            t.add_row(name, state)
        return t

    with Live(table(), console=out, transient=True, refresh_per_second=8) as live:

        def update(name: str, result: GateResult | None) -> None:
            states[name] = "[yellow]running…[/]" if result is None else ICONS[result.status]
            live.update(table())

        yield update


@click.command()
@click.option("--base", help="Where the change goes (default: origin/HEAD, main or master).")
@click.option("--head", help="The change's tip (default: HEAD).")
@click.option(
    "--every-commit",
    is_flag=True,
    help="Run lint and types on each commit of the range, not only the head.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "sarif"]),
    default="text",
    show_default=True,
)
@pass_cli
def check(cli: CliContext, base: str | None, head: str | None, every_commit: bool, fmt: str) -> int:
    """Classify the change BASE..HEAD, run every gate the policy (at BASE) requires, and
    record one verdict. Exit 0 pass, 1 blocked, 2 error."""
    from changegate.workflows.verdict_cache import replay

    app = cli.app()
    report = replay(app, base, head, every_commit)
    if report is None:
        from changegate.workflows.check import check as run_check

        with _live_table(fmt == "text") as progress:
            full = run_check(
                app, base, head, progress=progress, every_commit=every_commit, remember=True
            )
        report = full.summary()
    if fmt == "json":
        emit_json(report.as_dict())
    elif fmt == "markdown":
        click.echo(markdown(report), nl=False)
    elif fmt == "sarif":
        click.echo(json.dumps(sarif(report), indent=2))
    else:
        out = console()
        out.print(
            f"change {report.base_name}..{report.head_name} ({report.merge_base[:12]}.."
            f"{report.head[:12]}, {report.file_count} file(s)): {', '.join(report.labels)}",
            soft_wrap=True,
        )
        for reason in report.reasons:
            out.print(f"  [dim]{reason}[/]", soft_wrap=True)
        for r in report.results:
            out.print(f"{r.gate:<20} {ICONS[r.status]:<12} {r.reason}", soft_wrap=True)
            if r.blocking:
                for f in r.findings[:10]:
                    where = f"{f.path}:{f.line}: " if f.path else ""
                    out.print(f"    {where}{f.message}", soft_wrap=True)
        for note in report.notes:
            out.print(f"[yellow]note: {note}[/]", soft_wrap=True)
        colour = "green" if report.verdict == "pass" else "red"
        out.print(
            f"verdict: [bold {colour}]{report.verdict}[/] (ledger seq {report.seq}, "
            f"evidence {report.evidence_digest[:16]})"
        )
    return 0 if report.verdict == "pass" else 1
