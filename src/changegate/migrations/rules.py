"""Every check the engine can report: id, category, default severity, reason, alternative.

One table so the docs, the SARIF rule list and the policy's overrides all read
the same words, and a finding's message always says what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from changegate.migrations.model import Finding, Severity


@dataclass(frozen=True)
class Rule:
    id: str
    category: str  # destructive | rollback | ordering | compat | hazard | input | verify
    severity: Severity
    reason: str
    alternative: str


_RULES = [
    Rule(
        "drop-table",
        "destructive",
        "warning",
        "DROP TABLE deletes the table and its data",
        "copy the data first (CREATE TABLE ... AS) and say how to restore it",
    ),
    Rule(
        "drop-column",
        "destructive",
        "warning",
        "DROP COLUMN deletes the column's data",
        "copy the column first and say how to restore it",
    ),
    Rule(
        "drop-schema",
        "destructive",
        "warning",
        "DROP SCHEMA deletes every object in it",
        "dump the schema first (pg_dump -n) and say how to restore it",
    ),
    Rule(
        "drop-database",
        "destructive",
        "warning",
        "DROP DATABASE deletes a whole database",
        "take a dump first and say how to restore it",
    ),
    Rule(
        "truncate",
        "destructive",
        "warning",
        "TRUNCATE deletes every row",
        "copy the rows first or delete a bounded set with WHERE",
    ),
    Rule(
        "unscoped-delete",
        "destructive",
        "warning",
        "DELETE without WHERE deletes every row",
        "add a WHERE clause or copy the rows first",
    ),
    Rule(
        "unscoped-update",
        "destructive",
        "warning",
        "UPDATE without WHERE overwrites every row",
        "add a WHERE clause or keep the old values in a backup column",
    ),
    Rule(
        "lossy-type-change",
        "destructive",
        "warning",
        "this type change can truncate, round or reject existing values",
        "add a new column, backfill it, and switch readers over",
    ),
    Rule(
        "rollback-missing",
        "rollback",
        "error",
        "destructive migration without a rollback path",
        "add a non-empty down/undo migration or a '-- rollback: ...' / '-- backup: ...' note",
    ),
    Rule(
        "duplicate-version",
        "ordering",
        "error",
        "two migrations share one version",
        "renumber the new migration",
    ),
    Rule(
        "out-of-order",
        "ordering",
        "error",
        "new migration numbered below one already on the base branch",
        "renumber it above the latest migration of the base branch",
    ),
    Rule(
        "modified-migration",
        "ordering",
        "error",
        "migration changed after it was merged; databases that ran it will not rerun it",
        "revert the change and write a new migration",
    ),
    Rule(
        "multiple-heads",
        "ordering",
        "error",
        "several Alembic heads",
        "merge them with `alembic merge heads`",
    ),
    Rule(
        "referenced-by-code",
        "compat",
        "error",
        "renames or drops something the release in production still uses",
        "ship the code change first, then mark this migration '-- changegate: contract'",
    ),
    Rule(
        "not-null-without-default",
        "compat",
        "error",
        "NOT NULL column without default breaks inserts from the running release",
        "add it nullable or with a DEFAULT, backfill, then add NOT NULL in a contract step",
    ),
    Rule(
        "drop-default",
        "compat",
        "error",
        "dropping a default breaks inserts from the running release that rely on it",
        "drop it in a contract step, '-- changegate: contract', after the code stopped relying",
    ),
    Rule(
        "index-not-concurrent",
        "hazard",
        "warning",
        "index built or dropped without CONCURRENTLY blocks writes to the table",
        "use CREATE/DROP INDEX CONCURRENTLY outside a transaction",
    ),
    Rule(
        "constraint-not-valid",
        "hazard",
        "warning",
        "adding a FOREIGN KEY or CHECK validates every row under a lock",
        "add it NOT VALID, then VALIDATE CONSTRAINT in a separate step",
    ),
    Rule(
        "unique-without-index",
        "hazard",
        "warning",
        "UNIQUE/PRIMARY KEY builds its index while blocking writes",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX",
    ),
    Rule(
        "volatile-default",
        "hazard",
        "warning",
        "a volatile default rewrites the whole table under ACCESS EXCLUSIVE",
        "add the column without default, set the default, backfill in batches",
    ),
    Rule(
        "type-change-rewrite",
        "hazard",
        "warning",
        "this type change rewrites the table under ACCESS EXCLUSIVE",
        "add a new column, backfill in batches, and swap",
    ),
    Rule(
        "set-not-null",
        "hazard",
        "warning",
        "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
        "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
    ),
    Rule(
        "vacuum-full",
        "hazard",
        "warning",
        "VACUUM FULL/CLUSTER rewrites the table under ACCESS EXCLUSIVE",
        "use pg_repack or plain VACUUM",
    ),
    Rule(
        "concurrently-in-transaction",
        "hazard",
        "warning",
        "CONCURRENTLY cannot run inside a transaction; the migration will fail",
        "put it in its own non-transactional migration",
    ),
    Rule(
        "lock-timeout",
        "hazard",
        "warning",
        "ACCESS EXCLUSIVE lock taken without lock_timeout can queue all traffic",
        "SET lock_timeout = '5s' at the top of the migration",
    ),
    Rule("syntax-error", "input", "error", "PostgreSQL rejects this SQL", "fix the statement"),
    Rule("not-sql", "input", "error", "not SQL", "remove the file from the migration path"),
    Rule(
        "templated-sql",
        "input",
        "error",
        "templated SQL cannot be checked",
        "check the rendered SQL",
    ),
    Rule(
        "empty-file", "input", "warning", "migration without statements", "delete it or fill it in"
    ),
    Rule(
        "offline-unavailable",
        "input",
        "warning",
        "Alembic offline mode cannot render this revision (it reads the database), so it"
        " was not checked",
        "review it by hand, or keep data-dependent logic out of schema migrations",
    ),
    Rule(
        "suppression-without-reason",
        "input",
        "warning",
        "'changegate: allow' needs a reason and was ignored",
        "write '-- changegate: allow <check> reason: <why>'",
    ),
    Rule(
        "verify-failed",
        "verify",
        "error",
        "the migration failed on a real PostgreSQL",
        "fix the statement so it applies",
    ),
    Rule(
        "down-mismatch",
        "verify",
        "error",
        "the down migration does not restore the schema",
        "make down undo exactly what up does",
    ),
    Rule(
        "table-rewrite",
        "verify",
        "warning",
        "the statement rewrote a table on a real PostgreSQL",
        "see type-change-rewrite",
    ),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def finding(check: str, line: int, detail: str = "", lines: tuple[int, ...] = ()) -> Finding:
    """A finding whose message is ``detail: reason; alternative``."""
    rule = RULES[check]
    head = f"{detail}: " if detail else ""
    return Finding(check, rule.severity, line, f"{head}{rule.reason}; {rule.alternative}", lines)
