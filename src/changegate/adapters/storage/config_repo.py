"""Table access for the configuration store (SQLAlchemy Core, SQLite and PostgreSQL).

Plain functions over a :class:`Connection`, so the workflow writes config rows
and the ledger event in one transaction (``Store.writer().connection``) and a
failure leaves neither. Only sealed tokens and keyed hashes are stored for
secrets; the functions here never see a clear secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from changegate.adapters.storage.schema import (
    config_applies,
    config_envs,
    config_proposals,
    config_values,
    config_versions,
)
from changegate.core.config import Change, Entry
from changegate.errors import Blocked


@dataclass(frozen=True)
class VersionRow:
    environment: str
    version: int
    content_sha256: str
    created_at: str
    created_by: str
    reason: str  # "proposal" | "revert"
    proposal: str | None
    approver: str | None
    attestation: str | None
    signature: str | None
    reverted_from: int | None
    changes: list[dict[str, Any]]  # the ledger summaries of the change


@dataclass(frozen=True)
class ProposalRow:
    id: str
    environment: str
    base_version: int | None
    proposer: str
    created_at: str
    origin: str  # "set" | "unset" | "import" | "adopt"
    changes: list[Change]
    status: str  # "open" | "approved" | "rejected"
    decided_by: str | None
    decided_at: str | None
    note: str | None
    version: int | None


@dataclass(frozen=True)
class ApplyRow:
    version: int
    content_sha256: str
    applied_at: str
    actor: str
    reason: str


# ----------------------------------------------------------------- environments


def env_key(conn: Connection, env: str) -> str | None:
    """The sealed value-hash key of ``env``, None before its first proposal."""
    value = conn.execute(
        select(config_envs.c.hmac_key).where(config_envs.c.environment == env)
    ).scalar()
    return str(value) if value is not None else None


def insert_env(conn: Connection, env: str, sealed_key: str, actor: str, ts: str) -> None:
    conn.execute(
        config_envs.insert().values(
            environment=env, hmac_key=sealed_key, created_at=ts, created_by=actor
        )
    )


def known_envs(conn: Connection) -> list[str]:
    return [str(r) for r in conn.execute(select(config_envs.c.environment)).scalars()]


# ----------------------------------------------------------------- versions


def latest_version(conn: Connection, env: str) -> int | None:
    value = conn.execute(
        select(func.max(config_versions.c.version)).where(config_versions.c.environment == env)
    ).scalar()
    return int(value) if value is not None else None


def snapshot(conn: Connection, env: str, version: int | None) -> dict[str, Entry]:
    if version is None:
        return {}
    c = config_values.c
    rows = conn.execute(
        select(config_values).where(c.environment == env, c.version == version).order_by(c.key)
    )
    return {
        r.key: Entry(
            secret=bool(r.secret),
            value_hash=r.value_hash,
            length=int(r.length),
            plain=r.plain,
            sealed=r.sealed,
        )
        for r in rows
    }


def _version(r: Any) -> VersionRow:
    return VersionRow(
        environment=r.environment,
        version=int(r.version),
        content_sha256=r.content_sha256,
        created_at=r.created_at,
        created_by=r.created_by,
        reason=r.reason,
        proposal=r.proposal,
        approver=r.approver,
        attestation=r.attestation,
        signature=r.signature,
        reverted_from=r.reverted_from,
        changes=json.loads(r.changes),
    )


def version(conn: Connection, env: str, number: int) -> VersionRow | None:
    c = config_versions.c
    row = conn.execute(
        select(config_versions).where(c.environment == env, c.version == number)
    ).first()
    return _version(row) if row else None


def versions(conn: Connection, env: str) -> list[VersionRow]:
    c = config_versions.c
    rows = conn.execute(select(config_versions).where(c.environment == env).order_by(c.version))
    return [_version(r) for r in rows]


def insert_version(
    conn: Connection,
    meta: VersionRow,
    values: dict[str, Entry],
) -> None:
    """Write an immutable version; a version number already taken is a conflict."""
    try:
        conn.execute(
            config_versions.insert().values(
                environment=meta.environment,
                version=meta.version,
                content_sha256=meta.content_sha256,
                created_at=meta.created_at,
                created_by=meta.created_by,
                reason=meta.reason,
                proposal=meta.proposal,
                approver=meta.approver,
                attestation=meta.attestation,
                signature=meta.signature,
                reverted_from=meta.reverted_from,
                changes=json.dumps(meta.changes, sort_keys=True),
            )
        )
    except IntegrityError as exc:
        raise Blocked(
            f"conflict: version {meta.version} of {meta.environment} was written by someone "
            "else meanwhile; look at `changegate config history` and propose again"
        ) from exc
    if values:
        conn.execute(
            config_values.insert(),
            [
                {
                    "environment": meta.environment,
                    "version": meta.version,
                    "key": k,
                    "secret": e.secret,
                    "plain": e.plain,
                    "sealed": e.sealed,
                    "value_hash": e.value_hash,
                    "length": e.length,
                }
                for k, e in values.items()
            ],
        )


# ----------------------------------------------------------------- proposals


def _change_to_json(c: Change) -> dict[str, Any]:
    e = c.entry
    return {
        "key": c.key,
        "op": c.op,
        "was_secret": c.was_secret,
        "entry": None
        if e is None
        else {
            "secret": e.secret,
            "value_hash": e.value_hash,
            "length": e.length,
            "plain": e.plain,
            "sealed": e.sealed,
        },
    }


def _change_from_json(d: dict[str, Any]) -> Change:
    e = d.get("entry")
    return Change(
        key=d["key"],
        op=d["op"],
        was_secret=bool(d.get("was_secret", False)),
        entry=None
        if e is None
        else Entry(
            secret=bool(e["secret"]),
            value_hash=e["value_hash"],
            length=int(e["length"]),
            plain=e.get("plain"),
            sealed=e.get("sealed"),
        ),
    )


def insert_proposal(conn: Connection, p: ProposalRow) -> None:
    conn.execute(
        config_proposals.insert().values(
            id=p.id,
            environment=p.environment,
            base_version=p.base_version,
            proposer=p.proposer,
            created_at=p.created_at,
            origin=p.origin,
            changes=json.dumps([_change_to_json(c) for c in p.changes], sort_keys=True),
            status=p.status,
        )
    )


def _proposal(r: Any) -> ProposalRow:
    return ProposalRow(
        id=r.id,
        environment=r.environment,
        base_version=r.base_version,
        proposer=r.proposer,
        created_at=r.created_at,
        origin=r.origin,
        changes=[_change_from_json(d) for d in json.loads(r.changes)],
        status=r.status,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
        note=r.note,
        version=r.version,
    )


def proposal(conn: Connection, pid: str) -> ProposalRow | None:
    row = conn.execute(select(config_proposals).where(config_proposals.c.id == pid)).first()
    return _proposal(row) if row else None


def proposals(conn: Connection, env: str, status: str | None = None) -> list[ProposalRow]:
    c = config_proposals.c
    q = select(config_proposals).where(c.environment == env)
    if status:
        q = q.where(c.status == status)
    return [_proposal(r) for r in conn.execute(q.order_by(c.created_at, c.id))]


def decide_proposal(
    conn: Connection,
    pid: str,
    *,
    status: str,
    by: str,
    at: str,
    note: str | None = None,
    version: int | None = None,
) -> None:
    """Close an open proposal; one already closed (a concurrent decision) is a conflict."""
    c = config_proposals.c
    res = conn.execute(
        update(config_proposals)
        .where(c.id == pid, c.status == "open")
        .values(status=status, decided_by=by, decided_at=at, note=note, version=version)
    )
    if res.rowcount != 1:
        raise Blocked(f"conflict: proposal {pid} was decided by someone else meanwhile")


# ----------------------------------------------------------------- applies


def insert_apply(conn: Connection, env: str, row: ApplyRow) -> None:
    conn.execute(
        config_applies.insert().values(
            environment=env,
            version=row.version,
            content_sha256=row.content_sha256,
            applied_at=row.applied_at,
            actor=row.actor,
            reason=row.reason,
        )
    )


def applies(conn: Connection, env: str) -> list[ApplyRow]:
    c = config_applies.c
    rows = conn.execute(select(config_applies).where(c.environment == env).order_by(c.id))
    return [
        ApplyRow(int(r.version), r.content_sha256, r.applied_at, r.actor, r.reason) for r in rows
    ]


def live(conn: Connection, env: str) -> ApplyRow | None:
    c = config_applies.c
    r = conn.execute(
        select(config_applies).where(c.environment == env).order_by(c.id.desc()).limit(1)
    ).first()
    return (
        ApplyRow(int(r.version), r.content_sha256, r.applied_at, r.actor, r.reason) if r else None
    )


# ----------------------------------------------------------------- rotation


def sealed_rows(conn: Connection, env: str) -> list[tuple[int, str, str]]:
    """(version, key, sealed) of every secret value of ``env``."""
    c = config_values.c
    rows = conn.execute(
        select(c.version, c.key, c.sealed).where(c.environment == env, c.sealed.is_not(None))
    )
    return [(int(r.version), str(r.key), str(r.sealed)) for r in rows]


def reseal_value(conn: Connection, env: str, number: int, key: str, sealed: str) -> None:
    c = config_values.c
    conn.execute(
        update(config_values)
        .where(c.environment == env, c.version == number, c.key == key)
        .values(sealed=sealed)
    )


def reseal_env(conn: Connection, env: str, sealed_key: str, ts: str) -> None:
    conn.execute(
        update(config_envs)
        .where(config_envs.c.environment == env)
        .values(hmac_key=sealed_key, rotated_at=ts)
    )


def replace_proposal_changes(conn: Connection, pid: str, changes: list[Change]) -> None:
    conn.execute(
        update(config_proposals)
        .where(config_proposals.c.id == pid)
        .values(changes=json.dumps([_change_to_json(c) for c in changes], sort_keys=True))
    )


def sealed_tokens(conn: Connection) -> list[tuple[str, str]]:
    """(what, sealed token) of everything encrypted in the store, every environment:
    value-hash keys, versions' secrets and proposals' secrets (for a rotation's last check)."""
    out: list[tuple[str, str]] = []
    for r in conn.execute(select(config_envs.c.environment, config_envs.c.hmac_key)):
        out.append((f"the {r.environment} value-hash key", str(r.hmac_key)))
    c = config_values.c
    rows = conn.execute(
        select(c.environment, c.version, c.key, c.sealed).where(c.sealed.is_not(None))
    )
    for v in rows:
        out.append((f"{v.environment} version {v.version} {v.key}", str(v.sealed)))
    for p in conn.execute(select(config_proposals.c.id, config_proposals.c.changes)):
        for d in json.loads(p.changes):
            e = d.get("entry") or {}
            if e.get("sealed"):
                out.append((f"proposal {p.id} {d['key']}", str(e["sealed"])))
    return out
