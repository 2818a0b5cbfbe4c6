"""``write_service``: the sample service's files, written into a git work tree.

The caller commits and tags them; the deploy exports the tag into
``releases/<tag>/``. Each release carries its own ``gunicorn.conf.py`` because
gunicorn re-reads its configuration file on every SIGHUP: launched with
``-c <root>/current/gunicorn.conf.py`` it picks up the new release's settings
along with the new code.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from changegate.errors import InputError

Broken = Literal[None, "smoke", "health"]

GUNICORN_CONF = '''"""gunicorn settings carried by the release (re-read on every SIGHUP).

Bind address, worker count, pid file and import path come from the launcher's
command line, which takes precedence over this file.
"""

wsgi_app = "service:wsgi"
worker_class = "sync"
# Never import the app in the master: each worker imports it through the
# `current` symlink, so workers forked after a switch run the new release.
preload_app = False
graceful_timeout = 20
timeout = 30
'''

_MARKER = "BROKEN: str | None = None\n"


def service_source(broken: Broken = None) -> str:
    """The service module's text, with the fault (if any) switched on."""
    text = resources.files("changegate.sample").joinpath("service.py").read_text("utf-8")
    if _MARKER not in text:
        raise AssertionError("service.py lost its BROKEN marker")  # our bug, not the user's
    return text.replace(_MARKER, f"BROKEN: str | None = {broken!r}\n", 1)


def write_service(dest: Path, version: str, *, broken: Broken = None) -> list[str]:
    """Write the service into ``dest`` and return the paths written, relative to it."""
    if broken not in (None, "smoke", "health"):
        raise InputError(f"broken must be None, 'smoke' or 'health', not {broken!r}")
    if not version or "\n" in version:
        raise InputError(f"version must be one non-empty line, not {version!r}")
    files = {
        "service.py": service_source(broken),
        "VERSION": version + "\n",
        "gunicorn.conf.py": GUNICORN_CONF,
    }
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (dest / name).write_text(text, encoding="utf-8")
    return list(files)
