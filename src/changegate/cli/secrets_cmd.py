"""``changegate secrets list|rotated|purge-check|allow``: the leak lifecycle."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, console, emit_json


@click.group()
def secrets() -> None:
    """Leaked secrets: rotate, purge from history, close (or allow a false positive)."""


@secrets.command("list")
@click.option("--all", "show_all", is_flag=True, help="Closed and allowed ones too.")
@FORMAT_OPTION
@pass_cli
def list_cmd(cli: CliContext, show_all: bool, fmt: str) -> int:
    """Tracked leaks and their state. Exit 1 while any is open."""
    from changegate.workflows.secrets import leaks

    found = sorted(leaks(cli.app()).values(), key=lambda leak: leak.opened_at)
    shown = [leak for leak in found if show_all or leak.is_open]
    open_count = sum(leak.is_open for leak in found)
    if fmt == "json":
        emit_json({"leaks": [leak.as_dict() for leak in shown], "open": open_count})
        return 1 if open_count else 0
    from rich.table import Table

    table = Table()
    for col in ("fingerprint", "state", "rule", "preview", "where", "introduced by"):
        table.add_column(col, overflow="fold")
    for leak in shown:
        where = f"{(leak.first_commit or '')[:12]}:{leak.path}:{leak.line}"
        table.add_row(
            leak.fingerprint[:16], leak.state, leak.rule, leak.preview, where, leak.introduced_by
        )
    console().print(table)
    click.echo(f"{open_count} open leak(s)")
    return 1 if open_count else 0


@secrets.command("rotated")
@click.argument("fingerprint")
@click.option("--note", required=True, help="How it was rotated (ticket, new key id).")
@pass_cli
def rotated_cmd(cli: CliContext, fingerprint: str, note: str) -> int:
    """Attest that the leaked credential was rotated (revoked and replaced)."""
    from changegate.workflows.secrets import rotated

    leak = rotated(cli.app(), fingerprint, note)
    click.echo(f"{leak.fingerprint[:16]}: rotation recorded; state: {leak.state}")
    if leak.is_open:
        click.echo(f"next: `changegate secrets purge-check {leak.fingerprint[:16]}`")
    return 0


@secrets.command("purge-check")
@click.argument("fingerprint")
@pass_cli
def purge_check_cmd(cli: CliContext, fingerprint: str) -> int:
    """Rescan every ref: is the secret gone from history? Exit 1 while it is not."""
    from changegate.workflows.secrets import purge_check

    res = purge_check(cli.app(), fingerprint)
    fp = res.leak.fingerprint[:16]
    if res.clean:
        click.echo(f"{fp}: not found in any ref; state: {res.leak.state}")
        if res.leak.is_open and not res.leak.rotated_at:
            click.echo(f"next: rotate it, then `changegate secrets rotated {fp} --note ...`")
        return 0
    click.echo(
        f"{fp}: still in history: {len(res.commits)} commit(s), refs: "
        f"{', '.join(res.refs) or '(unreferenced objects)'}",
        err=True,
    )
    click.echo(
        "remove it from history (with LEAKED_SECRET set to the old value, which you "
        "have just rotated):",
        err=True,
    )
    click.echo(f"  {res.command}", err=True)
    click.echo(f"then run `changegate secrets purge-check {fp}` again", err=True)
    return 1


@secrets.command("allow")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why this is not a credential.")
@pass_cli
def allow_cmd(cli: CliContext, fingerprint: str, reason: str) -> int:
    """Record a false positive, with who and why (never a silent ignore file)."""
    from changegate.workflows.secrets import allow

    leak = allow(cli.app(), fingerprint, reason)
    click.echo(f"{leak.fingerprint[:16]}: allowed as a false positive ({reason})")
    return 0
