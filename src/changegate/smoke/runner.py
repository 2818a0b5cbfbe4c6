"""Running a policy's smoke checks: retries with backoff, threads, redaction.

Each check gets ``retries + 1`` attempts, waiting ``backoff_seconds`` doubled
after every failure and capped at ``backoff_max_seconds``, so a single 503 or
refused connection during a rolling reload passes on the next try while a
persistent failure still fails. Checks run in threads (a deploy should not wait
for them one by one); results keep policy order. A check misconfigured at run
time (its credential variable unset) fails at once: waiting will not set it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from changegate.core.policy import SMOKE_PHASES, SmokeCheck
from changegate.errors import InputError
from changegate.smoke.kinds import PROBES
from changegate.smoke.probe import Context, Misconfigured, Outcome, secret_forms
from changegate.smoke.report import Attempt, SmokeReport, SmokeResult

REDACTED = "[redacted]"


def run_smoke(
    checks: Sequence[SmokeCheck],
    *,
    base_dir: Path,
    environ: Mapping[str, str] | None = None,
    phase: str = "post-deploy",
    max_workers: int = 8,
) -> SmokeReport:
    """Run ``checks`` for ``phase`` ("pre-deploy": against the release still running,
    before the switch; "post-deploy": after the reload) and report every attempt.

    ``base_dir`` is the deploy root that relative paths (heartbeat files, commands,
    SQLite files) resolve against; ``environ`` holds the credentials the checks
    name (default: this process's environment). Checks whose ``phases`` exclude
    ``phase`` are reported as ``skip``. Never raises for a failing check.
    """
    if phase not in SMOKE_PHASES:
        raise InputError(f"smoke phase {phase!r} is unknown; use one of {', '.join(SMOKE_PHASES)}")
    env = os.environ if environ is None else environ
    ctx = Context(base_dir=Path(base_dir), environ=env)
    secrets = _secrets(checks, env)
    started = datetime.now(UTC)
    t0 = time.monotonic()

    def one(check: SmokeCheck) -> SmokeResult:
        if phase not in check.phases:
            only = ", ".join(check.phases)
            return SmokeResult(check.name, check.kind, "skip", f"not run {phase} (phases: {only})")
        return _redact(run_check(check, ctx), secrets)

    if not checks:
        results: list[SmokeResult] = []
    else:
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(checks)))) as pool:
            results = list(pool.map(one, checks))
    return SmokeReport(
        phase=phase,
        results=results,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=time.monotonic() - t0,
    )


def delays(check: SmokeCheck) -> list[float]:
    """The waits between attempts: ``backoff_seconds`` doubling, capped."""
    return [
        min(check.backoff_seconds * 2**i, check.backoff_max_seconds) for i in range(check.retries)
    ]


def run_check(check: SmokeCheck, ctx: Context) -> SmokeResult:
    """All attempts of one check, stopping at the first pass."""
    probe = PROBES[check.kind]
    waits = delays(check)
    attempts: list[Attempt] = []
    t0 = time.monotonic()
    for number in range(1, len(waits) + 2):
        started = time.monotonic()
        final = False
        try:
            outcome = probe(check, ctx)
        except Misconfigured as exc:
            outcome, final = Outcome(False, str(exc)), True
        attempts.append(
            Attempt(
                number,
                "pass" if outcome.ok else "fail",
                outcome.detail,
                time.monotonic() - started,
            )
        )
        if outcome.ok or final or number > len(waits):
            break
        time.sleep(waits[number - 1])
    last = attempts[-1]
    tries = len(attempts)
    if last.status == "pass":
        detail = last.detail + (f" (passed on attempt {tries})" if tries > 1 else "")
    else:
        detail = last.detail + (f" ({tries} attempts)" if tries > 1 else "")
    return SmokeResult(
        name=check.name,
        kind=check.kind,
        status=last.status,
        detail=detail,
        attempts=attempts,
        duration_s=time.monotonic() - t0,
        credential_env=check.credential_env,
    )


def _secrets(checks: Sequence[SmokeCheck], environ: Mapping[str, str]) -> list[str]:
    """Every value a detail must never show: credentials and database URLs, in all forms."""
    values: list[str] = []
    for check in checks:
        for variable in (check.credential_env, check.database_url_env):
            if variable and environ.get(variable):
                values.extend(secret_forms(environ[variable]))
        if check.database_url_env and environ.get(check.database_url_env):
            values.extend(_url_password(environ[check.database_url_env]))
    # Longest first, so a secret containing another is replaced whole.
    return sorted(set(values), key=len, reverse=True)


def _url_password(url: str) -> list[str]:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [p for p in {password or "", unquote(password or "")} if len(p) >= 3]


def _redact(result: SmokeResult, secrets: list[str]) -> SmokeResult:
    """The result with every secret form replaced, in the detail and in each attempt."""

    def clean(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return text

    attempts = [Attempt(a.number, a.status, clean(a.detail), a.duration_s) for a in result.attempts]
    return SmokeResult(
        result.name,
        result.kind,
        result.status,
        clean(result.detail),
        attempts,
        result.duration_s,
        result.credential_env,
    )
