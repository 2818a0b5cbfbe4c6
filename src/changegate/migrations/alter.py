"""ALTER TABLE, the statement behind most lock hazards and data loss.

Split from :mod:`statements` because ALTER TABLE alone has a dozen sub-commands
with different locks and different risks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from changegate.migrations.parsing import Statement
from changegate.migrations.statements import (
    _NARROW_TARGETS,
    _SAFE_TARGETS,
    _SERIAL,
    _VOLATILE,
    Reference,
    _no_rewrite,
    _rel,
    _typedesc,
    widening,
)

if TYPE_CHECKING:
    from changegate.migrations.statements import Checker


def check_alter(chk: Checker, node: Any, stmt: Statement) -> None:
    from pglast import enums

    if node.objtype != enums.ObjectType.OBJECT_TABLE:
        return
    table = _rel(node.relation)
    at = enums.AlterTableType
    existing = chk.existing(table)
    for cmd in node.cmds or ():
        sub = cmd.subtype
        if sub == at.AT_AddColumn:
            _add_column(chk, table, cmd.def_, stmt, existing)
        elif sub == at.AT_DropColumn and existing:
            column = str(cmd.name).lower()
            chk.hit("drop-column", stmt.line, f"DROP COLUMN {table}.{column}")
            chk.out.references.append(Reference("drop", table, column, stmt.line))
        elif sub == at.AT_AlterColumnType:
            _type_change(chk, table, str(cmd.name).lower(), cmd.def_, stmt, existing=existing)
        elif sub == at.AT_SetNotNull and existing and table not in chk.validated:
            chk.hit("set-not-null", stmt.line, f"SET NOT NULL on {table}.{cmd.name}")
        elif sub == at.AT_ColumnDefault and cmd.def_ is None and existing:
            chk.hit("drop-default", stmt.line, f"DROP DEFAULT on {table}.{cmd.name}")
        elif sub == at.AT_AddConstraint and existing:
            _constraint(chk, table, cmd.def_, stmt)
        elif sub == at.AT_ValidateConstraint:
            chk.validated.add(table)
            continue
        if sub != at.AT_AddConstraint or _takes_exclusive(cmd.def_):
            chk.exclusive(table, stmt.line)


def _takes_exclusive(constraint: Any) -> bool:
    from pglast import enums

    return bool(constraint is None or constraint.contype != enums.ConstrType.CONSTR_FOREIGN)


def _add_column(chk: Checker, table: str, col: Any, stmt: Statement, existing: bool) -> None:
    from pglast import ast, enums

    ct = enums.ConstrType
    column = str(col.colname).lower()
    desc = _typedesc(col.typeName)
    chk.schema.columns[(table, column)] = desc
    if not existing:
        return
    kinds = {c.contype for c in col.constraints or ()}
    default = next(
        (c.raw_expr for c in col.constraints or () if c.contype == ct.CONSTR_DEFAULT), None
    )
    generated = ct.CONSTR_GENERATED in kinds or ct.CONSTR_IDENTITY in kinds
    if ct.CONSTR_NOTNULL in kinds and default is None and not generated and desc[0] not in _SERIAL:
        chk.hit("not-null-without-default", stmt.line, f"ADD COLUMN {table}.{column} NOT NULL")
    volatile = desc[0] in _SERIAL or ct.CONSTR_GENERATED in kinds or ct.CONSTR_IDENTITY in kinds
    if isinstance(default, ast.FuncCall):
        volatile = volatile or str((default.funcname or ("",))[-1].sval).lower() in _VOLATILE
    if volatile:
        chk.hit("volatile-default", stmt.line, f"ADD COLUMN {table}.{column}")
    if ct.CONSTR_UNIQUE in kinds or ct.CONSTR_PRIMARY in kinds:
        chk.hit("unique-without-index", stmt.line, f"ADD COLUMN {table}.{column} UNIQUE")


def _type_change(
    chk: Checker, table: str, column: str, col: Any, stmt: Statement, *, existing: bool
) -> None:
    new = _typedesc(col.typeName)
    old = chk.schema.columns.get((table, column))
    chk.schema.columns[(table, column)] = new
    if not existing:
        return
    mods = f"({','.join(map(str, new[1]))})" if new[1] else ""
    detail = f"{table}.{column} TYPE {new[0]}{mods}"
    if old is not None:
        lossy = not widening(old, new)
        rewrite = not _no_rewrite(old, new)
        detail += f" (was {old[0]})"
    else:
        with_using = col.raw_default is not None
        lossy = new[0] in _NARROW_TARGETS and (bool(new[1]) or new[0] not in _SAFE_TARGETS)
        lossy = lossy or (with_using and new[0] != "text")
        rewrite = True
    if lossy:
        chk.hit("lossy-type-change", stmt.line, detail)
    elif rewrite:
        chk.hit("type-change-rewrite", stmt.line, detail)


def _constraint(chk: Checker, table: str, con: Any, stmt: Statement) -> None:
    from pglast import enums

    ct = enums.ConstrType
    if con.contype in (ct.CONSTR_FOREIGN, ct.CONSTR_CHECK) and not con.skip_validation:
        kind = "FOREIGN KEY" if con.contype == ct.CONSTR_FOREIGN else "CHECK"
        chk.hit("constraint-not-valid", stmt.line, f"{kind} on {table}")
    elif con.contype in (ct.CONSTR_UNIQUE, ct.CONSTR_PRIMARY, ct.CONSTR_EXCLUSION) and not (
        con.indexname
    ):
        chk.hit("unique-without-index", stmt.line, f"constraint on {table}")
