"""The shape the architecture promises, checked: the core is pure, the hook path is light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "changegate"
FORBIDDEN_IN_CORE = (
    "changegate.cli",
    "changegate.web",
    "changegate.adapters",
    "changegate.workflows",
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "alembic",
    "subprocess",
    "click",
    "rich",
)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_interface_adapter_or_driver():
    offenders = []
    for path in (SRC / "core").rglob("*.py"):
        for name in imports_of(path):
            if name.startswith(FORBIDDEN_IN_CORE):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_cli_entry_imports_no_database_or_policy_model():
    """`changegate --help` (and later the hook) must not pay for SQLAlchemy or pydantic."""
    code = (
        "import sys, changegate.cli.main; "
        "print(','.join(m for m in ('sqlalchemy', 'pydantic', 'rich', 'alembic') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_module_has_a_docstring():
    missing = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "versions" not in p.parts
        and ast.get_docstring(ast.parse(p.read_text())) is None
        and p.read_text().strip()
    ]
    assert missing == []
