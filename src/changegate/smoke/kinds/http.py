"""``kind = "http"``: an endpoint answers with the expected status, body and JSON.

The request and the judgement are separate functions because the ``auth``
kind reuses both for its authenticated request.
"""

from __future__ import annotations

from changegate.core.policy import SmokeCheck
from changegate.smoke import jsonpath
from changegate.smoke.httpget import Response, Unreachable, fetch
from changegate.smoke.probe import Context, Outcome, credential_header, one_line


def request(check: SmokeCheck, ctx: Context, *, with_credential: bool) -> Response:
    """Send the check's request (with its credential when asked and configured)."""
    assert check.url is not None
    headers = dict(check.headers)
    if with_credential and check.credential_env:
        name, value = credential_header(check, ctx)
        headers[name] = value
    return fetch(check.url, method=check.method, headers=headers, timeout=check.timeout_seconds)


def judge(check: SmokeCheck, resp: Response, prefix: str = "") -> Outcome:
    """Compare an answer with the check's expectations; the first mismatch is the detail."""
    where = f"{prefix}{check.method} {check.url}"
    wanted = check.statuses()
    if resp.status not in wanted:
        shown = " or ".join(str(s) for s in wanted)
        body = one_line(resp.text, 80)
        return Outcome(
            False, f"{where}: expected HTTP {shown}, got {resp.status} {resp.reason} ({body!r})"
        )
    if check.body_contains is not None and check.body_contains not in resp.text:
        return Outcome(
            False,
            f"{where}: HTTP {resp.status} but the body lacks {check.body_contains!r} "
            f"(got {one_line(resp.text, 80)!r})",
        )
    if check.expect_json:
        try:
            doc = resp.json()
        except ValueError:
            return Outcome(False, f"{where}: expected a JSON body, got {one_line(resp.text, 80)!r}")
        for assertion in check.expect_json:
            problem = jsonpath.check(doc, assertion)
            if problem:
                return Outcome(False, f"{where}: HTTP {resp.status} but {problem}")
    extra = f", {len(check.expect_json)} JSON assertion(s) hold" if check.expect_json else ""
    return Outcome(True, f"{where}: HTTP {resp.status} as expected{extra}")


def probe(check: SmokeCheck, ctx: Context) -> Outcome:
    """One attempt: request, then judge."""
    try:
        resp = request(check, ctx, with_credential=True)
    except Unreachable as exc:
        return Outcome(False, str(exc))
    return judge(check, resp)
