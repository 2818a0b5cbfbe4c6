"""The sample service: deployed by the tests, the benchmark and ``changegate demo``.

- :func:`write_service` writes a release's files into a git work tree;
- :func:`launch` starts gunicorn, uvicorn or supervisord serving ``<root>/current``
  and returns the matching ``ProcessManager`` policy;
- :class:`Load` counts every failed request while a reload happens.

``service.py`` in this package is the deployed module's source (data copied
into each release), never imported from here.
"""

from __future__ import annotations

from changegate.sample.launcher import Launched, launch
from changegate.sample.load import Load, LoadReport
from changegate.sample.writer import write_service

__all__ = ["Launched", "Load", "LoadReport", "launch", "write_service"]
