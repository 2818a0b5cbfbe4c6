"""A migration script cut into the statements the runner sends one by one.

Statements go one at a time so a failure names its line, and so the runner
can tell which ones PostgreSQL refuses inside a transaction block. Cutting on
``;`` would break PL/pgSQL ``$$`` bodies and SQLite trigger bodies, so each
dialect's own tokenizer decides: pglast (PostgreSQL's parser) and
``sqlite3.complete_statement``.

Statements that must run outside a transaction: on PostgreSQL ``CREATE/DROP
INDEX CONCURRENTLY``, ``REINDEX ... CONCURRENTLY``, ``VACUUM``, ``CREATE/DROP
DATABASE``, ``CREATE/DROP TABLESPACE``, ``ALTER SYSTEM`` and, before
PostgreSQL 12, ``ALTER TYPE ... ADD VALUE``; on SQLite ``VACUUM``. A
``-- changegate: no-transaction`` comment marks a whole script.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from changegate.errors import InputError
from changegate.migrations.parsing import line_of

NO_TRANSACTION = re.compile(r"^[ \t]*--[ \t]*changegate[ \t]*:[ \t]*no-transaction\b", re.I | re.M)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_SQLITE_CONTROL = re.compile(r"^(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@dataclass(frozen=True)
class Statement:
    text: str
    line: int
    outside: bool  # must run outside a transaction block


def bare(text: str) -> str:
    """The statement without comments, semicolons and surrounding blanks."""
    return _COMMENTS.sub(" ", text).strip().strip(";").strip()


def split(
    text: str,
    dialect: str,
    path: Path,
    server_version: int = 0,
    *,
    own_transactions: bool = False,
) -> list[Statement]:
    """Statements of one script, with a wrapping ``BEGIN; ... COMMIT;`` removed.

    The runner owns the transaction (it commits the tracking row with the
    migration), so a script's own wrapping pair is redundant and dropped; any
    other transaction control would commit half a migration and is refused,
    unless the script runs outside a transaction (``own_transactions``), where
    its author manages transactions.
    """
    found = _postgres(text, path, server_version) if dialect == "postgresql" else _sqlite(text)
    if own_transactions:
        return [s for s, _ in found]
    return _unwrap(found, path)


def _unwrap(found: list[tuple[Statement, bool]], path: Path) -> list[Statement]:
    controls = [i for i, (_, control) in enumerate(found) if control]
    if not controls:
        return [s for s, _ in found]
    words = [bare(found[i][0].text).split()[0].upper() for i in controls]
    if (
        controls == [0, len(found) - 1]
        and words[0] in ("BEGIN", "START")
        and words[1]
        in (
            "COMMIT",
            "END",
        )
    ):
        return [s for s, _ in found[1:-1]]
    stmt = found[controls[0]][0]
    raise InputError(
        f"{path}:{stmt.line}: transaction control ({words[0]}) inside a migration; the runner "
        "runs each migration in its own transaction: remove it (or mark the file "
        "'-- changegate: no-transaction')"
    )


def _postgres(text: str, path: Path, server_version: int) -> list[tuple[Statement, bool]]:
    import pglast
    from pglast import ast, parser

    try:
        parsed = pglast.parse_sql(text)
    except parser.ParseError as exc:
        where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        raise InputError(
            f"{path}:{line_of(text, where)}: {exc.args[0]}; PostgreSQL would reject this "
            "migration: fix the SQL (psql meta-commands such as \\set cannot run here)"
        ) from exc
    out = []
    for raw in parsed:
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text)
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        stmt = Statement(
            chunk.strip(), line_of(text, start + lead), _pg_outside(raw.stmt, server_version)
        )
        out.append((stmt, isinstance(raw.stmt, ast.TransactionStmt)))
    return out


def _pg_outside(node: Any, server_version: int) -> bool:
    from pglast import ast

    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any((o.defname or "").lower() == "concurrently" for o in node.params or ())
    if isinstance(node, ast.AlterEnumStmt):
        # ADD VALUE joined transactions in PostgreSQL 12; RENAME VALUE always could.
        return node.newVal is not None and node.oldVal is None and 0 < server_version < 120000
    return isinstance(
        node,
        ast.VacuumStmt
        | ast.CreatedbStmt
        | ast.DropdbStmt
        | ast.CreateTableSpaceStmt
        | ast.DropTableSpaceStmt
        | ast.AlterSystemStmt,
    )


def _sqlite(text: str) -> list[tuple[Statement, bool]]:
    """Cut at each ``;`` that ends a complete statement (strings, comments and
    ``CREATE TRIGGER ... BEGIN ... END;`` bodies are SQLite's to judge)."""
    out: list[tuple[Statement, bool]] = []
    start = pos = 0
    while (semi := text.find(";", pos)) != -1:
        pos = semi + 1
        chunk = text[start:pos]
        if sqlite3.complete_statement(chunk):
            _add_sqlite(out, text, start, chunk)
            start = pos
    _add_sqlite(out, text, start, text[start:])
    return out


def _add_sqlite(out: list[tuple[Statement, bool]], text: str, start: int, chunk: str) -> None:
    content = bare(chunk)
    if not content:
        return
    lead = len(chunk) - len(chunk.lstrip())
    outside = bool(re.match(r"VACUUM\b", content, re.I))
    stmt = Statement(chunk.strip(), line_of(text, start + lead), outside)
    out.append((stmt, bool(_SQLITE_CONTROL.match(content))))
