"""``changegate scan``: find credentials in files, the staged change, a range or all history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import console, emit_json
from changegate.errors import ChangegateError

if TYPE_CHECKING:
    from changegate.secrets import ScanResult


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing in pipes and CI logs."""
    out = console()
    if not (enabled and out.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "scanning commits",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=True,
    ) as bar:
        task = bar.add_task("scan", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def render_text(result: ScanResult) -> None:
    out = console()
    for f in result.findings:
        where = f"{f.commit[:12]}:" if f.commit else ""
        out.print(
            f"[red]{where}{f.path}:{f.line}[/]: {f.rule}  {f.preview}  "
            f"[dim]fingerprint {f.fingerprint[:16]}[/]",
            soft_wrap=True,
        )
    for note in result.notes:
        out.print(f"[dim]note: {note}[/]", soft_wrap=True)
    n = len(result.findings)
    scope = f"{result.commits} commit(s)" if result.commits else f"{result.files} file(s)"
    out.print(f"{n} secret{'s' if n != 1 else ''} found in {scope}")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--staged", is_flag=True, help="The staged change (what the hook scans).")
@click.option("--range", "range_spec", metavar="BASE..HEAD", help="Added lines of each commit.")
@click.option("--history", is_flag=True, help="Every commit reachable from any ref.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not open leaks in the ledger for secrets found in commits.",
)
@pass_cli
def scan(
    cli: CliContext,
    paths: tuple[str, ...],
    staged: bool,
    range_spec: str | None,
    history: bool,
    fmt: str,
    no_record: bool,
) -> int:
    """Scan for credentials. Exit 0 clean, 1 secrets found, 2 bad input.

    Secrets found in commits (--range, --history) open tracked leaks in the
    ledger: see `changegate secrets list`.
    """
    from changegate.workflows import secrets as wf

    app = cli.app()
    with _progress(history or bool(range_spec)) as progress:
        result = wf.scan(
            app,
            paths=paths,
            staged=staged,
            range_spec=range_spec,
            history=history,
            progress=progress,
        )
    opened = []
    if result.findings:
        try:
            dropped = wf.drop_allowed(app, result)
            if dropped:
                result.notes.append(f"{dropped} finding(s) recorded as false positives, not shown")
            if not no_record:
                opened = wf.record_leaks(app, result)
        except ChangegateError as exc:
            result.notes.append(f"ledger not used ({exc.message})")
    if fmt == "json":
        from changegate.secrets import to_json

        data = to_json(result)
        data["leaks"] = [leak.as_dict() for leak in opened]
        emit_json(data)
    elif fmt == "sarif":
        from changegate.secrets import to_sarif

        click.echo(json.dumps(to_sarif(result), indent=2))
    else:
        render_text(result)
        if opened:
            click.echo(
                f"{len(opened)} leak(s) tracked in the ledger: rotate each credential, "
                "then `changegate secrets rotated FP --note ...` and "
                "`changegate secrets purge-check FP`"
            )
    return 1 if result.findings else 0
