"""Installing the git pre-commit hook, chaining to whatever hook was there before.

A team's existing hook (a linter, a commit-message check) keeps running: it
is moved aside and called after ours passes. Installing twice is harmless.
"""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

from changegate.adapters.git import Git

MARKER = "# installed by `changegate hook install`"
CHAINED_SUFFIX = ".changegate-chained"


def hook_script(python: str) -> str:
    return f"""#!/bin/sh
{MARKER}: scans the staged change for secrets.
# Remove with `changegate hook uninstall`; a previous hook is chained below.
{shlex.quote(python)} -m changegate.cli.precommit || exit $?
chained="$0{CHAINED_SUFFIX}"
if [ -x "$chained" ]; then
  exec "$chained" "$@"
fi
"""


def hooks_dir(git: Git) -> Path:
    path = Path(git("rev-parse", "--git-path", "hooks").strip())
    return path if path.is_absolute() else git.root / path


def install(git: Git, python: str | None = None) -> tuple[Path, Path | None]:
    """Write the hook; return (hook path, where a previous hook was moved, if any)."""
    directory = hooks_dir(git)
    directory.mkdir(parents=True, exist_ok=True)
    hook = directory / "pre-commit"
    chained: Path | None = None
    if hook.exists() and MARKER not in hook.read_text(errors="replace"):
        chained = hook.with_name(hook.name + CHAINED_SUFFIX)
        hook.replace(chained)
    hook.write_text(hook_script(python or sys.executable))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return hook, chained


PRE_RECEIVE_MARKER = "# installed by `changegate hook install --pre-receive`"


def install_pre_receive(
    git_dir: Path, branches: list[str], db: str | None, python: str | None = None
) -> Path:
    """Write ``hooks/pre-receive`` in a (bare) server repository."""
    hook = git_dir / "hooks" / "pre-receive"
    hook.parent.mkdir(parents=True, exist_ok=True)
    if hook.exists() and PRE_RECEIVE_MARKER not in hook.read_text(errors="replace"):
        hook.replace(hook.with_name("pre-receive" + CHAINED_SUFFIX))
    flags = " ".join(f"--branch {shlex.quote(b)}" for b in branches)
    env = f"CHANGEGATE_DB={shlex.quote(db)} " if db else ""
    command = f"{env}{shlex.quote(python or sys.executable)} -m changegate.cli.prereceive {flags}"
    hook.write_text(f"""#!/bin/sh
{PRE_RECEIVE_MARKER}: protected branches only move to commits with a passing verdict.
input=$(cat)
printf '%s\n' "$input" | {command} || exit $?
chained="$0{CHAINED_SUFFIX}"
if [ -x "$chained" ]; then
  printf '%s\n' "$input" | "$chained" "$@"
fi
""")
    hook.chmod(0o755)
    return hook


def uninstall(git: Git) -> bool:
    hook = hooks_dir(git) / "pre-commit"
    if not hook.exists() or MARKER not in hook.read_text(errors="replace"):
        return False
    chained = hook.with_name(hook.name + CHAINED_SUFFIX)
    if chained.exists():
        chained.replace(hook)
    else:
        hook.unlink()
    return True
