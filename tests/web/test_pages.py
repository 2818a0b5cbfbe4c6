"""Every page over ledger events as the features record them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import git
from tests.web.site import OWNER, csrf_of, seed_change, seed_config, seed_deploy

from changegate.adapters.storage.store import EventFilter

A = "a" * 40
B = "b1" * 20


def test_overview_shows_ledger_policy_emergencies_leaks_and_deploys(site):
    store = site.app.store()
    head = git(site.root, "rev-parse", "HEAD").strip()  # verify checks deployed commits exist
    seed_change(site.app, head)
    seed_deploy(site.app, "D-0001", "prod", head)
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    store.append(
        "dev@example.com",
        "emergency.declared",
        "EMG-late0001",
        {
            "incident": "INC-9",
            "sev": "SEV1",
            "reason": "down",
            "reason_kind": "incident",
            "commit": A,
            "base": "main",
            "merge_base": "b" * 40,
            "patch_id": "p",
            "skipped": ["review"],
            "due": past,
        },
    )
    store.append(
        "dev@example.com",
        "secrets.leak.opened",
        "f" * 64,
        {
            "rule": "aws-access-key",
            "preview": "AKIA****MPLE",
            "commit": A,
            "path": "app/settings.py",
            "line": 4,
            "introduced_by": "dev@example.com",
            "refs": ["refs/heads/main"],
        },
    )
    page = site.client("viewer").get("/")
    assert page.status_code == 200
    html = page.text
    assert "Ledger intact" in html and "no signed checkpoint yet" in html
    assert "next due" in html
    assert "EMG-late0001" in html and "OVERDUE" in html and 'class="overdue"' in html
    assert "AKIA****MPLE" in html and "ffffffffffffffff" in html
    assert "D-0001" in html and "staging" in html and "never deployed" in html


def test_overview_names_deployed_commits_missing_from_history(site):
    seed_deploy(site.app, "D-0009", "prod", A)
    html = site.client("viewer").get("/").text
    assert "recorded history is missing" in html and "aaaaaaaaaaaa" in html


def test_overview_warns_when_the_policy_review_is_overdue(repo, db_url, monkeypatch):
    from datetime import date

    from tests.web.site import make_site

    site = make_site(repo, db_url, monkeypatch, reviewed=date.today() - timedelta(days=800))
    try:
        html = site.client("viewer").get("/").text
        assert "Overdue" in html
    finally:
        site.app.close()


def test_changes_list_paginates_filters_and_links_to_detail(site):
    for i in range(55):
        seed_change(site.app, f"{i:040x}", "pass" if i % 5 else "blocked")
    seed_change(site.app, f"{54:040x}")  # a second check of the newest change
    client = site.client("viewer")
    first = client.get("/changes")
    assert first.status_code == 200
    assert first.text.count('<a href="/changes/') == 50
    assert "55 change(s) in all" in first.text
    assert f'/changes/{54:040x}"' in first.text and f'/changes/{4:040x}"' not in first.text
    older = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get("/changes" + older)
    assert second.text.count('<a href="/changes/') == 5 and 'rel="next"' not in second.text
    blocked = client.get("/changes?verdict=blocked")
    assert blocked.text.count('<a href="/changes/') == 11
    assert blocked.text.count('s-pass">') == 0
    by_prefix = client.get(f"/changes?commit={'0' * 38}1")
    assert by_prefix.text.count('<a href="/changes/') == 16  # 0x10..0x1f share the prefix
    bad = client.get("/changes?from=2026-09-30&to=2026-07-01")
    assert "after --to" in bad.text
    future = client.get("/changes?from=2099-01-01&to=2099-01-02")
    assert "No changes match" in future.text


def test_change_detail_has_gates_findings_reviews_merge_deploy_and_raw_events(site):
    seed_change(site.app, B, "blocked")
    last = seed_change(site.app, B, "pass")
    store = site.app.store()
    merge = "c" * 40
    store.append(
        "dev@example.com",
        "change.merged",
        merge,
        {
            "branch": "feature",
            "into": "main",
            "head": B,
            "verdict_seq": last.seq,
            "evidence_digest": "d" * 64,
            "patch_id": "p",
        },
    )
    store.append(
        "dev@example.com",
        "release.created",
        "v1.0.1",
        {
            "commit": merge,
            "basis": f"merge seq {last.seq + 1}",
            "evidence_digest": "d",
            "signed": False,
        },
    )
    seed_deploy(site.app, "D-0002", "prod", merge)
    client = site.client("viewer")
    html = client.get(f"/changes/{B}").text
    assert "E501 line too long" in html and "app/x.py:3" in html  # the blocked check's finding
    assert html.count('<details class="check"') == 2
    assert "rev@example.com" in html and "p" + B[:15] in html  # reviewer, reviewed patch-id
    assert "change.merged" in html and "release.created" in html and "D-0002" in html
    shipped = html.split("<h2>Merge, release, deploy</h2>")[1].split("<h2>")[0]
    assert shipped.count("change.merged") == 1
    for e in store.events(EventFilter(subject=B)):
        assert f"<td>{e.seq}</td>" in html and e.hash[:16] in html
    assert client.get(f"/changes/{B[:10]}").headers["location"] == f"/changes/{B}"
    assert client.get(f"/changes/{'9' * 40}").status_code == 404
    assert client.get("/changes/not-a-commit").status_code == 404


def test_deployments_per_environment_and_detail(site):
    seed_deploy(site.app, "D-0001", "prod", A)
    seed_deploy(site.app, "D-0002", "prod", B, outcome="failed")
    seed_deploy(site.app, "D-0003", "prod", A, outcome="rolled-back", rollback_of="D-0002")
    seed_deploy(site.app, "D-0004", "staging", B)
    client = site.client("deployer")
    html = client.get("/deployments").text
    assert "D-0001" in html and "D-0004" in html and "rolled-back" in html
    per_env = html.split('id="per-env"')[1].split("</table>")[0]
    assert "<td>3</td>" in per_env  # prod: three deployments
    only_staging = client.get("/deployments?env=staging").text.split('id="deployments"')[1]
    assert "D-0004" in only_staging and "D-0001" not in only_staging
    failed = client.get("/deployments?outcome=failed").text.split('id="deployments"')[1]
    assert "D-0002" in failed and "D-0003" not in failed
    detail = client.get("/deployments/D-0003").text
    assert "0007_add_index" in detail and "login" in detail and "D-0002" in detail
    assert "migrate" in detail and "812 ms" in detail
    assert client.get("/deployments/D-ffff").status_code == 404


def test_config_history_shows_values_by_hash_and_drift(site):
    seed_config(site.app)
    html = site.client("viewer").get("/config").text
    assert "FEATURE_X" in html and "f" * 12 in html and "P-1" in html
    assert 'class="drift"' in html and "DEBUG" in html
    assert "config.drift" in site.client("viewer").get("/config?env=prod").text
    assert "No configuration change" in site.client("viewer").get("/config?env=staging").text


def test_emergencies_and_leaks_pages(site):
    store = site.app.store()
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    store.append(
        "dev@example.com",
        "emergency.declared",
        "EMG-00000001",
        {
            "incident": "INC-1",
            "sev": "SEV2",
            "reason": "slow",
            "reason_kind": "incident",
            "commit": A,
            "base": "main",
            "merge_base": "b" * 40,
            "patch_id": "p",
            "skipped": ["review"],
            "due": soon,
        },
    )
    store.append(
        "rev@example.com",
        "emergency.closed",
        "EMG-00000001",
        {
            "late": True,
            "closed_at": "x",
            "retro_reviewers": ["rev@example.com"],
            "gates": {},
            "verdict_seq": 1,
        },
    )
    store.append(
        "dev@example.com",
        "secrets.leak.opened",
        "e" * 64,
        {
            "rule": "github-pat",
            "preview": "ghp_****abcd",
            "commit": A,
            "path": "x.py",
            "line": 1,
            "introduced_by": "dev@example.com",
            "refs": [],
        },
    )
    client = site.client("viewer")
    html = client.get("/emergencies").text
    closed = html.split('id="closed-emergencies"')[1]
    assert "EMG-00000001" in closed and "LATE" in closed
    leaks = client.get("/leaks").text
    assert "ghp_****abcd" in leaks and "eeeeeeeeeeeeeeee" in leaks


def test_ledger_page_paginates_and_auditor_verifies_now(site):
    for i in range(60):
        site.app.store().append("dev@example.com", "test.event", f"s{i}", {"i": i})
    client = site.client("auditor")
    html = client.get("/ledger").text
    assert "Verify now" in html and html.count("test.event") == 50
    nxt = html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "test.event" in client.get("/ledger" + nxt).text
    filtered = client.get("/ledger?action=web.*").text
    assert "web.token_issued" in filtered and "test.event" not in filtered
    res = client.post("/ledger/verify", data={"csrf": csrf_of(html)})
    assert res.status_code == 303
    assert "Ledger intact" in client.get("/ledger").text
    assert "Verify now" not in site.client("viewer").get("/ledger").text


def test_ledger_damage_shows_on_the_overview(site):
    from dataclasses import replace

    from tests.ledger_tools import rewrite_table

    seed_change(site.app, A)
    client = site.client("auditor")
    assert "Ledger intact" in client.get("/").text
    rows = site.app.store().events()
    rows[2] = replace(rows[2], actor="mallory")  # edited in place, hash left as it was
    rewrite_table(site.app.store(), rows)
    csrf = csrf_of(client.get("/ledger").text)
    client.post("/ledger/verify", data={"csrf": csrf})
    html = client.get("/").text
    assert "LEDGER DAMAGED" in html and "edited at seq 3" in html


def test_owner_records_the_policy_review_on_the_dashboard(site):
    owner = site.client("owner")
    page = owner.get("/policy")
    assert "Record the annual review" in page.text
    res = owner.post("/policy/review", data={"csrf": csrf_of(page.text), "note": "nothing changed"})
    assert res.status_code == 303
    (event,) = site.app.store().events(EventFilter(action="policy.reviewed"))
    assert event.actor == OWNER and event.data()["note"] == "nothing changed"
    assert "nothing changed" in owner.get("/policy").text
    assert "Record the annual review" not in site.client("auditor").get("/policy").text


def test_export_form_validates_the_period(site):
    client = site.client("auditor")
    assert 'id="export-form"' in client.get("/export").text
    bad = client.get("/export/download?from=2026-09-30&to=2026-07-01")
    assert bad.status_code == 400 and "after --to" in bad.text
    assert client.get("/export/download?from=2026-09-30").status_code == 400
    assert client.get("/export/download?from=yesterday&to=2026-07-01").status_code == 400
