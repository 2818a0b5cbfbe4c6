"""``python -m changegate.sample``: write a release or launch the service by hand.

For the demo and for trying a deploy without a test: ``launch`` prints the
policy table to paste into ``changegate.toml`` and serves until interrupted,
then stops every process it started.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from changegate.errors import ChangegateError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m changegate.sample")
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write the service's files into DEST")
    write.add_argument("dest", type=Path)
    write.add_argument("version")
    write.add_argument("--broken", choices=["smoke", "health"])
    start = commands.add_parser("launch", help="serve ROOT/current until interrupted")
    start.add_argument("kind", choices=["gunicorn", "uvicorn", "supervisord"])
    start.add_argument("root", type=Path)
    start.add_argument("--port", type=int, required=True)
    start.add_argument("--workers", type=int, default=2)
    start.add_argument("--environment", default="prod")
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            from changegate.sample.writer import write_service

            for path in write_service(args.dest, args.version, broken=args.broken):
                print(path)
            return 0
        from changegate.sample.launcher import launch

        # Handlers, not a blocked mask: a mask would be inherited by the servers
        # (and keep SIGTERM from them), a handler is reset when they exec.
        stopping = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _number, _frame: stopping.set())
        launched = launch(args.kind, args.root, port=args.port, workers=args.workers)
        try:
            print(launched.policy_toml(args.environment), end="", flush=True)
            print(f"# serving {launched.url} (Ctrl-C stops it)", file=sys.stderr, flush=True)
            stopping.wait()
        finally:
            launched.stop()
    except ChangegateError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
