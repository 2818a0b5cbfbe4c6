"""Gates that run the team's own tools in a clean worktree: lint, types, test suites.

Commands run in a fresh ``git worktree`` of HEAD, never in the developer's
working directory, so uncommitted edits can neither fail nor pass a change.
A command that is missing or hangs is an ``error`` (blocking), never a pass.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

from changegate.adapters.proc import Result, run
from changegate.core.paths import first_match
from changegate.core.policy import CommandGate, Suite
from changegate.core.verdict import GateFinding, GateResult, Status
from changegate.errors import EnvironmentProblem
from changegate.gates.base import GateContext, cache_key
from changegate.gates.fingerprint import command_fingerprint, tool_of

TAIL = 40  # lines of output kept as evidence


def _tail(res: Result) -> str:
    text = (res.out + ("\n" if res.out and res.err else "") + res.err).strip()
    return "\n".join(text.splitlines()[-TAIL:])


def _version(tool: str, cwd: Path) -> str | None:
    try:
        res = run([tool, "--version"], cwd=cwd, timeout=20)
    except EnvironmentProblem:
        return None
    first = (res.out or res.err).strip().splitlines()
    return first[0][:120] if res.ok and first else None


def run_command(gate: str, command: list[str], timeout: float, cwd: Path) -> GateResult:
    start = time.monotonic()
    evidence: dict[str, object] = {"command": command, "timeout_s": timeout}
    try:
        res = run(command, cwd=cwd, timeout=timeout)
    except EnvironmentProblem as exc:
        return GateResult(
            gate, "error", exc.message, evidence=evidence, duration_s=time.monotonic() - start
        )
    evidence.update(
        exit_code=res.returncode, output_tail=_tail(res), tool_version=_version(command[0], cwd)
    )
    duration = time.monotonic() - start
    if res.ok:
        return GateResult(
            gate, "pass", f"`{' '.join(command)}` exited 0", evidence=evidence, duration_s=duration
        )
    findings = [GateFinding(line) for line in _tail(res).splitlines()[-10:] if line.strip()]
    return GateResult(
        gate, "fail", f"`{' '.join(command)}` exited {res.returncode}", findings, evidence, duration
    )


class CommandGateRunner:
    """Lint or types: the command the policy names."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _config(self, ctx: GateContext) -> CommandGate:
        cfg = getattr(ctx.policy.gates, self.name)
        assert isinstance(cfg, CommandGate)
        return cfg

    def skip_reason(self, ctx: GateContext) -> str | None:
        return None if self._config(ctx).enabled else f"gates.{self.name} is disabled"

    def cache_key(self, ctx: GateContext) -> str:
        cfg = self._config(ctx)
        scope = ctx.commits() if ctx.every_commit else [ctx.tree]
        return cache_key(
            self.name,
            scope,
            cfg.command,
            cfg.timeout_seconds,
            command_fingerprint(tool_of(cfg.command)),
        )

    def run(self, ctx: GateContext) -> GateResult:
        cfg = self._config(ctx)
        if not ctx.every_commit:
            return run_command(self.name, cfg.command, cfg.timeout_seconds, ctx.worktree())
        start = time.monotonic()
        per_commit = []
        for commit in ctx.commits():
            tree = ctx.checkout(commit)
            try:
                res = run_command(self.name, cfg.command, cfg.timeout_seconds, tree)
            finally:
                ctx.drop(tree)
            per_commit.append({"commit": commit, "status": res.status, "reason": res.reason})
            if res.status != "pass":
                res.reason = f"commit {commit[:12]}: {res.reason}"
                res.evidence["commits"] = per_commit
                res.duration_s = time.monotonic() - start
                return res
        return GateResult(
            self.name,
            "pass",
            f"`{' '.join(cfg.command)}` passed on each of {len(per_commit)} commit(s)",
            evidence={"commits": per_commit},
            duration_s=time.monotonic() - start,
        )


def relevant_suites(suites: list[Suite], paths: list[str]) -> tuple[list[Suite], str]:
    """Suites whose globs the change touches; every suite when a path is mapped to none."""
    unmapped = [p for p in paths if not any(first_match(p, s.paths) for s in suites)]
    if unmapped:
        return list(suites), f"{unmapped[0]} is mapped to no suite: every suite runs"
    chosen = [s for s in suites if any(first_match(p, s.paths) for p in paths)]
    return chosen, "suites whose paths the change touches"


def junit_counts(path: Path) -> dict[str, int] | None:
    """tests/failures/errors/skipped from a JUnit XML report, when the suite wrote one."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, "0") or 0)
    return totals


class TestsGate:
    name = "tests"

    def skip_reason(self, ctx: GateContext) -> str | None:
        cfg = ctx.policy.gates.tests
        if not cfg.enabled:
            return "gates.tests is disabled"
        if not cfg.suites:
            return "no test suites are declared in the policy"
        if not relevant_suites(cfg.suites, ctx.changed_paths)[0]:
            return "the change touches no suite's paths"
        return None

    def cache_key(self, ctx: GateContext) -> str:
        suites, _ = relevant_suites(ctx.policy.gates.tests.suites, ctx.changed_paths)
        return cache_key(
            self.name,
            ctx.tree,
            [
                (
                    s.name,
                    s.command,
                    s.timeout_seconds,
                    s.junit,
                    command_fingerprint(tool_of(s.command)),
                )
                for s in suites
            ],
        )

    def run(self, ctx: GateContext) -> GateResult:
        suites, why = relevant_suites(ctx.policy.gates.tests.suites, ctx.changed_paths)
        tree = ctx.worktree()
        start = time.monotonic()
        results = []
        findings: list[GateFinding] = []
        worst: Status = "pass"
        for suite in suites:
            res = run_command(f"tests:{suite.name}", suite.command, suite.timeout_seconds, tree)
            counts = junit_counts(tree / suite.junit) if suite.junit else None
            results.append(
                {
                    "suite": suite.name,
                    "status": res.status,
                    "reason": res.reason,
                    "counts": counts,
                    **res.evidence,
                }
            )
            if res.status != "pass":
                findings.append(GateFinding(f"suite {suite.name}: {res.reason}"))
                findings += res.findings[-5:]
                worst = "error" if res.status == "error" or worst == "error" else "fail"
        names = ", ".join(s.name for s in suites)
        reason = f"{len(suites)} suite(s) ({names}): {why}"
        return GateResult(
            self.name, worst, reason, findings, {"suites": results}, time.monotonic() - start
        )
