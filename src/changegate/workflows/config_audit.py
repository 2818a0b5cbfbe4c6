"""Looking at configuration: diffs, history, drift (ad-hoc changes) and key rotation.

Diffs and history read keyed hashes only, so a reviewer or auditor needs no
encryption key to see what changed (secrets appear as ``hmac:...`` and a
length). Drift compares the rendered file, and the running process's
environment where it is readable, with the live version: any difference is
an ad-hoc change outside the documented procedure (policy §2), recorded once
as ``config.drift`` and reported until it is adopted through a reviewed
proposal or overwritten by applying again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from changegate.adapters import crypto, envfile
from changegate.adapters.storage import config_repo as repo
from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core.config import (
    ConfigError,
    Difference,
    DriftItem,
    Entry,
    diff,
    drift,
    parse_env,
    value_hash,
)
from changegate.core.ledger import utc_timestamp
from changegate.errors import InputError
from changegate.workflows.config_env import (
    EnvConfig,
    environment,
    hmac_key,
    key_source,
    keyring,
)
from changegate.workflows.config_track import Proposal, propose

# ----------------------------------------------------------------- diff


@dataclass(frozen=True)
class DiffReport:
    environment: str
    from_version: int | None
    to_version: int | None
    differences: list[Difference]
    open_proposals: list[repo.ProposalRow] = field(default_factory=list)


def config_diff(app: App, env: str, v1: int | None = None, v2: int | None = None) -> DiffReport:
    """V1..V2; by default the live version against the newest (what `apply` would do)."""
    environment(app, env)
    with app.store().engine.connect() as conn:
        live = repo.live(conn, env)
        newest = repo.latest_version(conn, env)
        if v1 is None and v2 is None:
            a, b = (live.version if live else None), newest
        elif v2 is None:
            a, b = (live.version if live else None), v1
        else:
            a, b = v1, v2
        for v in (a, b):
            if v is not None and repo.version(conn, env, v) is None:
                raise InputError(f"{env} has no version {v}; see `changegate config history {env}`")
        out = diff(repo.snapshot(conn, env, a), repo.snapshot(conn, env, b))
        waiting = repo.proposals(conn, env, "open")
    return DiffReport(env, a, b, out, waiting)


# ----------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    created_at: str
    created_by: str
    approver: str | None
    reason: str
    proposal: str | None
    reverted_from: int | None
    content_sha256: str
    changes: list[dict[str, Any]]
    applied: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def history(app: App, env: str, key: str | None = None) -> list[HistoryEntry]:
    """Every version with who proposed and approved it, when, and what it changed."""
    environment(app, env)
    with app.store().engine.connect() as conn:
        rows = repo.versions(conn, env)
        applies = repo.applies(conn, env)
        prev: dict[str, Entry] = {}
        out: list[HistoryEntry] = []
        for r in rows:
            changes = r.changes
            if r.reverted_from is not None:  # show what the revert changed, key by key
                snap = repo.snapshot(conn, env, r.version)
                changes = [_diff_summary(d) for d in diff(prev, snap)]
                prev = snap
            else:
                prev = repo.snapshot(conn, env, r.version)
            if key is not None:
                changes = [c for c in changes if c.get("key") == key]
                if not changes:
                    continue
            out.append(
                HistoryEntry(
                    version=r.version,
                    created_at=r.created_at,
                    created_by=r.created_by,
                    approver=r.approver,
                    reason=r.reason,
                    proposal=r.proposal,
                    reverted_from=r.reverted_from,
                    content_sha256=r.content_sha256,
                    changes=changes,
                    applied=[
                        {"at": a.applied_at, "by": a.actor, "reason": a.reason}
                        for a in applies
                        if a.version == r.version
                    ],
                )
            )
    return out


def _diff_summary(d: Difference) -> dict[str, Any]:
    e = d.after
    out: dict[str, Any] = {
        "key": d.key,
        "op": "unset" if e is None else "set",
        "secret": (e or d.before or Entry(False, "", 0)).secret,
        "value_hash": e.value_hash[:16] if e else None,
        "length": e.length if e else None,
    }
    if e is not None and not e.secret:
        out["value"] = e.plain
    return out


# ----------------------------------------------------------------- drift


@dataclass(frozen=True)
class DriftReport:
    environment: str
    version: int | None
    path: str
    differences: list[DriftItem]
    process_checked: bool
    recorded: bool  # a new config.drift event was appended
    unresolved_since: str | None  # the timestamp of the drift still unresolved, if any


@dataclass(frozen=True)
class _Live:
    ec: EnvConfig
    hkey: bytes
    version: int | None
    recorded: dict[str, Entry]
    values: dict[str, str] | None  # the rendered file's values; None: no file


def _observed(app: App, env: str) -> _Live:
    ec = environment(app, env)
    ring = keyring(app, ec)
    with app.store().engine.connect() as conn:
        hkey = hmac_key(conn, ring, env)
        live = repo.live(conn, env)
        version = live.version if live else None
        recorded = repo.snapshot(conn, env, version)
    text = envfile.read_text(ec.target)
    try:
        values = None if text is None else parse_env(text, unquote=False)
    except ConfigError as exc:
        raise InputError(
            f"{ec.target}: not a KEY=VALUE file (edited by hand?)",
            details=[f"{ec.target}:{p}" for p in exc.problems],
        ) from exc
    return _Live(ec, hkey, version, recorded, values)


def check_drift(app: App, env: str) -> DriftReport:
    """Compare what is live with the recorded version; record a new difference once."""
    live = _observed(app, env)
    ec, hkey = live.ec, live.hkey
    observed = None
    if live.values is not None:
        observed = {k: value_hash(hkey, k, v) for k, v in live.values.items()}
    process = None
    pm = ec.env.process_manager
    if pm is not None and pm.pidfile and ec.deploy_root is not None:
        environ = envfile.process_environ(ec.deploy_root / pm.pidfile)
        if environ is not None:
            process = {k: value_hash(hkey, k, environ[k]) for k in live.recorded if k in environ}
    items = (
        []
        if live.version is None and live.values is None
        else drift(live.recorded, observed, process)
    )
    events = app.store().events(EventFilter(action="config.drift*", subject=env, newest_first=True))
    last = events[0] if events and events[0].action == "config.drift" else None
    found = [i.as_dict() for i in items]
    since = last.ts if last is not None else None
    recorded_now = False
    if items and (last is None or last.data().get("differences") != found):
        event = app.store().append(
            app.actor(),
            "config.drift",
            env,
            {
                "environment": env,
                "version": live.version,
                "differences": found,
                "violation": "ad-hoc change outside the documented procedure (policy §2)",
            },
        )
        recorded_now, since = True, event.ts
    return DriftReport(
        env, live.version, str(ec.target), items, process is not None, recorded_now, since
    )


def adopt_drift(app: App, env: str) -> Proposal:
    """A proposal that makes the hand-edited file the recorded version (still reviewed)."""
    live = _observed(app, env)
    ec, recorded, values = live.ec, live.recorded, live.values
    if values is None:
        raise InputError(f"{ec.target} does not exist; nothing to adopt (apply instead)")
    assignments: list[tuple[str, str | None]] = [(k, v) for k, v in values.items()]
    assignments += [(k, None) for k in recorded if k not in values]
    # A key that appeared by hand may be a credential: secret unless known to be plain.
    new_keys = frozenset(k for k in values if k not in recorded and k not in ec.spec.keys)
    return propose(app, env, assignments, secret_keys=new_keys, origin="adopt")


# ----------------------------------------------------------------- keys


@dataclass(frozen=True)
class Rotation:
    reencrypted: dict[str, int]  # environment -> versions re-encrypted
    source: str
    dropped_old_keys: bool


def keygen(app: App, env: str) -> str:
    """Create the environment's key file (never printed); returns where it is."""
    ec = environment(app, env)
    src = key_source(app, ec.spec)
    if src.path is None:
        raise InputError(
            f"environments.{env}.config uses key_env = {ec.spec.key_env!r}: put a key in that "
            "variable (e.g. from a key file made with key_file in a scratch policy)"
        )
    crypto.create_key_file(src.path)
    return str(src.path)


def rotate_key(app: App, env: str) -> Rotation:
    """Re-encrypt every environment that shares ``env``'s key under a new key.

    A key file gets a new key in front (both decrypt), everything is re-sealed
    in one transaction, then the old key is dropped: an interruption at any
    point leaves a file that still decrypts everything. With ``key_env`` the
    operator puts the new key first in the variable; the old ones may follow.
    """
    ec = environment(app, env)
    src = key_source(app, ec.spec)
    policy = app.policy()
    sharing = sorted(
        name
        for name, e in policy.environments.items()
        if e.config is not None and key_source(app, e.config) == src
    )
    ring = crypto.load(src)
    with app.store().engine.connect() as conn:
        present = [n for n in sharing if repo.env_key(conn, n) is not None]
        for name in present:  # every environment opens with today's key before we touch it
            hmac_key(conn, ring, name)
    if src.path is not None:
        crypto.add_primary(src.path)
    elif ring.key_count < 2:
        raise InputError(
            f"${src.env_var} holds one key: put the new key first, then the current one "
            "(comma- or newline-separated), and run rotate-key again"
        )
    ring = crypto.load(src)
    counts: dict[str, int] = {}
    ts = utc_timestamp()
    with app.store().writer() as w:
        conn = w.connection
        for name in present:
            sealed = repo.env_key(conn, name)
            assert sealed is not None
            repo.reseal_env(conn, name, ring.reseal(sealed, f"the {name} configuration"), ts)
            versions: set[int] = set()
            for number, key, token in repo.sealed_rows(conn, name):
                repo.reseal_value(conn, name, number, key, ring.reseal(token, f"{name} {key}"))
                versions.add(number)
            for p in repo.proposals(conn, name, "open"):
                repo.replace_proposal_changes(conn, p.id, [_reseal(ring, c) for c in p.changes])
            counts[name] = len(versions)
            w.append(
                app.actor(),
                "config.key_rotated",
                name,
                {
                    "environment": name,
                    "versions_reencrypted": len(versions),
                    "key_id": ring.primary_id,
                },
            )
    if src.path is not None:
        crypto.keep_primary(src.path)
    return Rotation(counts, src.describe(), src.path is not None)


def _reseal(ring: crypto.Keyring, c: Any) -> Any:
    from dataclasses import replace

    if c.entry is None or c.entry.sealed is None:
        return c
    return replace(c, entry=replace(c.entry, sealed=ring.reseal(c.entry.sealed, c.key)))
