"""SQL scripts to statements, with PostgreSQL's own grammar (pglast).

Each statement carries the line the author sees and whether it runs inside a
transaction, because both decide what a check may say about it. Statements
hidden in ``DO`` blocks, in PL/pgSQL functions the script calls, and in literal
``EXECUTE '...'`` strings are surfaced as ordinary statements: a linter that
cannot see them is the easiest one to slip a ``DROP TABLE`` past.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from changegate.migrations.model import Finding, Script

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_SQLISH = re.compile(
    r"\b(create|alter|drop|insert|update|delete|select|begin|set|grant|revoke|comment|"
    r"truncate|with|do|vacuum|cluster|reindex|commit)\b",
    re.I,
)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")
# psql meta-commands (\set, \connect, \i ...) in files meant for psql: not SQL,
# blanked so they neither fail the parse nor shift offsets.
_PSQL_META = re.compile(r"^[ \t]*\\[a-zA-Z!?][^\n]*", re.M)
_LITERAL = re.compile(r"^\s*'((?:[^']|'')*)'\s*$", re.S)


@dataclass(frozen=True)
class Statement:
    """One statement as PostgreSQL will run it."""

    node: Any  # a pglast.ast node
    line: int
    text: str
    in_transaction: bool
    # True for statements found inside a DO block, function body or EXECUTE string.
    nested: bool = False


@dataclass
class Parsed:
    statements: list[Statement] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def is_empty(text: str) -> bool:
    """No statement at all: blank or only comments."""
    return not _COMMENTS.sub("", text).strip()


def parse_script(script: Script) -> Parsed:
    """Statements of ``script``; problems become findings, never exceptions."""
    text = script.text
    out = Parsed()
    if "\x00" in text:
        out.findings.append(
            Finding("not-sql", "error", 1, "binary file, not SQL: remove it from the migrations")
        )
        return out
    if is_empty(text):
        out.findings.append(
            Finding("empty-file", "warning", 1, "empty migration: it contains no statement")
        )
        return out
    tmpl = _TEMPLATE.search(text)
    if tmpl:
        out.findings.append(
            Finding(
                "templated-sql",
                "error",
                line_of(text, tmpl.start()),
                f"templated SQL ({tmpl.group(0)[:30]!r}) cannot be checked; "
                "point changegate at the rendered SQL instead",
            )
        )
        return out
    raw = _split(_PSQL_META.sub(lambda m: " " * len(m.group(0)), text), out)
    implicit = script.implicit_transaction
    if implicit and script.alone_runs_outside and raw:
        implicit = not all(_non_transactional(node) for node, _, _ in raw)
    _track_transactions(text, raw, implicit, out)
    if not out.statements and out.findings and not _SQLISH.search(text):
        out.findings[:] = [
            Finding("not-sql", "error", 1, "not SQL: no statement could be parsed in this file")
        ]
    return out


def _non_transactional(node: Any) -> bool:
    """Statements PostgreSQL refuses to run inside a transaction block (SET is neutral)."""
    from pglast import ast

    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any((o.defname or "").lower() == "concurrently" for o in node.params or ())
    return isinstance(node, ast.VacuumStmt | ast.VariableSetStmt)


def _split(text: str, out: Parsed) -> list[tuple[Any, int, str]]:
    """(node, offset, text) per top-level statement; a bad one becomes a finding."""
    import pglast
    from pglast import parser

    try:
        parsed = pglast.parse_sql(text)
    except parser.ParseError:
        return _split_slowly(text, out)
    result = []
    for raw in parsed:
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text)
        result.append((raw.stmt, start, text[start:end]))
    return result


def _split_slowly(text: str, out: Parsed) -> list[tuple[Any, int, str]]:
    """Split on the scanner's semicolons and parse piece by piece.

    Used only after a syntax error, so the statements around the bad one are
    still checked and the error names its own line.
    """
    import pglast
    from pglast import parser

    try:
        tokens = parser.scan(text)
    except parser.ParseError as exc:
        out.findings.append(_syntax(text, _where(exc, 0), str(exc.args[0])))
        return []
    bounds: list[tuple[int, int]] = []
    start = 0
    for tok in tokens:
        if tok.name == "ASCII_59":
            bounds.append((start, tok.start))
            start = tok.end + 1
    bounds.append((start, len(text)))
    result = []
    for b, e in bounds:
        chunk = text[b:e]
        if is_empty(chunk):
            continue
        lead = len(chunk) - len(chunk.lstrip())
        try:
            stmts = pglast.parse_sql(chunk)
        except parser.ParseError as exc:
            out.findings.append(_syntax(text, b + _where(exc, lead), str(exc.args[0])))
            continue
        for raw in stmts:
            s = b + (raw.stmt_location or 0)
            result.append((raw.stmt, s, chunk[raw.stmt_location or 0 :].strip()))
    return result


def _where(exc: Exception, default: int) -> int:
    """The error's character offset; pglast leaves it out for some errors."""
    loc = exc.args[1] if len(exc.args) > 1 else None
    return loc if isinstance(loc, int) else default


def _syntax(text: str, offset: int, message: str) -> Finding:
    return Finding(
        "syntax-error",
        "error",
        line_of(text, offset),
        f"{message}: PostgreSQL would reject this migration; fix the SQL",
    )


def _track_transactions(
    text: str, raw: list[tuple[Any, int, str]], implicit: bool, out: Parsed
) -> None:
    from pglast import ast, enums

    in_tx = implicit
    kinds = enums.TransactionStmtKind
    for node, offset, stmt_text in raw:
        line = line_of(text, offset)
        if isinstance(node, ast.TransactionStmt):
            if node.kind in (kinds.TRANS_STMT_BEGIN, kinds.TRANS_STMT_START):
                in_tx = True
            elif node.kind in (kinds.TRANS_STMT_COMMIT, kinds.TRANS_STMT_ROLLBACK):
                in_tx = False
        out.statements.append(Statement(node, line, stmt_text, in_tx))
    _add_nested(out)


def _add_nested(out: Parsed) -> None:
    """Append statements hidden in DO blocks, called functions and EXECUTE strings."""
    from pglast import ast

    ordered: list[Statement] = []
    for idx, stmt in enumerate(out.statements):
        ordered.append(stmt)
        node = stmt.node
        if isinstance(node, ast.DoStmt):
            if _language(node.args) in ("plpgsql", None):
                ordered.extend(_plpgsql_statements(stmt))
        elif isinstance(node, ast.CreateFunctionStmt):
            name = str((node.funcname or ("",))[-1].sval)
            later = " ".join(s.text for s in out.statements[idx + 1 :])
            if not re.search(rf"\b{re.escape(name)}\s*\(", later, re.I):
                continue  # defined but never run by this migration
            if _language(node.options) == "plpgsql":
                ordered.extend(_plpgsql_statements(stmt))
            elif _language(node.options) == "sql":
                ordered.extend(_sql_body_statements(stmt, node))
    out.statements[:] = ordered


def _language(options: Any) -> str | None:
    for opt in options or ():
        if getattr(opt, "defname", None) == "language":
            return str(opt.arg.sval).lower()
    return None


def _plpgsql_statements(stmt: Statement) -> list[Statement]:
    import pglast

    try:
        tree = pglast.parse_plpgsql(stmt.text)
    except Exception:  # a body PL/pgSQL cannot read is checked by the server, not us
        return []
    body = _DOLLAR.search(stmt.text)
    first = stmt.line + line_of(stmt.text, body.start() if body else 0) - 2
    found: list[Statement] = []

    def walk(obj: Any, lineno: int) -> None:
        if isinstance(obj, list):
            for item in obj:
                walk(item, lineno)
            return
        if not isinstance(obj, dict):
            return
        lineno = int(obj.get("lineno", lineno))
        for key, value in obj.items():
            if key == "PLpgSQL_stmt_execsql":
                query = value["sqlstmt"]["PLpgSQL_expr"]["query"]
                found.extend(_parse_nested(query, stmt, first + int(value.get("lineno", 1))))
            elif key == "PLpgSQL_stmt_dynexecute":
                query = value["query"]["PLpgSQL_expr"]["query"]
                literal = _LITERAL.match(query)
                if literal:
                    sql = literal.group(1).replace("''", "'")
                    found.extend(_parse_nested(sql, stmt, first + int(value.get("lineno", 1))))
            else:
                walk(value, lineno)

    walk(tree, 1)
    return found


def _sql_body_statements(stmt: Statement, node: Any) -> list[Statement]:
    for opt in node.options or ():
        if opt.defname == "as" and opt.arg:
            body = opt.arg[0].sval
            return _parse_nested(body, stmt, stmt.line)
    return []


def _parse_nested(sql: str, parent: Statement, line: int) -> list[Statement]:
    import pglast
    from pglast import parser

    try:
        parsed = pglast.parse_sql(sql)
    except parser.ParseError:
        return []
    return [Statement(raw.stmt, line, sql, True, nested=True) for raw in parsed]
