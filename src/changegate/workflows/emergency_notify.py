"""Overdue emergencies, sent once each to the team's chat (policy §3, issue #8 item 3).

A retroactive review that is late is what auditors flag; ``list``, ``check``
and ``audit`` already show it to whoever looks. This pushes it to a
Slack-compatible incoming webhook, once per emergency: each message sent is
recorded as ``emergency.notified`` (the id, the due time, the webhook's host —
never its URL, which is the secret), and an emergency with that event is not
sent again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from changegate.app import App
from changegate.core import emergency as em
from changegate.errors import EnvironmentProblem, InputError

NOTIFIED = "emergency.notified"


@dataclass
class Notice:
    """One overdue emergency and the message it gets."""

    state: em.EmergencyState
    message: dict[str, Any]


@dataclass
class NotifyResult:
    pending: list[Notice] = field(default_factory=list)  # overdue, not notified before
    sent: list[str] = field(default_factory=list)  # ids posted (and recorded) this time
    host: str | None = None


def message(state: em.EmergencyState, now: datetime) -> dict[str, Any]:
    """A Slack-compatible message: ``text`` for notifications, ``blocks`` for the channel."""
    late = now - datetime.fromisoformat(state.due)
    hours = int(late.total_seconds() // 3600)
    text = (
        f"Emergency {state.id} ({state.incident}, {state.sev}) is overdue: its retroactive "
        f"review was due {state.due} ({hours} h ago)."
    )
    detail = (
        f"*Commit* `{state.commit[:12]}` · *declared by* {state.declared_by} · "
        f"*bypassed* {', '.join(state.skipped) or 'nothing'}\n*Reason:* {state.reason}"
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: {text}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": detail}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "A teammate reviews exactly the shipped diff (`changegate review "
                        f"approve --emergency {state.id}`), then `changegate emergency close "
                        f"{state.id}`.",
                    }
                ],
            },
        ],
    }


def pending(app: App, now: datetime) -> list[Notice]:
    """Overdue emergencies that have not been notified yet, oldest due first."""
    from changegate.adapters.storage.store import EventFilter

    events = app.store().events(EventFilter(action="emergency.*"))
    notified = {e.subject for e in events if e.action == NOTIFIED}
    states = [s for s in em.fold(events).values() if s.overdue(now) and s.id not in notified]
    states.sort(key=lambda s: s.due)
    return [Notice(s, message(s, now)) for s in states]


def _webhook_url(app: App) -> str:
    rules = app.policy().emergency
    if not rules.webhook_url_env:
        raise InputError(
            'no webhook configured: set [emergency] webhook_url_env = "NAME" in '
            "changegate.toml, NAME being the environment variable that holds the URL"
        )
    url = os.environ.get(rules.webhook_url_env, "").strip()
    if not url:
        raise EnvironmentProblem(
            f"{rules.webhook_url_env} is not set: it must hold the webhook URL "
            "([emergency] webhook_url_env)"
        )
    return url


def notify(app: App, *, dry_run: bool = False, now: datetime | None = None) -> NotifyResult:
    """Post one message per overdue, not yet notified emergency; record each one sent.

    Each post is recorded as soon as it succeeds, so a failure part-way (raised
    as an :class:`EnvironmentProblem`) never causes a repeat of what was sent.
    """
    from changegate.adapters import webhook

    now = now or datetime.now(UTC)
    result = NotifyResult(pending=pending(app, now))
    if dry_run:
        return result
    if not result.pending:
        return result
    url = _webhook_url(app)
    result.host = webhook.host_of(url)
    timeout = app.policy().emergency.webhook_timeout_seconds
    actor = app.actor()
    for notice in result.pending:
        try:
            delivery = webhook.post_json(url, notice.message, timeout=timeout)
        except EnvironmentProblem as exc:
            done = f"; {len(result.sent)} of {len(result.pending)} sent and recorded"
            raise EnvironmentProblem(
                f"{notice.state.id}: {exc.message}{done if result.sent else ''}"
            ) from None
        app.store().append(
            actor,
            NOTIFIED,
            notice.state.id,
            {
                "id": notice.state.id,
                "due": notice.state.due,
                "host": delivery.host,
                "status": delivery.status,
                "attempts": delivery.attempts,
            },
        )
        result.sent.append(notice.state.id)
    return result
