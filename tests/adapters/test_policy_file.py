"""Reading changegate.toml: the good file, each kind of bad file, and the base revision."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.conftest import git

from changegate.adapters.git import Git
from changegate.adapters.policy_file import key_lines, load_policy, load_policy_at, parse_policy
from changegate.errors import InputError
from changegate.workflows.init import render_policy

GOOD = render_policy(
    "owner@example.com",
    ["alice@example.com", "bob@example.com"],
    "ed25519:" + "A" * 43 + "=",
    Path("/nonexistent"),
    date(2026, 5, 24),
)


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as exc:
        parse_policy(text, "changegate.toml")
    return [exc.value.message, *exc.value.details]


def test_default_policy_is_valid_and_cites_every_clause():
    pol = parse_policy(GOOD, "changegate.toml")
    assert pol.roles.policy_owner == "owner@example.com"
    assert [r.email for r in pol.roles.reviewers] == ["alice@example.com", "bob@example.com"]
    assert pol.next_review_due() == date(2027, 5, 24)
    assert pol.gates.secrets.enabled and "secrets" not in pol.emergency.may_skip
    assert pol.environments["prod"].procedure.index("migrate") < pol.environments[
        "prod"
    ].procedure.index("switch")
    for clause in ("§1", "§2", "§3", "§5", "§6"):
        assert clause in GOOD


def test_syntax_error_names_line_and_column():
    text = GOOD.replace("min_approvals = 1", "min_approvals = = 1")
    line = text.splitlines().index("min_approvals = = 1") + 1
    (msg,) = problems(text)
    assert msg.startswith(f"changegate.toml:{line}:") and "invalid TOML" in msg


def test_unknown_key_is_located_and_a_spelling_suggested():
    text = GOOD.replace("min_approvals = 1", "min_aprovals = 1")
    line = text.splitlines().index("min_aprovals = 1") + 1
    msg, detail = problems(text)
    assert "1 problem" in msg
    assert detail.startswith(f"changegate.toml:{line}: gates.review.min_aprovals: unknown key")
    assert "did you mean 'min_approvals'" in detail


def test_wrong_type_and_bad_values_are_each_one_line():
    text = (
        GOOD.replace("trivial_max_lines = 20", 'trivial_max_lines = "many"')
        .replace('timezone = "UTC"', 'timezone = "Mars/Olympus"')
        .replace('policy_owner = "owner@example.com"', 'policy_owner = "owner"')
    )
    msg, *details = problems(text)
    assert "3 problems" in msg
    joined = "\n".join(details)
    assert "classification.trivial_max_lines: Input should be a valid integer" in joined
    assert "emergency.timezone: unknown time zone 'Mars/Olympus'" in joined
    assert "roles.policy_owner: must be an email address" in joined
    lines = [int(d.split(":")[1]) for d in details]
    assert lines == sorted(lines) and all(n > 1 for n in lines)


def test_missing_required_key_points_at_its_table():
    text = GOOD.replace('policy_owner = "owner@example.com"\n', "")
    _, detail = problems(text)
    line = text.splitlines().index("[roles]") + 1
    assert detail == f"changegate.toml:{line}: roles.policy_owner: required key is missing; add it"


def test_array_of_tables_entries_are_located():
    text = GOOD.replace('email = "bob@example.com"', 'email = "bob"')
    _, detail = problems(text)
    line = text.splitlines().index('email = "bob"') + 1
    assert detail.startswith(f"changegate.toml:{line}: roles.reviewers[1].email:")


def test_policy_rules_that_protect_the_policy():
    skip_secrets = GOOD.replace('may_skip = ["review",', 'may_skip = ["secrets", "review",')
    assert "may never be skipped" in problems(skip_secrets)[1]
    migrate_late = GOOD.replace(
        'procedure = ["verify", "migrate", "smoke-previous", "config", "switch"',
        'procedure = ["verify", "smoke-previous", "config", "switch", "migrate"',
    )
    assert "'migrate' must come before 'switch'" in problems(migrate_late)[1]


def test_key_lines_handles_quoted_and_dotted_keys():
    text = '[a]\n"b.c" = 1\nd.e = 2\n[[f]]\ng = 3\n[[f]]\ng = 4\n'
    lines = key_lines(text)
    assert lines[("a", "b.c")] == 2
    assert lines[("a", "d", "e")] == 3
    assert lines[("f", 1, "g")] == 7


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="changegate init"):
        load_policy(tmp_path)


def test_policy_is_read_from_the_base_revision(repo):
    (repo / "changegate.toml").write_text(GOOD)
    git(repo, "add", "changegate.toml")
    git(repo, "commit", "-qm", "policy")
    git(repo, "checkout", "-qb", "feature")
    loosened = GOOD.replace("min_approvals = 1", "min_approvals = 1\nenabled_typo = false")
    (repo / "changegate.toml").write_text(
        loosened.replace("[gates.review]\nenabled = true", "[gates.review]\nenabled = false")
    )
    git(repo, "commit", "-qam", "turn off review")
    g = Git(repo)
    # The change under review cannot weaken the rules it is judged by.
    assert load_policy_at(g, "main").gates.review.enabled is True
    with pytest.raises(InputError, match=r"feature:changegate\.toml"):
        load_policy_at(g, "feature")
    with pytest.raises(InputError, match="unknown revision"):
        load_policy_at(g, "no-such-branch")
    with pytest.raises(InputError, match="does not exist at"):
        load_policy_at(g, "main~1")
