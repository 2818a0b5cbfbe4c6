"""The human-readable report: summary figures, charts, exceptions and the sample's trails.

One self-contained HTML file (inline CSS and SVG, no scripts, no network), laid
out to print to PDF from any browser: an auditor can attach it to a workpaper
as it is.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from changegate.evidence import charts
from changegate.evidence.collect import Evidence
from changegate.evidence.rows import ChangeRow


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def review_latency_hours(c: ChangeRow) -> float | None:
    """Hours from the head commit to the first approval that counted."""
    committed = _moment(c.committed_at)
    approvals = [
        m
        for r in c.reviews
        if r.kind == "approve" and not r.adversarial and r.reviewer in c.approved_by
        if (m := _moment(r.at)) is not None
    ]
    if committed is None or not approvals:
        return None
    return max(0.0, (min(approvals) - committed).total_seconds() / 3600)


def summary(ev: Evidence) -> dict[str, Any]:
    """The figures on the report's first page (also written as summary.json)."""
    latencies = [h for c in ev.changes if (h := review_latency_hours(c)) is not None]
    n = len(ev.changes)
    return {
        "period": ev.period.as_dict(),
        "changes": n,
        "classification": dict(Counter(label for c in ev.changes for label in c.classification)),
        "emergency_changes": sum(1 for c in ev.changes if c.emergency),
        "emergencies_declared": sum(1 for e in ev.emergencies if ev.period.contains(e.declared_at)),
        "emergencies_open_from_before": sum(
            1 for e in ev.emergencies if not ev.period.contains(e.declared_at)
        ),
        "emergency_share": round(sum(1 for c in ev.changes if c.emergency) / n, 4) if n else None,
        "deployments": len(ev.deployments),
        "deployments_by_outcome": dict(Counter(d.outcome for d in ev.deployments)),
        # One row per key a version changed; the versions are the approvals and reverts.
        "config_changes": len(ev.config_changes),
        "config_versions": len({(c.environment, c.version) for c in ev.config_changes}),
        "leaks_open": sum(1 for leak in ev.leaks if leak.open),
        "policy_reviews": len(ev.policy_reviews),
        "direct_pushes": len(ev.direct_pushes),
        "exceptions": len(ev.exceptions),
        "exceptions_by_kind": dict(Counter(e.kind for e in ev.exceptions)),
        "sod_flags": len(ev.sod),
        "review_latency_median_hours": round(median(latencies), 2) if latencies else None,
        "ledger_ok": ev.verification["ok"],
        "sample": {k: ev.sample[k] for k in ("seed", "size", "population")},
        "notes": ev.notes,
    }


def _charts(ev: Evidence) -> dict[str, Markup]:
    mondays = charts.weeks(ev.period.start.date(), ev.period.end.date())
    merged = [(m, bool(c.emergency)) for c in ev.changes if (m := _moment(c.merged_at))]
    normal = charts.per_week([m for m, e in merged if not e], mondays)
    emergency = charts.per_week([m for m, e in merged if e], mondays)
    labels = [m.strftime("%d %b") for m in mondays]
    n_emergency = sum(1 for c in ev.changes if c.emergency)
    latencies = [h for c in ev.changes if (h := review_latency_hours(c)) is not None]
    return {
        # The chart functions escape every label they embed.
        "per_week": Markup(
            charts.stacked_bars(
                labels,
                [("normal", normal), ("emergency", emergency)],
                "Changes merged per week",
            )
        ),
        "share": Markup(
            charts.share_bar(
                [("normal", len(ev.changes) - n_emergency), ("emergency", n_emergency)],
                "Emergency share of changes",
            )
        ),
        "latency": Markup(
            charts.latency_histogram(latencies, "Review latency: head commit to first approval")
        ),
    }


def _short(value: object, n: int = 12) -> str:
    return str(value or "")[:n]


def render(ev: Evidence, files: list[str]) -> str:
    env = Environment(
        loader=PackageLoader("changegate.evidence", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = _short
    template = env.get_template("report.html")
    return template.render(
        ev=ev,
        s=summary(ev),
        charts=_charts(ev),
        files=files,
        latency=review_latency_hours,
    )
