"""``changegate hook install|uninstall``."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli


@click.group()
def hook() -> None:
    """The git pre-commit hook that blocks commits containing secrets."""


@hook.command("install")
@pass_cli
def install_cmd(cli: CliContext) -> int:
    """Install the pre-commit hook (an existing hook is kept and chained)."""
    from changegate.adapters.hooks import install

    path, chained = install(cli.app().git)
    click.echo(f"installed {path}: every commit's staged change is scanned for secrets")
    if chained:
        click.echo(f"your previous hook moved to {chained} and still runs after ours")
    return 0


@hook.command("uninstall")
@pass_cli
def uninstall_cmd(cli: CliContext) -> int:
    """Remove the hook (restoring a chained previous hook)."""
    from changegate.adapters.hooks import uninstall

    removed = uninstall(cli.app().git)
    click.echo("hook removed" if removed else "no changegate hook installed")
    return 0
