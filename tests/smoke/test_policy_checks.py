"""[[environments.*.smoke]] in changegate.toml: every kind parses, bad ones say why and where."""

from __future__ import annotations

import pytest

from changegate.adapters.policy_file import parse_policy
from changegate.core.policy import SmokeCheck
from changegate.errors import InputError

HEAD = """\
version = 1
[policy]
last_reviewed = 2026-05-24
[roles]
policy_owner = "owner@example.com"
[[roles.reviewers]]
email = "alice@example.com"
[environments.prod]
"""

EVERY_KIND = """
[[environments.prod.smoke]]
name = "home page"
kind = "http"
url = "https://app.example.com/"
expect_status = [200, 304]
body_contains = "Sign in"

[[environments.prod.smoke]]
name = "version"
kind = "http"
url = "https://app.example.com/version.json"
expect_json = [
  { path = "$.version", exists = true },
  { path = "$.region", one_of = ["eu", "us"] },
  { path = "$.build.ok", equals = true },
]

[[environments.prod.smoke]]
name = "authentication"
kind = "auth"
url = "https://app.example.com/api/me"
credential_env = "SMOKE_TOKEN"

[[environments.prod.smoke]]
name = "admin basic auth"
kind = "auth"
url = "https://app.example.com/admin/"
credential_env = "SMOKE_BASIC"
credential_scheme = "basic"
refuse_status = [401]

[[environments.prod.smoke]]
name = "integrations"
kind = "health"
url = "http://127.0.0.1:8000/health"
require_components = ["postgres", "stripe"]
retries = 4
backoff_seconds = 0.5
backoff_max_seconds = 4

[[environments.prod.smoke]]
name = "nightly export"
kind = "heartbeat"
path = "var/run/export.heartbeat"
max_age_seconds = 93600

[[environments.prod.smoke]]
name = "billing job"
kind = "heartbeat"
url = "http://127.0.0.1:8000/jobs"
json_path = "$.jobs.billing.last_success"
max_age_seconds = 900

[[environments.prod.smoke]]
name = "queue sweeper"
kind = "heartbeat"
database_url_env = "DATABASE_URL"
query = "SELECT max(finished_at) FROM job_runs WHERE job = 'sweeper'"
max_age_seconds = 600
phases = ["post-deploy"]

[[environments.prod.smoke]]
name = "worker"
kind = "command"
command = ["bin/worker", "--check"]
stdout_contains = "ready"
timeout_seconds = 30
"""


def problems(smoke: str) -> list[str]:
    with pytest.raises(InputError) as exc:
        parse_policy(HEAD + smoke, "changegate.toml")
    return [exc.value.message, *exc.value.details]


def one(smoke: str) -> str:
    found = problems(smoke)
    assert len(found) == 2, found
    return found[1]


def test_every_kind_parses():
    checks = parse_policy(HEAD + EVERY_KIND, "changegate.toml").environments["prod"].smoke
    assert [c.kind for c in checks] == [
        "http",
        "http",
        "auth",
        "auth",
        "health",
        "heartbeat",
        "heartbeat",
        "heartbeat",
        "command",
    ]
    assert checks[0].statuses() == [200, 304]
    assert checks[2].statuses() == [200] and checks[2].refuse_status == [401, 403]
    assert checks[4].retries == 4 and checks[7].phases == ["post-deploy"]


def test_auth_without_credential_env():
    message = one('[[environments.prod.smoke]]\nname = "a"\nkind = "auth"\nurl = "http://x/me"\n')
    assert message.startswith("changegate.toml:9: environments.prod.smoke[0]:")
    assert "needs credential_env" in message


def test_heartbeat_without_a_source_or_with_two():
    base = '[[environments.prod.smoke]]\nname = "h"\nkind = "heartbeat"\nmax_age_seconds = 60\n'
    assert "exactly one source" in one(base) and "got none" in one(base)
    two = one(base + 'path = "beat"\nurl = "http://x/jobs"\n')
    assert "got path, url" in two
    assert "go together" in one(base + 'database_url_env = "DB"\n')
    assert "needs max_age_seconds" in one(
        '[[environments.prod.smoke]]\nname = "h"\nkind = "heartbeat"\npath = "beat"\n'
    )


def test_a_key_of_another_kind_is_refused_with_the_keys_that_fit():
    message = one(
        '[[environments.prod.smoke]]\nname = "c"\nkind = "command"\ncommand = ["true"]\n'
        'url = "http://x/"\n'
    )
    assert "(kind 'command') does not take url; it takes command, expect_exit" in message


def test_unknown_key_and_unknown_kind():
    assert "unknown key" in one(
        '[[environments.prod.smoke]]\nname = "x"\nkind = "http"\nurl = "http://x/"\nexpect = 200\n'
    )
    assert "'http', 'auth', 'health', 'heartbeat' or 'command'" in one(
        '[[environments.prod.smoke]]\nname = "x"\nkind = "ping"\n'
    )


def test_a_pasted_secret_in_credential_env_is_refused_without_echoing_it():
    message = one(
        '[[environments.prod.smoke]]\nname = "a"\nkind = "auth"\nurl = "http://x/"\n'
        'credential_env = "ghp_abc123/secret+value"\n'
    )
    assert "must name an environment variable" in message
    assert "ghp_abc123" not in message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "http"}, "needs a url"),
        ({"kind": "http", "url": "127.0.0.1:8000/health"}, "absolute http:// or https:// URL"),
        ({"kind": "command"}, "needs command"),
        ({"kind": "http", "url": "https://u:pw@x/"}, "must not carry credentials"),
        ({"kind": "http", "url": "http://x/", "expect_status": 700}, "not an HTTP status"),
        (
            {"kind": "auth", "url": "http://x/", "credential_env": "T", "refuse_status": [200]},
            "a 2xx means the endpoint is not protected",
        ),
        (
            {"kind": "auth", "url": "http://x/", "credential_env": "T", "refuse_status": [404]},
            "a 404 that it is not there",
        ),
        ({"kind": "http", "url": "http://x/", "credential_scheme": "basic"}, "need credential_env"),
        (
            {
                "kind": "http",
                "url": "http://x/",
                "expect_json": [{"path": "$.a[*]", "exists": True}],
            },
            "not in the supported subset",
        ),
        (
            {"kind": "http", "url": "http://x/", "expect_json": [{"path": "$.a"}]},
            "exactly one of equals, exists, one_of",
        ),
        (
            {"kind": "heartbeat", "path": "b", "json_path": "$.t", "max_age_seconds": 1},
            "json_path applies to a url source only",
        ),
        (
            {"kind": "http", "url": "http://x/", "backoff_seconds": 5, "backoff_max_seconds": 1},
            "backoff_max_seconds is below backoff_seconds",
        ),
        ({"kind": "http", "url": "http://x/", "method": "get"}, "should match pattern"),
    ],
)
def test_validation_messages(fields: dict[str, object], expected: str):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as exc:
        SmokeCheck.model_validate({"name": "n", **fields})
    assert expected in str(exc.value)
