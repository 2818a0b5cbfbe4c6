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


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
