"""Git sources against real repositories: staged, range, history and odd shapes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from secretgen import rand
from tests.conftest import git

from changegate.adapters.git import Git
from changegate.errors import InputError
from changegate.secrets.engine import Scanner
from changegate.secrets.history import scan_history, scan_range, scan_staged

RNG = random.Random(7)


def token() -> str:
    return "ghp_" + rand(RNG, "a", 36)


def commit_file(repo: Path, rel: str, text: str, message: str = "change") -> str:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def test_staged_reports_new_file_line_numbers(repo: Path, scanner: Scanner) -> None:
    commit_file(repo, "app.py", "a = 1\nb = 2\nc = 3\nd = 4\n")
    (repo / "app.py").write_text(f'a = 1\nb = 2\nTOKEN = "{token()}"\nc = 3\nd = 4\n')
    (repo / "new.env").write_text(f"X=1\n\nNPM_TOKEN=npm_{rand(RNG, 'a', 36)}\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + token().encode())
    git(repo, "add", "-A")
    result = scan_staged(repo, scanner)
    assert sorted((f.path, f.line, f.rule, f.commit) for f in result.findings) == [
        ("app.py", 3, "github-pat", None),
        ("new.env", 3, "npm-token", None),
    ]
    assert any("logo.png" in n and "binary" in n for n in result.notes)


def test_staged_ignores_removed_and_unstaged_lines(repo: Path, scanner: Scanner) -> None:
    commit_file(repo, "app.py", f'TOKEN = "{token()}"\nx = 1\n')
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text(f'x = 1\nT = "{token()}"\n')  # not staged
    assert scan_staged(repo, scanner).findings == []


def test_staged_in_an_empty_repository(tmp_path: Path, scanner: Scanner) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "k.txt").write_text(f"token: {token()}\n")
    git(tmp_path, "add", "k.txt")
    assert [(f.path, f.line) for f in scan_staged(tmp_path, scanner).findings] == [("k.txt", 1)]


def test_range_reports_commit_path_line(repo: Path, scanner: Scanner) -> None:
    base = commit_file(repo, "a.py", f'x = 1\nTOKEN = "{token()}"\n')
    second = commit_file(
        repo,
        "conf/b.env",
        f"# b\n\nSLACK=xoxb-{rand(RNG, 'd', 12)}-{rand(RNG, 'd', 12)}-{rand(RNG, 'a', 24)}\n",
    )
    commit_file(repo, "a.py", "x = 1\n", "remove the token")
    result = scan_range(repo, f"{base}..HEAD", scanner)
    assert [(f.commit, f.path, f.line, f.rule) for f in result.findings] == [
        (second, "conf/b.env", 3, "slack-bot-token")
    ]
    assert result.commits == 2


def test_unknown_ref_is_a_clear_input_error(repo: Path, scanner: Scanner) -> None:
    with pytest.raises(InputError, match="no-such-branch"):
        scan_range(repo, "no-such-branch..HEAD", scanner)
    with pytest.raises(InputError, match="commit range"):
        scan_range(repo, "HEAD", scanner)


def test_history_all_refs_in_workers(repo: Path, scanner: Scanner) -> None:
    planted = {}
    for i in range(70):
        text = f"v = {i}\n"
        if i % 10 == 3:
            text += f'KEY = "{token()}"\n'
        sha = commit_file(repo, f"pkg/m{i % 7}.py", text, f"c{i}")
        if i % 10 == 3:
            planted[sha] = f"pkg/m{i % 7}.py"
    git(repo, "checkout", "-q", "-b", "feature")
    feature = commit_file(repo, "feature.txt", f"pat: {token()}\n")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "feature")
    (repo / "blob.bin").write_bytes(b"\0\1\2" + token().encode())
    git(repo, "add", "blob.bin")
    git(repo, "commit", "-q", "-m", "binary")
    seen: list[tuple[int, int]] = []
    result = scan_history(repo, scanner, workers=2, progress=lambda d, t: seen.append((d, t)))
    got = {(f.commit, f.path, f.line) for f in result.findings}
    assert got == {(sha, p, 2) for sha, p in planted.items()} | {(feature, "feature.txt", 1)}
    assert result.commits == 73  # 70 + initial + feature + binary, merge skipped
    assert seen and seen[-1] == (73, 73)
    assert any("blob.bin" in n for n in result.notes)


def test_history_of_empty_repository(tmp_path: Path, scanner: Scanner) -> None:
    git(tmp_path, "init", "-q")
    result = scan_history(tmp_path, scanner)
    assert result.findings == [] and "no commits" in result.notes[0]


def test_shallow_clone_and_detached_head(repo: Path, tmp_path: Path, scanner: Scanner) -> None:
    commit_file(repo, "old.txt", f"token: {token()}\n")
    commit_file(repo, "new.txt", "nothing\n")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    result = scan_history(clone, scanner)
    assert any("shallow" in n for n in result.notes)
    # The boundary commit holds old.txt in full: its content counts as added.
    assert [f.path for f in result.findings] == ["old.txt"]

    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    git(repo, "config", "user.email", "dev@example.com")
    detached = commit_file(repo, "d.txt", f"token: {token()}\n")
    assert detached in {f.commit for f in scan_history(repo, scanner).findings}


def test_submodule_does_not_break_scans(repo: Path, tmp_path: Path, scanner: Scanner) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    git(sub, "init", "-q", "-b", "main")
    git(
        sub,
        "-c",
        "user.email=a@b.c",
        "-c",
        "user.name=A",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor/sub")
    git(repo, "commit", "-q", "-m", "add submodule")
    result = scan_history(Git(repo), scanner)
    assert result.findings == []
    assert result.commits == 2


def test_stream_cuts_blocks_at_file_boundaries_and_reports_git_errors(repo: Path) -> None:
    from changegate.secrets import gitstream

    for i in range(30):
        commit_file(repo, f"f{i}.txt", "x\n" * 2000)
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()
    args = ("diff-tree", "--stdin", "--root", "-r", "-p", "-U0")
    old = gitstream.BLOCK
    gitstream.BLOCK = 4096  # force many blocks
    try:
        blocks = list(gitstream.stream_git(repo, args, commits))
    finally:
        gitstream.BLOCK = old
    assert len(blocks) > 5
    assert all(b.startswith(b"diff --git ") and b.endswith(b"\n") for b in blocks[1:-1])
    assert b"".join(blocks).count(b"diff --git ") == 31
    with pytest.raises(InputError, match="diff-tree"):
        list(gitstream.stream_git(repo, ("diff-tree", "--no-such-option"), commits))
