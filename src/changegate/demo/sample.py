"""The small sample service the demo works on (written into a fresh git repository)."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

FILES: dict[str, str] = {
    "README.md": "# orders\n\nA small order service used by the changegate demo.\n",
    "pyproject.toml": (
        '[project]\nname = "orders"\nversion = "1.0.0"\n\n[tool.ruff]\nline-length = 100\n'
    ),
    "orders/__init__.py": "",
    "orders/app.py": (
        '"""A tiny WSGI app: /healthz and /orders."""\n\n'
        "import json\n\n\n"
        "def app(environ, start_response):\n"
        '    if environ.get("PATH_INFO") == "/healthz":\n'
        '        start_response("200 OK", [("Content-Type", "text/plain")])\n'
        '        return [b"ok"]\n'
        '    start_response("200 OK", [("Content-Type", "application/json")])\n'
        '    return [json.dumps({"orders": []}).encode()]\n'
    ),
    "migrations/0001_create_orders.up.sql": (
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL);\n"
    ),
    "migrations/0001_create_orders.down.sql": "DROP TABLE orders;\n",
    "tests/test_app.py": (
        "from orders.app import app\n\n\n"
        "def test_health():\n"
        "    seen = {}\n"
        "    body = app({'PATH_INFO': '/healthz'}, lambda s, h: seen.update(status=s))\n"
        "    assert body == [b'ok'] and seen['status'].startswith('200')\n"
    ),
}


def fake_token(
    prefix: str, length: int, alphabet: str = string.ascii_letters + string.digits
) -> str:
    """A random value in a provider's token shape: never a live credential."""
    rng = secrets.SystemRandom()
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def write(root: Path) -> list[str]:
    for rel, content in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return sorted(FILES)
