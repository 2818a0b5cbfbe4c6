"""What each named step of a deploy procedure does (policy §2), one function per step.

Each returns a one-line detail for the record ("skipped: ..." when the step
has nothing to do here) or raises :class:`StepFailed` when it ran and said no.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from changegate.app import App
from changegate.core import deploy as dp
from changegate.errors import Blocked, EnvironmentProblem, InputError
from changegate.workflows.deploy_run import Run, StepFailed, Target


@dataclass(frozen=True)
class Preflight:
    commit: str
    basis: str
    emergency: str | None


def require_deployer(tgt: Target, actor: str) -> None:
    """Deploys, rollbacks, resumes and lock breaks are the deployers' (§2, §4)."""
    policy = tgt.app.policy()
    deployers = tgt.env.deployers if tgt.env.deployers is not None else policy.roles.deployers
    if deployers and actor.lower() not in {d.lower() for d in deployers}:
        raise Blocked(
            f"{actor} may not deploy to or roll back {tgt.name}; the policy's deployers are "
            f"{', '.join(deployers)}"
        )


def release_commit(app: App, tag: str) -> str:
    """The commit of a release tag — only an annotated tag made by ``changegate release``."""
    if not dp.TAG_NAME.match(tag):
        raise InputError(
            f"{tag!r} cannot be a release directory name; releases are tags like v1.8.0 "
            "(letters, digits, . _ + -)"
        )
    git = app.git
    ref = f"refs/tags/{tag}"
    if not git.raw("rev-parse", "--verify", "--quiet", ref).ok:
        raise InputError(
            f"{tag} is not a tag of this repository; only tagged releases deploy "
            f"(`changegate release {tag}` first)"
        )
    if git("cat-file", "-t", ref).strip() != "tag":
        raise Blocked(
            f"{tag} is a lightweight tag; releases are annotated tags made by "
            "`changegate release`, which cite their evidence"
        )
    return git.rev_parse(f"{ref}^{{commit}}")


def preflight(tgt: Target, tag: str, actor: str) -> Preflight:
    """The ``verify`` step's checks that need no lock: refuse before touching anything."""
    from changegate.adapters.storage.store import EventFilter
    from changegate.workflows.release import release_basis
    from changegate.workflows.secrets import leaks

    app = tgt.app
    commit = release_commit(app, tag)
    store = app.store()
    releases = store.events(EventFilter(action="release.created", subject=tag))
    if not releases or releases[-1].data().get("commit") != commit:
        raise Blocked(
            f"{tag} has no recorded release for {commit[:12]} (was it made or moved outside "
            f"changegate?); only `changegate release` tags deploy"
        )
    allowed = release_basis(app, commit)
    if allowed is None:
        raise Blocked(f"{tag} ({commit[:12]}) has no passing recorded verdict, merge or emergency")
    basis, data = allowed
    require_deployer(tgt, actor)
    if migration_sets(tgt):
        database_url(tgt)  # a missing $DATABASE_URL is found before anything is touched
    for leak in leaks(app).values():
        if not leak.is_open or not leak.first_commit:
            continue
        if app.git.raw("merge-base", "--is-ancestor", leak.first_commit, commit).ok:
            raise Blocked(
                f"{tag} contains open secret leak {leak.fingerprint[:12]} ({leak.rule} in "
                f"{leak.path}); rotate and purge it first (`changegate secrets list`)"
            )
    emergency = data.get("emergency") if isinstance(data.get("emergency"), str) else None
    return Preflight(commit, basis, emergency)


def runbook_facts(tgt: Target) -> dp.RunbookFacts:
    pm = tgt.env.process_manager
    config_version = None
    if tgt.env.config is not None:
        from changegate.workflows.config import live_version

        config_version = live_version(tgt.app, tgt.name)
    return dp.RunbookFacts(
        root=str(tgt.root),
        previous_tag=tgt.transport.current(),
        migration_sets=tuple(s.path for s in migration_sets(tgt)),
        config_version=config_version,
        process_manager=pm.kind if pm else None,
        smoke=tuple(c.name for c in tgt.env.smoke),
    )


def migration_sets(tgt: Target) -> list[Any]:
    """The policy's migration sets this environment applies (core.policy.MigrationSet)."""
    all_sets = tgt.app.policy().gates.migrations.sets
    if tgt.env.migrations is None:
        return list(all_sets)
    wanted = set(tgt.env.migrations)
    return [s for s in all_sets if s.path in wanted]


def discovered_sets(tgt: Target, root: Path) -> list[Any]:
    """This environment's migration sets as found in a release tree (migrations.MigrationSet)."""
    from changegate.migrations import discover

    return [m for s in migration_sets(tgt) for m in discover(root, [s.path], s.format)]


def database_url(tgt: Target) -> str | None:
    import os

    name = tgt.env.database_url_env
    if not name:
        return None
    url = os.environ.get(name)
    if not url:
        raise EnvironmentProblem(
            f"environments.{tgt.name}.database_url_env names ${name}, which is not set; "
            "export the production database URL in it"
        )
    return url


def deploy_step(run: Run, step: str) -> str:
    return _STEPS[step](run)


def _verify(run: Run) -> str:
    tag = run.info.tag
    path = run.tgt.transport.export(run.app.git, tag)
    return (
        f"{tag} = {str(run.data['commit'])[:12]} allowed by {run.data['basis']}; exported to {path}"
    )


def _release_tree(run: Run) -> Path:
    return run.tgt.transport.export(run.app.git, run.info.tag)


def _migrate(run: Run) -> str:
    sets = migration_sets(run.tgt)
    if not sets:
        return "skipped: no migration set configured"
    url = database_url(run.tgt)
    if url is None:
        return "skipped: no database_url_env for this environment"
    from changegate import migrations as mg

    root = _release_tree(run)
    found = discovered_sets(run.tgt, root)
    try:
        applied = mg.apply(root, found, url, actor=run.info.actor)
    except mg.MigrationFailed as failed:
        # What ran before the failure stays applied: the record must say so.
        rows = [a.as_dict() for a in failed.applied]
        run.data["migrations_applied"] = run.data.get("migrations_applied", []) + rows
        run.data["schema_state"] = schema_state(url)
        raise StepFailed(str(failed)) from failed
    rows = [a.as_dict() for a in applied]
    run.data["migrations_applied"] = run.data.get("migrations_applied", []) + rows
    run.data["schema_state"] = schema_state(url)
    if not rows:
        return "schema up to date (nothing pending)"
    return "applied " + ", ".join(f"{r['set']}:{r['version']}" for r in rows)


def schema_state(url: str) -> dict[str, str | None]:
    from changegate import migrations as mg

    return {k: (v[-1] if v else None) for k, v in mg.applied_versions(url).items()}


def _smoke(run: Run, phase: str) -> tuple[bool, list[dict[str, Any]], str]:
    from changegate.smoke import run_smoke

    report = run_smoke(run.tgt.env.smoke, base_dir=run.tgt.root, phase=phase)
    rows = [
        {
            "name": r.name,
            "kind": r.kind,
            "status": r.status,
            "attempts": len(r.attempts),
            "detail": r.detail,
        }
        for r in report.results
    ]
    failed = "; ".join(f"{r.name}: {r.detail}" for r in report.failed)
    return report.passed, rows, failed


def _smoke_previous(run: Run) -> str:
    previous = run.info.previous_tag
    if previous is None:
        return "skipped: first deploy, no previous release running"
    if not run.tgt.env.smoke:
        return "skipped: no smoke tests configured"
    ok, rows, failed = _smoke(run, "pre-deploy")
    run.data["smoke_previous"] = rows
    if not ok:
        raise StepFailed(
            f"the running release {previous} fails on the new schema ({failed}); "
            "the code was not switched — the migration is not forward-compatible"
        )
    return f"{previous} still passes {len(rows)} smoke test(s) on the new schema"


def _config(run: Run) -> str:
    if run.tgt.env.config is None:
        return "skipped: no config store for this environment"
    from changegate.workflows.config import live_version, pending_version, render

    live = live_version(run.app, run.tgt.name)
    run.data["previous_config_version"] = live
    version = pending_version(run.app, run.tgt.name) or live
    if version is None:
        return "skipped: no approved configuration version yet"
    applied = render(run.app, run.tgt.name, version, actor=run.info.actor, reason="deploy")
    run.data["config_version"] = applied.version
    return f"config v{applied.version} ({applied.content_sha256[:12]}) rendered to {applied.path}"


def restore_config(run: Run) -> None:
    """A deploy that rendered new config and then failed before the switch puts back the
    version the running release had."""
    previous = run.data.get("previous_config_version")
    if run.tgt.env.config is None or previous is None:
        return
    if previous == run.data.get("config_version"):
        return
    from changegate.workflows.config import render

    applied = render(run.app, run.tgt.name, int(previous), actor=run.info.actor, reason="rollback")
    run.data["config_version"] = applied.version


def _switch(run: Run) -> str:
    previous = run.tgt.transport.switch(run.info.tag)
    return f"current: {previous or '(none)'} -> {run.info.tag}"


def _reload(run: Run) -> str:
    pm = run.tgt.env.process_manager
    if pm is None:
        return "skipped: no process manager configured"
    from changegate.adapters.procman import adapter_for

    adapter = adapter_for(pm, run.tgt.root)
    if run.info.previous_tag is None and not adapter.status().running:
        # A first deploy has nothing to reload: the service is started from `current`
        # by its process manager, then the smoke tests below judge it.
        return f"skipped: first deploy and {pm.kind} is not running yet; start it from current/"
    report = adapter.reload()
    return (
        f"{report.kind} reloaded in {report.duration_s:.2f}s "
        f"({len(report.old_pids)} old worker(s) gone, {len(report.new_pids)} new answering)"
    )


def _post_smoke(run: Run) -> str:
    if not run.tgt.env.smoke:
        return "skipped: no smoke tests configured"
    pm = run.tgt.env.process_manager
    if run.info.previous_tag is None and pm is not None:
        from changegate.adapters.procman import adapter_for

        if not adapter_for(pm, run.tgt.root).status().running:
            return (
                f"skipped: first deploy and {pm.kind} is not running: nothing serves the "
                "release yet; start the service from current/ (later deploys are smoke-tested)"
            )
    ok, rows, failed = _smoke(run, "post-deploy")
    run.data["smoke"] = rows
    if not ok:
        raise StepFailed(failed)
    return f"{len(rows)} smoke test(s) passed"


def _record(run: Run) -> str:
    keep = run.tgt.env.keep_releases
    protect = {run.info.tag, *(t for t in [run.info.previous_tag] if t)}
    removed = run.tgt.transport.prune(keep, protect)
    return f"recorded; kept the last {keep} releases" + (
        f" (removed {', '.join(removed)})" if removed else ""
    )


_STEPS = {
    "verify": _verify,
    "migrate": _migrate,
    "smoke-previous": _smoke_previous,
    "config": _config,
    "switch": _switch,
    "reload": _reload,
    "smoke": _post_smoke,
    "record": _record,
}


def emergency_deployed(run: Run, deployment: dp.Deployment) -> None:
    """§3: the retroactive review is due N business days after the *deploy*."""
    from changegate.core.deadlines import due
    from changegate.core.emergency import DEPLOYED
    from changegate.core.ledger import parse_timestamp
    from changegate.workflows.emergency import emergencies

    state = emergencies(run.app).get(deployment.emergency or "")
    if state is None or state.deployed_at:
        return
    rules = run.app.policy().emergency
    deadline = due(
        parse_timestamp(deployment.ended_at),
        rules.retro_review_business_days,
        rules.calendar_country,
        rules.calendar_subdivision,
        rules.timezone,
    )
    run.app.store().append(
        run.info.actor,
        DEPLOYED,
        state.id,
        {
            "deployment": deployment.id,
            "environment": deployment.environment,
            "tag": deployment.tag,
            "deployed_at": deployment.ended_at,
            "due": deadline.isoformat(),
        },
    )
