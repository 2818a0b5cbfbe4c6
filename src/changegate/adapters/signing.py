"""SSH signatures for review attestations (``ssh-keygen -Y sign|verify``).

Reviewers already have SSH keys and git can already verify SSH signatures, so
a review signed this way can be checked anywhere the repository goes, against
the public keys the policy lists, with no service of ours in the loop.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from changegate.adapters.proc import run
from changegate.errors import EnvironmentProblem, InputError

NAMESPACE = "changegate-review"


def sign(data: bytes, key: Path) -> str:
    """An armored SSH signature of ``data`` made with the private key at ``key``."""
    if not key.exists():
        raise InputError(f"{key}: no such SSH key; pass --key or set git config user.signingkey")
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "attestation.json"
        payload.write_bytes(data)
        res = run(
            ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE, str(payload)],
            timeout=60,
        )
        if not res.ok:
            reason = (res.err.strip() or res.out.strip()).splitlines()[-1:]
            raise InputError(
                f"{key}: ssh-keygen could not sign ({' '.join(reason)}); a "
                "passphrase-protected key needs ssh-agent"
            )
        return (Path(tmp) / "attestation.json.sig").read_text()


def public_key_of(key: Path) -> str:
    """The public key line for a private key file (``KEY.pub`` or derived by ssh-keygen)."""
    pub = key.with_name(key.name + ".pub")
    if pub.exists():
        return pub.read_text().strip()
    res = run(["ssh-keygen", "-y", "-f", str(key)], timeout=30)
    if not res.ok:
        raise InputError(f"{key}: cannot read the public key ({res.err.strip()})")
    return res.out.strip()


def same_key(a: str, b: str) -> bool:
    """Two public key lines name the same key (type and base64 body; comments differ)."""
    return a.split()[:2] == b.split()[:2]


def verify(data: bytes, signature: str, identity: str, signers: Iterable[tuple[str, str]]) -> bool:
    """True when ``signature`` over ``data`` was made by ``identity``'s key in ``signers``.

    ``signers`` is (email, public key line) from the policy at the base revision.
    """
    lines = [
        f'{email} namespaces="{NAMESPACE}" {" ".join(key.split()[:2])}' for email, key in signers
    ]
    if not lines:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        allowed = Path(tmp) / "allowed_signers"
        allowed.write_text("\n".join(lines) + "\n")
        sig = Path(tmp) / "attestation.sig"
        sig.write_text(signature)
        try:
            res = run(
                [
                    "ssh-keygen",
                    "-Y",
                    "verify",
                    "-f",
                    str(allowed),
                    "-I",
                    identity,
                    "-n",
                    NAMESPACE,
                    "-s",
                    str(sig),
                ],
                input=data,
                timeout=60,
            )
        except EnvironmentProblem:
            raise
        return res.ok
