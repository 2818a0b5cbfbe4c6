"""``changegate config ...``: configuration on the same reviewed track as code.

Parse, call a workflow, render. Secrets are never shown: a value marked
secret appears as ``hmac:<keyed hash> (N chars)`` in text and JSON alike.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from changegate.cli.context import CliContext, pass_cli
from changegate.cli.render import FORMAT_OPTION, emit_json

SHORT = 16


@click.group()
def config() -> None:
    """Versioned, reviewed, encrypted configuration per environment."""


def _change_line(c: dict[str, Any]) -> str:
    if c["op"] == "unset":
        return f"  unset {c['key']}" + (" (secret)" if c.get("secret") else "")
    if c.get("secret"):
        return f"  set {c['key']} = hmac:{c['value_hash']} ({c['length']} chars, secret)"
    return f"  set {c['key']} = {c.get('value')}"


def _proposed(fmt: str, p: Any) -> int:
    from changegate.workflows.config_track import Proposal

    assert isinstance(p, Proposal)
    summaries = [c.summary() for c in p.changes]
    if fmt == "json":
        emit_json(
            {
                "proposal": p.id,
                "environment": p.environment,
                "base_version": p.base_version,
                "changes": summaries,
            }
        )
        return 0
    click.echo(f"{p.id} proposed for {p.environment} (on version {p.base_version or 0}):")
    for c in summaries:
        click.echo(_change_line(c))
    click.echo(
        f"next: a reviewer (not you) runs `changegate config approve {p.environment} {p.id}`"
    )
    return 0


@config.command("set")
@click.argument("env")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option(
    "--secret",
    is_flag=True,
    help="Encrypt the values; show only a hash and length. Give each as a bare KEY with the "
    "value on stdin, not KEY=VALUE (shell history, ps).",
)
@click.option(
    "--expect-version",
    type=int,
    help="Check-and-set: refuse unless ENV is at this version (0: none yet).",
)
@FORMAT_OPTION
@pass_cli
def set_cmd(
    cli: CliContext, env: str, assignments: tuple[str, ...], secret: bool,
    expect_version: int | None, fmt: str,
) -> int:  # fmt: skip
    """Propose KEY=VALUE changes.

    A secret is best given as a bare KEY with --secret and its value on stdin
    (`echo "$TOKEN" | changegate config set ENV API_TOKEN --secret`), so it never
    sits in shell history or the process list. Names that look like credentials
    (*TOKEN*, *PASSWORD*, *SECRET*, *_KEY, ...) are refused without --secret
    unless the key is already secret.
    """
    from changegate.core.config import ConfigError, parse_assignment
    from changegate.errors import InputError
    from changegate.workflows.config_track import propose

    pairs: list[tuple[str, str | None]] = []
    for text in assignments:
        try:
            key, value = parse_assignment(text)
        except ConfigError as exc:
            raise InputError(str(exc)) from exc
        if value is None:
            if not secret:
                raise InputError(f"{text!r}: give KEY=VALUE (a bare KEY reads stdin with --secret)")
            value = sys.stdin.readline().rstrip("\r\n")
        pairs.append((key, value))
    p = propose(cli.app(), env, pairs, secret=secret, expect_version=expect_version)
    return _proposed(fmt, p)


@config.command("unset")
@click.argument("env")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@click.option("--expect-version", type=int, help="Check-and-set on ENV's version.")
@FORMAT_OPTION
@pass_cli
def unset_cmd(
    cli: CliContext, env: str, keys: tuple[str, ...], expect_version: int | None, fmt: str
) -> int:
    """Propose removing keys."""
    from changegate.workflows.config_track import propose

    p = propose(
        cli.app(), env, [(k, None) for k in keys], expect_version=expect_version, origin="unset"
    )
    return _proposed(fmt, p)


@config.command("import")
@click.argument("env")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--secret", "secret_keys", multiple=True, metavar="KEY", help="Mark KEY secret.")
@click.option("--all-secret", is_flag=True, help="Mark every key secret.")
@click.option("--replace", is_flag=True, help="Also unset keys the file does not have.")
@FORMAT_OPTION
@pass_cli
def import_cmd(
    cli: CliContext,
    env: str,
    file: Path,
    secret_keys: tuple[str, ...],
    all_secret: bool,
    replace: bool,
    fmt: str,
) -> int:
    """Propose the values of a .env file (names like *TOKEN*, *PASSWORD* are secret)."""
    from changegate.errors import InputError
    from changegate.workflows.config_track import import_file

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror})") from exc
    p = import_file(
        cli.app(),
        env,
        text,
        str(file),
        secret_keys=frozenset(secret_keys),
        all_secret=all_secret,
        replace=replace,
    )
    return _proposed(fmt, p)


@config.command("approve")
@click.argument("env")
@click.argument("proposal")
@click.option(
    "--key", help="Your SSH private key (default: git user.signingkey, then ~/.ssh/id_ed25519)."
)
@FORMAT_OPTION
@pass_cli
def approve_cmd(cli: CliContext, env: str, proposal: str, key: str | None, fmt: str) -> int:
    """Approve a proposal (signed with your SSH key; never your own proposal)."""
    from changegate.workflows.config_track import approve

    a = approve(cli.app(), env, proposal, key=key)
    if fmt == "json":
        emit_json(dict(a.__dict__))
        return 0
    click.echo(
        f"{a.approver}: approved {a.proposal}, signed with {a.key_fingerprint}; "
        f"{a.environment} version {a.version} (content {a.content_sha256[:12]})"
    )
    click.echo(f"next: `changegate config apply {a.environment}` (or a deploy's config step)")
    return 0


@config.command("reject")
@click.argument("env")
@click.argument("proposal")
@click.option("--reason", required=True, help="What must change.")
@FORMAT_OPTION
@pass_cli
def reject_cmd(cli: CliContext, env: str, proposal: str, reason: str, fmt: str) -> int:
    """Request changes: close a proposal with the reason recorded."""
    from changegate.workflows.config_track import reject

    reject(cli.app(), env, proposal, reason)
    if fmt == "json":
        emit_json({"proposal": proposal, "environment": env, "status": "rejected"})
    else:
        click.echo(f"{proposal} rejected: {reason}")
    return 0


def _reload_text(report: Any) -> str | None:
    """The process manager's report in one line (kind, time, what it saw)."""
    if report is None:
        return None
    kind, detail = getattr(report, "kind", "reload"), getattr(report, "detail", str(report))
    return f"{kind} in {getattr(report, 'duration_s', 0.0):.1f}s: {detail}"


def _delivered(fmt: str, env: str, d: Any) -> int:
    reload_text = _reload_text(d.reload)
    if fmt == "json":
        emit_json(
            {
                "environment": env,
                "version": d.applied.version,
                "content_sha256": d.applied.content_sha256,
                "path": str(d.applied.path),
                "reason": d.reason,
                "reverted_from": d.reverted_from,
                "reloaded": d.reload is not None,
                "reload": reload_text,
                "awaiting_approval": list(d.waiting),
            }
        )
        return 0
    what = f"content of version {d.reverted_from} as " if d.reverted_from is not None else ""
    click.echo(
        f"applied {what}version {d.applied.version} ({d.reason}) to {d.applied.path} "
        f"(content {d.applied.content_sha256[:12]})"
    )
    click.echo(
        f"reloaded: {reload_text}"
        if d.reload is not None
        else "not reloaded (no process manager, or the service is not running: it reads "
        "the file when it starts)"
    )
    for pid in d.waiting:
        click.echo(f"{pid} still awaits approval")
    return 0


@config.command("apply")
@click.argument("env")
@FORMAT_OPTION
@pass_cli
def apply_cmd(cli: CliContext, env: str, fmt: str) -> int:
    """Render the newest approved version (or the live one again) and reload."""
    from changegate.workflows.config import apply

    return _delivered(fmt, env, apply(cli.app(), env))


@config.command("revert")
@click.argument("env")
@click.option("--to", "to", type=int, help="The version to restore (default: the previous live).")
@FORMAT_OPTION
@pass_cli
def revert_cmd(cli: CliContext, env: str, to: int | None, fmt: str) -> int:
    """Write an old version's content as a new version, apply it and reload."""
    from changegate.workflows.config import revert

    return _delivered(fmt, env, revert(cli.app(), env, to))


def _entry(e: Any) -> dict[str, Any] | None:
    if e is None:
        return None
    out: dict[str, Any] = {
        "secret": e.secret,
        "value_hash": e.value_hash[:SHORT],
        "length": e.length,
    }
    if not e.secret:
        out["value"] = e.plain
    return out


@config.command("diff")
@click.argument("env")
@click.argument("versions", nargs=-1, type=int, metavar="[V1 [V2]]")
@FORMAT_OPTION
@pass_cli
def diff_cmd(cli: CliContext, env: str, versions: tuple[int, ...], fmt: str) -> int:
    """Live vs newest; V1 alone: live vs V1; V1 V2. Secrets as keyed hashes."""
    from changegate.errors import InputError
    from changegate.workflows.config_audit import config_diff

    if len(versions) > 2:
        raise InputError("give at most two versions: diff ENV [V1 [V2]]")
    r = config_diff(cli.app(), env, *versions)
    if fmt == "json":
        emit_json(
            {
                "environment": env,
                "from": r.from_version,
                "to": r.to_version,
                "differences": [
                    {"key": d.key, "kind": d.kind,
                     "before": _entry(d.before), "after": _entry(d.after)}
                    for d in r.differences
                ],
                "open_proposals": [
                    {"proposal": p.id, "proposer": p.proposer, "base_version": p.base_version,
                     "changes": [c.summary() for c in p.changes]}
                    for p in r.open_proposals
                ],
            }
        )  # fmt: skip
        return 0
    click.echo(f"{env}: version {r.from_version or 0} -> {r.to_version or 0}")
    if not r.differences:
        click.echo("  no differences")
    for d in r.differences:
        before = d.before.shown() if d.before else "-"
        after = d.after.shown() if d.after else "-"
        click.echo(f"  {d.kind:8} {d.key}: {before} -> {after}")
    for p in r.open_proposals:
        click.echo(f"{p.id} by {p.proposer} (on version {p.base_version or 0}), awaiting approval:")
        for c in p.changes:
            click.echo("  " + _change_line(c.summary()))
    return 0


@config.command("drift")
@click.argument("env")
@click.option("--adopt", is_flag=True, help="Propose the live file's content (to be reviewed).")
@FORMAT_OPTION
@pass_cli
def drift_cmd(cli: CliContext, env: str, adopt: bool, fmt: str) -> int:
    """Compare the live file (and process) with the recorded version; exit 1 on drift."""
    if adopt:
        from changegate.workflows.config_audit import adopt_drift

        return _proposed(fmt, adopt_drift(cli.app(), env))
    from changegate.workflows.config_audit import check_drift

    r = check_drift(cli.app(), env)
    drifted = bool(r.differences) or r.unresolved_since is not None
    if fmt == "json":
        emit_json(
            {
                "environment": env,
                "version": r.version,
                "path": r.path,
                "differences": [i.as_dict() for i in r.differences],
                "process_checked": r.process_checked,
                "recorded": r.recorded,
                "unresolved_since": r.unresolved_since,
            }
        )
        return 1 if drifted else 0
    if not drifted:
        checked = "file and process" if r.process_checked else "file"
        click.echo(f"{env}: no drift ({checked} match version {r.version or 0})")
        return 0
    click.echo(f"{env}: DRIFT from version {r.version or 0} at {r.path} (ad-hoc change, policy §2)")
    for i in r.differences:
        detail = f": {i.detail}" if i.detail else ""
        click.echo(f"  {i.kind:8} {i.key} ({i.where}){detail}")
    if not r.differences:
        click.echo("  the live values match again, but the recorded drift was never resolved")
    click.echo(f"unresolved since {r.unresolved_since}" + (" (recorded now)" if r.recorded else ""))
    click.echo(
        f"resolve: `changegate config apply {env}` (overwrite) or "
        f"`changegate config drift {env} --adopt` (propose the live content for review)"
    )
    return 1


@config.command("history")
@click.argument("env")
@click.argument("key", required=False)
@FORMAT_OPTION
@pass_cli
def history_cmd(cli: CliContext, env: str, key: str | None, fmt: str) -> int:
    """Every version: who proposed and approved it, when, what changed, when applied."""
    from changegate.workflows.config_audit import history

    entries = history(cli.app(), env, key)
    if fmt == "json":
        emit_json({"environment": env, "key": key, "versions": [e.as_dict() for e in entries]})
        return 0
    if not entries:
        click.echo(f"{env}: no versions" + (f" touching {key}" if key else ""))
    for e in entries:
        by = f"approved by {e.approver}" if e.approver else f"revert to {e.reverted_from}"
        click.echo(
            f"v{e.version}  {e.created_at}  {e.created_by}  {by}  {e.proposal or ''}".rstrip()
        )
        for c in e.changes:
            click.echo("  " + _change_line(c))
        for a in e.applied:
            click.echo(f"  applied {a['at']} by {a['by']} ({a['reason']})")
    return 0


@config.command("rotate-key")
@click.argument("env")
@FORMAT_OPTION
@pass_cli
def rotate_key_cmd(cli: CliContext, env: str, fmt: str) -> int:
    """Re-encrypt every secret under a new key (all environments sharing ENV's key)."""
    from changegate.workflows.config_audit import rotate_key

    r = rotate_key(cli.app(), env)
    if fmt == "json":
        emit_json(
            {
                "source": r.source,
                "reencrypted": r.reencrypted,
                "old_keys_dropped": r.dropped_old_keys,
            }
        )
        return 0
    for name, n in sorted(r.reencrypted.items()):
        click.echo(f"{name}: {n} version(s) re-encrypted")
    tail = (
        "old key dropped" if r.dropped_old_keys else "now remove the old key(s) from the variable"
    )
    click.echo(f"{r.source}: new key in use; {tail}")
    return 0


@config.command("keygen")
@click.argument("env")
@FORMAT_OPTION
@pass_cli
def keygen_cmd(cli: CliContext, env: str, fmt: str) -> int:
    """Create ENV's encryption key file (mode 0600; never printed, never commit it)."""
    from changegate.workflows.config_audit import keygen

    path = keygen(cli.app(), env)
    if fmt == "json":
        emit_json({"environment": env, "key_file": path})
    else:
        click.echo(f"{path}: new config key (mode 0600); back it up, never commit it")
    return 0
