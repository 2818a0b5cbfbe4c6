"""A real HTTP server on 127.0.0.1 for smoke tests: scripted answers per path.

Each path has a list of answers given in turn (the last one repeats), so a
test can say "503 once, then 200" the way a rolling reload behaves. Every
request is recorded with its headers, to check what the engine sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Answer:
    status: int = 200
    body: Any = ""  # str/bytes as is, anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain"
        return json.dumps(self.body).encode(), "application/json"


Route = list[Answer] | Callable[[Seen], Answer]


class SmokeServer:
    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                seen = Seen(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}
                )
                answer = outer._answer(seen)
                body, ctype = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ctype))
                for k, v in answer.headers.items():
                    if k != "Content-Type":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def route(self, path: str, *answers: Answer | Callable[[Seen], Answer]) -> str:
        """Answer ``path`` with ``answers`` in turn (or a function of the request); its URL."""
        if len(answers) == 1 and callable(answers[0]):
            self.routes[path] = answers[0]
        else:
            self.routes[path] = [a for a in answers if isinstance(a, Answer)]
        return self.url + path

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _answer(self, seen: Seen) -> Answer:
        with self._lock:
            self.seen.append(seen)
            route = self.routes.get(seen.path)
            if route is None:
                return Answer(404, {"error": "not found"})
            if not callable(route):
                return route.pop(0) if len(route) > 1 else route[0]
        return route(seen)  # outside the lock: a slow route must not serialise the server

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def serving() -> Iterator[SmokeServer]:
    server = SmokeServer()
    try:
        yield server
    finally:
        server.close()
