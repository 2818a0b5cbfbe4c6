"""Static checks over the statements of one up migration.

The checks only see SQL, so they lean on two facts the SQL does give us:
objects created earlier in the same migration are new and empty (changing them
is harmless), and column types declared by earlier migrations of the set tell
whether a type change widens or loses data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from changegate.migrations.parsing import Statement

TypeDesc = tuple[str, tuple[int, ...]]

_VOLATILE = {
    "random",
    "clock_timestamp",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "nextval",
    "timeofday",
    "txid_current",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1mc",
}
_SERIAL = {"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"}
_INT_RANK = {"int2": 1, "int4": 2, "int8": 3, "numeric": 4}
_CHAR = {"varchar", "bpchar", "text"}
_SAFE_TARGETS = {"text", "int8", "float8", "jsonb", "numeric", "varchar"}
_NARROW_TARGETS = {"int2", "int4", "float4", "date", "bool", "time", "numeric", "varchar", "bpchar"}


@dataclass(frozen=True)
class Hit:
    check: str
    line: int
    detail: str


@dataclass(frozen=True)
class Reference:
    """A rename or drop the code of the running release may still use."""

    action: str  # "drop" | "rename"
    table: str
    column: str | None
    line: int


@dataclass
class SetSchema:
    """Column types declared so far in the set, to judge later type changes."""

    columns: dict[tuple[str, str], TypeDesc] = field(default_factory=dict)


@dataclass
class Outcome:
    hits: list[Hit] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


def _rel(rangevar: Any) -> str:
    return str(rangevar.relname).lower() if rangevar is not None else ""


def _typedesc(type_name: Any) -> TypeDesc:
    name = str(type_name.names[-1].sval).lower()
    mods: list[int] = []
    for mod in type_name.typmods or ():
        val = getattr(getattr(mod, "val", None), "ival", None)
        if isinstance(val, int):
            mods.append(val)
    return name, tuple(mods)


_ALIAS = {
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
    "smallserial": "int2",
    "serial2": "int2",
}


def widening(old: TypeDesc, new: TypeDesc) -> bool:
    """True when every value of ``old`` survives unchanged in ``new``."""
    (o, om), (n, nm) = (_ALIAS.get(old[0], old[0]), old[1]), new
    if n == "text" or (n == o and not nm):
        return True
    if o in _CHAR and n in ("varchar", "bpchar"):
        return o != "text" and bool(om) and (not nm or nm[0] >= om[0])
    if o in _INT_RANK and n in _INT_RANK:
        if o == "numeric" or n == "numeric":
            return _numeric_fits(o, om, n, nm)
        return _INT_RANK[n] >= _INT_RANK[o]
    return (o, n) in {
        ("float4", "float8"),
        ("timestamp", "timestamptz"),
        ("json", "jsonb"),
        ("cidr", "inet"),
    }


def _numeric_fits(o: str, om: tuple[int, ...], n: str, nm: tuple[int, ...]) -> bool:
    if n != "numeric":
        return False
    if not nm:
        return True
    if o != "numeric":
        digits = {"int2": 5, "int4": 10, "int8": 19}[o]
        return nm[0] - (nm[1] if len(nm) > 1 else 0) >= digits
    if not om:
        return False
    os_, ns = (om[1] if len(om) > 1 else 0), (nm[1] if len(nm) > 1 else 0)
    return ns >= os_ and nm[0] - ns >= om[0] - os_


def _no_rewrite(old: TypeDesc, new: TypeDesc) -> bool:
    (o, om), (n, nm) = old, new
    if o in ("varchar", "text") and n in ("varchar", "text"):
        return True
    return o == n == "numeric" and widening(old, new) and (om[1:] == nm[1:])


def _every_row(where: Any) -> bool:
    """No WHERE, or one that is always true (``WHERE true``, ``WHERE 1 = 1``)."""
    from pglast import ast

    if where is None:
        return True
    if isinstance(where, ast.A_Const):
        return getattr(where.val, "boolval", False) is True
    if isinstance(where, ast.A_Expr) and isinstance(where.lexpr, ast.A_Const):
        op = [n.sval for n in where.name or ()]
        return (
            op == ["="]
            and isinstance(where.rexpr, ast.A_Const)
            and (repr(where.lexpr.val) == repr(where.rexpr.val))
        )
    if isinstance(where, ast.BoolExpr) and where.boolop == 0:  # AND of always-true terms
        return all(_every_row(arg) for arg in where.args or ())
    return False


class Checker:
    """Walks one migration's statements in order, remembering what it created."""

    def __init__(
        self,
        schema: SetSchema,
        require_lock_timeout: bool = True,
        unreleased: frozenset[str] = frozenset(),
    ) -> None:
        self.schema = schema
        self.require_lock_timeout = require_lock_timeout
        # Tables created by migrations not yet in production are as empty as our own.
        self.created: set[str] = set(unreleased)
        self.created_indexes: set[str] = set()
        self.validated: set[str] = set()
        self.lock_timeout = False
        self.out = Outcome()

    def hit(self, check: str, line: int, detail: str) -> None:
        self.out.hits.append(Hit(check, line, detail))

    def existing(self, table: str) -> bool:
        return bool(table) and table not in self.created

    def exclusive(self, table: str, line: int) -> None:
        """An ACCESS EXCLUSIVE lock on ``table``: needs a lock_timeout if it is not new."""
        if self.require_lock_timeout and self.existing(table) and not self.lock_timeout:
            self.hit("lock-timeout", line, f"{table}")

    def run(self, statements: list[Statement]) -> Outcome:
        from pglast import ast

        handlers: dict[type, Any] = {
            ast.CreateStmt: self._create,
            ast.CreateTableAsStmt: self._create_as,
            ast.DropStmt: self._drop,
            ast.DropdbStmt: self._dropdb,
            ast.TruncateStmt: self._truncate,
            ast.DeleteStmt: self._delete,
            ast.UpdateStmt: self._update,
            ast.AlterTableStmt: self._alter,
            ast.RenameStmt: self._rename,
            ast.IndexStmt: self._index,
            ast.VacuumStmt: self._vacuum,
            ast.ClusterStmt: self._cluster,
            ast.VariableSetStmt: self._set,
            ast.SelectStmt: self._select,
            ast.ReindexStmt: self._reindex,
        }
        for stmt in statements:
            handler = handlers.get(type(stmt.node))
            if handler is not None:
                handler(stmt.node, stmt)
        return self.out

    def _create(self, node: Any, stmt: Statement) -> None:
        table = _rel(node.relation)
        self.created.add(table)
        for elt in node.tableElts or ():
            if type(elt).__name__ == "ColumnDef" and elt.typeName is not None:
                self.schema.columns[(table, str(elt.colname).lower())] = _typedesc(elt.typeName)

    def _create_as(self, node: Any, stmt: Statement) -> None:
        self.created.add(_rel(node.into.rel))

    def _drop(self, node: Any, stmt: Statement) -> None:
        from pglast import enums

        kind = node.removeType
        names = [
            ".".join(p.sval for p in obj) if isinstance(obj, tuple) else str(obj)
            for obj in node.objects or ()
        ]
        if kind == enums.ObjectType.OBJECT_TABLE:
            for name in names:
                table = name.split(".")[-1].lower()
                if self.existing(table):
                    self.hit("drop-table", stmt.line, f"DROP TABLE {name}")
                    self.out.references.append(Reference("drop", table, None, stmt.line))
                    self.exclusive(table, stmt.line)
        elif kind == enums.ObjectType.OBJECT_SCHEMA:
            self.hit("drop-schema", stmt.line, f"DROP SCHEMA {', '.join(names)}")
        elif kind == enums.ObjectType.OBJECT_INDEX:
            fresh = all(n.split(".")[-1].lower() in self.created_indexes for n in names)
            if node.concurrent and stmt.in_transaction:
                self.hit("concurrently-in-transaction", stmt.line, "DROP INDEX CONCURRENTLY")
            elif not node.concurrent and not fresh:
                self.hit("index-not-concurrent", stmt.line, f"DROP INDEX {', '.join(names)}")

    def _dropdb(self, node: Any, stmt: Statement) -> None:
        self.hit("drop-database", stmt.line, f"DROP DATABASE {node.dbname}")

    def _truncate(self, node: Any, stmt: Statement) -> None:
        for rel in node.relations or ():
            if self.existing(_rel(rel)):
                self.hit("truncate", stmt.line, f"TRUNCATE {_rel(rel)}")
                self.exclusive(_rel(rel), stmt.line)

    def _delete(self, node: Any, stmt: Statement) -> None:
        table = _rel(node.relation)
        if _every_row(node.whereClause) and self.existing(table):
            self.hit("unscoped-delete", stmt.line, f"DELETE FROM {table}")

    def _update(self, node: Any, stmt: Statement) -> None:
        table = _rel(node.relation)
        # A FROM list without WHERE joins every row, so it scopes nothing.
        if _every_row(node.whereClause) and self.existing(table):
            self.hit("unscoped-update", stmt.line, f"UPDATE {table}")

    def _select(self, node: Any, stmt: Statement) -> None:
        if "lock_timeout" in stmt.text.lower() and "set_config" in stmt.text.lower():
            self.lock_timeout = True

    def _set(self, node: Any, stmt: Statement) -> None:
        if (node.name or "").lower() == "lock_timeout":
            # ``SET lock_timeout = 0`` (or RESET) switches the protection off again.
            vals = [getattr(a, "val", None) for a in node.args or ()]
            values = [str(getattr(v, "sval", getattr(v, "ival", ""))) for v in vals]
            self.lock_timeout = bool(values) and values != ["0"]

    def _vacuum(self, node: Any, stmt: Statement) -> None:
        full = any((opt.defname or "").lower() == "full" for opt in node.options or ())
        if full and node.is_vacuumcmd:
            self.hit("vacuum-full", stmt.line, "VACUUM FULL")

    def _cluster(self, node: Any, stmt: Statement) -> None:
        self.hit("vacuum-full", stmt.line, "CLUSTER")

    def _reindex(self, node: Any, stmt: Statement) -> None:
        concurrent = any((o.defname or "").lower() == "concurrently" for o in node.params or ())
        if concurrent and stmt.in_transaction:
            self.hit("concurrently-in-transaction", stmt.line, "REINDEX CONCURRENTLY")

    def _index(self, node: Any, stmt: Statement) -> None:
        table = _rel(node.relation)
        if node.idxname:
            self.created_indexes.add(str(node.idxname).lower())
        if node.concurrent and stmt.in_transaction:
            self.hit("concurrently-in-transaction", stmt.line, "CREATE INDEX CONCURRENTLY")
        elif not node.concurrent and self.existing(table):
            self.hit("index-not-concurrent", stmt.line, f"CREATE INDEX on {table}")

    def _rename(self, node: Any, stmt: Statement) -> None:
        from pglast import enums

        table = _rel(node.relation)
        if not self.existing(table):
            return
        kind = node.renameType
        if kind == enums.ObjectType.OBJECT_TABLE:
            self.out.references.append(Reference("rename", table, None, stmt.line))
            self.exclusive(table, stmt.line)
        elif kind == enums.ObjectType.OBJECT_COLUMN:
            column = str(node.subname).lower()
            self.out.references.append(Reference("rename", table, column, stmt.line))
            self.exclusive(table, stmt.line)

    def _alter(self, node: Any, stmt: Statement) -> None:
        from changegate.migrations.alter import check_alter

        check_alter(self, node, stmt)
