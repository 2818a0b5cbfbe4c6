"""The one git helper: the git CLI, called through :mod:`changegate.adapters.proc`.

The git CLI (rather than a binding) is what our users already have and trust,
and it understands every repository shape they can throw at us (worktrees,
shallow clones, submodules, alternates).
"""

from __future__ import annotations

from pathlib import Path

from changegate.adapters.proc import Result, run
from changegate.errors import EnvironmentProblem, InputError


class Git:
    """A repository, addressed by its work tree."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def discover(cls, start: str | Path = ".") -> Git:
        """The repository containing ``start``; a clear error outside one."""
        res = run(["git", "rev-parse", "--show-toplevel"], cwd=start)
        if not res.ok:
            raise InputError(
                f"{Path(start).resolve()}: not inside a git repository; "
                "run changegate from your service's repository (or `git init` first)"
            )
        return cls(Path(res.out.strip()))

    def raw(self, *args: str, input: bytes | None = None) -> Result:
        """Run ``git ARGS`` in the work tree and return the result, whatever its status."""
        return run(["git", *args], cwd=self.root, input=input)

    def __call__(self, *args: str, input: bytes | None = None) -> str:
        """Run ``git ARGS``; a failure becomes an :class:`InputError` carrying git's words."""
        res = self.raw(*args, input=input)
        if not res.ok:
            first = (res.err.strip() or res.out.strip() or "failed").splitlines()[0]
            raise InputError(f"git {' '.join(args)}: {first}")
        return res.out

    def config(self, key: str) -> str | None:
        """A git config value, or None when unset."""
        res = self.raw("config", "--get", key)
        value = res.out.strip()
        return value if res.ok and value else None

    def rev_parse(self, rev: str) -> str:
        """The full commit id of ``rev``; an unknown revision is bad input."""
        res = self.raw("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if not res.ok:
            raise InputError(
                f"{rev}: unknown revision in {self.root}; check the name with `git log`"
            )
        return res.out.strip()

    def show_file(self, rev: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``rev``, or None when the file does not exist there."""
        commit = self.rev_parse(rev)
        res = self.raw("show", f"{commit}:{path}")
        return res.stdout if res.ok else None

    def git_dir(self) -> Path:
        path = Path(self("rev-parse", "--git-dir").strip())
        return path if path.is_absolute() else self.root / path


def require_git() -> None:
    """Fail early with a clear message when git itself is missing."""
    res = run(["git", "--version"])
    if not res.ok:
        raise EnvironmentProblem("git is not usable here; install git 2.30 or newer")
