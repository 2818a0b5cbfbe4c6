"""A comparable dump of a database schema, read from PostgreSQL's catalogs.

Sets of plain tuples rather than ``pg_dump`` text, so two dumps compare
without caring about object order and a difference names the object that
changed. Column positions are left out on purpose: a down migration that
re-adds a dropped column puts it last, which no query can tell apart.
"""

from __future__ import annotations

from typing import Any

_USER = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
)

_QUERIES = {
    "schema": "SELECT n.nspname FROM pg_namespace n WHERE " + _USER,
    "relation": (
        "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE {_USER} AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f')"
    ),
    "column": (
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
        "a.attnotnull::text, coalesce(pg_get_expr(d.adbin, d.adrelid), '') "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        f"WHERE {_USER} AND a.attnum > 0 AND NOT a.attisdropped "
        "AND c.relkind IN ('r', 'v', 'm', 'p', 'f')"
    ),
    "constraint": (
        "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid) "
        "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER}"
    ),
    "index": (
        "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    ),
    "function": (
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) "
        f"FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {_USER}"
    ),
    "enum": (
        "SELECT n.nspname, t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
        f"JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {_USER} "
        "GROUP BY n.nspname, t.typname"
    ),
    "view": (
        "SELECT n.nspname, c.relname, pg_get_viewdef(c.oid) FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER} AND c.relkind IN ('v', 'm')"
    ),
}

Dump = frozenset[tuple[str, ...]]


def dump(conn: Any) -> Dump:
    """Every schema object of the connected database as ``(kind, name..., definition)``."""
    rows: set[tuple[str, ...]] = set()
    for kind, sql in _QUERIES.items():
        for row in conn.execute(sql).fetchall():
            rows.add((kind, *(str(v) for v in row)))
    return frozenset(rows)


def diff(expected: Dump, actual: Dump, limit: int = 4) -> list[str]:
    """Human lines: ``missing ...`` for objects lost, ``extra ...`` for objects left over."""
    lines = [f"missing {' '.join(r)}" for r in sorted(expected - actual)]
    lines += [f"extra {' '.join(r)}" for r in sorted(actual - expected)]
    if len(lines) > limit:
        lines = [*lines[:limit], f"(+{len(lines) - limit} more)"]
    return lines
