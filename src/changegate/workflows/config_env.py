"""What every configuration workflow needs first: the environment, its key, its value-hash key.

Resolved before anything is written, so a missing environment, a missing or
wrong encryption key is one clear line and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from changegate.adapters import crypto
from changegate.adapters.storage import config_repo as repo
from changegate.app import App
from changegate.core.config import Entry, value_hash
from changegate.core.policy import DEFAULT_CONFIG_KEY_FILE, ConfigSpec, Environment, Policy
from changegate.errors import Blocked, InputError


@dataclass(frozen=True)
class EnvConfig:
    name: str
    env: Environment
    spec: ConfigSpec
    deploy_root: Path | None

    @property
    def target(self) -> Path:
        """Where the applied version is rendered."""
        if self.deploy_root is None:
            raise InputError(
                f"environments.{self.name}.deploy_root is not set in changegate.toml; "
                "config.render_to is relative to it"
            )
        return self.deploy_root / self.spec.render_to


def environment(app: App, name: str) -> EnvConfig:
    """The environment's config settings from the policy, or a line saying what to add."""
    policy = app.policy()
    env = policy.environments.get(name)
    if env is None:
        known = ", ".join(sorted(policy.environments)) or "none"
        raise InputError(
            f"no environment {name!r} in changegate.toml (known: {known}); "
            f"add [environments.{name}]"
        )
    if env.config is None:
        raise InputError(
            f"environments.{name} has no config section; add [environments.{name}.config] "
            'with render_to = "shared/config.env"'
        )
    root = app.path(env.deploy_root) if env.deploy_root else None
    return EnvConfig(name, env, env.config, root)


def key_source(app: App, spec: ConfigSpec) -> crypto.KeySource:
    if spec.key_env:
        return crypto.KeySource(env_var=spec.key_env)
    return crypto.KeySource(path=app.path(spec.key_file or DEFAULT_CONFIG_KEY_FILE))


def keyring(app: App, ec: EnvConfig) -> crypto.Keyring:
    return crypto.load(key_source(app, ec.spec))


def hmac_key(
    conn: Connection, ring: crypto.Keyring, env: str, *, create_as: str | None = None, ts: str = ""
) -> bytes:
    """The environment's value-hash key; opening it is also the wrong-key check.

    ``create_as``: the actor creating the environment's first proposal (a new
    random key is sealed and stored); otherwise a missing key is an error.
    """
    sealed = repo.env_key(conn, env)
    if sealed is None:
        if create_as is None:
            raise InputError(
                f"{env} has no configuration yet; propose some with `changegate config set {env} "
                "KEY=VALUE`"
            )
        raw = os.urandom(32)
        repo.insert_env(conn, env, ring.seal(base64.b64encode(raw)), create_as, ts)
        return raw
    return base64.b64decode(ring.open(sealed, f"the {env} configuration"))


def clear_values(
    ring: crypto.Keyring,
    hkey: bytes,
    env: str,
    version: int | None,
    snapshot: dict[str, Entry],
) -> dict[str, str]:
    """The clear text of every value (secrets decrypted), each checked against its keyed hash.

    The approval's signature, the content hash and the ledger cover the keyed
    hashes only; this check ties the stored text (a plain value, a sealed
    secret) to them, so a value edited or swapped in the database is refused,
    naming the key and the version, instead of being used as if approved.
    """
    out: dict[str, str] = {}
    tampered: list[str] = []
    for key, e in sorted(snapshot.items()):
        text: str | None = None
        if e.secret:
            if e.sealed is not None:
                try:
                    text = ring.open(e.sealed, f"{env} {key}").decode("utf-8")
                except UnicodeDecodeError:
                    text = None
        else:
            text = e.plain if e.plain is not None else ""
        if (
            text is None
            or len(text) != e.length
            or not hmac.compare_digest(value_hash(hkey, key, text), e.value_hash)
        ):
            tampered.append(key)
            continue
        out[key] = text
    if tampered:
        raise Blocked(
            f"{env} version {version or 0}: the stored value of {', '.join(tampered)} does not "
            "match its approved keyed hash (edited or swapped in the database?); refused, "
            "nothing written (run `changegate audit verify` and restore the database)"
        )
    return out


def require_deployer(policy: Policy, ec: EnvConfig, actor: str) -> None:
    """§4 "Rollback decisions are made by the deploying engineer": when the policy names
    deployers, only they apply or revert configuration."""
    allowed = ec.env.deployers if ec.env.deployers is not None else policy.roles.deployers
    if allowed and actor.lower() not in {a.lower() for a in allowed}:
        raise Blocked(
            f"{actor} is not a deployer of {ec.name} (environments.{ec.name}.deployers or "
            "roles.deployers); ask a deployer to run it"
        )


def key_fingerprint(public_key: str) -> str:
    """``SHA256:...`` as ``ssh-keygen -l`` prints it: names the signing key, not the signer."""
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
