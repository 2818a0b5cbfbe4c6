"""``changegate deploy | rollback | deployments | status`` (policy §2 and §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, console, emit_json
from changegate.errors import Blocked, InputError

if TYPE_CHECKING:
    from changegate.workflows.deploy import DeployResult
    from changegate.workflows.deploy_run import Reporter, StepResult

ENV_OPTION = click.option("--env", "env_name", required=True, help="The environment (policy).")

_MARK = {"ok": "[green]ok[/]", "skipped": "[dim]skipped[/]", "failed": "[red]FAILED[/]"}


def _printer(fmt: str) -> Reporter | None:
    if fmt == "json":
        return None
    out = console()

    def show(result: StepResult) -> None:
        out.print(
            f"  {result.step:<15} {_MARK.get(result.status, result.status):<8} {result.detail}"
        )

    return show


@click.command()
@click.argument("tag", required=False)
@ENV_OPTION
@click.option(
    "--plan", is_flag=True, help="Print the procedure as a numbered runbook; change nothing."
)
@click.option(
    "--resume", is_flag=True, help="Finish a deploy whose process died, where it stopped."
)
@click.option("--break-lock", is_flag=True, help="Remove a stale deploy lock (needs --reason).")
@click.option("--reason", default="", help="Why (with --break-lock).")
@FORMAT_OPTION
@pass_cli
def deploy(
    cli: CliContext,
    tag: str | None,
    env_name: str,
    plan: bool,
    resume: bool,
    break_lock: bool,
    reason: str,
    fmt: str,
) -> int:
    """Deploy the release TAG to an environment through its documented procedure."""
    from changegate.workflows import deploy as wf

    app = cli.app()
    if break_lock:
        info = wf.break_lock(app, env_name, reason)
        click.echo(
            f"lock of {info.kind} {info.deployment} ({info.tag}, by {info.actor}) broken; "
            f"steps it had done: {', '.join(info.done) or 'none'}; reason recorded"
        )
        return 0
    if resume:
        result = wf.resume(app, env_name, report=_printer(fmt))
    else:
        if not tag:
            raise InputError(
                "name the release tag to deploy, e.g. `changegate deploy v1.2.0 --env prod`"
            )
        if plan:
            lines = wf.plan(app, tag, env_name)
            if fmt == "json":
                emit_json({"environment": env_name, "tag": tag, "runbook": lines})
            else:
                click.echo(f"Runbook: deploy {tag} to {env_name}")
                for line in lines:
                    click.echo(line)
            return 0
        if fmt != "json":
            click.echo(f"deploying {tag} to {env_name}")
        result = wf.deploy(app, tag, env_name, report=_printer(fmt))
    return _conclude(result, fmt)


def _conclude(result: DeployResult, fmt: str) -> int:
    d = result.deployment
    if fmt == "json":
        emit_json(result.as_dict())
    elif result.rollback is not None:
        click.echo(f"{d.id}: {d.tag} ROLLED BACK: {d.failure or d.reason}")
        rb = result.rollback
        click.echo(f"{rb.id}: back on {rb.tag} ({rb.outcome})")
    elif d.outcome == "deployed":
        click.echo(f"{d.id}: {d.tag} ({d.commit[:12]}) deployed to {d.environment}")
    else:
        click.echo(f"{d.id}: {d.tag} NOT deployed: {d.failure or d.reason}")
    return 0 if d.outcome == "deployed" and result.rollback is None else 1


@click.command()
@ENV_OPTION
@click.option("--to", "to", help="The release to return to (default: the previous one).")
@click.option("--reason", default="", help="Why (recorded; required to roll back).")
@click.option("--schema", is_flag=True, help="Also run the down migrations (needs an approval).")
@click.option(
    "--approve-schema",
    is_flag=True,
    help="Record your approval of a schema rollback to --to (a reviewer, not the deployer).",
)
@click.option("--owner-input", default=None, help="Policy owner: record your input (§4).")
@FORMAT_OPTION
@pass_cli
def rollback(
    cli: CliContext,
    env_name: str,
    to: str | None,
    reason: str,
    schema: bool,
    approve_schema: bool,
    owner_input: str | None,
    fmt: str,
) -> int:
    """Put code and config back to the previous (or named) release, in one command."""
    from changegate.workflows import rollback as wf

    app = cli.app()
    if approve_schema:
        if not to:
            raise InputError(
                "--approve-schema needs --to TAG: the release whose schema you approve"
            )
        wf.approve_schema_rollback(app, env_name, to, reason)
        click.echo(f"approval of a schema rollback of {env_name} to {to} recorded")
        return 0
    if owner_input is not None:
        dep = wf.owner_input(app, env_name, owner_input)
        click.echo(f"policy owner's input on rolling back {dep} recorded")
        if not reason:
            return 0
    deployment, steps = wf.rollback(
        app, env_name, to=to, reason=reason, schema=schema, report=_printer(fmt)
    )
    if fmt == "json":
        emit_json({"deployment": deployment.as_dict(), "steps": [s.as_dict() for s in steps]})
    elif deployment.outcome == "deployed":
        click.echo(f"{deployment.id}: {env_name} back on {deployment.tag}")
    else:
        click.echo(
            f"{deployment.id}: rollback to {deployment.tag} FAILED: "
            f"{deployment.failure or deployment.reason}"
        )
    if deployment.outcome != "deployed":
        raise Blocked(f"rollback of {env_name} did not complete; see the steps above")
    return 0


@click.command()
@click.option("--env", "env_name", default=None, help="One environment (default: all).")
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
@pass_cli
def deployments(cli: CliContext, env_name: str | None, limit: int, fmt: str) -> int:
    """Recorded deployments and rollbacks, newest first."""
    from changegate.workflows.deploy import history

    rows = list(reversed(history(cli.app(), env_name)))[:limit]
    if fmt == "json":
        emit_json({"deployments": [d.as_dict() for d in rows]})
        return 0
    from rich.table import Table

    table = Table()
    for col in ("id", "env", "kind", "tag", "commit", "deployer", "ended", "outcome", "note"):
        table.add_column(col, overflow="fold")
    for d in rows:
        note = f"rollback of {d.rollback_of}" if d.rollback_of else ""
        if d.outcome != "deployed" and d.reason:
            note = (note + "; " if note else "") + d.reason
        table.add_row(
            d.id,
            d.environment,
            d.kind,
            d.tag,
            d.commit[:12],
            d.deployer,
            d.ended_at[:19].replace("T", " "),
            d.outcome,
            note,
        )
    console().print(table)
    return 0


@click.command()
@click.option("--env", "env_name", default=None, help="One environment (default: all).")
@FORMAT_OPTION
@pass_cli
def status(cli: CliContext, env_name: str | None, fmt: str) -> int:
    """What runs where: live release, its deployment, lock, process manager, config."""
    from changegate.workflows.deploy_status import status as env_status

    app = cli.app()
    names = [env_name] if env_name else sorted(app.policy().environments)
    states = [env_status(app, n) for n in names]
    if fmt == "json":
        emit_json({"environments": states})
        return 0
    for s in states:
        click.echo(f"{s['environment']}: {s['current'] or '(nothing deployed)'}")
        for key in ("deployment", "lock", "process", "config", "releases"):
            if s.get(key):
                click.echo(f"  {key:<11} {s[key]}")
    return 0
