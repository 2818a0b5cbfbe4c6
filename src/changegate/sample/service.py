"""The sample service: a tiny web app that exists only to be deployed.

This file is *data* for :func:`changegate.sample.writer.write_service`, which
copies it into a release tree (as ``service.py``) beside a ``VERSION`` file.
It imports only the standard library so that the same module runs as WSGI
under gunicorn (``service:wsgi``) and as ASGI under uvicorn (``service:asgi``)
without installing anything into the deployed tree.

Everything a release can change is read when a worker imports the module:
the version from the ``VERSION`` file next to this file (imported through the
deploy root's ``current`` symlink, so a worker started after the switch reads
the new release) and the configuration from the env file named by
``SAMPLE_CONFIG_FILE`` (so a rolling reload delivers new configuration).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from contextlib import closing
from pathlib import Path
from typing import Any

# Rewritten by write_service(broken=...): "smoke" breaks /api/account, "health" /healthz.
BROKEN: str | None = None

_HERE = Path(__file__).parent
VERSION = (_HERE / "VERSION").read_text(encoding="utf-8").strip()

Response = tuple[int, bytes]


def _read_config(path: str | None) -> tuple[dict[str, str], str | None]:
    """``KEY=VALUE`` lines (``#`` comments, optional quotes); the error text if unreadable."""
    if not path:
        return {}, None
    values: dict[str, str] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return {}, f"cannot read {path}: {exc.strerror}"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            return values, f"{path}:{number}: expected KEY=VALUE"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values, None


CONFIG_FILE = os.environ.get("SAMPLE_CONFIG_FILE")
CONFIG, CONFIG_ERROR = _read_config(CONFIG_FILE)
GREETING = CONFIG.get("GREETING", "hello")


def _database_path() -> Path | None:
    """``DATABASE_PATH``; relative paths are relative to the config file's directory."""
    value = CONFIG.get("DATABASE_PATH")
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute() and CONFIG_FILE:
        path = Path(CONFIG_FILE).parent / path
    return path


def _connect(path: Path) -> sqlite3.Connection:
    """Read-only, so a typo in the path is an error instead of a new empty database."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def _json(status: int, body: object) -> Response:
    return status, json.dumps(body).encode()


def _root() -> Response:
    return _json(200, {"version": VERSION, "greeting": GREETING, "pid": os.getpid()})


def _database_check() -> dict[str, str]:
    if BROKEN == "health":
        return {"status": "fail", "output": f"broken on purpose in {VERSION}"}
    path = _database_path()
    if path is None:
        return {"status": "pass", "output": "no DATABASE_PATH configured"}
    try:
        with closing(_connect(path)) as conn:
            conn.execute("SELECT 1").fetchone()
    except sqlite3.Error as exc:
        return {"status": "fail", "output": f"{path}: {exc}"}
    return {"status": "pass"}


def _health() -> Response:
    config: dict[str, str] = {"status": "pass"}
    if CONFIG_ERROR:
        config = {"status": "fail", "output": CONFIG_ERROR}
    checks = {"database": [_database_check()], "config": [config]}
    failed = any(c["status"] == "fail" for group in checks.values() for c in group)
    body = {"status": "fail" if failed else "pass", "version": VERSION, "checks": checks}
    return _json(503 if failed else 200, body)


def _account(authorization: str) -> Response:
    if BROKEN == "smoke":
        return _json(404, {"error": "not found"})
    token = CONFIG.get("SMOKE_TOKEN")
    if not token or authorization != f"Bearer {token}":
        return _json(401, {"error": "missing or wrong bearer token"})
    return _json(200, {"account": "smoke", "version": VERSION})


def _items() -> Response:
    path = _database_path()
    if path is None:
        return _json(500, {"error": "DATABASE_PATH is not configured"})
    try:
        with closing(_connect(path)) as conn:
            rows = conn.execute("SELECT id, name FROM items ORDER BY id").fetchall()
    except sqlite3.Error as exc:
        return _json(500, {"error": f"items query failed: {exc}"})
    return _json(200, {"items": [{"id": r[0], "name": r[1]} for r in rows]})


def handle(method: str, path: str, authorization: str) -> Response:
    """The whole service, independent of WSGI or ASGI."""
    if method not in ("GET", "HEAD"):
        return _json(405, {"error": "method not allowed"})
    if path == "/":
        return _root()
    if path == "/healthz":
        return _health()
    if path == "/api/account":
        return _account(authorization)
    if path == "/items":
        return _items()
    return _json(404, {"error": "not found"})


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


def wsgi(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], object]
) -> Iterable[bytes]:
    """The WSGI entry point (``gunicorn service:wsgi``)."""
    status, body = handle(
        environ.get("REQUEST_METHOD", "GET"),
        environ.get("PATH_INFO", "/"),
        environ.get("HTTP_AUTHORIZATION", ""),
    )
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
    return [body]


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


async def asgi(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """The ASGI entry point (``uvicorn service:asgi``), lifespan included."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    authorization = ""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            authorization = value.decode("latin-1")
    status, body = handle(scope.get("method", "GET"), scope.get("path", "/"), authorization)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
