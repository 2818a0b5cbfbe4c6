"""Cache keys and tool fingerprints, kept free of the policy model and the database.

The gates use them to key their cached results; the verdict cache (``changegate
check``'s fast path) re-checks the same tool fingerprints before it imports
anything heavy, so they must stay importable on their own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path


def tool_fingerprint(executable: str) -> str:
    """Which tool a command runs, cheaply: its resolved path, size and mtime.

    Asking every tool for ``--version`` on each check would cost more than the
    cached check itself; an upgraded tool changes its file, which is enough to
    invalidate a cached result.
    """
    path = shutil.which(executable)
    if path is None:
        return f"{executable}:missing"
    st = Path(path).resolve().stat()
    return f"{Path(path).resolve()}:{st.st_size}:{st.st_mtime_ns}"


def tool_of(command: list[str]) -> str:
    """What a command's result depends on: its executable, and for ``python -m MODULE``
    the module too (else upgrading ruff in a venv would keep ruff's cached pass)."""
    if len(command) >= 3 and command[1] == "-m":
        return f"{command[0]} -m {command[2]}"
    return command[0] if command else ""


def command_fingerprint(tool: str) -> str:
    """``tool_fingerprint`` of a :func:`tool_of` string: the module's installed
    distribution (its dist-info name carries the version) joins the interpreter's."""
    executable, _, module = tool.partition(" -m ")
    base = tool_fingerprint(executable)
    if not module:
        return base
    return f"{base}|{_module_fingerprint(executable, module.split('.')[0])}"


def _module_fingerprint(executable: str, module: str) -> str:
    path = shutil.which(executable)
    if path is None:
        return f"{module}:missing"
    # A venv's interpreter is a symlink in <venv>/bin: its packages are beside it, so the
    # unresolved path is the one that tells which site-packages it imports from.
    root = Path(path).parent.parent
    norm = module.replace("-", "_").lower()
    found: list[str] = []
    for site in sorted(root.glob("lib/python*/site-packages")):
        for info in site.glob("*.dist-info"):
            if info.name.lower().split("-")[0].replace("-", "_") == norm:
                record = info / "RECORD"
                mtime = record.stat().st_mtime_ns if record.exists() else 0
                found.append(f"{info.name}:{mtime}")
        pkg = site / module
        if pkg.is_dir():
            found.append(f"{pkg}:{pkg.stat().st_mtime_ns}")
    return ",".join(found) or f"{module}:not-in-{root}"


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
