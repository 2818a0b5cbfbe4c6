"""The demo scenario: real git, real commands, a real ledger, a real attack on a copy.

Each step prints the command a person would type and runs exactly that
command in-process (``cli.main.main``), so the demo shows the product as it is
and breaks when the product does.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from changegate.adapters.git import Git
from changegate.demo import sample

Say = Callable[[str], None]


class DemoFailed(Exception):
    """A step did not do what the product promises."""


@contextmanager
def _actor(email: str) -> Iterator[None]:
    before = os.environ.get("CHANGEGATE_ACTOR")
    os.environ["CHANGEGATE_ACTOR"] = email
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CHANGEGATE_ACTOR", None)
        else:
            os.environ["CHANGEGATE_ACTOR"] = before


class Demo:
    def __init__(self, root: Path, say: Say) -> None:
        self.root = root
        self.say = say
        self.git = Git(root)

    def run(self, *args: str, expect: int = 0) -> int:
        from changegate.cli.main import main

        shown = " ".join(a if " " not in a else repr(a) for a in args)
        self.say(f"\n[bold cyan]$ changegate {shown}[/]")
        code = main(["-C", str(self.root), *args])
        if code != expect:
            raise DemoFailed(f"`changegate {shown}` exited {code}, expected {expect}")
        return code

    def step(self, title: str) -> None:
        self.say(f"\n[bold]== {title}[/]")

    def setup_repo(self) -> None:
        self.step("A service repository (a fresh git repo with a small order service)")
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "alice@example.com")
        self.git("config", "user.name", "Alice Platform")
        self.git("config", "commit.gpgsign", "false")
        files = sample.write(self.root)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "orders service 1.0")
        self.say(f"{self.root}: {len(files)} files, 1 commit")

    def adopt(self) -> None:
        self.step("Day 1: adopt changegate (policy as code, ledger key, ledger)")
        self.run(
            "init",
            "--owner",
            "alice@example.com",
            "--reviewer",
            "alice@example.com",
            "--reviewer",
            "bob@example.com",
        )
        self.run("policy", "check")
        self.git("add", "changegate.toml", ".gitignore")
        self.git("commit", "-q", "-m", "Adopt changegate: the change-management policy as code")
        self.say(
            "committed changegate.toml: from now on changes are judged by this policy "
            "as it stands on their base revision"
        )

    def show_bad_policy(self) -> None:
        self.step("A typo in the policy is caught with file:line and the fix (exit 2)")
        path = self.root / "changegate.toml"
        good = path.read_text()
        path.write_text(good.replace("min_approvals = 1", "min_aprovals = 1"))
        try:
            self.run("policy", "check", expect=2)
        finally:
            path.write_text(good)

    def record_and_checkpoint(self) -> None:
        self.step(
            "Every event is appended to the hash-chained ledger; a signed checkpoint "
            "is kept outside the database"
        )
        with _actor("bob@example.com"):
            self.run("audit", "checkpoint")
        self.run("audit", "checkpoint")
        self.run("audit", "log")
        self.run("audit", "verify")

    def tamper(self) -> None:
        self.step("Someone edits the database behind changegate's back (on a copy)")
        original = self.root / ".changegate" / "state.db"
        copy = self.root / ".changegate" / "tampered.db"
        shutil.copyfile(original, copy)
        con = sqlite3.connect(copy)
        con.execute("DROP TRIGGER ledger_events_no_update")
        con.execute("UPDATE ledger_events SET actor = 'mallory@example.com' WHERE seq = 1")
        con.commit()
        con.close()
        self.say("copy: the actor of seq 1 rewritten to mallory@example.com")
        self.run("--db", f"sqlite:///{copy}", "audit", "verify", expect=1)

        self.step("Someone deletes the newest events (truncation, on another copy)")
        shutil.copyfile(original, copy)
        con = sqlite3.connect(copy)
        con.execute("DROP TRIGGER ledger_events_no_delete")
        con.execute("DELETE FROM ledger_events WHERE seq > 1")
        con.commit()
        con.close()
        self.say(
            "copy: every event after seq 1 deleted; what remains is a valid chain, "
            "so only the signed checkpoint can tell"
        )
        self.run("--db", f"sqlite:///{copy}", "audit", "verify", expect=1)
        copy.unlink()

        self.step("The real ledger is untouched")
        self.run("audit", "verify")


def run_demo(directory: Path | None, keep: bool, say: Say) -> Path:
    """Run the whole scenario; returns the repository path (removed unless kept)."""
    base = directory or Path(tempfile.mkdtemp(prefix="changegate-demo-"))
    root = base / "orders"
    if root.exists():
        raise DemoFailed(f"{root} already exists; give an empty --dir")
    demo = Demo(root, say)
    try:
        with _actor("alice@example.com"):
            demo.setup_repo()
            demo.adopt()
            demo.show_bad_policy()
            demo.record_and_checkpoint()
            demo.tamper()
    finally:
        if not keep and directory is None:
            shutil.rmtree(base, ignore_errors=True)
    return root
