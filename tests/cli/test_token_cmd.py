"""``changegate token issue|list|revoke`` and ``changegate serve`` errors, through the real CLI."""

from __future__ import annotations

import json

from tests.cli.teamrepo import cg

from changegate.adapters.storage.store import EventFilter, open_store
from changegate.workflows.tokens import authenticate


def test_only_the_policy_owner_issues_and_revokes(team):
    repo, _ = team
    code, out, err = cg(
        repo, "token", "issue", "bob@example.com", "--role", "auditor", actor="bob@example.com"
    )
    assert code == 1 and "only the policy owner (alice@example.com)" in err and out == ""
    code, out, err = cg(
        repo, "token", "issue", "bob@example.com", "--role", "auditor", actor="alice@example.com"
    )
    assert code == 0, err
    token = out.strip()
    assert token.startswith("cg_") and "cannot be shown again" in err
    ident = token.split("_")[1]
    store = open_store(None, repo)
    try:
        ident_ok = authenticate(store, token)
        assert ident_ok is not None and (ident_ok.user, ident_ok.role) == (
            "bob@example.com",
            "auditor",
        )
        (event,) = store.events(EventFilter(action="web.token_issued"))
        assert event.actor == "alice@example.com" and token.split("_", 2)[2] not in event.payload
        code, out, _ = cg(repo, "token", "list", "--format", "json")
        (listed,) = json.loads(out)["tokens"]
        assert listed["id"] == ident and listed["revoked_at"] is None and "token_hash" not in listed
        assert cg(repo, "token", "revoke", ident, actor="carol@example.com")[0] == 1
        code, out, err = cg(repo, "token", "revoke", ident, actor="alice@example.com")
        assert code == 0 and "revoked token" in out, err
        assert authenticate(store, token) is None
        code, _, err = cg(repo, "token", "revoke", ident, actor="alice@example.com")
        assert code == 2 and "already revoked" in err
        assert "revoked" in cg(repo, "token", "list")[1]
    finally:
        store.close()


def test_bad_role_and_unknown_token_are_bad_input(team):
    repo, _ = team
    code, _, err = cg(
        repo, "token", "issue", "bob@example.com", "--role", "admin", actor="alice@example.com"
    )
    assert code == 2 and "admin" in err
    code, _, err = cg(repo, "token", "revoke", "0123456789ab", actor="alice@example.com")
    assert code == 2 and "no such token" in err


def test_serve_reports_an_unreachable_database(team):
    repo, _ = team
    code, out, err = cg(repo, "--db", "postgresql://u@127.0.0.1:1/nope", "serve", "--port", "0")
    assert code == 2 and "cannot reach the database" in err and "dashboard on" not in out
