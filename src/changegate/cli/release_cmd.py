"""``changegate release TAG``."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli


@click.command()
@click.argument("tag")
@click.option("--rev", help="The commit to release (default: HEAD).")
@click.option("--sign", is_flag=True, help="Sign the tag (git tag -s, your signing key).")
@pass_cli
def release(cli: CliContext, tag: str, rev: str | None, sign: bool) -> int:
    """Create the annotated release tag TAG, only for a commit with a passing verdict."""
    from changegate.workflows.release import release as run_release

    r = run_release(cli.app(), tag, rev, sign)
    click.echo(
        f"released {r.tag} at {r.commit[:12]}: allowed by {r.basis}; push it with "
        f"`git push origin {r.tag}`"
    )
    return 0
