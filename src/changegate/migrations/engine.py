"""The static check of migration sets: discovery, ordering, statements, verdict.

One pass per set, in apply order, so each migration is judged with what the
earlier ones declared; only migrations that are new (or changed) relative to
the base revision are reported, because the merged ones already ran.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from changegate.adapters.git import Git
from changegate.migrations.compat import CodeSearch
from changegate.migrations.directives import Directives, read_directives
from changegate.migrations.discovery import discover, read_text
from changegate.migrations.model import (
    CheckResult,
    FileReport,
    Finding,
    Migration,
    MigrationSet,
    Settings,
    Suppression,
)
from changegate.migrations.ordering import check_ordering
from changegate.migrations.parsing import is_empty, parse_script
from changegate.migrations.rules import RULES, finding
from changegate.migrations.statements import Checker, Hit, SetSchema

_CONTRACT_EXEMPT = {"referenced-by-code", "not-null-without-default", "drop-default"}


def check(
    root: str | Path,
    settings: Settings | None = None,
    base: str | None = None,
    sets: list[MigrationSet] | None = None,
) -> CheckResult:
    """Check every migration set under ``root`` (a git work tree when ``base`` is given)."""
    settings = settings or Settings()
    root = Path(root)
    if sets is None:
        sets = discover(root, settings.paths, settings.format)
    # The top of the work tree, even when ``root`` is a sub-directory of it: paths
    # given to ``git show REV:PATH`` are relative to the top.
    git = Git.discover(root) if base else None
    if git is not None and base is not None:
        git.rev_parse(base)  # an unknown base is bad input before any work
    result = CheckResult()
    for mset in sets:
        _check_set(mset, root, settings, git, base, result)
    return result


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_set(
    mset: MigrationSet,
    root: Path,
    settings: Settings,
    git: Git | None,
    base: str | None,
    result: CheckResult,
) -> None:
    order = check_ordering(mset, root, git, base)
    search = None
    if git is not None and base is not None:
        excluded = (_rel(mset.root, git.root), *settings.code_exclude)
        search = CodeSearch(git, base, excluded)
    schema = SetSchema()
    unreleased: set[str] = set()
    for mig in mset.migrations:
        fresh = frozenset(unreleased) if base is not None else frozenset()
        checker = Checker(schema, settings.require_lock_timeout, fresh)
        parsed = parse_script(mig.up)
        outcome = checker.run(parsed.statements)
        if id(mig) not in order.new:
            continue
        unreleased |= checker.created
        up_path = _rel(mig.up.path, root)
        report = result.file(up_path)
        findings = [_locate(f, mig) for f in _merge(parsed.findings)]
        if mig.up.problem:
            findings = [finding("offline-unavailable", 1, mig.up.problem)]
        elif mig.up.generated:
            # A revision without SQL (a merge point, a data-only no-op) is normal in Alembic.
            findings = [f for f in findings if f.check != "empty-file"]
        directives = _directives(mig)
        destructive_hits = [h for h in outcome.hits if RULES[h.check].category == "destructive"]
        report.destructive = bool(destructive_hits)
        findings += _group(outcome.hits, mig)
        if search is not None and not directives.contract:
            for ref in outcome.references:
                users = search.users(ref)
                if users:
                    name = f"{ref.table}.{ref.column}" if ref.column else ref.table
                    shown = ", ".join(users[:3]) + (" ..." if len(users) > 3 else "")
                    detail = f"{ref.action} {name} still used by {shown}"
                    findings.append(_locate(finding("referenced-by-code", ref.line, detail), mig))
        if directives.contract:
            findings = [f for f in findings if f.check not in _CONTRACT_EXEMPT]
        if destructive_hits and not _has_rollback(mig, directives):
            first = destructive_hits[0]
            findings.append(_locate(finding("rollback-missing", first.line, first.detail), mig))
        findings += order.findings.pop(up_path, [])
        _finish(report, findings, directives, settings, result)
        if mig.down is not None and not mig.down.generated:
            _check_down(mig, root, result)
    for path, extra in order.findings.items():
        result.file(path).findings.extend(extra)


def _directives(mig: Migration) -> Directives:
    """Directives of the file the author edits, with its own line numbers.

    For Alembic that is the version script, not the generated SQL. A rollback
    note may also sit in a separate down script; nothing else there counts.
    """
    if mig.up.generated:
        return read_directives(read_text(mig.up.path))
    found = read_directives(mig.up.text)
    if mig.down is not None and mig.down.path != mig.up.path:
        found.notes += read_directives(mig.down.text).notes
    return found


def _has_rollback(mig: Migration, directives: Directives) -> bool:
    """A non-empty down/undo script or an inline rollback/backup note."""
    if mig.down is not None and mig.down.problem:
        return True  # a downgrade exists but reads the database; it cannot be judged here
    return directives.has_rollback_note or (mig.down is not None and not is_empty(mig.down.text))


def _check_down(mig: Migration, root: Path, result: CheckResult) -> None:
    """A down script that PostgreSQL rejects is no rollback path at all."""
    assert mig.down is not None
    parsed = parse_script(mig.down)
    bad = [f for f in parsed.findings if f.severity == "error"]
    if bad:
        result.file(_rel(mig.down.path, root)).findings.extend(bad)


def _group(hits: list[Hit], mig: Migration) -> list[Finding]:
    """One finding per check, listing every line it occurred on."""
    by_check: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_check[hit.check].append(hit)
    out = []
    for check_id, group in by_check.items():
        lines = tuple(sorted({h.line for h in group}))
        details = list(dict.fromkeys(h.detail for h in group))
        more = f" (+{len(details) - 3} more)" if len(details) > 3 else ""
        detail = "; ".join(details[:3]) + more
        out.append(_locate(finding(check_id, group[0].line, detail, lines), mig))
    return out


def _merge(findings: list[Finding]) -> list[Finding]:
    """Parse problems of one kind in one file become one finding listing their lines."""
    first: dict[str, Finding] = {}
    lines: dict[str, list[int]] = defaultdict(list)
    for f in findings:
        first.setdefault(f.check, f)
        lines[f.check].append(f.line)
    out = []
    for check_id, f in first.items():
        many = tuple(lines[check_id]) if len(lines[check_id]) > 1 else ()
        out.append(Finding(f.check, f.severity, f.line, f.message, many))
    return out


def _locate(f: Finding, mig: Migration) -> Finding:
    """Generated SQL has no lines in the author's file: point at line 1 and say where."""
    if not mig.up.generated:
        return f
    from changegate.migrations.alembic_offline import source_line

    detail = f.message.split(": ", 1)[0] if ": " in f.message else ""
    where = f" [offline SQL line {f.line}]"
    return Finding(f.check, f.severity, source_line(mig.up.path, detail), f.message + where, ())


def _finish(
    report: FileReport,
    findings: list[Finding],
    directives: Directives,
    settings: Settings,
    result: CheckResult,
) -> None:
    """Apply policy severities and inline suppressions, then store the findings."""
    allowed = {a.check: a for a in directives.allows}
    for number, check_id in directives.unreasoned:
        findings.append(finding("suppression-without-reason", number, check_id))
    for f in findings:
        if f.check in settings.disabled:
            continue
        allow = allowed.get(f.check) or allowed.get("all")
        # Bad input, ordering and a missing rollback path are fixed, not waived: the
        # policy blocks destructive migrations without a rollback or backup note.
        if allow is not None and RULES[f.check].category not in ("input", "ordering", "rollback"):
            result.suppressions.append(Suppression(report.path, allow.line, f.check, allow.reason))
            continue
        severity = settings.severities.get(f.check)
        if severity is None and settings.block_on_hazards and RULES[f.check].category == "hazard":
            severity = "error"
        report.findings.append(f.with_severity(severity) if severity else f)
