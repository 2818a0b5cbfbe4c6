"""Changes: the newest verdict per commit, and one change's whole trail."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from changegate.core.ledger import Event
from changegate.evidence.gitinfo import commits
from changegate.web import reads
from changegate.web.render import page, query_int
from changegate.web.state import state_of

_HEX = re.compile(r"^[0-9a-f]{4,64}$")
VERDICTS = ("pass", "blocked")
# Events that name a commit in their payload rather than as their subject.
_BY_COMMIT = ("release.created", "deploy.started", "deploy.finished", "emergency.declared")


def _period(request: Request) -> tuple[str | None, str | None, str | None]:
    """The list's optional date filter; a bad period is reported, not ignored."""
    from changegate.errors import InputError
    from changegate.evidence.period import parse_period

    start, end = request.query_params.get("from", ""), request.query_params.get("to", "")
    if not start and not end:
        return None, None, None
    try:
        period = parse_period(start or "1970-01-01", end or "9999-12-30")
    except InputError as exc:
        return None, None, exc.message
    return period.since, period.until, None


def changes(request: Request) -> Response:
    st = state_of(request)
    store = st.app.store()
    q = request.query_params
    prefix = q.get("commit", "").strip().lower()
    verdict = q.get("verdict", "")
    since, until, period_error = _period(request)
    if prefix and not _HEX.match(prefix):
        period_error = f"commit {prefix!r}: give a hexadecimal commit id or prefix"
        prefix = ""
    newest = st.newest_verdicts()
    chosen = [
        (n.seq, n.count)
        for n in newest
        if (not prefix or n.subject.startswith(prefix))
        and (verdict not in VERDICTS or n.verdict == verdict)
        and (since is None or n.ts >= since)
        and (until is None or n.ts < until)
    ]
    result, counts = reads.page_of(store, chosen, query_int(request, "before"))
    info = commits(st.app.git, [e.subject for e in result.events])
    rows = []
    for e in result.events:
        data = e.data()
        c = info.get(e.subject)
        rows.append(
            {
                "event": e,
                "data": data,
                "labels": data.get("classification", {}).get("labels", []),
                "author": c.author if c else None,
                "title": c.title if c else None,
                "checks": counts.get(e.seq, 1),
            }
        )
    keep = {k: v for k, v in q.items() if k != "before" and v}
    return page(
        request,
        "changes.html",
        title="Changes",
        rows=rows,
        next_before=result.next_before,
        filters=keep,
        error=period_error,
        total=len(newest),
    )


def _checks(events: list[Event]) -> list[dict[str, Any]]:
    """Gate results grouped under the verdict they led to, newest check first."""
    out: list[dict[str, Any]] = []
    gates: list[Event] = []
    for e in events:
        if e.action == "gate.result":
            gates.append(e)
        elif e.action == "check.verdict":
            out.append({"verdict": e, "data": e.data(), "gates": [(g, g.data()) for g in gates]})
            gates = []
    return list(reversed(out))


def change(request: Request) -> Response:
    st = state_of(request)
    store = st.app.store()
    commit = request.path_params["commit"].lower()
    if not _HEX.match(commit):
        return page(request, "error.html", 404, title="Not found", message="not a commit id")
    if len(commit) < 40:
        found = reads.subjects_with_prefix(store, "check.verdict", commit)
        if len(found) == 1:
            return RedirectResponse(f"/changes/{found[0]}", status_code=303)
    own = reads.for_subject(store, commit)
    if not own:
        return page(
            request,
            "error.html",
            404,
            title="Not found",
            message=f"nothing in the ledger about commit {commit}",
        )
    merges = reads.related(store, ["change.merged"], ["head"], [commit])
    shipped = [commit] + [m.subject for m in merges]
    downstream = reads.related(store, _BY_COMMIT, ["commit"], shipped)
    for m in merges:  # events about the merge commit itself (its own checks, if any)
        downstream += [e for e in reads.for_subject(store, m.subject) if e.action != "gate.result"]
    reviews = [(e, e.data()) for e in own if e.action.startswith("review.")]
    trail = sorted({e.seq: e for e in own + merges + downstream}.values(), key=lambda e: e.seq)
    checks = _checks([e for e in own if e.action in ("gate.result", "check.verdict")])
    adversarial = [
        (g, f)
        for check in checks[:1]
        for g, data in check["gates"]
        if data.get("name") == "adversarial_review"
        for f in data.get("findings", [])
    ]
    info = commits(st.app.git, [commit]).get(commit)
    return page(
        request,
        "change.html",
        title=f"Change {commit[:12]}",
        commit=commit,
        info=info,
        checks=checks,
        reviews=reviews,
        adversarial=adversarial,
        merges=[(m, m.data()) for m in merges],
        downstream=[
            (e, e.data())
            for e in sorted({e.seq: e for e in downstream}.values(), key=lambda e: e.seq)
            if e.seq not in {m.seq for m in merges}
        ],
        trail=trail,
    )
