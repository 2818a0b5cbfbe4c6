"""Segregation of duties: the same person on both sides of a control.

``author=reviewer``: someone who wrote or committed a change also reviewed it
(the gate refuses such a review, so a flag here is an attempt that shows in the
trail). ``author=deployer``: someone deployed code they wrote, which the
policy does not forbid but an auditor wants listed.
"""

from __future__ import annotations

from collections.abc import Iterable

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.evidence import gitinfo
from changegate.evidence.events import read
from changegate.evidence.period import Period
from changegate.evidence.rows import ChangeRow, DeploymentRow, SodFlag


def author_reviewer(changes: Iterable[ChangeRow]) -> list[SodFlag]:
    """Recorded reviews by an author, and signed notes the review gate refused for that."""
    flags = []
    for c in changes:
        for refused in c.rejected_reviews:
            if "author or committer" in refused:
                who = refused.split(":", 1)[0].strip()
                flags.append(
                    SodFlag(
                        "author=reviewer",
                        who,
                        c.id,
                        f"{who} authored {c.title or c.head[:12]} and signed an approval of it "
                        "(refused by the review gate)",
                        c.verdict_at,
                    )
                )
        for r in c.reviews:
            if r.reviewer.lower() in c.authors:
                flags.append(
                    SodFlag(
                        "author=reviewer",
                        r.reviewer,
                        c.id,
                        f"{r.reviewer} authored {c.title or c.head[:12]} and recorded a "
                        f"{r.kind} review of it (seq {r.seq})",
                        r.at,
                    )
                )
    return flags


def _previous_tags(app: App, period: Period) -> dict[str, str]:
    """deployment id -> the tag it replaced, from ``deploy.started``."""
    started = read(
        app, EventFilter(action="deploy.started", since=period.since, until=period.until)
    )
    return {
        str(e.data().get("deployment")): str(e.data().get("previous_tag") or "") for e in started
    }


def author_deployer(
    app: App, period: Period, deployments: Iterable[DeploymentRow]
) -> list[SodFlag]:
    """Deployers who wrote or committed a commit their deploy brought to the environment."""
    previous = _previous_tags(app, period)
    flags = []
    for d in deployments:
        if d.outcome != "deployed" or d.kind != "deploy" or not d.commit:
            continue
        prev = previous.get(d.deployment, "")
        if prev and app.git.raw("rev-parse", "--verify", "--quiet", f"{prev}^{{commit}}").ok:
            people = gitinfo.people(app.git, f"{prev}^{{commit}}", d.commit)
        else:  # a first deploy: the commit itself
            info = gitinfo.commits(app.git, [d.commit]).get(d.commit)
            people = sorted({info.author, info.committer}) if info else []
        if d.deployer.lower() in people:
            flags.append(
                SodFlag(
                    "author=deployer",
                    d.deployer,
                    d.deployment,
                    f"{d.deployer} deployed {d.tag} ({d.commit[:12]}) to {d.environment}, "
                    f"which includes their own commits (since {prev or 'the first deploy'})",
                    d.ended_at,
                )
            )
    return flags
