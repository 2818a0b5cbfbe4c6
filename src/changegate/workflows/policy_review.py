"""Policy lifecycle (§6): the owner's recorded review, and the reminders around it.

A review is an event in the ledger (who, when, the note, the exact policy it
covered) and a new ``last_reviewed`` date in ``changegate.toml``, which the
owner then commits like any other change.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from changegate.adapters.policy_file import POLICY_FILE, load_policy
from changegate.app import App
from changegate.core.paths import first_match
from changegate.core.policy import Policy
from changegate.errors import Blocked, InputError

REVIEWED = "policy.reviewed"
_LAST = re.compile(r"^(\s*last_reviewed\s*=\s*)\d{4}-\d{2}-\d{2}(.*)$", re.M)
SOON_DAYS = 30


def review(app: App, note: str, today: date | None = None) -> date:
    """Record the review; returns the next due date."""
    if not note.strip():
        raise InputError(
            "--note must say what was reviewed and what changed (or that nothing needed to)"
        )
    policy = app.policy()
    actor = app.actor()
    if actor.lower() != policy.roles.policy_owner.lower():
        raise Blocked(
            f"only the policy owner ({policy.roles.policy_owner}) records the policy "
            f"review; {actor} is not"
        )
    today = today or date.today()
    path = app.root / POLICY_FILE
    text = path.read_text(encoding="utf-8")
    updated, count = _LAST.subn(rf"\g<1>{today.isoformat()}\g<2>", text, count=1)
    if count != 1:
        raise InputError(f"{POLICY_FILE}: no `last_reviewed = YYYY-MM-DD` line under [policy]")
    path.write_text(updated, encoding="utf-8")
    app._policy = None
    renewed = load_policy(app.root)
    app.store().append(
        actor,
        REVIEWED,
        POLICY_FILE,
        {
            "note": note,
            "previous_review": policy.policy.last_reviewed.isoformat(),
            "reviewed_on": today.isoformat(),
            "next_due": renewed.next_review_due().isoformat(),
            "policy_sha256": hashlib.sha256(updated.encode()).hexdigest(),
        },
    )
    return renewed.next_review_due()


def reminders(policy: Policy, changed_paths: list[str], today: date | None = None) -> list[str]:
    """What `check` should say about the policy's own lifecycle for this change."""
    today = today or date.today()
    due = policy.next_review_due()
    notes = []
    if today > due:
        notes.append(
            f"the annual policy review is overdue since {due}: the policy owner runs "
            "`changegate policy review --note ...`"
        )
    elif (due - today).days <= SOON_DAYS:
        notes.append(f"the annual policy review is due {due} (within {SOON_DAYS} days)")
    for path in changed_paths:
        glob = first_match(path, policy.classification.toolchain_paths)
        if glob:
            notes.append(
                f"material change to the deployment toolchain ({path} matches {glob!r}):"
                " the policy calls for a review (`changegate policy review`)"
            )
            break
    return notes
