"""``changegate migrations check``."""

from __future__ import annotations

import json

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import console


@click.group()
def migrations() -> None:
    """Database migration safety: ordering, destructive operations, rollback, locks."""


@migrations.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--base",
    help="The revision in production: only new or changed migrations are "
    "judged, ordering is checked against it, and its code is searched for names "
    "a migration drops or renames.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Also apply, roll back and re-apply the new "
    "migrations on a real throwaway PostgreSQL, recording locks and rewrites.",
)
@click.option(
    "--server",
    "server_url",
    help="Verify on this PostgreSQL server (a scratch "
    "database is created and dropped) instead of a throwaway one.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@pass_cli
def check_cmd(
    cli: CliContext,
    paths: tuple[str, ...],
    base: str | None,
    verify: bool,
    server_url: str | None,
    fmt: str,
) -> int:
    """Check migrations. Exit 0 when nothing blocks, 1 when blocked, 2 on bad input."""
    from changegate import migrations as engine
    from changegate.workflows import migrations as wf

    app = cli.app()
    result = wf.check(app, paths=paths, base=base, verify=verify, server_url=server_url)
    recorded = wf.record_suppressions(app, result)
    if fmt == "json":
        click.echo(json.dumps(engine.to_dict(result), indent=2, sort_keys=True))
    elif fmt == "sarif":
        click.echo(json.dumps(engine.to_sarif(result), indent=2))
    else:
        out = console()
        for report in result.files:
            tags = " ".join(
                t
                for t, on in (
                    ("[yellow]destructive[/]", report.destructive),
                    ("[red]BLOCKED[/]", report.blocked),
                )
                if on
            )
            out.print(f"[bold]{report.path}[/] {tags}", soft_wrap=True)
            for f in report.findings:
                colour = "red" if f.severity == "error" else "yellow"
                lines = ",".join(map(str, f.lines or (f.line,)))
                out.print(
                    f"  line {lines}: [{colour}]{f.severity}[/] {f.check}: {f.message}",
                    soft_wrap=True,
                )
        for s in result.suppressions:
            out.print(
                f"[dim]{s.path}:{s.line}: {s.check} allowed inline: {s.reason}[/]", soft_wrap=True
            )
        for lock in result.locks:
            rewrite = ", rewrote the table" if lock.rewrote else ""
            out.print(
                f"[dim]{lock.path}:{lock.line}: took {lock.mode} on {lock.relation}{rewrite}[/]",
                soft_wrap=True,
            )
        if verify:
            mismatched = any(f.check == "down-mismatch" for r in result.files for f in r.findings)
            out.print(
                "verified on PostgreSQL: each new migration applied statement by "
                "statement; each down migration run and the catalog compared, then up "
                "again: "
                + (
                    "[red]a down migration does not restore the schema[/]"
                    if mismatched
                    else "schemas restored"
                ),
                soft_wrap=True,
            )
        if recorded:
            out.print(f"{recorded} suppression(s) recorded in the ledger as exceptions")
        files = len(result.files)
        verdict = "[red]blocked[/]" if result.blocked else "[green]not blocked[/]"
        out.print(f"{files} migration file(s) checked: {verdict}")
    return 1 if result.blocked else 0
