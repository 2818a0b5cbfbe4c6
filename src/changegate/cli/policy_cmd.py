"""``changegate policy show|check``."""

from __future__ import annotations

from datetime import date

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, console, emit_json
from changegate.core.policy import Policy


@click.group()
def policy() -> None:
    """Show and validate the policy (changegate.toml)."""


def _load(cli: CliContext, rev: str | None) -> Policy:
    app = cli.app()
    return app.policy_at(rev) if rev else app.policy()


@policy.command("show")
@click.option("--rev", help="Read the policy as committed at this revision.")
@FORMAT_OPTION
@pass_cli
def show(cli: CliContext, rev: str | None, fmt: str) -> int:
    """Print the effective policy, defaults filled in."""
    pol = _load(cli, rev)
    data = pol.model_dump(mode="json")
    if fmt == "json":
        emit_json(data)
        return 0
    from rich.pretty import Pretty

    out = console()
    out.print(
        f"[bold]{pol.policy.name}[/] — last reviewed {pol.policy.last_reviewed}, "
        f"next review due {pol.next_review_due()}"
    )
    out.print(Pretty(data, expand_all=False))
    return 0


def _check_calendar(cli: CliContext, pol: Policy, rev: str | None) -> None:
    """The holiday calendar exists (checked here, not on every load: it imports holidays)."""
    from changegate.core.deadlines import check_calendar

    problem = check_calendar(pol.emergency.calendar_country, pol.emergency.calendar_subdivision)
    if problem is None:
        return
    from changegate.adapters.policy_file import POLICY_FILE, key_lines
    from changegate.errors import InputError

    app = cli.app()
    data = app.git.show_file(rev, POLICY_FILE) if rev else (app.root / POLICY_FILE).read_bytes()
    lines = key_lines((data or b"").decode("utf-8", "replace"))
    key = "calendar_subdivision" if "subdivision" in problem else "calendar_country"
    line = lines.get(("emergency", key), lines.get(("emergency",), 1))
    raise InputError(f"{POLICY_FILE}:{line}: emergency.{key}: {problem}")


@policy.command("review")
@click.option("--note", required=True, help="What was reviewed and what changed.")
@pass_cli
def review_cmd(cli: CliContext, note: str) -> int:
    """Record the annual policy review (policy owner only) and renew last_reviewed."""
    from changegate.workflows.policy_review import review

    due = review(cli.app(), note)
    click.echo(
        f"policy review recorded; next review due {due}. Commit changegate.toml "
        "(last_reviewed was renewed)."
    )
    return 0


@policy.command("check")
@click.option("--rev", help="Validate the policy as committed at this revision.")
@pass_cli
def check(cli: CliContext, rev: str | None) -> int:
    """Validate the policy: exit 2 with one line per problem; exit 1 if its review is overdue."""
    pol = _load(cli, rev)
    _check_calendar(cli, pol, rev)
    due = pol.next_review_due()
    if date.today() > due:
        click.echo(
            f"changegate.toml: valid, but the annual policy review was due {due} "
            "(§6); review it and record it with `changegate policy review`",
            err=True,
        )
        return 1
    reviewers = len(pol.roles.reviewers)
    click.echo(
        f"changegate.toml: valid — {reviewers} reviewer{'s' if reviewers != 1 else ''}, "
        f"{len(pol.environments)} environment(s), next review due {due}"
    )
    return 0
