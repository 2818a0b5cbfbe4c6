"""A separate process that appends to the ledger (run by the concurrency tests).

Usage: python ledger_worker.py URL ROOT NAME COUNT
Prints "seq hash" after each committed append, flushed, so that a parent that
kills this process knows exactly which events were committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from changegate.adapters.storage.store import open_store


def main() -> None:
    url, root, name, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    store = open_store(url, root)
    for i in range(count):
        event = store.append(f"{name}@example.com", "test.append", name, {"i": i})
        sys.stdout.write(f"{event.seq} {event.hash}\n")
        sys.stdout.flush()
    store.close()


if __name__ == "__main__":
    main()
