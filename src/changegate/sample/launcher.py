"""``launch``: start gunicorn, uvicorn or supervisord serving ``<root>/current``.

The point of every choice here is that a worker started after the deploy
switches ``current`` runs the new release:

- the master's working directory is ``<root>/shared`` (a stable directory:
  ``os.getcwd()`` of a process inside ``current`` would already be the
  resolved ``releases/<old>``), and the import path holds the literal
  ``<root>/current`` path, so every import resolves the symlink anew;
- the master never imports the app (gunicorn: no ``preload_app``; uvicorn:
  ``--workers`` with an import string, workers are spawned and import it);
- gunicorn's ``-c`` names ``<root>/current/gunicorn.conf.py``, re-read on HUP;
- uvicorn runs with :mod:`changegate.sample.uvicorn_drain`'s protocol, without
  which a rolling restart resets a few connections (measured there).

Config, logs and pid files live in ``<root>/shared/``; uvicorn has no pid
file option, so the launcher records the master's pid in ``shared/uvicorn.pid``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from changegate.adapters.procman import procfs
from changegate.adapters.procman.ready import probe
from changegate.core.policy import ProcessManager
from changegate.errors import EnvironmentProblem, InputError

Kind = Literal["gunicorn", "uvicorn", "supervisord"]
_SOCKET_MAX = 100
# Stock uvicorn drops requests accepted just before a worker stops (see the module).
_DRAINING_HTTP = (
    "changegate.sample.uvicorn_drain:DrainingH11Protocol"  # AF_UNIX paths are limited to 107 bytes
)


@dataclass
class Launched:
    """A running process manager started by :func:`launch`; call :meth:`stop`."""

    kind: Kind
    deploy_root: Path
    port: int
    spec: ProcessManager
    process: subprocess.Popen[bytes]
    log: Path
    _scratch: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def policy_toml(self, environment: str = "prod") -> str:
        """The ``[environments.<environment>.process_manager]`` table for this launch."""
        return _process_manager_toml(self.spec, environment)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop everything started here, gracefully first, then by SIGKILL.

        SIGTERM goes to the launched process group only: for gunicorn and
        uvicorn that is master and workers; supervisord then stops its program
        itself (a program runs in a process group of its own, and signalling
        it behind supervisord's back could make supervisord restart it).
        Every descendant seen meanwhile is remembered, so whatever is still
        alive at the deadline (orphans included) is killed with its group.
        """
        seen = {self.process.pid, *procfs.descendants(self.process.pid)}
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is None:  # only while the pid is surely still ours
                seen.update(procfs.descendants(self.process.pid))
            if not any(procfs.alive(p) for p in seen):
                break
            time.sleep(0.05)
        own_group = os.getpgrp()
        for pid in sorted(seen):
            if not procfs.alive(pid):
                continue
            with contextlib.suppress(ProcessLookupError):
                group = os.getpgid(pid)
                if group != own_group:
                    os.killpg(group, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=timeout)
        if self.kind == "uvicorn":
            (self.deploy_root / "shared" / "uvicorn.pid").unlink(missing_ok=True)
        for path in self._scratch:
            shutil.rmtree(path, ignore_errors=True)


def _gunicorn(root: Path, port: int, workers: int) -> list[str]:
    shared, current = root / "shared", root / "current"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(current / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--pid",
        str(shared / "gunicorn.pid"),
        "--chdir",
        str(shared),
        "--pythonpath",
        str(current),
    ]


def _uvicorn(root: Path, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "service:asgi",
        "--app-dir",
        str(root / "current"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--http",
        _DRAINING_HTTP,
        "--timeout-graceful-shutdown",
        "20",
    ]


def _supervisord_conf(root: Path, socket: Path, program: list[str]) -> str:
    """supervisord running gunicorn as program ``web``, all files under shared/."""
    shared = root / "shared"

    def esc(value: object) -> str:  # supervisord expands %(name)s in values
        return str(value).replace("%", "%%")

    return f"""; written by changegate.sample.launch
[unix_http_server]
file = {esc(socket)}
chmod = 0700

[supervisord]
nodaemon = true
directory = {esc(shared)}
logfile = {esc(shared / "supervisord.log")}
pidfile = {esc(shared / "supervisord.pid")}
childlogdir = {esc(shared)}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://{esc(socket)}

[program:web]
command = {esc(shlex.join(program))}
directory = {esc(shared)}
environment = SAMPLE_CONFIG_FILE="{esc(shared / "config.env")}"
autostart = true
autorestart = true
startsecs = 1
stopsignal = TERM
stopwaitsecs = 20
stopasgroup = true
killasgroup = true
redirect_stderr = true
stdout_logfile = {esc(shared / "web.log")}
"""


def spec_for(kind: Kind, port: int) -> ProcessManager:
    """The process-manager policy of a :func:`launch` of ``kind`` on ``port``."""
    ready_url = f"http://127.0.0.1:{port}/"
    if kind in ("gunicorn", "uvicorn"):
        return ProcessManager(kind=kind, pidfile=f"shared/{kind}.pid", ready_url=ready_url)
    if kind == "supervisord":
        return ProcessManager(
            kind="supervisord",
            program="web",
            supervisor_config="shared/supervisord.conf",
            ready_url=ready_url,
        )
    raise InputError(f"unknown process manager {kind!r}: gunicorn, uvicorn or supervisord")


def environment_toml(
    kind: Kind, port: int, environment: str = "prod", *, backoff_seconds: float = 1.0
) -> str:
    """The policy tables that deploy the sample service: its process manager and its smoke
    tests (sign-in refused without, accepted with ``$SMOKE_TOKEN``; health all passing)."""
    base = f"http://127.0.0.1:{port}"
    smoke = ""
    for name, kind_, path, extra in (
        ("authentication", "auth", "/api/account", 'credential_env = "SMOKE_TOKEN"\n'),
        ("integrations", "health", "/healthz", ""),
    ):
        smoke += (
            f"[[environments.{environment}.smoke]]\nname = {json.dumps(name)}\n"
            f'kind = "{kind_}"\nurl = "{base}{path}"\n{extra}'
            f"backoff_seconds = {backoff_seconds}\n"
        )
    return _process_manager_toml(spec_for(kind, port), environment) + smoke


def _process_manager_toml(spec: ProcessManager, environment: str) -> str:
    lines = [f"[environments.{environment}.process_manager]"]
    for key, value in spec.model_dump(exclude_none=True).items():
        lines.append(f"{key} = {json.dumps(value)}")  # JSON scalars/arrays are TOML
    return "\n".join(lines) + "\n"


def launch(kind: Kind, deploy_root: Path, *, port: int, workers: int = 2) -> Launched:
    """Start ``kind`` serving ``deploy_root/current`` on 127.0.0.1:``port`` and wait for it."""
    if kind == "uvicorn" and workers < 2:
        raise InputError("uvicorn rolls workers on SIGHUP only with 2 or more workers")
    root = Path(os.path.abspath(deploy_root))  # absolute, symlinks left as they are
    if not (root / "current" / "service.py").is_file():
        raise InputError(f"{root}/current/service.py not found; point current at a release first")
    shared = root / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    scratch: list[Path] = []
    spec = spec_for(kind, port)
    if kind == "gunicorn":
        cmd = _gunicorn(root, port, workers)
    elif kind == "uvicorn":
        cmd = _uvicorn(root, port, workers)
    else:
        socket = shared / "supervisor.sock"
        if len(str(socket)) > _SOCKET_MAX:
            scratch.append(Path(tempfile.mkdtemp(prefix="cg-sv-")))
            socket = scratch[0] / "supervisor.sock"
        conf = shared / "supervisord.conf"
        conf.write_text(_supervisord_conf(root, socket, _gunicorn(root, port, workers)))
        cmd = [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(conf)]
    env = dict(os.environ, SAMPLE_CONFIG_FILE=str(shared / "config.env"), PWD=str(shared))
    log = shared / f"{kind}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            cmd,
            cwd=shared,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches every worker
        )
    launched = Launched(kind, root, port, spec, process, log, scratch)
    if kind == "uvicorn":
        _write_pid(shared / "uvicorn.pid", process.pid)
    try:
        _wait_up(launched, workers, timeout=30.0)
    except BaseException:
        launched.stop()
        raise
    return launched


def _write_pid(path: Path, pid: int) -> None:
    """Atomically, so a reader never sees a half-written pid."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(path)


def _workers(launched: Launched) -> list[int]:
    """The serving workers: of the master we started, or of supervisord's program."""
    master = launched.process.pid
    if launched.kind == "supervisord":
        programs = procfs.children(master)
        if not programs:
            return []
        master = programs[0]
    return procfs.workers(master)


def _wait_up(launched: Launched, workers: int, timeout: float) -> None:
    """Until the URL answers and every worker is forked (a reload counts them)."""
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        code = launched.process.poll()
        if code is not None:
            raise EnvironmentProblem(
                f"{launched.kind} exited with status {code} while starting; see {launched.log}"
            )
        outcome = probe(launched.url + "/", 1.0)
        if outcome is None and len(_workers(launched)) >= workers:
            return
        last = outcome or f"{len(_workers(launched))}/{workers} workers"
        time.sleep(0.05)
    raise EnvironmentProblem(
        f"{launched.kind} did not answer on {launched.url} within {timeout:g}s ({last}); "
        f"see {launched.log}"
    )
