"""The verdict cache: re-running ``check`` on an unchanged change without the heavy machinery.

A full check of an unchanged change already reuses every cached gate result,
but it still pays ~0.3 s to import SQLAlchemy and the policy model before it
can notice. This module decides from cheap facts alone whether the last check
of the same arguments still holds, and if so replays it: the same gate results
and verdict, appended to the ledger as new ``gate.result`` and
``check.verdict`` events (a cached run records its verdict like any other, so
the fast path must too).

What the entry is bound to, all re-checked on every use:

* the commits: BASE, HEAD, HEAD's tree and their merge base (the policy is read
  at BASE, so BASE's id pins the policy, its reviewer keys and its gitleaks
  tuning; HEAD's id pins the diff, its authors and its patch-id);
* the review notes (``refs/notes/changegate``);
* the ledger: its head must be exactly the ``check.verdict`` this entry
  recorded, with the same evidence digest — any event since (a review import,
  an emergency, a leak, another check) sends the check down the normal path;
* the tools the policy's commands run (the same fingerprints the gates key on),
  the changegate modules the full check had loaded (the code that judged it),
  the installed packages (a new gate plugin) and Python;
* the clock: the policy-review reminders change with the date and emergency
  overdue notes at each open emergency's due time, so an entry expires then;
* the arguments (``--base``, ``--head``, ``--every-commit``) and the default
  database (an explicit ``--db``/``CHANGEGATE_DB`` always takes the normal path).

Only results the normal path would reproduce are replayable: skipped and
bypassed gates, the review gates' pass or fail (a function of the notes, the
ledger and the policy) and passes reused by cache key. A failure or an error of
any other gate is re-run by the normal path (a flaky test gets its second
chance), so a check containing one leaves no entry. Any doubt means a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from changegate.adapters.storage import lean
from changegate.app import App
from changegate.core.ledger import Event
from changegate.core.verdict import GateResult, verdict
from changegate.errors import ChangegateError
from changegate.gates.fingerprint import command_fingerprint
from changegate.workflows.check_summary import (
    CheckSummary,
    evidence_digest,
    record,
    result_from_dict,
)

FORMAT = 1
CACHE_DIR = Path(".changegate") / "verdicts"  # beside the default SQLite ledger
DEFAULT_DB = Path(".changegate") / "state.db"  # adapters.storage.engine.DEFAULT_SQLITE
NOTES_REF = "refs/notes/changegate"  # adapters.review_notes.NOTES_REF
REPLAYABLE_GATES = frozenset({"review", "adversarial_review"})


class _Miss(Exception):
    """The entry does not hold any more (rolls the lean transaction back)."""


def _entry_path(root: Path, base: str | None, head: str | None, every_commit: bool) -> Path:
    name = hashlib.sha256(json.dumps([base, head, every_commit]).encode()).hexdigest()[:32]
    return root / CACHE_DIR / f"{name}.json"


def _code_in_use() -> list[str]:
    """changegate's modules loaded so far: after a full check, the code that judged it."""
    files = {
        str(getattr(module, "__file__", "") or "")
        for name, module in list(sys.modules.items())
        if name == "changegate" or name.startswith("changegate.")
    }
    return sorted(f for f in files if f)


def _runtime_fingerprint(code: list[str]) -> str:
    """That code as it is on disk, the installed packages (a new plugin) and the interpreter."""
    stats = []
    for path in code:
        try:
            st = os.stat(path)
            stats.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((path, -1, 0))
    sites = []
    for entry in sys.path:
        try:
            sites.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            sites.append((entry, 0))
    blob = json.dumps([sys.version, sys.executable, stats, sites])
    return hashlib.sha256(blob.encode()).hexdigest()


def _default_base(app: App) -> str | None:
    """workflows.change.default_base without importing it (it pulls in the policy model).

    Kept equal by a test; None where that function would raise (the normal path
    then reports it).
    """
    res = app.git.raw("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if res.ok and res.out.strip():
        return res.out.strip()
    for name in ("main", "master"):
        if app.git.raw("rev-parse", "--verify", "--quiet", f"refs/heads/{name}").ok:
            return name
    return None


def _git_facts(app: App, base_name: str, head_name: str) -> dict[str, Any] | None:
    """The commits and notes an entry is bound to, or None when git cannot resolve them."""
    ids = app.git.raw(
        "rev-parse", f"{base_name}^{{commit}}", f"{head_name}^{{commit}}", f"{head_name}^{{tree}}"
    )
    parts = ids.out.split()
    if not ids.ok or len(parts) != 3:
        return None
    base, head, tree = parts
    mb = app.git.raw("merge-base", base, head)
    notes = app.git.raw("for-each-ref", "--format=%(refname) %(objectname)", NOTES_REF)
    if not mb.ok or not notes.ok:
        return None
    return {
        "base": base,
        "head": head,
        "tree": tree,
        "merge_base": mb.out.strip(),
        "notes": notes.out.strip(),
        "base_name": base_name,
        "head_name": head_name,
    }


def _replay_form(result: GateResult, event: Event) -> GateResult | None:
    """What the normal path would give for this result on an unchanged change, if known."""
    if result.status in ("skipped", "bypassed"):
        return result
    if result.gate in REPLAYABLE_GATES and result.status in ("pass", "fail"):
        return result
    if result.status == "pass" and "cache_key" in result.evidence:
        if "cached_from_seq" in result.evidence:
            return result
        # The normal path's next run reuses this very event (workflows.check._cached).
        evidence = {**result.evidence, "cached_from_seq": event.seq}
        return GateResult(result.gate, "pass", result.reason, result.findings, evidence)
    return None


def _write(path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(entry, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def forget(app: App, base: str | None, head: str | None, every_commit: bool) -> None:
    _entry_path(app.root, base, head, every_commit).unlink(missing_ok=True)


def snapshot(app: App, base_name: str, head_name: str) -> dict[str, Any] | None:
    """The git facts a check starts from (taken before its gates read notes or run tools)."""
    return None if app.db_url else _git_facts(app, base_name, head_name)


def remember(
    app: App,
    args: tuple[str | None, str | None, bool],
    summary: CheckSummary,
    before: tuple[dict[str, Any] | None, tuple[int, str] | None],
    recorded: tuple[list[Event], Event],
    *,
    policy_sha256: str,
    tools: list[str],
    revision: str,
    today: date,
    valid_until: datetime | None,
) -> bool:
    """Keep what the next identical check needs to replay this one; False when it cannot.

    ``before`` is the git snapshot and the ledger head taken when the check
    started: if a note, a commit or any event arrived while the gates ran, the
    results may predate it, so nothing is kept.
    """
    base_arg, head_arg, every_commit = args
    if app.db_url:
        return False
    facts_before, head_before = before
    gate_events, verdict_event = recorded
    first = gate_events[0] if gate_events else verdict_event
    appended_after = (first.seq - 1, first.prev_hash) if first.seq > 1 else None
    replay = [_replay_form(r, e) for r, e in zip(summary.results, gate_events, strict=True)]
    facts = _git_facts(app, summary.base_name, summary.head_name)
    if (
        any(r is None for r in replay)
        or facts is None
        or facts != facts_before
        or (facts["base"], facts["head"], facts["merge_base"])
        != (summary.base, summary.head, summary.merge_base)
        or appended_after != head_before
        or today != date.today()
    ):
        forget(app, base_arg, head_arg, every_commit)
        return False
    code = _code_in_use()
    entry = {
        "format": FORMAT,
        "facts": facts,
        "code": code,
        "runtime": _runtime_fingerprint(code),
        "tools": {t: command_fingerprint(t) for t in sorted(set(tools))},
        "today": today.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "revision": revision,
        "ledger_head": [verdict_event.seq, verdict_event.hash],
        "recorded_digest": summary.evidence_digest,
        "policy_sha256": policy_sha256,
        "summary": {
            **summary.as_dict(),
            "gates": [r.as_dict() for r in replay if r is not None],
            "base_name": summary.base_name,
            "head_name": summary.head_name,
            "file_count": summary.file_count,
        },
    }
    _write(_entry_path(app.root, base_arg, head_arg, every_commit), entry)
    return True


def _still_holds(app: App, entry: dict[str, Any], base: str | None, head: str | None) -> bool:
    if entry.get("format") != FORMAT or entry["today"] != date.today().isoformat():
        return False
    if entry["valid_until"] and datetime.now(UTC) >= datetime.fromisoformat(entry["valid_until"]):
        return False
    if entry["runtime"] != _runtime_fingerprint(entry["code"]):
        return False
    if any(command_fingerprint(t) != fp for t, fp in entry["tools"].items()):
        return False
    base_name = base or _default_base(app)
    if base_name is None:
        return False
    facts: dict[str, Any] = entry["facts"]
    return _git_facts(app, base_name, head or "HEAD") == facts


def replay(app: App, base: str | None, head: str | None, every_commit: bool) -> CheckSummary | None:
    """The last check of these arguments, recorded again, if nothing it depends on changed."""
    start = time.monotonic()
    if app.db_url:
        return None
    path = _entry_path(app.root, base, head, every_commit)
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if not _still_holds(app, entry, base, head):
            return None
        actor = app.actor()
        data = entry["summary"]
        results = [result_from_dict(r) for r in data["gates"]]
    except (OSError, ValueError, KeyError, TypeError, ChangegateError):
        return None
    try:
        with lean.writer(app.root / DEFAULT_DB, entry["revision"]) as (w, last):
            if (
                last is None
                or [last.seq, last.hash] != entry["ledger_head"]
                or last.action != "check.verdict"
                or last.subject != data["head"]
                or last.data().get("evidence_digest") != entry["recorded_digest"]
            ):
                raise _Miss
            elapsed = time.monotonic() - start
            for r in results:
                r.duration_s = elapsed
            outcome = verdict(results)
            if outcome != data["verdict"]:
                raise _Miss
            summary = CheckSummary(
                verdict=outcome,
                base=data["base"],
                head=data["head"],
                merge_base=data["merge_base"],
                patch_id=data["patch_id"],
                base_name=data["base_name"],
                head_name=data["head_name"],
                file_count=int(data["file_count"]),
                classification=data["classification"],
                results=results,
                evidence_digest=evidence_digest(results),
                notes=list(data["notes"]),
            )
            _, event = record(
                w.append,
                actor,
                summary,
                entry["policy_sha256"],
                extra={"replayed_from_seq": last.seq},
            )
    except (_Miss, lean.LeanUnavailable, ValueError, KeyError, TypeError):
        return None
    summary.seq = event.seq
    entry["ledger_head"] = [event.seq, event.hash]
    entry["recorded_digest"] = summary.evidence_digest
    with contextlib.suppress(OSError):  # recorded already; a failed write only costs a miss
        _write(path, entry)
    return summary
