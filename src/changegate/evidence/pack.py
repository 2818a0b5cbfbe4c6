"""Writes the evidence pack: CSV and JSON per population, the exceptions, SoD flags,
policy versions, the ledger's verification, the sample, the report, and a
manifest with the SHA-256 of every file.

The manifest's own digest goes into the ledger (``audit.exported``), so a pack
handed to an auditor can later be shown to be the one that was exported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from changegate import __version__
from changegate.errors import InputError
from changegate.evidence.collect import Evidence
from changegate.evidence.report import render, summary
from changegate.evidence.rows import (
    ChangeRow,
    ConfigChangeRow,
    DeploymentRow,
    EmergencyRow,
    ExceptionRow,
    LeakRow,
    PolicyReviewRow,
    SodFlag,
)
from changegate.workflows.history import DirectPush

MANIFEST = "manifest.json"
REPORT = "report.html"


@dataclass(frozen=True)
class Pack:
    out: Path
    files: list[str]  # every file, manifest included
    manifest_sha256: str


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection):
# commit titles, reasons and notes are written by anyone who can commit.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """One CSV cell; text that a spreadsheet would run is prefixed with ``'`` (the JSON
    files keep every value exact)."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA) else value
    return str(value)


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    # RFC 4180 line ends: the writer then also quotes a field holding a lone "\r".
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue().encode()


def _tables(ev: Evidence) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """name -> (CSV columns, rows); the columns come from the row type, so an empty
    population still writes a header an auditor can read."""

    def cols(cls: Any) -> list[str]:
        return [f.name for f in fields(cls)]

    return {
        "changes": (cols(ChangeRow), [r.as_dict() for r in ev.changes]),
        "deployments": (cols(DeploymentRow), [r.as_dict() for r in ev.deployments]),
        "config_changes": (cols(ConfigChangeRow), [r.as_dict() for r in ev.config_changes]),
        "emergencies": (cols(EmergencyRow), [r.as_dict() for r in ev.emergencies]),
        "leaks": (cols(LeakRow), [r.as_dict() for r in ev.leaks]),
        "policy_reviews": (cols(PolicyReviewRow), [r.as_dict() for r in ev.policy_reviews]),
        "direct_pushes": (cols(DirectPush), [r.as_dict() for r in ev.direct_pushes]),
        "exceptions": (cols(ExceptionRow), [r.as_dict() for r in ev.exceptions]),
        "sod_flags": (cols(SodFlag), [r.as_dict() for r in ev.sod]),
    }


def prepare(out: Path) -> None:
    """An evidence pack is never written over other files: the directory must be new or empty."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"{out} exists and is not an empty directory; choose a new --out directory "
            "(a pack is never mixed with other files)"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create it ({exc.strerror})") from exc


def write(ev: Evidence, out: Path) -> Pack:
    prepare(out)
    contents: dict[str, bytes] = {}
    for name, (columns, rows) in _tables(ev).items():
        contents[f"{name}.csv"] = _csv(columns, rows)
        contents[f"{name}.json"] = _json({"period": ev.period.as_dict(), name: rows})
    contents["policy.json"] = _json({"versions_in_force": ev.policy_versions})
    contents["ledger_verification.json"] = _json(ev.verification)
    contents["sample.json"] = _json(ev.sample)
    contents["summary.json"] = _json(summary(ev))
    names = sorted([*contents, REPORT, MANIFEST])
    contents[REPORT] = render(ev, names).encode()
    manifest = {
        "changegate": __version__,
        "generated_at": ev.generated_at,
        "period": ev.period.as_dict(),
        "ledger": {
            "ok": ev.verification["ok"],
            "head": ev.verification["head"],
            "checkpoint": ev.verification["checkpoint"],
        },
        "sample_seed": ev.sample["seed"],
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(contents.items())
        },
    }
    contents[MANIFEST] = _json(manifest)
    for name, data in contents.items():
        (out / name).write_bytes(data)
    return Pack(out, names, hashlib.sha256(contents[MANIFEST]).hexdigest())
