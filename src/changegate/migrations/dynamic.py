"""Dynamic verification: run the migrations on a real PostgreSQL and watch it.

Static rules guess; the server knows. Each new migration is applied statement
by statement inside its own transaction so ``pg_locks`` still shows what the
statement took, and ``relfilenode`` changes show which tables were rewritten.
Then down and up run again, and catalog dumps say whether down really undid
up — the rollback path nobody exercises until the night it is needed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from changegate.errors import EnvironmentProblem
from changegate.migrations.catalog import Dump, diff, dump
from changegate.migrations.model import (
    CheckResult,
    Finding,
    LockRecord,
    Migration,
    MigrationSet,
    Script,
    Settings,
)
from changegate.migrations.parsing import Statement, is_empty, parse_script
from changegate.migrations.rules import RULES, finding

# Strongest first.
_STRONG = ("AccessExclusiveLock", "ExclusiveLock", "ShareRowExclusiveLock", "ShareLock")
_RELFILES = (
    "SELECT c.oid::bigint, c.relfilenode::bigint, n.nspname || '.' || c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'"
)
_LOCKS = (
    "SELECT l.relation::bigint, l.mode FROM pg_locks l WHERE l.pid = pg_backend_pid() "
    "AND l.locktype = 'relation' AND l.granted"
)


class _Failed(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Stop(Exception):
    """The schema is no longer what later migrations expect; the finding is already made."""


def _libpq(url: str) -> str:
    """psycopg wants a libpq URL; the policy may hold a SQLAlchemy one."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql://{rest}" if sep and scheme.startswith("postgres") else url


@contextmanager
def _database(server_url: str | None) -> Iterator[str]:
    """A fresh, empty database we may wreck, dropped afterwards."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    from changegate.adapters.pgserver import start_pg

    server = start_pg() if server_url is None else None
    admin = server.dsn() if server is not None else _libpq(str(server_url))
    name = f"changegate_verify_{uuid.uuid4().hex[:10]}"
    try:
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise EnvironmentProblem(
                f"cannot create a scratch database for --verify: {first}; give the URL of a "
                "server where this user may CREATE DATABASE, or omit it to use a throwaway one"
            ) from exc
        try:
            yield make_conninfo(admin, dbname=name)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if server is not None:
            server.stop()


def verify(
    root: str | Path,
    result: CheckResult,
    sets: list[MigrationSet] | None = None,
    settings: Settings | None = None,
    server_url: str | None = None,
) -> CheckResult:
    """Apply the set on a real server; add lock, rewrite and round-trip findings to ``result``.

    Migrations already on the base (those not in ``result.files``) form the
    starting schema; the others are verified one by one.
    """
    from changegate.migrations.discovery import discover

    root = Path(root)
    settings = settings or Settings()
    if sets is None:
        sets = discover(root, settings.paths, settings.format)
    checked = {f.path for f in result.files}
    with _database(server_url) as dsn:
        for mset in sets:
            _verify_set(dsn, mset, root, checked, result)
    for report in result.files:
        report.findings = _merge_repeats(report.findings)
    return result


def _merge_repeats(findings: list[Finding]) -> list[Finding]:
    """One ``table-rewrite`` per file listing its lines, like every other check."""
    rewrites = [f for f in findings if f.check == "table-rewrite"]
    if len(rewrites) < 2:
        return findings
    tables = list(dict.fromkeys(f.message.split(":", 1)[0] for f in rewrites))
    more = f" (+{len(tables) - 3} more)" if len(tables) > 3 else ""
    merged = finding(
        "table-rewrite",
        rewrites[0].line,
        "; ".join(tables[:3]) + more,
        tuple(sorted({f.line for f in rewrites})),
    )
    return [f for f in findings if f.check != "table-rewrite"] + [merged]


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _verify_set(
    dsn: str, mset: MigrationSet, root: Path, checked: set[str], result: CheckResult
) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET statement_timeout = '60s'")
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        for mig in mset.migrations:
            path = _rel(mig.up.path, root)
            report = result.file(path) if path in checked else None
            try:
                if report is None:
                    _apply(conn, mig.up, None, None)
                    continue
                _verify_one(conn, mig, path, root, result)
            except _Failed as exc:
                target = result.file(path)
                if not any(RULES[f.check].category == "input" for f in target.findings):
                    # A file the static check already rejected needs no second message.
                    target.findings.append(finding("verify-failed", exc.line, str(exc)))
                return
            except _Stop:
                return


def _verify_one(conn: Any, mig: Migration, path: str, root: Path, result: CheckResult) -> None:
    before = dump(conn)
    _apply(conn, mig.up, result, path)
    after = dump(conn)
    if mig.down is None or is_empty(mig.down.text):
        return
    down_path = _rel(mig.down.path, root)
    try:
        _apply(conn, mig.down, None, None)
    except _Failed as exc:
        line = 1 if mig.down.generated else exc.line
        result.file(down_path).findings.append(
            finding("verify-failed", line, f"down migration: {exc}")
        )
        raise _Stop from exc
    _compare(result, down_path, before, dump(conn), "after down")
    try:
        _apply(conn, mig.up, None, None)
    except _Failed as exc:
        report = result.file(down_path)
        if not any(f.check == "down-mismatch" for f in report.findings):
            detail = f"up does not apply again after down: {exc}"
            report.findings.append(finding("down-mismatch", 1, detail))
        raise _Stop from exc
    _compare(result, down_path, after, dump(conn), "after down and up again")


def _compare(result: CheckResult, path: str, expected: Dump, actual: Dump, when: str) -> None:
    if expected != actual:
        detail = f"schema {when} differs: " + "; ".join(diff(expected, actual))
        result.file(path).findings.append(finding("down-mismatch", 1, detail))


def _apply(conn: Any, script: Script, result: CheckResult | None, path: str | None) -> None:
    """Run ``script`` as its tool would; with ``result``, record locks and rewrites.

    Consecutive statements the tool runs in one transaction run in one here too
    (a temp table ``ON COMMIT DROP`` must survive to the next statement), and the
    locks a statement adds to those already held are attributed to it.
    """
    from pglast import ast

    parsed = parse_script(script)
    errors = [f for f in parsed.findings if f.severity == "error"]
    if errors:
        raise _Failed(errors[0].line, errors[0].message)
    stmts = [
        s for s in parsed.statements if not s.nested and not isinstance(s.node, ast.TransactionStmt)
    ]
    i = 0
    while i < len(stmts):
        j = i + 1
        if stmts[i].in_transaction and not _needs_autocommit(stmts[i].node):
            while (
                j < len(stmts) and stmts[j].in_transaction and not _needs_autocommit(stmts[j].node)
            ):
                j += 1
        _run_block(conn, stmts[i:j], script, result, path)
        i = j


def _run_block(
    conn: Any,
    block: list[Statement],
    script: Script,
    result: CheckResult | None,
    path: str | None,
) -> None:
    """One transaction for ``block`` (none for a statement that refuses one)."""
    import psycopg

    outside = len(block) == 1 and _needs_autocommit(block[0].node)
    held: set[tuple[int, str]] = set()
    stmt = block[0]
    try:
        with nullcontext() if outside else conn.transaction():
            for stmt in block:
                files = _relfiles(conn)
                conn.execute(stmt.text)
                locks: set[tuple[int, str]] = set()
                if not outside:
                    rows = conn.execute(_LOCKS).fetchall()
                    locks = {(int(r[0]), str(r[1])) for r in rows}
                after = _relfiles(conn)
                if result is not None and path is not None:
                    line = 1 if script.generated else stmt.line
                    new = locks - held
                    _record(result, path, line, stmt.node, files, after, new, locks)
                held |= locks
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _Failed(1 if script.generated else stmt.line, message) from exc


def _needs_autocommit(node: Any) -> bool:
    from pglast import ast

    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any((o.defname or "").lower() == "concurrently" for o in node.params or ())
    outside = ast.VacuumStmt | ast.CreatedbStmt | ast.DropdbStmt | ast.AlterSystemStmt
    return isinstance(node, outside)


def _relfiles(conn: Any) -> dict[int, tuple[int, str]]:
    return {int(r[0]): (int(r[1]), str(r[2])) for r in conn.execute(_RELFILES).fetchall()}


def _record(
    result: CheckResult,
    path: str,
    line: int,
    node: Any,
    before: dict[int, tuple[int, str]],
    after: dict[int, tuple[int, str]],
    new: set[tuple[int, str]],
    held: set[tuple[int, str]],
) -> None:
    """Lock records for what this statement newly locked or rewrote.

    The mode reported is the strongest one held on the table once the
    statement ran, which may have been taken by an earlier statement of the
    same transaction: that is the lock traffic waits on during the rewrite.
    """
    from pglast import ast

    def strongest(oid: int) -> str | None:
        modes = [m for o, m in held if o == oid and m in _STRONG]
        return min(modes, key=_STRONG.index) if modes else None

    fresh = {oid for oid, mode in new if oid in before and mode in _STRONG}
    rewritten = {
        oid for oid, (node_id, _) in before.items() if oid in after and after[oid][0] != node_id
    }
    if isinstance(node, ast.TruncateStmt):
        rewritten = set()  # a new empty file, already reported as truncate
    for oid in sorted(fresh | rewritten):
        name = before[oid][1]
        mode = strongest(oid) or "unknown lock (ran outside a transaction)"
        result.locks.append(LockRecord(path, line, name, mode, oid in rewritten))
        if oid in rewritten:
            result.file(path).findings.append(
                finding("table-rewrite", line, f"rewrote {name} holding {mode}")
            )
