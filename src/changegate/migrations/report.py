"""Results as plain data: the JSON object of ``migrations check`` and SARIF 2.1.0.

Pure functions of a :class:`CheckResult`, so the CLI, the gate and the web
dashboard render the same verdict the same way.
"""

from __future__ import annotations

import json
from typing import Any

from changegate.core import sarif
from changegate.migrations.model import CheckResult, Finding
from changegate.migrations.rules import RULES


def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "check": f.check,
        "severity": f.severity,
        "line": f.line,
        "message": f.message,
    }
    if len(f.lines) > 1:
        out["lines"] = list(f.lines)
    return out


def to_dict(result: CheckResult) -> dict[str, Any]:
    """``{"blocked", "files": [{"path", "destructive", "blocked", "findings"}]}``.

    ``suppressions`` and ``locks`` ride along for the ledger and the verifier's
    report; consumers of the documented keys can ignore them.
    """
    return {
        "blocked": result.blocked,
        "files": [
            {
                "path": f.path,
                "destructive": f.destructive,
                "blocked": f.blocked,
                "findings": [_finding(x) for x in sorted(f.findings, key=lambda x: x.line)],
            }
            for f in result.files
        ],
        "suppressions": [
            {"path": s.path, "line": s.line, "check": s.check, "reason": s.reason}
            for s in result.suppressions
        ],
        "locks": [
            {
                "path": lk.path,
                "line": lk.line,
                "relation": lk.relation,
                "mode": lk.mode,
                "rewrote": lk.rewrote,
            }
            for lk in result.locks
        ],
    }


def to_json(result: CheckResult) -> str:
    return json.dumps(to_dict(result), indent=2, sort_keys=False)


def to_text(result: CheckResult) -> str:
    """One ``path:line: severity [check] message`` line per finding, then the verdict.

    The shape compilers and linters print, so editors and CI logs link the lines.
    """
    out = []
    for report in result.files:
        for f in sorted(report.findings, key=lambda x: x.line):
            more = f" (lines {', '.join(map(str, f.lines))})" if len(f.lines) > 1 else ""
            out.append(f"{report.path}:{f.line}: {f.severity} [{f.check}] {f.message}{more}")
    for s in result.suppressions:
        out.append(f"{s.path}:{s.line}: allowed [{s.check}] {s.reason}")
    destructive = sum(1 for f in result.files if f.destructive)
    verdict = "BLOCKED" if result.blocked else "ok"
    out.append(
        f"{verdict}: {len(result.files)} migration file(s), {destructive} destructive, "
        f"{sum(1 for f in result.files if f.blocked)} blocked"
    )
    return "\n".join(out) + "\n"


def to_sarif(result: CheckResult, tool_version: str = "0.1.0") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rules are the checks that fired."""
    used = sorted({f.check for report in result.files for f in report.findings})
    index = {check: i for i, check in enumerate(used)}
    rules = [
        {
            "id": check,
            "shortDescription": {"text": RULES[check].reason},
            "help": {"text": RULES[check].alternative},
            "properties": {"category": RULES[check].category},
        }
        for check in used
    ]
    results = []
    for report in result.files:
        for f in report.findings:
            results.append(
                {
                    "ruleId": f.check,
                    "ruleIndex": index[f.check],
                    "level": f.severity,
                    "message": {"text": f.message},
                    "locations": [sarif.location(report.path, ln) for ln in (f.lines or (f.line,))],
                }
            )
    return sarif.document("changegate-migrations", tool_version, rules, results)
