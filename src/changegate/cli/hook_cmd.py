"""``changegate hook install|uninstall``."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli


@click.group()
def hook() -> None:
    """The git pre-commit hook that blocks commits containing secrets."""


@hook.command("install")
@click.option(
    "--pre-receive",
    is_flag=True,
    help="Install the server-side hook of a (bare) self-hosted repository instead.",
)
@click.option(
    "--branch",
    "branches",
    multiple=True,
    help="A protected branch for --pre-receive (repeat; default: main, master).",
)
@pass_cli
def install_cmd(cli: CliContext, pre_receive: bool, branches: tuple[str, ...]) -> int:
    """Install the pre-commit hook (an existing hook is kept and chained)."""
    from changegate.adapters.hooks import install, install_pre_receive

    if pre_receive:
        from pathlib import Path

        from changegate.adapters.proc import run
        from changegate.errors import InputError

        res = run(["git", "rev-parse", "--absolute-git-dir"])
        if not res.ok:
            raise InputError("not inside a git repository; run it in the server's repository")
        path = install_pre_receive(
            Path(res.out.strip()), list(branches) or ["main", "master"], cli.db
        )
        click.echo(
            f"installed {path}: pushes to {', '.join(branches) or 'main, master'} need "
            "a passing recorded verdict"
        )
        if not cli.db:
            click.echo(
                "note: no --db given; the hook reads CHANGEGATE_DB from the server's "
                "environment and refuses pushes without it"
            )
        return 0

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
