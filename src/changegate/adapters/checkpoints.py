"""Where signed checkpoints live: outside the database, so that whoever can edit
the database cannot also erase the evidence of what it held.

Each checkpoint is a small JSON file under the checkpoint directory and,
optionally, a commit on a git ref (``refs/changegate/checkpoints``), whose
history is one more copy that ordinary ``git push`` can carry elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from changegate.adapters.git import Git
from changegate.core.ledger import Checkpoint
from changegate.errors import InputError


def _to_json(cp: Checkpoint) -> str:
    return (
        json.dumps(
            {
                "version": 1,
                "seq": cp.seq,
                "hash": cp.hash,
                "ts": cp.ts,
                "key_id": cp.key_id,
                "signature": cp.signature,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


def _from_json(text: str, source: str) -> Checkpoint:
    try:
        data = json.loads(text)
        return Checkpoint(
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            ts=str(data["ts"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
            source=source,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{source}: not a changegate checkpoint ({exc}); remove or restore it"
        ) from exc


def write_file(directory: Path, cp: Checkpoint) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{cp.seq:012d}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_to_json(cp))
    tmp.replace(path)
    return path


def latest_file(directory: Path) -> Checkpoint | None:
    if not directory.is_dir():
        return None
    files = sorted(directory.glob("*.json"))
    if not files:
        return None
    best = files[-1]
    return _from_json(best.read_text(), str(best))


def write_ref(git: Git, ref: str, cp: Checkpoint) -> str:
    """Record the checkpoint as a commit on ``ref`` (parent: the previous checkpoint)."""
    blob = git("hash-object", "-w", "--stdin", input=_to_json(cp).encode()).strip()
    tree = git("mktree", input=f"100644 blob {blob}\tcheckpoint.json\n".encode()).strip()
    parent = git.raw("rev-parse", "--verify", "--quiet", ref)
    args = ["commit-tree", tree, "-m", f"changegate checkpoint seq {cp.seq}"]
    if parent.ok:
        args += ["-p", parent.out.strip()]
    # Checkpoint commits are made by changegate, whoever runs it: the actor is in the ledger.
    commit = git(
        "-c", "user.name=changegate", "-c", "user.email=checkpoints@changegate.invalid", *args
    ).strip()
    git("update-ref", ref, commit)
    return commit


def latest_ref(git: Git, ref: str) -> Checkpoint | None:
    res = git.raw("show", f"{ref}:checkpoint.json")
    if not res.ok:
        return None
    return _from_json(res.out, ref)


def latest(directory: Path, git: Git | None, ref: str | None) -> Checkpoint | None:
    """The newest checkpoint from either place (the one with the highest seq)."""
    found = [latest_file(directory)]
    if git is not None and ref:
        found.append(latest_ref(git, ref))
    candidates = [cp for cp in found if cp is not None]
    return max(candidates, key=lambda cp: cp.seq) if candidates else None
