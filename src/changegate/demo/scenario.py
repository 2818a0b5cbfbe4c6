"""The demo scenario: real git, real commands, a real ledger, a real attack on a copy.

Each step prints the command a person would type and runs exactly that
command in-process (``cli.main.main``), so the demo shows the product as it is
and breaks when the product does.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from changegate.adapters.git import Git
from changegate.demo import deploy_scenes, sample

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
    prod: deploy_scenes.Prod

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

    def commit_as_dana(self, *args: str) -> None:
        """Commit as the developer (Dana), so that others can review her change."""
        self.git(
            "-c",
            "user.email=dana@example.com",
            "-c",
            "user.name=Dana Developer",
            "commit",
            "-q",
            *args,
        )

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
        from changegate.sample import write_service

        files += write_service(self.root, "1.0")  # the web front the deploy scenes serve
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "orders service 1.0")
        self.say(f"{self.root}: {len(files)} files, 1 commit")

    def keys(self) -> None:
        """Reviewers' SSH keys (made here; a team uses the keys it already has)."""
        import subprocess

        self.key_dir = self.root.parent / "keys"
        self.key_dir.mkdir(exist_ok=True)
        self.pub: dict[str, str] = {}
        for who in ("alice", "bob"):
            key = self.key_dir / f"id_{who}"
            subprocess.run(
                [
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    f"{who}@example.com",
                    "-f",
                    str(key),
                ],
                check=True,
            )
            self.pub[who] = (self.key_dir / f"id_{who}.pub").read_text().strip()

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
        policy = self.root / "changegate.toml"
        text = policy.read_text()
        for who, pub in self.pub.items():
            text = text.replace(
                f'# ssh_key = "ssh-ed25519 AAAA... {who}@example.com"', f'ssh_key = "{pub}"'
            )
        policy.write_text(self.prod.policy_text(text))
        self.say(
            "added the reviewers' SSH public keys to [[roles.reviewers]], and prod's deploy "
            "root, process manager, config keys and smoke tests to [environments.prod]"
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

    def sh(self, command: str, env: dict[str, str] | None = None) -> None:
        """Run a shell command as the person would, showing it (its output goes to the screen)."""
        import subprocess

        self.say(f"\n[bold cyan]$ {command}[/]")
        full = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            **(env or {}),
        }
        subprocess.run(command, shell=True, cwd=self.root, env=full, check=False)

    def secrets(self) -> None:
        from changegate.app import App
        from changegate.workflows.secrets import leaks

        self.step("Every developer's commits are scanned before they exist")
        self.run("hook", "install")
        token = sample.fake_token("ghp_", 36)
        (self.root / "orders" / "github.py").write_text(f'TOKEN = "{token}"\n')
        self.git("add", "orders/github.py")
        self.sh("git commit -q -m 'Call the GitHub API'")
        if not self.git.raw("diff", "--cached", "--quiet").ok:
            self.say("the commit was blocked; the token never entered history")
        else:
            raise DemoFailed("the pre-commit hook let a GitHub token through")
        (self.root / "orders" / "github.py").write_text(
            'import os\n\nTOKEN = os.environ["GITHUB_TOKEN"]\n'
        )
        self.git("add", "orders/github.py")
        self.git("commit", "-q", "-m", "Call the GitHub API (token from the environment)")

        self.step("What leaked before adoption: scan the whole history")
        aws = sample.fake_token("AKIA", 16, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        (self.root / "deploy.env").write_text(f"AWS_ACCESS_KEY_ID={aws}\nREGION=eu-west-1\n")
        self.git("add", "deploy.env")
        self.git("commit", "-q", "--no-verify", "-m", "deploy settings (before changegate)")
        (self.root / "deploy.env").write_text("REGION=eu-west-1\n")
        self.git("commit", "-q", "-am", "remove the key from deploy.env")
        self.say(
            "(an AWS key was committed earlier and 'removed' in a later commit: it is "
            "still in history)"
        )
        self.run("scan", "--history", expect=1)
        self.run("secrets", "list", expect=1)
        app = App(root=self.root, git=self.git)
        try:
            fp = next(fp for fp, leak in leaks(app).items() if leak.is_open)[:16]
        finally:
            app.close()

        self.step("The leak closes only when rotated and gone from every ref")
        self.run("secrets", "rotated", fp, "--note", "key deactivated in IAM, replaced: INC-7")
        self.run("secrets", "purge-check", fp, expect=1)
        self.sh(
            "printf '%s==>REMOVED-SECRET\\n' \"$LEAKED_SECRET\" > /tmp/changegate-replace.txt"
            " && git filter-repo --replace-text /tmp/changegate-replace.txt --force --quiet"
            " && rm /tmp/changegate-replace.txt",
            env={"LEAKED_SECRET": aws},
        )
        self.run("secrets", "purge-check", fp)
        self.run("secrets", "list")

    def migrations(self) -> None:
        from changegate.adapters.pgserver import find_pg_binary

        self.step("A destructive migration without a rollback path is blocked")
        up = self.root / "migrations" / "0002_drop_customer.up.sql"
        up.write_text("ALTER TABLE orders DROP COLUMN customer;\n")
        self.run("migrations", "check", "--base", "HEAD", expect=1)

        self.step("With a backup note and a down migration it passes, verified on PostgreSQL")
        up.write_text(
            "-- backup: customers copied to orders_customer_backup; the down migration "
            "restores them\n"
            "SET lock_timeout = '5s';\n"
            "CREATE TABLE orders_customer_backup AS SELECT id, customer FROM orders;\n"
            "ALTER TABLE orders DROP COLUMN customer;\n"
        )
        (self.root / "migrations" / "0002_drop_customer.down.sql").write_text(
            "ALTER TABLE orders ADD COLUMN customer text;\n"
            "UPDATE orders o SET customer = b.customer FROM orders_customer_backup b "
            "WHERE b.id = o.id;\n"
            "ALTER TABLE orders ALTER COLUMN customer SET NOT NULL;\n"
            "DROP TABLE orders_customer_backup;\n"
        )
        if find_pg_binary("initdb") and find_pg_binary("pg_ctl"):
            self.run("migrations", "check", "--base", "HEAD", "--verify")
        else:
            self.say("(PostgreSQL binaries not found: static check only)")
            self.run("migrations", "check", "--base", "HEAD")
        self.git("add", "migrations")
        self.git("commit", "-q", "-m", "Drop orders.customer (backed up, reversible)")

    def change_through_review(self) -> None:
        self.step("Every day: Dana changes the token lifetime (security-relevant)")
        self.git("checkout", "-q", "-b", "token-ttl")
        auth = self.root / "orders" / "auth"
        auth.mkdir(exist_ok=True)
        (auth / "__init__.py").write_text("")
        (auth / "tokens.py").write_text('"""Session tokens."""\n\nTTL_SECONDS = 3600\n')
        self.git("add", "orders/auth")
        self.commit_as_dana("-m", "Sessions last an hour")
        with _actor("dana@example.com"):
            self.run("check", "--base", "main", expect=1)

        self.step("Alice reviews and signs her approval with her SSH key")
        with _actor("alice@example.com"):
            self.run("review", "approve", "--base", "main", "--key", str(self.key_dir / "id_alice"))

        self.step("Bob does the adversarial pass and finds something")
        with _actor("bob@example.com"):
            self.run(
                "review",
                "approve",
                "--adversarial",
                "--base",
                "main",
                "--key",
                str(self.key_dir / "id_bob"),
                "--finding",
                "an hour is long for a stolen session; confirm with security",
            )
        with _actor("dana@example.com"):
            self.run("check", "--base", "main", expect=1)
        from changegate.app import App
        from changegate.workflows.change import resolve
        from changegate.workflows.reviews import judge

        app = App(root=self.root, git=self.git)
        try:
            change = resolve(self.git, "main", None)
            fid = judge(app, change, app.policy_at(change.base)).open_findings[0][0]
        finally:
            app.close()

        self.step("Alice accepts the finding (security confirmed); the verdict passes")
        with _actor("alice@example.com"):
            self.run(
                "review",
                "approve",
                "--base",
                "main",
                "--key",
                str(self.key_dir / "id_alice"),
                "--resolve",
                fid,
            )
        with _actor("dana@example.com"):
            self.run("check", "--base", "main")
        self.git("checkout", "-q", "main")
        self.run("merge", "token-ttl")

    def emergency(self) -> None:
        from changegate.app import App
        from changegate.workflows.emergency import emergencies

        self.step("3 a.m.: the orders API fails for every customer (INC-231, SEV1)")
        self.git("checkout", "-q", "-b", "hotfix-231")
        app_py = self.root / "orders" / "app.py"
        app_py.write_text(
            app_py.read_text().replace(
                '    start_response("200 OK", [("Content-Type", "application/json")])',
                "    # INC-231: never fail the listing\n"
                '    start_response("200 OK", [("Content-Type", "application/json")])',
            )
        )
        self.commit_as_dana("-am", "Hotfix INC-231")
        with _actor("dana@example.com"):
            self.run(
                "emergency",
                "declare",
                "--incident",
                "INC-231",
                "--sev",
                "SEV1",
                "--reason",
                "orders API returns 500 for every customer",
                "--base",
                "main",
            )
            self.run("check", "--base", "main")
        self.git("checkout", "-q", "main")
        with _actor("dana@example.com"):
            self.run("merge", "hotfix-231")
            deploy_scenes.ship_hotfix(self)
            self.run("emergency", "list")
        app = App(root=self.root, git=self.git)
        try:
            ident = next(iter(emergencies(app)))
        finally:
            app.close()

        self.step("Next morning: Alice reviews exactly what shipped; the emergency closes")
        with _actor("alice@example.com"):
            self.run(
                "review", "approve", "--emergency", ident, "--key", str(self.key_dir / "id_alice")
            )
        with _actor("dana@example.com"):
            self.run("emergency", "close", ident)

    def record_and_checkpoint(self) -> None:
        self.step(
            "Every decision above is an event in the hash-chained ledger; a signed "
            "checkpoint is kept outside the database"
        )
        with _actor("bob@example.com"):
            self.run("audit", "checkpoint")
        self.run("audit", "checkpoint")
        self.run("audit", "log", "--action", "review.*")
        self.run("audit", "log", "--action", "check.verdict")
        self.run("audit", "log", "--action", "change.merged")
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
    prod = demo.prod = deploy_scenes.Prod(demo)
    token_before = deploy_scenes.set_smoke_credential(prod)
    # The team's tools (ruff, pytest, git-filter-repo) live beside this interpreter.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    try:
        with _actor("alice@example.com"):
            demo.setup_repo()
            demo.keys()
            demo.adopt()
            demo.show_bad_policy()
            demo.secrets()
            demo.migrations()
            demo.change_through_review()
            deploy_scenes.first_deploy(demo, prod)
            deploy_scenes.config_change(demo, prod)
            demo.emergency()
            deploy_scenes.failing_release(demo, prod)
            demo.record_and_checkpoint()
            demo.tamper()
            deploy_scenes.export(demo)
    finally:
        prod.stop()
        if token_before is None:
            os.environ.pop("SMOKE_TOKEN", None)
        else:
            os.environ["SMOKE_TOKEN"] = token_before
        if not keep and directory is None:
            shutil.rmtree(base, ignore_errors=True)
    return root
