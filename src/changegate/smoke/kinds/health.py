"""``kind = "health"``: integration health — every component of a health endpoint passes.

Two common shapes are understood:

* ``application/health+json`` (draft-inadarei-api-health-check):
  ``{"status": "pass", "checks": {"db:responseTime": [{"status": "pass"}, ...]}}``;
* Spring Boot Actuator: ``{"status": "UP", "components": {"db": {"status": "UP"}}}``,
  components nesting further components.

A component's status passes when it is one of ``passing`` (case-insensitive,
``pass``/``ok``/``up`` by default). The failing components are named, because
"health failed" alone sends someone to read logs for what the endpoint knew.
The body is read whatever the HTTP status (both formats answer 503 when down).
"""

from __future__ import annotations

from typing import Any

from changegate.core.policy import SmokeCheck
from changegate.smoke.httpget import Unreachable
from changegate.smoke.kinds.http import request
from changegate.smoke.probe import Context, Outcome, one_line


def components(doc: dict[str, Any]) -> dict[str, str]:
    """``{component name: status}`` of a health document, flattened (``a/b`` when nested)."""
    out: dict[str, str] = {}
    checks = doc.get("checks")
    if isinstance(checks, dict):
        for key, entries in checks.items():
            items = entries if isinstance(entries, list) else [entries]
            for i, item in enumerate(items):
                status = item.get("status") if isinstance(item, dict) else None
                ident = item.get("componentId") if isinstance(item, dict) else None
                label = str(key) if len(items) == 1 else f"{key}[{ident or i}]"
                out[label] = str(status) if status is not None else "(no status)"
    _spring(doc.get("components"), "", out)
    return out


def _spring(tree: Any, prefix: str, out: dict[str, str]) -> None:
    if not isinstance(tree, dict):
        return
    for name, node in tree.items():
        label = f"{prefix}{name}"
        if not isinstance(node, dict):
            out[label] = "(no status)"
            continue
        out[label] = str(node.get("status", "(no status)"))
        _spring(node.get("components"), f"{label}/", out)


def probe(check: SmokeCheck, ctx: Context) -> Outcome:
    """One attempt: the status code, the overall status, then every component."""
    where = f"GET {check.url}"
    try:
        resp = request(check, ctx, with_credential=True)
    except Unreachable as exc:
        return Outcome(False, str(exc))
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return Outcome(
            False,
            f"{where}: expected a JSON health document, got HTTP {resp.status} "
            f"{one_line(resp.text, 80)!r}",
        )
    passing = {p.lower() for p in check.passing}
    overall = str(doc.get("status", "(none)"))
    parts = components(doc)
    failing = [f"{n} ({s})" for n, s in parts.items() if s.lower() not in passing]
    top = {name.split("/")[0].split("[")[0] for name in parts}
    top |= {name.split(":")[0] for name in top}
    missing = [c for c in check.require_components if c not in top]
    problems = []
    if resp.status not in check.statuses():
        problems.append(f"HTTP {resp.status}")
    if overall.lower() not in passing:
        problems.append(f"status {overall}")
    if failing:
        problems.append("failing: " + ", ".join(failing))
    if missing:
        problems.append("missing components: " + ", ".join(missing))
    if problems:
        return Outcome(False, f"{where}: expected every component passing; " + "; ".join(problems))
    names = ", ".join(parts) if parts else "no components listed"
    return Outcome(True, f"{where}: status {overall}, {len(parts)} component(s) pass ({names})")
