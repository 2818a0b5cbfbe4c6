"""Looking at configuration: diffs, history, drift (ad-hoc changes) and key rotation.

History reads keyed hashes only, so an auditor needs no encryption key to see
what changed (secrets appear as ``hmac:...`` and a length). A diff shows the
same, but first checks every stored value against its approved keyed hash,
which needs the key: a value edited in the database is refused, not shown.
Drift compares the rendered file, and the running process's
environment where it is readable, with the live version: any difference is
an ad-hoc change outside the documented procedure (policy §2), recorded once
as ``config.drift`` and reported until it is adopted through a reviewed
proposal or overwritten by applying again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection

from changegate.adapters import crypto, envfile
from changegate.adapters.storage import config_repo as repo
from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core.config import (
    Change,
    ConfigError,
    Difference,
    DriftItem,
    Entry,
    diff,
    drift,
    parse_env,
    unparseable,
    value_hash,
)
from changegate.core.ledger import utc_timestamp
from changegate.errors import Blocked, InputError
from changegate.workflows.config_env import (
    EnvConfig,
    clear_values,
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
    """V1..V2; by default the live version against the newest (what `apply` would do).

    Both versions' stored values are checked against their keyed hashes first
    (which needs the encryption key): a reviewer never reads a value edited in
    the database as if it were the approved one.
    """
    ec = environment(app, env)
    ring = keyring(app, ec)
    with app.store().engine.connect() as conn:
        hkey = hmac_key(conn, ring, env)
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
        before, after = repo.snapshot(conn, env, a), repo.snapshot(conn, env, b)
        clear_values(ring, hkey, env, a, before)
        clear_values(ring, hkey, env, b, after)
        out = diff(before, after)
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
    values: dict[str, str] | None  # the rendered file's values; None: no file, or unparseable
    problems: list[str]  # why the rendered file does not parse (edited by hand)


def _observed(app: App, env: str) -> _Live:
    ec = environment(app, env)
    ring = keyring(app, ec)
    with app.store().engine.connect() as conn:
        hkey = hmac_key(conn, ring, env)
        live = repo.live(conn, env)
        version = live.version if live else None
        recorded = repo.snapshot(conn, env, version)
        clear_values(ring, hkey, env, version, recorded)  # the record itself is intact
    text = envfile.read_text(ec.target)
    try:
        values = None if text is None else parse_env(text, unquote=False)
    except ConfigError as exc:
        return _Live(ec, hkey, version, recorded, None, exc.problems)
    return _Live(ec, hkey, version, recorded, values, [])


def check_drift(app: App, env: str) -> DriftReport:
    """Compare what is live with the recorded version; record a new difference once.

    A rendered file that no longer parses (``export KEY=...``, a key twice, a
    stray line) is drift too (kind ``unparseable``): someone edited it by hand,
    and the service may read it differently from us. Re-applying overwrites it.
    """
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
    if live.problems:
        in_process = [i for i in drift(live.recorded, None, process) if i.where == "process"]
        items = unparseable(live.problems) + in_process
    elif live.version is None and live.values is None:
        items = []
    else:
        items = drift(live.recorded, observed, process)
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
    if live.problems:
        raise InputError(
            f"{ec.target}: not a KEY=VALUE file (edited by hand?); nothing to adopt: fix the "
            f"file or overwrite it with `changegate config apply {env}`",
            details=[f"{ec.target}:{p}" for p in live.problems],
        )
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
    """Re-encrypt everything sealed with ``env``'s key under a new key, then retire the old.

    A key file gets a new key in front (both decrypt); then, under the ledger's
    write lock, every environment in the database whose value-hash key opens
    with this keyring is re-sealed: that key, every version's secrets and the
    secrets of every proposal, decided ones included (an approved or rejected
    proposal still holds its sealed values). Before committing, every sealed
    token in the database is tried with the old keys: if any still opens, the
    rotation is refused and nothing changes (the file keeps both keys, which
    still decrypt everything). Only after the commit is the old key dropped;
    a proposal seals with the key it loads under the same lock, so nothing is
    sealed with a key that is about to go. With ``key_env`` the operator puts
    the new key first in the variable and removes the old ones afterwards.
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
    counts: dict[str, int] = {}
    ts = utc_timestamp()
    with app.store().writer() as w:
        conn = w.connection
        ring = crypto.load(src)
        old = ring.older()
        assert old is not None  # add_primary, or the variable holds two keys or more
        mine = [n for n in repo.known_envs(conn) if ring.opens(repo.env_key(conn, n) or "")]
        for name in sorted(mine):
            counts[name], reproposed = _reseal_env(conn, ring, name, ts)
            w.append(
                app.actor(),
                "config.key_rotated",
                name,
                {
                    "environment": name,
                    "versions_reencrypted": counts[name],
                    "proposals_reencrypted": reproposed,
                    "key_id": ring.primary_id,
                },
            )
        left = [what for what, token in repo.sealed_tokens(conn) if old.opens(token)]
        if left:
            raise Blocked(
                f"{src.describe()}: the old key still decrypts {', '.join(left[:5])}"
                + (f" and {len(left) - 5} more" if len(left) > 5 else "")
                + "; not re-encrypted, old key kept (both keys still decrypt everything)"
            )
    if src.path is not None:
        crypto.keep_primary(src.path)
    return Rotation(counts, src.describe(), src.path is not None)


def _reseal_env(conn: Connection, ring: crypto.Keyring, name: str, ts: str) -> tuple[int, int]:
    """Re-seal one environment under the first key: (versions touched, proposals touched)."""
    sealed = repo.env_key(conn, name)
    assert sealed is not None
    repo.reseal_env(conn, name, ring.reseal(sealed, f"the {name} configuration"), ts)
    versions: set[int] = set()
    for number, key, token in repo.sealed_rows(conn, name):
        repo.reseal_value(conn, name, number, key, ring.reseal(token, f"{name} {key}"))
        versions.add(number)
    touched = 0
    for p in repo.proposals(conn, name):
        if any(c.entry is not None and c.entry.sealed is not None for c in p.changes):
            repo.replace_proposal_changes(conn, p.id, [_reseal(ring, c) for c in p.changes])
            touched += 1
    return len(versions), touched


def _reseal(ring: crypto.Keyring, c: Change) -> Change:
    if c.entry is None or c.entry.sealed is None:
        return c
    return replace(c, entry=replace(c.entry, sealed=ring.reseal(c.entry.sealed, c.key)))
