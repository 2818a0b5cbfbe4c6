"""The sample service: deployed by the tests, the benchmark and ``changegate demo``.

- :func:`write_service` writes a release's files into a git work tree;
- :func:`launch` starts gunicorn, uvicorn or supervisord serving ``<root>/current``
  and returns the matching ``ProcessManager`` policy;
- :class:`Load` counts every failed request while a reload happens.

``service.py`` in this package is the deployed module's source (data copied
into each release), never imported from here. The names are imported lazily
because every uvicorn worker imports :mod:`changegate.sample.uvicorn_drain`,
and a worker should not pay for pydantic and the policy model when it starts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from changegate.sample.launcher import Launched, environment_toml, launch
    from changegate.sample.load import Load, LoadReport
    from changegate.sample.writer import write_service

__all__ = ["Launched", "Load", "LoadReport", "environment_toml", "launch", "write_service"]

_HOME = {
    "Launched": "launcher",
    "launch": "launcher",
    "environment_toml": "launcher",
    "Load": "load",
    "LoadReport": "load",
    "write_service": "writer",
}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"changegate.sample.{_HOME[name]}"), name)
