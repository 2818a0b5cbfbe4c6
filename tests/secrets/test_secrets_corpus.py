"""Detection quality on a held-out corpus of realistic files (the issue's bar)."""

from __future__ import annotations

from pathlib import Path

from secretcorpus import write_corpus

from changegate.secrets.engine import Scanner
from changegate.secrets.files import scan_paths


def test_corpus_recall_and_false_positives(tmp_path: Path, scanner: Scanner) -> None:
    corpus = write_corpus(tmp_path)
    result = scan_paths([tmp_path], scanner, root=tmp_path)
    found = {(f.path, f.line) for f in result.findings}
    hits = corpus.leaks & found
    missed = sorted(corpus.leaks - found)
    false_pos = sorted(found - corpus.leaks)
    recall = len(hits) / len(corpus.leaks)
    print(
        f"\ncorpus: {len(corpus.leaks)} leaks, {len(corpus.fakes)} look-alikes; "
        f"recall {recall:.1%} ({len(hits)}/{len(corpus.leaks)}), false positives {len(false_pos)}"
    )
    for path, line in missed:
        print(f"  missed {path}:{line}")
    for path, line in false_pos:
        rules = [f.rule for f in result.findings if (f.path, f.line) == (path, line)]
        print(f"  false positive {path}:{line} {rules}")
    assert len(corpus.leaks) >= 55 and len(corpus.fakes) >= 35
    assert recall >= 0.95
    assert len(false_pos) <= 1
