"""What every kind of check shares: the context it runs in and the outcome it returns.

A probe (one attempt of one check) returns an :class:`Outcome` instead of
raising, because a refused connection or a wrong status is a finding, not an
error. :class:`Misconfigured` is the exception: a missing credential variable
will not appear by waiting, so the runner stops retrying.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from changegate.core.policy import SmokeCheck


@dataclass(frozen=True)
class Outcome:
    """One attempt's verdict and its one-line detail."""

    ok: bool
    detail: str


class Misconfigured(Exception):
    """The check cannot run as configured (e.g. its credential variable is unset)."""


@dataclass(frozen=True)
class Context:
    """Where checks run: the deploy root (relative paths) and the environment (secrets)."""

    base_dir: Path
    environ: Mapping[str, str]

    def secret(self, variable: str, holds: str) -> str:
        """The value of ``variable``, or :class:`Misconfigured` naming it (never its value)."""
        value = self.environ.get(variable, "")
        if not value:
            raise Misconfigured(f"environment variable {variable} is not set; it must hold {holds}")
        return value

    def resolve(self, path: str) -> Path:
        """A policy path: absolute as written, relative to the deploy root otherwise."""
        p = Path(path)
        return p if p.is_absolute() else self.base_dir / p


def credential_header(check: SmokeCheck, ctx: Context) -> tuple[str, str]:
    """The (header, value) pair that carries the smoke credential of ``check``."""
    assert check.credential_env is not None
    if check.credential_scheme == "basic":
        value = ctx.secret(check.credential_env, "user:password for HTTP basic authentication")
        if ":" not in value:
            raise Misconfigured(
                f"environment variable {check.credential_env} must hold user:password "
                'for credential_scheme = "basic"'
            )
        return check.credential_header, "Basic " + base64.b64encode(value.encode()).decode()
    value = ctx.secret(check.credential_env, "the smoke credential")
    if check.credential_scheme == "bearer":
        return check.credential_header, f"Bearer {value}"
    return check.credential_header, value


def secret_forms(value: str) -> list[str]:
    """Every form in which a credential could leak into a detail (for redaction)."""
    forms = [value, base64.b64encode(value.encode()).decode()]
    if ":" in value:
        forms.append(value.split(":", 1)[1])
    return [f for f in forms if len(f) >= 3]


def one_line(text: str, limit: int = 160) -> str:
    """A single line of at most ``limit`` characters, for details."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
