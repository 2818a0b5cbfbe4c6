"""Sign-in, sessions, Bearer tokens, roles and CSRF, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat

from tests.web.site import OWNER, csrf_of

from changegate.adapters.storage.store import EventFilter
from changegate.web.session import KEY_FILE, SESSION_COOKIE


def test_unauthenticated_pages_redirect_and_api_refuses(site):
    client = site.client()
    res = client.get("/changes?verdict=pass")
    assert res.status_code == 303
    assert res.headers["location"] == "/signin?next=%2Fchanges%3Fverdict%3Dpass"
    assert client.get("/api/status").status_code == 401
    bad = client.get("/", headers={"Authorization": "Bearer cg_000000000000_nope-nope-nope-nope"})
    assert bad.status_code == 401 and "WWW-Authenticate" in bad.headers
    assert client.post("/ledger/verify").status_code == 303  # to sign-in, nothing done


def test_bearer_token_reads_pages_and_api(site):
    client = site.client()
    auth = {"Authorization": f"Bearer {site.tokens['viewer']}"}
    assert client.get("/api/whoami", headers=auth).json() == {
        "user": "viewer@example.com",
        "role": "viewer",
        "token": site.tokens["viewer"].split("_")[1],
    }
    assert client.get("/ledger", headers=auth).status_code == 200
    # The right id with a wrong secret is refused.
    forged = site.tokens["viewer"][:17] + "x" * 43
    assert (
        client.get("/api/whoami", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )


def test_sign_in_sets_a_strict_http_only_session(site):
    client = site.client()
    form = client.get("/signin?next=/ledger")
    assert 'name="csrf"' in form.text and 'value="/ledger"' in form.text
    res = client.post(
        "/signin",
        data={"token": site.tokens["viewer"], "csrf": csrf_of(form.text), "next": "/ledger"},
    )
    assert res.status_code == 303 and res.headers["location"] == "/ledger"
    cookie = next(h for h in res.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert site.tokens["viewer"] not in cookie  # the token itself never travels again
    page = client.get("/ledger")
    assert page.status_code == 200 and "viewer@example.com" in page.text
    key = site.root / ".changegate" / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_sign_in_refuses_bad_token_forged_form_and_offsite_next(site):
    client = site.client()
    form = client.get("/signin")
    csrf = csrf_of(form.text)
    res = client.post("/signin", data={"token": "cg_123456789abc_" + "a" * 40, "csrf": csrf})
    assert res.status_code == 401 and "unknown or revoked token" in res.text
    res = client.post("/signin", data={"token": site.tokens["viewer"], "csrf": "forged"})
    assert res.status_code == 403
    res = client.post(
        "/signin",
        data={"token": site.tokens["viewer"], "csrf": csrf, "next": "//evil.example/x"},
    )
    assert res.status_code == 303 and res.headers["location"] == "/"


def test_tampered_session_cookie_is_refused(site):
    client = site.client("viewer")
    value = client.cookies[SESSION_COOKIE]
    body, mac = value.split(".")
    client.cookies.set(SESSION_COOKIE, body + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"))
    assert client.get("/").status_code == 303


def test_viewer_cannot_act_and_nothing_changes(site):
    client = site.client("viewer")
    csrf = csrf_of(client.get("/ledger").text)
    store = site.app.store()
    before = store.head()
    policy_text = (site.root / "changegate.toml").read_text()
    assert client.post("/ledger/verify", data={"csrf": csrf}).status_code == 403
    assert client.post("/policy/review", data={"csrf": csrf, "note": "x"}).status_code == 403
    res = client.post("/tokens/issue", data={"csrf": csrf, "user": "me@x.com", "role": "owner"})
    assert res.status_code == 403 and "may not do this" in res.text
    assert client.get("/export").status_code == 403
    assert client.get("/export/download?from=2026-01-01&to=2026-12-31").status_code == 403
    assert client.get("/tokens").status_code == 403
    assert store.head() == before
    assert (site.root / "changegate.toml").read_text() == policy_text
    # Nor through the API with a Bearer token.
    auth = {"Authorization": f"Bearer {site.tokens['viewer']}"}
    assert (
        client.post("/tokens/issue", headers=auth, data={"user": "a", "role": "owner"}).status_code
        == 403
    )


def test_roles_get_exactly_their_actions(site):
    auditor = site.client("auditor")
    assert auditor.get("/export").status_code == 200
    assert auditor.get("/tokens").status_code == 403
    csrf = csrf_of(auditor.get("/ledger").text)
    assert auditor.post("/ledger/verify", data={"csrf": csrf}).status_code == 303
    deployer = site.client("deployer")
    assert deployer.get("/export").status_code == 403
    assert (
        deployer.post("/ledger/verify", data={"csrf": csrf_of(deployer.get("/").text)}).status_code
        == 403
    )
    owner = site.client("owner")
    assert owner.get("/tokens").status_code == 200 and owner.get("/export").status_code == 200


def test_forms_need_the_session_csrf_token(site):
    owner = site.client("owner")
    store = site.app.store()
    before = store.head()
    assert (
        owner.post("/tokens/issue", data={"user": "a@x.com", "role": "viewer"}).status_code == 403
    )
    other = site.client("auditor")
    foreign = csrf_of(other.get("/ledger").text)  # another session's token does not do
    res = owner.post("/tokens/issue", data={"csrf": foreign, "user": "a@x.com", "role": "viewer"})
    assert res.status_code == 403
    assert store.head() == before


def test_owner_issues_and_revokes_tokens_on_the_dashboard(site):
    owner = site.client("owner")
    csrf = csrf_of(owner.get("/tokens").text)
    res = owner.post(
        "/tokens/issue", data={"csrf": csrf, "user": "new@example.com", "role": "auditor"}
    )
    assert res.status_code == 200
    token = res.text.split('id="new-token">')[1].split("<")[0]
    ident = token.split("_")[1]
    issued = site.app.store().events(
        EventFilter(action="web.token_issued", subject=f"token:{ident}")
    )
    assert [e.data() for e in issued] == [
        {"id": ident, "user": "new@example.com", "role": "auditor"}
    ]
    assert issued[0].actor == OWNER and token not in issued[0].payload
    newcomer = site.client()
    assert (
        newcomer.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    # A signed-in session ends as soon as its token is revoked.
    from tests.web.site import sign_in

    sign_in(newcomer, token)
    assert newcomer.get("/export").status_code == 200
    res = owner.post(f"/tokens/{ident}/revoke", data={"csrf": csrf})
    assert res.status_code == 303
    assert newcomer.get("/export").status_code == 303
    revoked = site.app.store().events(EventFilter(action="web.token_revoked"))
    assert [e.data() for e in revoked] == [{"id": ident}]
    res = owner.post("/tokens/issue", data={"csrf": csrf, "user": "x@example.com", "role": "god"})
    assert res.status_code == 400 and "choose one of" in res.text


def test_signout_ends_the_session(site):
    client = site.client("viewer")
    csrf = csrf_of(client.get("/").text)
    assert client.post("/signout", data={"csrf": csrf}).status_code == 303
    assert client.get("/").status_code == 303
