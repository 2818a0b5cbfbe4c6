"""Deploy roots for the process-manager and sample tests: releases, an atomic switch, launches."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from changegate.adapters.pgserver import free_port
from changegate.sample import Launched, launch, write_service
from changegate.sample.writer import Broken

TOKEN = "smoke-token-1"


def make_root(base: Path, *tags: str, broken: dict[str, Broken] | None = None) -> Path:
    """``base/R``: ``releases/<tag>`` per tag, ``current -> releases/<first>``, a config file."""
    root = base / "R"
    for tag in tags:
        write_service(root / "releases" / tag, tag, broken=(broken or {}).get(tag))
    (root / "shared").mkdir(parents=True, exist_ok=True)
    (root / "shared" / "config.env").write_text(f"GREETING=hello\nSMOKE_TOKEN={TOKEN}\n")
    switch(root, tags[0])
    return root


def switch(root: Path, tag: str) -> None:
    """Point ``current`` at ``releases/<tag>`` atomically (rename over the old link)."""
    tmp = root / f".current.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(Path("releases") / tag)
    tmp.replace(root / "current")


def get(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    """(status, JSON body) of a GET, with no proxy in the way."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


Launcher = Callable[..., Launched]


@pytest.fixture
def launcher() -> Iterator[Launcher]:
    """``launcher(kind, root, workers=2)``: a launch on a free port, stopped after the test."""
    started: list[Launched] = []

    def start(kind: str, root: Path, workers: int = 2) -> Launched:
        launched = launch(kind, root, port=free_port(), workers=workers)  # type: ignore[arg-type]
        started.append(launched)
        return launched

    yield start
    for launched in started:
        launched.stop()
