"""Secret scanning use cases: scan, record leaks, rotate, purge-check, allow.

The engine (``changegate.secrets``) finds credentials; this module turns
findings on committed history into leaks in the ledger and walks them to
closure. Every step that lets a secret go (an allowance, a closure) is an
event with actor and reason.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from changegate.adapters.fingerprint_key import fingerprint_key
from changegate.app import App
from changegate.core import leaks as lk
from changegate.core.ledger import Event
from changegate.errors import InputError

if TYPE_CHECKING:
    from changegate.secrets import Finding, Scanner, ScanResult

Progress = Callable[[int, int], None]
_FULL_FP = re.compile(r"^[0-9a-f]{64}$")


def scanner_for(app: App, at: str | None = None) -> Scanner:
    """The repository's scanner; with ``at``, rules and tuning as committed at that revision.

    A change under review must not be able to allowlist its own secret by
    editing ``.gitleaks.toml``: the check reads it from the base.
    """
    from changegate import secrets

    policy = app.policy_at(at) if at else app.policy()
    key = fingerprint_key(app.path(policy.audit.ledger_key))
    config = policy.gates.secrets.gitleaks_config
    if at is None:
        config_path = app.path(config) if config and app.path(config).exists() else None
        return secrets.make_scanner(key, app.root, config_path)
    data = app.git.show_file(at, config) if config else None
    if data is None:
        return secrets.make_scanner(key, None, None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".gitleaks.toml"
        path.write_bytes(data)
        return secrets.make_scanner(key, None, path)


def scan(
    app: App,
    *,
    paths: Sequence[str] = (),
    staged: bool = False,
    range_spec: str | None = None,
    history: bool = False,
    progress: Progress | None = None,
    rules_at: str | None = None,
) -> ScanResult:
    from changegate import secrets

    chosen = sum([bool(paths), staged, bool(range_spec), history])
    if chosen > 1:
        raise InputError("choose one source: PATH..., --staged, --range or --history")
    scanner = scanner_for(app, rules_at)
    if staged:
        return secrets.scan_staged(app.git, scanner)
    if range_spec:
        return secrets.scan_range(app.git, range_spec, scanner, workers=2, progress=progress)
    if history:
        return secrets.scan_history(app.git, scanner, workers=2, progress=progress)
    return secrets.scan_paths(list(paths) or [str(app.root)], scanner, root=app.root)


def _secret_events(app: App) -> list[Event]:
    from changegate.adapters.storage.store import EventFilter

    return app.store().events(EventFilter(action="secrets.*"))


def leaks(app: App) -> dict[str, lk.Leak]:
    return lk.fold(_secret_events(app))


def drop_allowed(app: App, result: ScanResult) -> int:
    """Remove findings a reviewer recorded as false positives; returns how many."""
    if not result.findings:
        return 0
    known = leaks(app)
    allowed = {fp for fp, leak in known.items() if leak.state == "allowed"}
    before = len(result.findings)
    result.findings = [f for f in result.findings if f.fingerprint not in allowed]
    return before - len(result.findings)


def _refs_containing(app: App, commit: str) -> list[str]:
    out = app.git("for-each-ref", "--contains", commit, "--format=%(refname)")
    return [line for line in out.splitlines() if line]


def record_leaks(app: App, result: ScanResult) -> list[lk.Leak]:
    """Open a leak for each secret found on a commit that is not yet tracked (or was closed)."""
    committed = [f for f in result.findings if f.commit]
    if not committed:
        return []
    known = leaks(app)
    actor = app.actor()
    seen: set[str] = set()
    with app.store().writer() as w:
        for f in committed:
            if f.fingerprint in seen:
                continue
            seen.add(f.fingerprint)
            leak = known.get(f.fingerprint)
            if leak is not None and leak.state != "closed":
                continue
            assert f.commit is not None
            author = app.git("show", "-s", "--format=%ae", f.commit).strip()
            payload = {
                "rule": f.rule,
                "preview": f.preview,
                "commit": f.commit,
                "path": f.path,
                "line": f.line,
                "introduced_by": author,
                "refs": _refs_containing(app, f.commit),
            }
            action = lk.REOPENED if leak is not None else lk.OPENED
            w.append(actor, action, f.fingerprint, payload)
    after = leaks(app)
    return [after[fp] for fp in sorted(seen) if after[fp].is_open]


def _leak(app: App, fp: str) -> lk.Leak:
    known = leaks(app)
    matches = [leak for key, leak in known.items() if key.startswith(fp)] if len(fp) >= 8 else []
    if len(matches) != 1:
        raise InputError(
            f"{fp}: {'no' if not matches else 'more than one'} leak has this fingerprint; "
            "see `changegate secrets list` (give at least 8 characters)"
        )
    return matches[0]


def rotated(app: App, fp: str, note: str) -> lk.Leak:
    leak = _leak(app, fp)
    if not leak.is_open:
        raise InputError(f"{leak.fingerprint[:12]}: leak is {leak.state}; nothing to rotate")
    if not note.strip():
        raise InputError("--note must say how the credential was rotated (ticket, new key id)")
    app.store().append(app.actor(), lk.ROTATED, leak.fingerprint, {"note": note})
    return _close_if_ready(app, leak.fingerprint)


@dataclass
class PurgeResult:
    leak: lk.Leak
    clean: bool
    refs: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    command: str = ""


def purge_check(app: App, fp: str) -> PurgeResult:
    """Rescan every ref; record whether the secret is gone from history."""
    from changegate import secrets

    leak = _leak(app, fp)
    result = secrets.scan_history(app.git, scanner_for(app), workers=2)
    hits: list[Finding] = [f for f in result.findings if f.fingerprint == leak.fingerprint]
    commits = sorted({f.commit for f in hits if f.commit})
    refs = sorted({ref for c in commits for ref in _refs_containing(app, c)})
    paths = sorted({f.path for f in hits})
    app.store().append(
        app.actor(),
        lk.PURGE_CHECKED,
        leak.fingerprint,
        {"clean": not hits, "refs": refs, "commits": commits, "paths": paths},
    )
    command = ""
    remote = (app.git("remote").split() or ["<remote>"])[0]
    if hits:
        command = (
            "printf '%s==>REMOVED-SECRET\\n' \"$LEAKED_SECRET\" > /tmp/changegate-replace.txt && "
            "git filter-repo --replace-text /tmp/changegate-replace.txt --force && "
            "rm /tmp/changegate-replace.txt  # then: git push --force "
            + remote
            + " "
            + " ".join(
                shlex.quote(r.removeprefix("refs/heads/"))
                for r in refs
                if r.startswith("refs/heads/")
            )
        )
    return PurgeResult(_close_if_ready(app, leak.fingerprint), not hits, refs, commits, command)


def _close_if_ready(app: App, fingerprint: str) -> lk.Leak:
    leak = leaks(app)[fingerprint]
    if leak.ready_to_close():
        app.store().append(
            app.actor(),
            lk.CLOSED,
            fingerprint,
            {"rotated_at": leak.rotated_at, "purged_at": leak.purged_at},
        )
        leak = leaks(app)[fingerprint]
    return leak


def allow(app: App, fp: str, reason: str) -> lk.Leak:
    """Record a false positive: a tracked leak (by prefix) or a finding (full fingerprint)."""
    if not reason.strip():
        raise InputError("--reason must say why this is not a credential")
    known = leaks(app)
    matches = [k for k in known if k.startswith(fp)] if len(fp) >= 8 else []
    if len(matches) == 1:
        subject = matches[0]
    elif _FULL_FP.match(fp):
        subject = fp
    else:
        raise InputError(
            f"{fp}: not a tracked leak; give the full 64-character fingerprint that "
            "`changegate scan --format json` prints"
        )
    app.store().append(app.actor(), lk.ALLOWED, subject, {"reason": reason})
    return leaks(app)[subject]
