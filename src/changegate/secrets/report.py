"""Rendering as pure functions: a scan result in, plain JSON-ready data out.

No printing here: the CLI decides where output goes, and tests compare data.
"""

from __future__ import annotations

from typing import Any

from changegate.core import sarif
from changegate.secrets.model import Finding, ScanResult


def to_json(result: ScanResult) -> dict[str, Any]:
    """``{"findings": [...], "notes": [...], "stats": {...}}``; ``commit`` is null off history."""
    return {
        "findings": [f.to_dict() for f in result.findings],
        "notes": list(result.notes),
        "stats": {"files": result.files, "commits": result.commits, "bytes": result.bytes},
    }


def _message(f: Finding) -> str:
    where = f" in commit {f.commit[:12]}" if f.commit else ""
    return f"{f.description} ({f.preview}){where}: rotate it, then remove it from history."


def to_sarif(result: ScanResult, *, version: str = "0.1.0") -> dict[str, Any]:
    """A SARIF 2.1.0 log for code-scanning uploads.

    ``partialFingerprints`` carries our keyed fingerprint so that a code
    scanning service tracks the same secret across line moves, as we do.
    """
    rule_index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for f in result.findings:
        if f.rule not in rule_index:
            rule_index[f.rule] = len(rules)
            rules.append(
                {
                    "id": f.rule,
                    "name": f.rule,
                    "shortDescription": {"text": f.description},
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"tags": ["security", "secret"]},
                }
            )
        properties: dict[str, Any] = {"preview": f.preview}
        if f.commit:
            properties["commit"] = f.commit
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_index[f.rule],
                "level": "error",
                "message": {"text": _message(f)},
                "locations": [
                    sarif.location(
                        f.path, f.line, startColumn=f.column, endLine=f.end_line or f.line
                    )
                ],
                "partialFingerprints": {"changegate/secret/v1": f.fingerprint},
                "properties": properties,
            }
        )
    return sarif.document("changegate", version, rules, results)
