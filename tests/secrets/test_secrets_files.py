"""Files and directories: what is scanned, what is skipped, and that it is said."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from secretgen import rand

from changegate.errors import InputError
from changegate.secrets.engine import Scanner
from changegate.secrets.files import scan_paths

RNG = random.Random(9)


def tok() -> str:
    return "glpat-" + rand(RNG, "w", 20)


def test_directory_walk_skips_git_binary_huge_and_symlinks(
    tmp_path: Path, scanner: Scanner
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(f"x = 1\nT = '{tok()}'\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f"token = {tok()}\n")
    (tmp_path / "img.bin").write_bytes(b"\0\0" + tok().encode())
    (tmp_path / "huge.txt").write_text(f"T = '{tok()}'\n" + "x" * (1 << 20))
    outside = tmp_path.parent / f"outside-{RNG.random()}"
    outside.mkdir()
    (outside / "o.txt").write_text(f"T = '{tok()}'\n")
    os.symlink(outside, tmp_path / "linked-dir")
    os.symlink(outside / "o.txt", tmp_path / "linked.txt")
    result = scan_paths([tmp_path], scanner, root=tmp_path)
    assert [(f.path, f.line) for f in result.findings] == [("src/a.py", 2)]
    notes = "\n".join(result.notes)
    for expected in (
        "img.bin: binary",
        "huge.txt",
        "linked-dir: symbolic link",
        "linked.txt: symbolic link",
    ):
        assert expected in notes
    assert result.files == 1


def test_invalid_utf8_is_scanned_not_crashed(tmp_path: Path, scanner: Scanner) -> None:
    path = tmp_path / "latin1.properties"
    path.write_bytes(b"name=caf\xe9 \xff\xfe\n" + f"token={tok()}\n".encode())
    result = scan_paths([path], scanner)
    assert [f.line for f in result.findings] == [2]


def test_missing_path_is_input_error(tmp_path: Path, scanner: Scanner) -> None:
    with pytest.raises(InputError, match="no such file"):
        scan_paths([tmp_path / "nope"], scanner)


def test_submodule_git_file_is_skipped(tmp_path: Path, scanner: Scanner) -> None:
    sub = tmp_path / "vendor" / "lib"
    sub.mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../../.git/modules/lib\n")
    (sub / "lib.py").write_text("print('hi')\n")
    result = scan_paths([tmp_path], scanner, root=tmp_path)
    assert result.findings == [] and result.files == 1
