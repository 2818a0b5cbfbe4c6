"""Alembic migrations as SQL, through Alembic's own offline mode.

Reading the Python of a version script would mean re-implementing Alembic;
``alembic upgrade --sql`` renders exactly the SQL the tool would run, so we
check that and point findings at the version script it came from.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from pathlib import Path

from changegate.adapters.proc import run
from changegate.errors import InputError
from changegate.migrations.model import Migration, MigrationSet, Script

_MARK = re.compile(r"^-- Running (upgrade|downgrade) (\S*)[ \t]*->[ \t]*(\S*)[ \t]*$", re.M)
_BOOKKEEPING = re.compile(
    r"^(?:(?:INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE) alembic_version\b[^;]*;"
    r"|BEGIN;|COMMIT;)[ \t]*$",
    re.M | re.S,
)
_OFFLINE_URL = "postgresql://changegate@localhost/offline"


def _literal(node: ast.expr | None) -> tuple[str, ...]:
    """Revision ids in an assignment value: a string, None, or a tuple/list of strings."""
    if node is None:
        return ()
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def read_graph(versions: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """revision -> (script, down revisions), read without importing the scripts."""
    graph: dict[str, tuple[Path, tuple[str, ...]]] = {}
    for path in sorted(versions.rglob("*.py")):
        try:
            tree = ast.parse(path.read_bytes())
        except SyntaxError as exc:
            raise InputError(
                f"{path}:{exc.lineno}: Alembic version script is not valid Python"
            ) from exc
        values: dict[str, ast.expr | None] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                values[node.target.id] = node.value
        rev = _literal(values.get("revision"))
        if rev:
            graph[rev[0]] = (path, _literal(values.get("down_revision")))
    return graph


def heads(graph: dict[str, tuple[Path, tuple[str, ...]]]) -> list[str]:
    """Revisions no other revision builds on; more than one means an unmerged branch."""
    parents = {d for _, downs in graph.values() for d in downs}
    return sorted(r for r in graph if r not in parents)


def _script_location(directory: Path) -> tuple[Path, Path | None]:
    """(script directory, alembic.ini or None) for a directory the user pointed at."""
    ini = directory / "alembic.ini"
    if not ini.exists() and (directory.parent / "alembic.ini").exists():
        return directory.resolve(), directory.parent / "alembic.ini"
    if ini.exists():
        m = re.search(r"^script_location\s*=\s*(.+)$", ini.read_text(), re.M)
        loc = m.group(1).strip().replace("%(here)s", str(directory)) if m else "alembic"
        return (directory / loc).resolve(), ini
    return directory.resolve(), None


# One interpreter for every offline command: Alembic's import dominates the cost.
# A command that fails (a revision reading the database cannot render offline)
# is reported between markers and does not stop the others.
_RUNNER = """\
import json, sys
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
ini, commands = sys.argv[1], json.loads(sys.argv[2])
config = Config(ini)
scripts = ScriptDirectory.from_config(config)
# Every command reads the same versions: import them once, not once per command.
ScriptDirectory.from_config = classmethod(lambda cls, cfg: scripts)
for n, (name, rev) in enumerate(commands):
    print(f"-- changegate:begin {n}", flush=True)
    try:
        getattr(command, name)(config, rev, sql=True)
    except Exception as exc:
        sys.stdout.flush()
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"-- changegate:failed {type(exc).__name__}: {first}", flush=True)
    sys.stdout.flush()
"""
_BEGIN = re.compile(r"^-- changegate:begin \d+\n", re.M)
_FAILED = re.compile(r"^-- changegate:failed (.*)$", re.M)


_LOGGING = """
[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
[formatter_generic]
format = %%(levelname)s %%(message)s
"""


def _ini_text(script_dir: Path, user_ini: Path | None) -> str:
    """The user's alembic.ini (env.py may read its options and logging sections) pointed
    at the script directory, with a placeholder URL when it has none: offline mode
    never connects."""
    import configparser
    import io

    parser = configparser.RawConfigParser()
    parser.read_string(user_ini.read_text() if user_ini is not None else _LOGGING)
    if not parser.has_section("alembic"):
        parser.add_section("alembic")
    parser.set("alembic", "script_location", str(script_dir))
    if not parser.get("alembic", "sqlalchemy.url", fallback="").strip():
        parser.set("alembic", "sqlalchemy.url", _OFFLINE_URL)
    parser.remove_option("alembic", "version_locations")
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def _offline(
    script_dir: Path, commands: list[tuple[str, str]], user_ini: Path | None = None
) -> list[tuple[str, str | None]]:
    """(SQL, error or None) of ``alembic <name> <rev> --sql`` per command, in one process."""
    import json

    with tempfile.TemporaryDirectory(prefix="changegate-alembic-") as tmp:
        ini = Path(tmp) / "alembic.ini"
        ini.write_text(_ini_text(script_dir, user_ini))
        res = run(
            [sys.executable, "-c", _RUNNER, str(ini), json.dumps(commands)],
            cwd=script_dir.parent,
            timeout=300,
        )
    if not res.ok:
        last = (res.err.strip() or res.out.strip() or "failed").splitlines()[-1]
        raise InputError(f"{script_dir}: alembic offline mode failed: {last}")
    results: list[tuple[str, str | None]] = []
    for part in _BEGIN.split(res.out)[1:]:
        failed = _FAILED.search(part)
        results.append((part[: failed.start()], failed.group(1)) if failed else (part, None))
    return results


def _chunks(sql: str) -> dict[tuple[str, str, str], str]:
    """Split offline output at Alembic's ``-- Running`` markers: (direction, from, to) -> SQL."""
    marks = list(_MARK.finditer(sql))
    out: dict[tuple[str, str, str], str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(sql)
        body = _BOOKKEEPING.sub("", sql[m.end() : end]).strip()
        out[(m.group(1), m.group(2), m.group(3))] = body + "\n" if body else ""
    return out


def alembic_set(directory: Path, root: Path) -> MigrationSet:
    """The Alembic revisions under ``directory`` with their offline up and down SQL."""
    script_dir, user_ini = _script_location(directory)
    versions = script_dir / "versions"
    if not versions.is_dir():
        raise InputError(f"{script_dir}: no versions/ directory; is this an Alembic project?")
    graph = read_graph(versions)
    tops = heads(graph)
    ordered = _topological(graph)
    chunks, problems = _render(script_dir, user_ini, graph, ordered, tops)
    migrations = []
    for index, rev in enumerate(ordered):
        path, parents = graph[rev]
        parent = ",".join(parents)
        up_sql = next((v for (d, _, b), v in chunks.items() if d == "upgrade" and b == rev), "")
        down_sql = next((v for (d, a, _), v in chunks.items() if d == "downgrade" and a == rev), "")
        migrations.append(
            Migration(
                f"{index + 1:04d}-{rev}",
                f"{rev} (down: {parent or 'base'})",
                Script(path, up_sql, True, generated=True, problem=problems.get(("up", rev))),
                Script(path, down_sql, True, generated=True, problem=problems.get(("down", rev))),
                "alembic",
                (_rel(path, root),),
            )
        )
    graph_edges = {rev: downs_ for rev, (_, downs_) in graph.items()}
    return MigrationSet(directory, "alembic", tuple(migrations), graph_edges)


def _render(
    script_dir: Path,
    user_ini: Path | None,
    graph: dict[str, tuple[Path, tuple[str, ...]]],
    ordered: list[str],
    tops: list[str],
) -> tuple[dict[tuple[str, str, str], str], dict[tuple[str, str], str]]:
    """Offline SQL chunks for every revision, and why some could not be rendered.

    The whole history renders in one go when it can; when one revision cannot
    (it reads the database), each revision is rendered on its own so only that
    one goes unchecked.
    """
    chunks: dict[tuple[str, str, str], str] = {}
    problems: dict[tuple[str, str], str] = {}
    if not graph:
        return chunks, problems
    commands = [("upgrade", "heads"), *(("downgrade", f"{head}:base") for head in tops)]
    results = _offline(script_dir, commands, user_ini)
    if all(err is None for _, err in results):
        for sql, _ in results:
            chunks.update(_chunks(sql))
        return chunks, problems
    commands = []
    for rev in ordered:
        parents = graph[rev][1]
        commands.append(("upgrade", f"{parents[0]}:{rev}" if parents else rev))
        commands.append(("downgrade", f"{rev}:{parents[0] if parents else 'base'}"))
    results = _offline(script_dir, commands, user_ini)
    for (name, _), (sql, err), rev in zip(
        commands, results, [r for r in ordered for _ in (0, 1)], strict=True
    ):
        if err is None:
            chunks.update(_chunks(sql))
        else:
            problems[("up" if name == "upgrade" else "down", rev)] = err
    if len(problems) == len(commands):
        first = next(iter(problems.values()))
        raise InputError(f"{script_dir}: alembic offline mode failed: {first}")
    return chunks, problems


def _rel(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


def _topological(graph: dict[str, tuple[Path, tuple[str, ...]]]) -> list[str]:
    """Revisions parents-first; a cycle or dangling parent keeps file order."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(rev: str, stack: frozenset[str]) -> None:
        if rev in seen or rev in stack or rev not in graph:
            return
        for parent in graph[rev][1]:
            visit(parent, stack | {rev})
        seen.add(rev)
        done.append(rev)

    for rev in graph:
        visit(rev, frozenset())
    return done


def source_line(path: Path, detail: str, function: str = "upgrade") -> int:
    """Best line in a version script for a finding about ``detail`` (e.g. ``users.email``).

    Offline SQL has no link back to the Python, so we look in ``upgrade()`` for
    the most specific name the finding mentions; failing that, the ``def`` line.
    """
    try:
        source = path.read_text(errors="replace")
        tree = ast.parse(source)
    except (OSError, SyntaxError):
        return 1
    func = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function), None
    )
    if func is None:
        return 1
    lines = source.splitlines()[func.lineno - 1 : func.end_lineno or func.lineno]
    words = [w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", detail) if not w.isupper()]
    for word in reversed(words):
        quoted = re.compile(rf"""["']{re.escape(word)}["']|\b{re.escape(word)}\b""")
        for offset, text in enumerate(lines):
            if offset and quoted.search(text):
                return func.lineno + offset
    return func.lineno
