"""Ledger reads for the evidence: only events whose payload can be read.

changegate only ever writes a JSON object as a payload. One that does not
decode (or decodes to something else) was edited outside changegate: the
ledger's verification names the damage, and the export must still be written
to say so. Every evidence read therefore goes through :func:`read`, which
leaves such events out of the populations (a row built from a payload nobody
can read would be invented evidence), and :func:`unreadable` lists their seqs
so the pack records them as damage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core.ledger import Event


def decodes(e: Event) -> bool:
    """Whether ``e.data()`` can be called: the payload is a JSON object."""
    try:
        return isinstance(json.loads(e.payload), dict)
    except ValueError:  # JSONDecodeError, and text that is not valid UTF-8
        return False


def readable(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if decodes(e)]


def read(app: App, flt: EventFilter) -> list[Event]:
    """``store.events(flt)`` without the events whose payload cannot be read."""
    return readable(app.store().events(flt))


def unreadable(app: App) -> list[int]:
    """Seqs of every event whose payload is not a JSON object (one pass over the ledger)."""
    return [e.seq for e in app.store().events(EventFilter()) if not decodes(e)]
