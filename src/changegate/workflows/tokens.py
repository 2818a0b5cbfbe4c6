"""Dashboard sign-in tokens: issue, revoke, list and authenticate.

A token reads ``cg_<id>_<secret>``. Only SHA-256 of the secret is stored
(``web_tokens``); the secret is random (256 bits), so a slow hash would add
nothing but latency to every request. Issuing and revoking are ledger events
in the same transaction as the row, so who could see or do what, and since
when, is part of the audit trail -- the token itself never is.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from changegate.adapters.storage.schema import web_tokens
from changegate.adapters.storage.store import Store
from changegate.app import App
from changegate.core.ledger import utc_timestamp
from changegate.errors import Blocked, InputError

ROLES = ("viewer", "auditor", "deployer", "owner")
ISSUED = "web.token_issued"
REVOKED = "web.token_revoked"

# What each role may do beyond reading. Auditor and deployer are siblings; the
# owner holds everything (policy §6: the policy owner answers for the process).
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "auditor": frozenset({"read", "export", "verify"}),
    "deployer": frozenset({"read", "deploy"}),
    "owner": frozenset({"read", "export", "verify", "deploy", "policy_review", "tokens"}),
}
_TOKEN = re.compile(r"^cg_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True)
class TokenInfo:
    id: str
    user: str
    role: str
    created_at: str
    created_by: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Identity:
    """Who a request acts as: the token's user and role."""

    user: str
    role: str
    token_id: str

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def require_policy_owner(app: App) -> str:
    """The acting identity, when it is the policy owner (only they hand out access)."""
    actor = app.actor()
    owner = app.policy().roles.policy_owner
    if actor.lower() != owner.lower():
        raise Blocked(
            f"only the policy owner ({owner}) issues or revokes dashboard tokens; {actor} is not"
        )
    return actor


def issue(app: App, user: str, role: str, *, by: str) -> tuple[str, TokenInfo]:
    """A new token for ``user``; returns the token text (shown once) and its record."""
    user = user.strip()
    if not user or any(c.isspace() for c in user):
        raise InputError("USER must be one word, normally the person's email")
    if role not in ROLES:
        raise InputError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    ident = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utc_timestamp()
    row = {
        "id": ident,
        "user": user,
        "role": role,
        "token_hash": _digest(secret),
        "created_at": now,
        "created_by": by,
        "revoked_at": None,
    }
    with app.store().writer() as w:
        w.append(by, ISSUED, f"token:{ident}", {"id": ident, "user": user, "role": role})
        w.connection.execute(web_tokens.insert(), row)
    info = TokenInfo(ident, user, role, now, by, None)
    return f"cg_{ident}_{secret}", info


def _row(m: object) -> TokenInfo:
    r = dict(m._mapping)  # type: ignore[attr-defined]
    return TokenInfo(
        str(r["id"]),
        str(r["user"]),
        str(r["role"]),
        str(r["created_at"]),
        str(r["created_by"]),
        r["revoked_at"],
    )


def list_tokens(store: Store) -> list[TokenInfo]:
    cols = [c for c in web_tokens.c if c.name != "token_hash"]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(web_tokens.c.created_at)).all()
    return [_row(r) for r in rows]


def revoke(app: App, ident: str, *, by: str) -> TokenInfo:
    ident = ident.removeprefix("cg_").split("_")[0]
    now = utc_timestamp()
    with app.store().writer() as w:
        conn = w.connection
        found = conn.execute(select(web_tokens).where(web_tokens.c.id == ident)).first()
        if found is None:
            raise InputError(f"{ident}: no such token; see `changegate token list`")
        if found._mapping["revoked_at"] is not None:
            raise InputError(f"{ident}: already revoked at {found._mapping['revoked_at']}")
        conn.execute(update(web_tokens).where(web_tokens.c.id == ident).values(revoked_at=now))
        w.append(by, REVOKED, f"token:{ident}", {"id": ident})
        info = _row(found)
    return TokenInfo(info.id, info.user, info.role, info.created_at, info.created_by, now)


def lookup(store: Store, ident: str) -> TokenInfo | None:
    """An active token by id (sessions re-check this on every request: revocation is immediate)."""
    cols = [c for c in web_tokens.c if c.name != "token_hash"]
    with store.engine.connect() as conn:
        row = conn.execute(select(*cols).where(web_tokens.c.id == ident)).first()
    info = _row(row) if row is not None else None
    return info if info is not None and info.active else None


def authenticate(store: Store, token: str) -> Identity | None:
    """The identity a presented token stands for, or None (unknown, revoked or wrong secret)."""
    m = _TOKEN.match(token.strip())
    if m is None:
        return None
    ident, secret = m.groups()
    with store.engine.connect() as conn:
        row = conn.execute(select(web_tokens).where(web_tokens.c.id == ident)).first()
    if row is None:
        # Same work as a hit, so timing does not tell which ids exist.
        hmac.compare_digest(_digest(secret), "0" * 64)
        return None
    r = row._mapping
    if not hmac.compare_digest(_digest(secret), str(r["token_hash"])):
        return None
    if r["revoked_at"] is not None:
        return None
    return Identity(str(r["user"]), str(r["role"]), ident)
