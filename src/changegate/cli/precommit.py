"""The pre-commit hook's fast path: scan the staged change, block on a secret.

Deliberately free of click, pydantic, SQLAlchemy and rich: a developer pays
for this on every commit, so it reads the two settings it needs straight from
``changegate.toml`` with tomllib, and opens the ledger only when there is a
finding to check against recorded allowances.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from changegate.adapters.fingerprint_key import fingerprint_key
from changegate.adapters.git import Git
from changegate.errors import ChangegateError

if TYPE_CHECKING:
    from changegate.secrets import ScanResult

ADVICE = (
    "what to do: remove the secret from the file and `git add` it again (load it from the\n"
    "environment or your secret manager instead); if it was ever pushed or shared, rotate it.\n"
    'Not a secret? `changegate secrets allow FINGERPRINT --reason "..."` records why.'
)


def _settings(root: Path) -> tuple[Path, Path | None]:
    """(ledger key path, gitleaks config path) from the policy, with the defaults."""
    key, config = ".changegate/ledger.key", ".gitleaks.toml"
    try:
        data = tomllib.loads((root / "changegate.toml").read_text(encoding="utf-8"))
        key = str(data.get("audit", {}).get("ledger_key", key))
        config = data.get("gates", {}).get("secrets", {}).get("gitleaks_config", config)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        pass  # `changegate policy check` reports a broken policy; the hook still scans
    key_path = Path(key) if Path(key).is_absolute() else root / key
    config_path = (root / config) if config and (root / config).exists() else None
    return key_path, config_path


def _drop_allowed(root: Path, result: ScanResult) -> None:
    """Remove recorded false positives (needs the ledger; without one, keep every finding)."""
    if not ((root / ".changegate" / "state.db").exists() or os.environ.get("CHANGEGATE_DB")):
        return
    from changegate.app import App
    from changegate.workflows.secrets import drop_allowed

    app = App(root=root, git=Git(root), db_url=os.environ.get("CHANGEGATE_DB"))
    try:
        drop_allowed(app, result)
    except ChangegateError:
        pass  # no usable ledger here: every finding still blocks
    finally:
        app.close()


def run(root: Path) -> int:
    from changegate import secrets

    key_path, config = _settings(root)
    keyed = key_path.exists()
    key = fingerprint_key(key_path) if keyed else os.urandom(32)
    result = secrets.scan_staged(Git(root), secrets.make_scanner(key, root, config))
    if result.findings and keyed:
        _drop_allowed(root, result)
    findings = result.findings
    if not findings:
        return 0
    err = sys.stderr
    count = len(findings)
    err.write(
        f"changegate: commit blocked: {count} secret{'s' if count > 1 else ''} in the "
        "staged change\n"
    )
    for f in findings:
        fp = f"  fingerprint {f.fingerprint}" if keyed else ""
        err.write(f"  {f.path}:{f.line}: {f.rule}  {f.preview}{fp}\n")
    err.write(ADVICE + "\n")
    return 1


def main() -> int:
    try:
        return run(Git.discover(".").root)
    except ChangegateError as exc:
        sys.stderr.write(f"changegate: {exc.message}\n")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
