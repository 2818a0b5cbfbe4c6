"""``changegate init``: adopt changegate in a repository in one step.

Writes the commented default policy (with the team's owner and reviewers and
the new ledger key's public half pinned in it), keeps ``.changegate/`` out of
git, creates the ledger and records the adoption as its first event.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from string import Template

from changegate.adapters import keys
from changegate.adapters.policy_file import POLICY_FILE, load_policy, parse_policy
from changegate.app import App
from changegate.errors import InputError

GITIGNORE_LINE = ".changegate/"


@dataclass
class InitResult:
    wrote_policy: bool
    created_key: bool
    updated_gitignore: bool
    database: str
    notes: list[str] = field(default_factory=list)


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _detect_python_tools(root: Path) -> dict[str, str]:
    """Pre-fill lint/types/tests for a Python service; other stacks edit the file."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(errors="replace") if pyproject.exists() else ""
    out = {
        "lint_enabled": "false",
        "lint_command": "",
        "types_enabled": "false",
        "types_command": "",
        "tests_enabled": "false",
        "suites": "",
    }
    if "ruff" in text:
        out.update(lint_enabled="true", lint_command='"ruff", "check", "."')
    if "mypy" in text:
        out.update(types_enabled="true", types_command='"mypy", "."')
    if (root / "tests").is_dir() or "pytest" in text:
        out.update(
            tests_enabled="true",
            suites=(
                '[[gates.tests.suites]]\nname = "unit"\n'
                'command = ["python", "-m", "pytest", "-q"]\npaths = ["**"]\n'
            ),
        )
    return out


def render_policy(
    owner: str, reviewers: list[str], public_key: str, root: Path, today: date | None = None
) -> str:
    template = Template(
        resources.files("changegate.workflows").joinpath("templates/changegate.toml").read_text()
    )
    tables = "".join(
        f'[[roles.reviewers]]\nemail = {_toml_str(r)}\n# ssh_key = "ssh-ed25519 AAAA... {r}"\n\n'
        for r in reviewers
    )
    values = {
        "today": (today or date.today()).isoformat(),
        "owner": owner,
        "deployers": ", ".join(_toml_str(r) for r in reviewers),
        "reviewers": tables,
        "public_key": public_key,
        **_detect_python_tools(root),
    }
    text = template.substitute(values)
    parse_policy(text, POLICY_FILE)  # what we write must pass our own check
    return text


def _ensure_gitignore(root: Path) -> bool:
    path = root / ".gitignore"
    existing = path.read_text() if path.exists() else ""
    if any(
        line.strip() in {GITIGNORE_LINE, "/.changegate/", ".changegate"}
        for line in existing.splitlines()
    ):
        return False
    prefix = "" if not existing or existing.endswith("\n") else "\n"
    path.write_text(
        existing
        + prefix
        + "# changegate: local state, ledger key, checkpoints\n"
        + GITIGNORE_LINE
        + "\n"
    )
    return True


def init(app: App, owner: str | None = None, reviewers: list[str] | None = None) -> InitResult:
    actor = app.actor()
    owner = owner or actor
    reviewers = reviewers or [actor]
    for email in [owner, *reviewers]:
        if "@" not in email:
            raise InputError(f"{email!r} is not an email address; give people by their git email")
    policy_path = app.root / POLICY_FILE
    notes: list[str] = []
    created_key = wrote_policy = False

    if policy_path.exists():
        policy = load_policy(app.root)  # validates; an invalid file stops here, nothing written
        notes.append(f"{POLICY_FILE} already exists; left as it is")
        key_path = app.path(policy.audit.ledger_key)
        if not key_path.exists():
            if policy.audit.ledger_public_key:
                raise InputError(
                    f"{key_path}: the ledger key pinned in {POLICY_FILE} is missing; restore it "
                    "from your backup (a new key would not match the pinned public key)"
                )
            keys.create_key(key_path)
            created_key = True
    else:
        key_path = app.root / ".changegate" / "ledger.key"
        created_key = not key_path.exists()
        key = keys.create_key(key_path) if created_key else keys.load_key(key_path)
        text = render_policy(owner, reviewers, keys.public_text(key), app.root)
        policy_path.write_text(text, encoding="utf-8")
        wrote_policy = True
        app._policy = None

    updated_gitignore = _ensure_gitignore(app.root)
    store = app.store(create=True)
    policy_bytes = policy_path.read_bytes()
    head = app.git.raw("rev-parse", "--verify", "--quiet", "HEAD")
    store.append(
        actor,
        "policy.init",
        POLICY_FILE,
        {
            "policy_sha256": hashlib.sha256(policy_bytes).hexdigest(),
            "owner": owner,
            "reviewers": reviewers if wrote_policy else None,
            "wrote_policy": wrote_policy,
            "created_key": created_key,
            # What the branch held at adoption: history up to here predates the process
            # (the export's direct-push reconciliation starts after it).
            "head": head.out.strip() if head.ok else None,
        },
    )
    return InitResult(wrote_policy, created_key, updated_gitignore, store.describe(), notes)
