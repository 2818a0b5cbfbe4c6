"""The part of GitHub's REST API we use: a pull request and its reviews.

Imported reviews let a team keep reviewing in GitHub while changegate keeps
the evidence. The API base URL is configurable (GitHub Enterprise, and the
tests' local server speaking the same protocol).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from changegate.errors import EnvironmentProblem, InputError

_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")


@dataclass(frozen=True)
class PullReview:
    id: int
    login: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    commit_id: str
    submitted_at: str
    url: str


def parse_spec(spec: str) -> tuple[str, int]:
    m = _SPEC.match(spec)
    if not m:
        raise InputError(f"--github {spec!r}: expected OWNER/REPO#NUMBER, e.g. acme/orders#42")
    return m.group("repo"), int(m.group("number"))


def _get(api: str, path: str, token: str) -> Any:
    request = urllib.request.Request(
        f"{api.rstrip('/')}{path}",
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Authorization": f"Bearer {token}",
            "User-Agent": "changegate",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        hint = {
            401: "check GITHUB_TOKEN",
            403: "the token lacks pull-request read access",
            404: "no such repository or pull request (or no access to it)",
        }.get(exc.code, "")
        raise EnvironmentProblem(
            f"GitHub API {path}: HTTP {exc.code}; {hint}".rstrip("; ")
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise EnvironmentProblem(f"GitHub API at {api} unreachable or not JSON ({exc})") from exc


def pull_reviews(
    spec: str, api: str | None = None, token: str | None = None
) -> tuple[str, list[PullReview]]:
    """(head sha of the pull request, its reviews), following pagination."""
    repo, number = parse_spec(spec)
    token = token or os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise EnvironmentProblem("GITHUB_TOKEN is not set; importing GitHub reviews needs it")
    api = api or os.environ.get("GITHUB_API_URL", "https://api.github.com")
    pull = _get(api, f"/repos/{repo}/pulls/{number}", token)
    reviews: list[PullReview] = []
    page = 1
    while True:
        batch = _get(api, f"/repos/{repo}/pulls/{number}/reviews?per_page=100&page={page}", token)
        if not isinstance(batch, list) or not batch:
            break
        for r in batch:
            user = r.get("user") or {}
            if not r.get("commit_id") or not user.get("login"):
                continue
            reviews.append(
                PullReview(
                    int(r["id"]),
                    str(user["login"]),
                    str(r.get("state")),
                    str(r["commit_id"]),
                    str(r.get("submitted_at") or ""),
                    str(r.get("html_url") or ""),
                )
            )
        if len(batch) < 100:
            break
        page += 1
    return str(pull["head"]["sha"]), reviews
