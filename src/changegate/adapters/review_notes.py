"""Review records as git notes under ``refs/notes/changegate``.

Notes travel with the repository (``git push origin refs/notes/changegate``)
and attach to the reviewed commit without changing it. Each record is one
JSON line (the signed attestation and its armored signature), appended, never
edited.
"""

from __future__ import annotations

import json
from typing import Any

from changegate.adapters.git import Git

NOTES_REF = "refs/notes/changegate"


def append(git: Git, commit: str, record: dict[str, Any], actor: str) -> None:
    line = json.dumps(record, sort_keys=True, separators=(",", ":"))
    git(
        "-c",
        f"user.name={actor}",
        "-c",
        f"user.email={actor}",
        "notes",
        f"--ref={NOTES_REF}",
        "append",
        "-m",
        line,
        commit,
    )


def records(git: Git) -> list[dict[str, Any]]:
    """Every review record on any commit (a rebased change keeps its earlier reviews)."""
    listing = git.raw("notes", f"--ref={NOTES_REF}", "list")
    if not listing.ok:
        return []
    blobs = [line.split()[0] for line in listing.out.splitlines() if line.strip()]
    if not blobs:
        return []
    # One `cat-file --batch` for every note: a review-heavy repository must not cost one
    # process per note on each check.
    batch = git.raw("cat-file", "--batch", input=("\n".join(blobs) + "\n").encode()).stdout
    out: list[dict[str, Any]] = []
    pos = 0
    while pos < len(batch):
        header_end = batch.index(b"\n", pos)
        header = batch[pos:header_end].split()
        pos = header_end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        content = batch[pos : pos + size].decode("utf-8", "replace")
        pos += size + 1
        for raw in content.splitlines():
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                continue  # someone else's note on the same ref: not ours to judge
            if isinstance(data, dict) and "attestation" in data:
                out.append(data)
    return out
