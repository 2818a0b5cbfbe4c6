"""``changegate review approve|request-changes``: signed reviews."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.core.reviews import Kind


@click.group()
def review() -> None:
    """Sign a review of a change with your SSH key (stored as a git note)."""


F = TypeVar("F", bound=Callable[..., Any])


def _options(f: F) -> F:
    f = click.option(
        "--key", help="Your SSH private key (default: git user.signingkey, then ~/.ssh/id_ed25519)."
    )(f)
    f = click.option(
        "--finding",
        "findings",
        multiple=True,
        help="A problem found (repeat); adversarial findings must be resolved.",
    )(f)
    f = click.option(
        "--adversarial",
        is_flag=True,
        help="This is the adversarial pass: try to find what is wrong.",
    )(f)
    f = click.option("--rev", help="The change's tip (default: HEAD).")(f)
    return click.option("--base", help="Where the change goes (default: origin/HEAD, main).")(f)


def _record(
    cli: CliContext,
    kind: Kind,
    base: str | None,
    rev: str | None,
    adversarial: bool,
    findings: tuple[str, ...],
    resolves: tuple[str, ...],
    key: str | None,
) -> int:
    from changegate.workflows.reviews import record

    att, change = record(
        cli.app(),
        kind,
        base=base,
        rev=rev,
        adversarial=adversarial,
        findings=findings,
        resolves=resolves,
        key=key,
    )
    what = ("adversarial " if adversarial else "") + kind
    click.echo(
        f"{att.reviewer}: {what} of {change.head[:12]} (patch-id {att.patch_id[:12]}) "
        "signed and stored in refs/notes/changegate"
    )
    for fid, text in zip(att.finding_ids(), att.findings, strict=True):
        click.echo(f"  finding {fid}: {text}")
    click.echo("share it: git push origin refs/notes/changegate")
    return 0


@review.command("approve")
@_options
@click.option(
    "--emergency",
    "emergency_id",
    metavar="EMG-ID",
    help="The retroactive review of an emergency change: exactly the diff it shipped.",
)
@click.option(
    "--resolve",
    "resolves",
    multiple=True,
    help="Mark an adversarial finding (its id) as resolved or accepted.",
)
@pass_cli
def approve(
    cli: CliContext,
    base: str | None,
    rev: str | None,
    adversarial: bool,
    findings: tuple[str, ...],
    key: str | None,
    emergency_id: str | None,
    resolves: tuple[str, ...],
) -> int:
    """Approve the change: you reviewed correctness, security, schema impact and policy."""
    if emergency_id:
        from changegate.errors import InputError
        from changegate.workflows.emergency import emergencies

        state = emergencies(cli.app()).get(emergency_id)
        if state is None:
            raise InputError(f"{emergency_id}: no such emergency; see `changegate emergency list`")
        base, rev = state.base, state.commit
    return _record(cli, "approve", base, rev, adversarial, findings, resolves, key)


@review.command("request-changes")
@_options
@pass_cli
def request_changes(
    cli: CliContext,
    base: str | None,
    rev: str | None,
    adversarial: bool,
    findings: tuple[str, ...],
    key: str | None,
) -> int:
    """Block the change until your findings are addressed."""
    return _record(cli, "request-changes", base, rev, adversarial, findings, (), key)


@review.command("import")
@click.option(
    "--github",
    "spec",
    required=True,
    metavar="OWNER/REPO#N",
    help="Import this pull request's reviews (token from GITHUB_TOKEN).",
)
@click.option("--base", help="Where the change goes (default: origin/HEAD, main).")
@click.option("--api-url", envvar="GITHUB_API_URL", help="GitHub API base (Enterprise).")
@pass_cli
def import_cmd(cli: CliContext, spec: str, base: str | None, api_url: str | None) -> int:
    """Record GitHub pull-request approvals as reviews, mapped through roles.reviewers.github."""
    from changegate.workflows.reviews import import_github

    result = import_github(cli.app(), spec, base, api_url)
    for line in result.recorded:
        click.echo(f"imported {line}")
    for line in result.skipped:
        click.echo(f"skipped {line}")
    click.echo(f"{len(result.recorded)} review(s) imported from {spec}")
    return 0
