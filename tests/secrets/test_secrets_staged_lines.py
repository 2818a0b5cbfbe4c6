"""Property: staged-scan line numbers are the lines of the staged file, whatever the edit."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secretgen import TEST_KEY, rand
from tests.conftest import git

from changegate.secrets.engine import Scanner
from changegate.secrets.history import scan_staged
from changegate.secrets.rules import default_ruleset

WORDS = st.sampled_from(["x = 1", "", "def f():", "    return 2", "# note", "}", "pass"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=st.lists(WORDS, max_size=30),
    edits=st.lists(st.tuples(st.integers(0, 40), st.booleans()), min_size=1, max_size=6),
    seed=st.integers(0, 2**32),
)
def test_staged_line_numbers_match_the_new_file(
    old: list[str], edits: list[tuple[int, bool]], seed: int
) -> None:
    rng = random.Random(seed)
    new = list(old)
    for position, replace in edits:
        line = f'TOKEN = "ghp_{rand(rng, "a", 36)}"'
        at = min(position, len(new))
        if replace and at < len(new):
            new[at] = line
        else:
            new.insert(at, line)
    expected = sorted(i + 1 for i, text in enumerate(new) if "ghp_" in text)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        git(repo, "init", "-q")
        git(repo, "config", "user.email", "dev@example.com")
        git(repo, "config", "user.name", "Dev")
        (repo / "f.py").write_text("\n".join(old) + "\n")
        git(repo, "add", "f.py")
        git(repo, "commit", "-q", "--allow-empty", "-m", "base")
        (repo / "f.py").write_text("\n".join(new) + "\n")
        git(repo, "add", "f.py")
        found = scan_staged(repo, Scanner(default_ruleset(), TEST_KEY)).findings
    assert sorted(f.line for f in found) == expected
