"""``kind = "command"``: a command run in the deploy root exits as expected.

For the core paths no endpoint shows (a queue consumer, a CLI the operators
rely on). It goes through the one subprocess helper; a missing program or a
timeout is a failed check with the helper's message, not a crash.
"""

from __future__ import annotations

from changegate.adapters import proc
from changegate.core.policy import SmokeCheck
from changegate.errors import EnvironmentProblem
from changegate.smoke.probe import Context, Outcome, one_line


def probe(check: SmokeCheck, ctx: Context) -> Outcome:
    """One attempt: run, then compare exit status and stdout."""
    assert check.command is not None
    shown = " ".join(check.command)
    try:
        result = proc.run(
            check.command, cwd=ctx.base_dir, env=dict(ctx.environ), timeout=check.timeout_seconds
        )
    except EnvironmentProblem as exc:
        return Outcome(False, exc.message)
    except OSError as exc:  # not executable, bad cwd
        return Outcome(False, f"{shown}: cannot run ({exc.strerror or exc})")
    if result.returncode != check.expect_exit:
        said = (result.err.strip() or result.out.strip()).splitlines()
        tail = f": {one_line(said[-1], 100)}" if said else ""
        return Outcome(
            False, f"{shown}: expected exit {check.expect_exit}, got {result.returncode}{tail}"
        )
    if check.stdout_contains is not None and check.stdout_contains not in result.out:
        return Outcome(
            False,
            f"{shown}: exit {result.returncode} but stdout lacks {check.stdout_contains!r} "
            f"(got {one_line(result.out, 80)!r})",
        )
    return Outcome(True, f"{shown}: exit {result.returncode} as expected")
