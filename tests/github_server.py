"""A real HTTP server on 127.0.0.1 speaking the slice of GitHub's REST API we use (tests)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class GitHubServer:
    def __init__(self, token: str = "gh-test-token") -> None:
        self.token = token
        self.pulls: dict[tuple[str, int], dict[str, Any]] = {}
        self.reviews: dict[tuple[str, int], list[dict[str, Any]]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {outer.token}":
                    return self._send(401, {"message": "Bad credentials"})
                m = re.match(r"^/repos/([^/]+/[^/]+)/pulls/(\d+)(/reviews)?(?:\?(.*))?$", self.path)
                if not m:
                    return self._send(404, {"message": "Not Found"})
                key = (m.group(1), int(m.group(2)))
                if key not in outer.pulls:
                    return self._send(404, {"message": "Not Found"})
                if not m.group(3):
                    return self._send(200, outer.pulls[key])
                query = dict(p.split("=") for p in (m.group(4) or "").split("&") if "=" in p)
                page, per = int(query.get("page", 1)), int(query.get("per_page", 30))
                items = outer.reviews.get(key, [])
                return self._send(200, items[(page - 1) * per : page * per])

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add_pull(
        self, repo: str, number: int, head: str, reviews: list[tuple[str, str, str]]
    ) -> None:
        """reviews: (login, state, commit_id)."""
        self.pulls[(repo, number)] = {"number": number, "head": {"sha": head}}
        self.reviews[(repo, number)] = [
            {
                "id": 1000 + i,
                "user": {"login": login},
                "state": state,
                "commit_id": commit,
                "submitted_at": f"2026-11-24T10:0{i}:00Z",
                "html_url": f"https://github.example/{repo}/pull/{number}#review-{1000 + i}",
            }
            for i, (login, state, commit) in enumerate(reviews)
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
