"""CSV cells of the pack: text a spreadsheet would run as a formula is made inert."""

from __future__ import annotations

import csv
import io

from changegate.evidence.pack import _csv


def test_text_starting_like_a_formula_gets_a_quote_numbers_and_json_do_not():
    texts = ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"]
    rows = [{"text": t, "n": -1, "items": ["=x"]} for t in texts]
    read = list(
        csv.DictReader(io.StringIO(_csv(["text", "n", "items"], rows).decode(), newline=""))
    )
    assert [r["text"] for r in read] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b",
    ]  # fmt: skip
    assert {r["n"] for r in read} == {"-1"} and {r["items"] for r in read} == {'["=x"]'}
