"""Find migration sets by the conventions of the tools that apply them.

Each tool has its own file layout, and the layout tells us which script undoes
which and whether the tool wraps a script in a transaction. The policy names
the format and paths; without them we recognise the layout ourselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from changegate.errors import InputError
from changegate.migrations.model import FORMATS, Migration, MigrationSet, Script

_GOLANG = re.compile(r"^(\d+)_(.*)\.(up|down)\.sql$")
_FLYWAY = re.compile(r"^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$")
_DIESEL_DIR = re.compile(r"^(\d[\d\-]*)_(.+)$")
_PLAIN = re.compile(r"^(\d+)(?:[_\-.](.*))?\.sql$")
_DBMATE_UP = re.compile(r"^--\s*migrate:up\b(.*)$", re.M)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b(.*)$", re.M)
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "build", "dist"}


def read_text(path: Path) -> str:
    """File text for parsing; undecodable bytes are kept visible rather than fatal."""
    return path.read_bytes().decode("utf-8", errors="replace")


def _rel(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


def _golang(directory: Path, root: Path) -> list[Migration]:
    pairs: dict[tuple[str, str], dict[str, Path]] = {}
    for path in sorted(directory.iterdir()):
        m = _GOLANG.match(path.name)
        if m and path.is_file():
            pairs.setdefault((m.group(1), m.group(2)), {})[m.group(3)] = path
    out = []
    for (version, name), files in pairs.items():
        if "up" not in files:
            continue  # a down without its up is not a migration the tool applies
        down = files.get("down")
        out.append(
            Migration(
                version,
                name,
                Script(files["up"], read_text(files["up"]), alone_runs_outside=True),
                Script(down, read_text(down), alone_runs_outside=True) if down else None,
                "golang-migrate",
                tuple(_rel(p, root) for p in files.values()),
            )
        )
    return out


def _flyway_transactional(path: Path) -> bool:
    conf = path.with_name(path.name + ".conf")
    off = re.compile(r"executeInTransaction\s*=\s*false", re.I)
    return not (conf.exists() and off.search(read_text(conf)))


def _flyway(directory: Path, root: Path) -> list[Migration]:
    ups: dict[str, tuple[str, Path]] = {}
    undos: dict[str, Path] = {}
    dupes: list[Migration] = []
    for path in sorted(directory.rglob("*.sql")):
        m = _FLYWAY.match(path.name)
        if not m:
            continue
        version = m.group(2).replace("_", ".")
        if m.group(1) == "U":
            undos[version] = path
        elif version in ups:
            dupes.append(_flyway_migration(version, m.group(3), path, None, root))
        else:
            ups[version] = (m.group(3), path)
    out = [_flyway_migration(v, name, path, undos.get(v), root) for v, (name, path) in ups.items()]
    return out + dupes


def _flyway_migration(
    version: str, name: str, path: Path, undo: Path | None, root: Path
) -> Migration:
    tx = _flyway_transactional(path)
    sources = tuple(_rel(p, root) for p in (path, undo) if p is not None)
    return Migration(
        version,
        name,
        Script(path, read_text(path), tx, alone_runs_outside=True),
        Script(undo, read_text(undo), tx, alone_runs_outside=True) if undo else None,
        "flyway",
        sources,
    )


def _mask(text: str, keep: tuple[int, int]) -> str:
    """Blank everything outside ``keep`` but keep the newlines, so lines still match."""
    a, b = keep
    return "".join(c if a <= i < b or c == "\n" else " " for i, c in enumerate(text))


def _dbmate(directory: Path, root: Path) -> list[Migration]:
    out = []
    for path in sorted(directory.glob("*.sql")):
        text = read_text(path)
        up = _DBMATE_UP.search(text)
        if not up:
            continue
        down = _DBMATE_DOWN.search(text)
        version, _, name = path.stem.partition("_")
        up_end = down.start() if down and down.start() > up.start() else len(text)
        up_tx = "transaction:false" not in up.group(1).replace(" ", "")
        down_script = None
        if down:
            down_end = up.start() if up.start() > down.start() else len(text)
            down_tx = "transaction:false" not in down.group(1).replace(" ", "")
            down_script = Script(path, _mask(text, (down.end(), down_end)), down_tx)
        out.append(
            Migration(
                version,
                name,
                Script(path, _mask(text, (up.end(), up_end)), up_tx),
                down_script,
                "dbmate",
                (_rel(path, root),),
            )
        )
    return out


def _diesel(directory: Path, root: Path) -> list[Migration]:
    out = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        m = _DIESEL_DIR.match(sub.name)
        up = sub / "up.sql"
        if not m or not up.exists():
            continue
        meta = sub / "metadata.toml"
        tx = not (
            meta.exists() and re.search(r"run_in_transaction\s*=\s*false", read_text(meta), re.I)
        )
        down = sub / "down.sql"
        out.append(
            Migration(
                m.group(1).replace("-", ""),
                m.group(2),
                Script(up, read_text(up), tx),
                Script(down, read_text(down), tx) if down.exists() else None,
                "diesel",
                tuple(_rel(p, root) for p in (up, down) if p.exists()),
            )
        )
    return out


def _plain(directory: Path, root: Path) -> list[Migration]:
    out = []
    for path in sorted(directory.glob("*.sql")):
        m = _PLAIN.match(path.name)
        if not m or _GOLANG.match(path.name):
            continue
        out.append(
            Migration(
                m.group(1),
                m.group(2) or "",
                Script(path, read_text(path), implicit_transaction=False),
                None,
                "plain",
                (_rel(path, root),),
            )
        )
    return out


_READERS: dict[str, Callable[[Path, Path], list[Migration]]] = {
    "golang-migrate": _golang,
    "flyway": _flyway,
    "dbmate": _dbmate,
    "diesel": _diesel,
    "plain": _plain,
}


def detect_format(directory: Path) -> str | None:
    """The tool whose layout ``directory`` follows, or None."""
    if not directory.is_dir():
        return None
    if (directory / "alembic.ini").exists() or (
        (directory / "env.py").exists() and (directory / "versions").is_dir()
    ):
        return "alembic"
    names = [p.name for p in directory.iterdir() if p.is_file()]
    if any(_GOLANG.match(n) for n in names):
        return "golang-migrate"
    if any(_FLYWAY.match(n) for n in names):
        return "flyway"
    if any(
        (p / "up.sql").exists() and _DIESEL_DIR.match(p.name)
        for p in directory.iterdir()
        if p.is_dir()
    ):
        return "diesel"
    sql = [directory / n for n in names if n.endswith(".sql")]
    if any(_DBMATE_UP.search(read_text(p)) for p in sql):
        return "dbmate"
    if any(_PLAIN.match(p.name) for p in sql):
        return "plain"
    return None


def discover_set(directory: Path, fmt: str, root: Path) -> MigrationSet:
    """The migrations of one directory in the given format, in apply order."""
    if fmt == "alembic":
        from changegate.migrations.alembic_offline import alembic_set

        return alembic_set(directory, root)
    migrations = _READERS[fmt](directory, root)
    migrations.sort(key=lambda m: (m.sort_key, m.name))
    return MigrationSet(directory, fmt, tuple(migrations))


def discover(
    root: str | Path, paths: Sequence[str | Path] = (), format: str = "auto"
) -> list[MigrationSet]:
    """Migration sets under ``paths`` (relative to ``root``), or anywhere in ``root``.

    An unknown format, a missing path or a directory with no migrations is bad
    input (exit 2) with a message saying what we looked for.
    """
    root = Path(root)
    if format != "auto" and format not in FORMATS:
        raise InputError(
            f"unknown migration format {format!r}; use one of: auto, {', '.join(FORMATS)}"
        )
    dirs = [root / p for p in paths] if paths else _candidate_dirs(root)
    sets = []
    for directory in dirs:
        if not directory.exists():
            raise InputError(f"{directory}: migration path does not exist")
        fmt = detect_format(directory) if format == "auto" else format
        if fmt is None:
            if paths:
                raise InputError(
                    f"{directory}: no migrations recognised (looked for golang-migrate "
                    "*.up.sql, Flyway V1__x.sql, dbmate '-- migrate:up', diesel up.sql "
                    "folders, numbered .sql files, Alembic env.py); set the format explicitly"
                )
            continue
        found = discover_set(directory, fmt, root)
        if paths and not found.migrations:
            raise InputError(f"{directory}: no {fmt} migrations found there")
        sets.append(found)
    return sets


def _candidate_dirs(root: Path, depth: int = 4) -> list[Path]:
    """Directories that look like migration folders, outermost match wins."""
    found: list[Path] = []

    def walk(d: Path, level: int) -> None:
        if detect_format(d):
            found.append(d)
            return
        if level >= depth:
            return
        for sub in sorted(p for p in d.iterdir() if p.is_dir()):
            if sub.name not in _SKIP_DIRS and not sub.name.startswith("."):
                walk(sub, level + 1)

    walk(root, 0)
    return found
