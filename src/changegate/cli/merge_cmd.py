"""``changegate merge BRANCH``."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli


@click.command()
@click.argument("branch")
@pass_cli
def merge(cli: CliContext, branch: str) -> int:
    """Merge BRANCH into the current branch, only on its passing recorded verdict."""
    from changegate.workflows.merge import merge as run_merge

    m = run_merge(cli.app(), branch)
    click.echo(
        f"merged {m.branch} ({m.head[:12]}) as {m.merge_commit[:12]}: verdict at ledger "
        f"seq {m.verdict_seq}, evidence {m.evidence_digest[:16]}"
    )
    return 0
