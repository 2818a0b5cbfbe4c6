"""``changegate init``."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli


@click.command()
@click.option("--owner", help="Policy owner's email (default: your git user.email).")
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    help="A reviewer's email; repeat for each (default: you). Add SSH keys in the file.",
)
@pass_cli
def init(cli: CliContext, owner: str | None, reviewers: tuple[str, ...]) -> int:
    """Write changegate.toml (the policy, clause by clause), the ledger key, the ledger,
    and keep .changegate/ out of git."""
    from changegate.workflows.init import init as run_init

    app = cli.app()
    result = run_init(app, owner=owner, reviewers=list(reviewers) or None)
    for note in result.notes:
        click.echo(f"note: {note}")
    if result.wrote_policy:
        click.echo("wrote changegate.toml: review it, then commit it (`changegate policy check`)")
    if result.created_key:
        click.echo("created the ledger key .changegate/ledger.key: back it up; never commit it")
    if result.updated_gitignore:
        click.echo("added .changegate/ to .gitignore")
    click.echo(f"ledger ready: {result.database}")
    return 0
