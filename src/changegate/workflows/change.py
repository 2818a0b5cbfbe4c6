"""What a change is: ``BASE..HEAD`` of a repository, seen from their merge base.

Everything the gates and reviews need is computed here once, from git: the
files touched (with renames and line counts), the patch-id that identifies
the diff across rebases, and who authored or committed it.
"""

from __future__ import annotations

from dataclasses import dataclass

from changegate.adapters.git import Git
from changegate.core.classify import FileChange
from changegate.errors import InputError


@dataclass(frozen=True)
class Change:
    base: str
    head: str
    merge_base: str
    files: list[FileChange]
    patch_id: str
    authors: frozenset[str]  # authors and committers of BASE..HEAD (emails)
    base_name: str
    head_name: str
    tree: str = ""  # HEAD's tree id


def default_base(git: Git) -> str:
    """Where a change is headed when --base is not given: the remote's default branch, or main."""
    res = git.raw("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if res.ok and res.out.strip():
        return res.out.strip()
    for name in ("main", "master"):
        if git.raw("rev-parse", "--verify", "--quiet", f"refs/heads/{name}").ok:
            return name
    raise InputError(
        "no --base given and neither origin/HEAD, main nor master exists; pass --base REV"
    )


def _numstat(git: Git, a: str, b: str) -> list[FileChange]:
    out = git("diff", "--numstat", "-z", "-M", a, b)
    parts = out.split("\0")
    files: list[FileChange] = []
    i = 0
    while i < len(parts) and parts[i]:
        added_s, deleted_s, path = parts[i].split("\t", 2)
        added = None if added_s == "-" else int(added_s)
        deleted = None if deleted_s == "-" else int(deleted_s)
        if path:
            files.append(FileChange(path, added, deleted))
            i += 1
        else:  # a rename: the old and new paths follow as their own fields
            files.append(FileChange(parts[i + 2], added, deleted, old_path=parts[i + 1]))
            i += 3
    return files


def patch_id(git: Git, a: str, b: str) -> str:
    """``git patch-id --stable`` of the whole diff: the same after a rebase that keeps it."""
    diff = git.raw("diff", "--no-color", "--full-index", a, b).stdout
    if not diff.strip():
        return "empty"
    out = git("patch-id", "--stable", input=diff).split()
    return out[0] if out else "empty"


def resolve(git: Git, base: str | None, head: str | None) -> Change:
    base_name = base or default_base(git)
    head_name = head or "HEAD"
    ids = git.raw(
        "rev-parse", f"{base_name}^{{commit}}", f"{head_name}^{{commit}}", f"{head_name}^{{tree}}"
    ).out.split()
    if len(ids) != 3:  # one call when both exist; the helper names the one that does not
        git.rev_parse(base_name)
        git.rev_parse(head_name)
        raise InputError(f"cannot resolve {base_name}..{head_name}")
    base_id, head_id, tree = ids
    res = git.raw("merge-base", base_id, head_id)
    if not res.ok or not res.out.strip():
        shallow = git.raw("rev-parse", "--is-shallow-repository").out.strip() == "true"
        hint = (
            " (this is a shallow clone: fetch more history, e.g. git fetch --unshallow)"
            if shallow
            else ""
        )
        raise InputError(f"{base_name} and {head_name} have no merge base{hint}")
    merge_base = res.out.strip()
    people = git("log", "--format=%ae%n%ce", f"{merge_base}..{head_id}").split()
    return Change(
        base=base_id,
        head=head_id,
        merge_base=merge_base,
        files=_numstat(git, merge_base, head_id),
        patch_id=patch_id(git, merge_base, head_id),
        authors=frozenset(p.lower() for p in people),
        base_name=base_name,
        head_name=head_name,
        tree=tree,
    )
