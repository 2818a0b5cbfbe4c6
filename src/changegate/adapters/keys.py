"""The ledger key: an Ed25519 key pair that signs checkpoints.

The private key stays in a file with mode 0600 (``.changegate/ledger.key`` by
default, never committed); the public key is written into ``changegate.toml``
so that whoever verifies trusts the key the repository pins, not whatever key
file happens to sit next to the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from changegate.errors import EnvironmentProblem, InputError

PUBLIC_PREFIX = "ed25519:"


def create_key(path: Path) -> Ed25519PrivateKey:
    """Write a new private key; refuses to overwrite one (that would orphan old checkpoints)."""
    if path.exists():
        raise InputError(f"{path}: a ledger key already exists; keep it (or move it aside first)")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise EnvironmentProblem(
            f"{path}: ledger key not found; run `changegate init` or set audit.ledger_key "
            "in changegate.toml to where the key lives"
        ) from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise EnvironmentProblem(f"{path}: not a PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise EnvironmentProblem(f"{path}: the ledger key must be Ed25519")
    return key


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """``ed25519:<base64 raw key>``: short enough to pin in changegate.toml."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode()


def parse_public(text: str) -> Ed25519PublicKey:
    if not text.startswith(PUBLIC_PREFIX):
        raise InputError(f"ledger public key {text[:20]!r} must start with {PUBLIC_PREFIX!r}")
    try:
        raw = base64.b64decode(text[len(PUBLIC_PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InputError(f"ledger public key is not a valid Ed25519 key ({exc})") from exc


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short, stable name for a key (first 16 hex digits of SHA-256 of its raw bytes)."""
    return hashlib.sha256(public_text(key).encode()).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode()


def verify(key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True
