"""The diff parser on the shapes git really emits (and on a few it rarely does)."""

from __future__ import annotations

import pytest

from changegate.secrets.diffparse import LineMap, PatchStats, parse_patch, unquote

A = "a" * 40
B = "b" * 40

PATCH = f"""{A}
diff --git a/x.py b/x.py
index 1..2 100644
--- a/x.py
+++ b/x.py
@@ -3 +3,2 @@ def f():
-old
+new one
+new two
@@ -10,0 +12 @@
+tail
diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"
new file mode 100644
--- /dev/null
+++ "b/caf\\303\\251.txt"
@@ -0,0 +1,2 @@
++++ looks like a header
+\\ backslash line
\\ No newline at end of file
{B}
diff --git a/img.png b/img.png
new file mode 100644
Binary files /dev/null and b/img.png differ
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
"""


def test_added_lines_paths_commits_and_numbers() -> None:
    stats = PatchStats()
    deltas = list(parse_patch(PATCH, stats))
    got = [(d.commit, d.path, d.text, [d.linenos[i] for i in range(len(d.linenos))])
           for d in deltas]  # fmt: skip
    assert got == [
        (A, "x.py", "new one\nnew two\ntail", [3, 4, 12]),
        (A, "café.txt", "+++ looks like a header\n\\ backslash line", [1, 2]),
    ]
    assert stats.commits == 2 and stats.binary == [(B, "img.png")]


def test_context_lines_take_the_slow_path() -> None:
    patch = "diff --git a/k b/k\n--- a/k\n+++ b/k\n@@ -1,3 +1,4 @@\n a\n+b\n c\n+d\n"
    [delta] = parse_patch(patch, PatchStats())
    assert delta.text == "b\nd" and [delta.linenos[0], delta.linenos[1]] == [2, 4]


def test_line_map_bounds() -> None:
    lm = LineMap()
    lm.add(10, 2)
    lm.add(50, 1)
    assert [lm[0], lm[1], lm[2], len(lm)] == [10, 11, 50, 3]
    with pytest.raises(IndexError):
        lm[3]


def test_unquote() -> None:
    assert unquote('"b/a\\tb\\"c"') == 'b/a\tb"c'
    assert unquote("plain") == "plain"
