"""``changegate token issue|list|revoke``: who may sign in to the dashboard, and as what."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, console, emit_json


@click.group()
def token() -> None:
    """Dashboard sign-in tokens (hashed at rest; issuing and revoking are in the ledger)."""


@token.command("issue")
@click.argument("user")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["viewer", "auditor", "deployer", "owner"]),
    help="viewer reads; auditor also exports and verifies; deployer also deploys; "
    "owner does everything.",
)
@pass_cli
def issue_cmd(cli: CliContext, user: str, role: str) -> int:
    """Issue a token for USER (policy owner only); it is printed once and never stored."""
    from changegate.workflows.tokens import issue, require_policy_owner

    app = cli.app()
    by = require_policy_owner(app)
    text, info = issue(app, user, role, by=by)
    click.echo(text)
    click.echo(
        f"token {info.id} for {info.user} ({info.role}); give it to them now: it cannot be "
        "shown again. Revoke with `changegate token revoke " + info.id + "`.",
        err=True,
    )
    return 0


@token.command("list")
@FORMAT_OPTION
@pass_cli
def list_cmd(cli: CliContext, fmt: str) -> int:
    """List tokens (ids, users, roles, state); never the secrets."""
    from changegate.workflows.tokens import list_tokens

    infos = list_tokens(cli.app().store())
    if fmt == "json":
        emit_json(
            {
                "tokens": [
                    {
                        "id": t.id,
                        "user": t.user,
                        "role": t.role,
                        "created_at": t.created_at,
                        "created_by": t.created_by,
                        "revoked_at": t.revoked_at,
                    }
                    for t in infos
                ]
            }
        )
        return 0
    out = console()
    if not infos:
        out.print("no dashboard tokens; issue one with `changegate token issue USER --role ROLE`")
    for t in infos:
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        out.print(f"{t.id}  {t.user}  {t.role}  issued {t.created_at} by {t.created_by}  {state}")
    return 0


@token.command("revoke")
@click.argument("ident", metavar="ID")
@pass_cli
def revoke_cmd(cli: CliContext, ident: str) -> int:
    """Revoke token ID (policy owner only); sessions signed in with it end at once."""
    from changegate.workflows.tokens import require_policy_owner, revoke

    app = cli.app()
    info = revoke(app, ident, by=require_policy_owner(app))
    click.echo(f"revoked token {info.id} of {info.user} ({info.role}) at {info.revoked_at}")
    return 0
