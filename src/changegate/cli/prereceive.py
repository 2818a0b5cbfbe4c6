"""The server-side pre-receive hook: protected branches only move to verified commits.

For self-hosted repositories (where no forge enforces a required status), the
server refuses a push that would move a protected branch to a commit without
a passing recorded verdict (or a merge that ``changegate merge`` recorded).
It reads only the ledger, so it fails closed when the ledger is unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from changegate.errors import ChangegateError

ZERO = "0" * 40


def allowed(store: object, sha: str) -> bool:
    from changegate.adapters.storage.store import EventFilter, Store

    assert isinstance(store, Store)
    if store.events(EventFilter(action="change.merged", subject=sha)):
        return True
    verdicts = store.events(EventFilter(action="check.verdict", subject=sha))
    return bool(verdicts) and verdicts[-1].data().get("verdict") == "pass"


def run(lines: list[str], branches: list[str], db: str | None, git_dir: Path) -> int:
    protected = {f"refs/heads/{b}" for b in branches}
    updates = [line.split() for line in lines if line.strip()]
    relevant = [(old, new, ref) for old, new, ref in updates if ref in protected]
    if not relevant:
        return 0
    if not db:
        sys.stderr.write(
            "changegate: refusing the push: CHANGEGATE_DB is not set for the "
            "pre-receive hook, so verdicts cannot be checked\n"
        )
        return 1
    from changegate.adapters.storage.store import open_store

    store = open_store(db, git_dir)
    refused = 0
    try:
        for _old, new, ref in relevant:
            if new == ZERO:
                sys.stderr.write(f"changegate: refusing to delete protected {ref}\n")
                refused += 1
            elif not allowed(store, new):
                sys.stderr.write(
                    f"changegate: refusing {ref} -> {new[:12]}: no passing recorded verdict "
                    "for this commit; run `changegate check` and `changegate merge`\n"
                )
                refused += 1
    finally:
        store.close()
    return 1 if refused else 0


def main() -> int:
    ap = argparse.ArgumentParser(prog="changegate-pre-receive")
    ap.add_argument("--branch", action="append", default=[])
    args = ap.parse_args()
    git_dir = Path(os.environ.get("GIT_DIR", "."))
    try:
        return run(
            sys.stdin.read().splitlines(),
            args.branch or ["main", "master"],
            os.environ.get("CHANGEGATE_DB"),
            git_dir,
        )
    except ChangegateError as exc:
        sys.stderr.write(f"changegate: refusing the push: {exc.message}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
