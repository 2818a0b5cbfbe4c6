"""The ledger's rules: how an event is hashed and how a damaged chain is recognised.

Pure functions only. The hash of an event is SHA-256 over a versioned header,
the previous event's hash and the event's fields, each written as a netstring
(``<byte length>:<bytes>,``). Length-prefixing makes the encoding injective,
so no two different events can share a message by moving bytes between fields;
netstrings (decimal lengths) are chosen because both SQLite and PostgreSQL can
build the very same bytes in SQL, which lets verification stream prebuilt
messages out of the database instead of re-encoding every field in Python.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64
HEADER = b"changegate-ledger-v1\n"
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MAX_FIELD = 1 << 20  # 1 MiB per field keeps a single event auditable by a person


class LedgerFieldError(ValueError):
    """An event field cannot be recorded (not text, too large, NUL bytes)."""


def utc_timestamp(moment: datetime | None = None) -> str:
    """The ledger's timestamp text: UTC, microseconds, fixed width (sorts as text)."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime(TS_FORMAT)


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, TS_FORMAT).replace(tzinfo=UTC)


def canonical_json(payload: dict[str, Any]) -> str:
    """One spelling per JSON value, so the hash depends on content, not on formatting."""
    if not isinstance(payload, dict):
        raise LedgerFieldError("payload must be a JSON object")
    try:
        return json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise LedgerFieldError(f"payload is not canonical JSON: {exc}") from exc


def _ns(data: bytes) -> bytes:
    return b"%d:%s," % (len(data), data)


def event_message(
    prev_hash: str, seq: int, ts: str, actor: str, action: str, subject: str, payload: str
) -> bytes:
    """The exact bytes hashed for an event (see the module docstring)."""
    return HEADER + b"".join(
        _ns(part.encode("utf-8"))
        for part in (prev_hash, str(seq), ts, actor, action, subject, payload)
    )


def event_hash(
    prev_hash: str, seq: int, ts: str, actor: str, action: str, subject: str, payload: str
) -> str:
    return hashlib.sha256(
        event_message(prev_hash, seq, ts, actor, action, subject, payload)
    ).hexdigest()


def check_field(name: str, value: str) -> str:
    """Refuse values the two databases would store differently (NUL) or that are absurdly large."""
    if not isinstance(value, str):
        raise LedgerFieldError(f"{name} must be text")
    if "\x00" in value:
        raise LedgerFieldError(f"{name} contains a NUL character")
    if len(value) > MAX_FIELD:
        raise LedgerFieldError(f"{name} is larger than {MAX_FIELD} characters")
    return value


@dataclass(frozen=True)
class Event:
    """One recorded event, exactly as stored."""

    seq: int
    ts: str
    actor: str
    action: str
    subject: str
    payload: str
    prev_hash: str
    hash: str

    def computed_hash(self, seq: int | None = None) -> str:
        """The hash these fields give, optionally as if the event sat at another ``seq``."""
        return event_hash(
            self.prev_hash,
            self.seq if seq is None else seq,
            self.ts,
            self.actor,
            self.action,
            self.subject,
            self.payload,
        )

    def data(self) -> dict[str, Any]:
        """The payload; a payload that is not a JSON object is damage (edited behind the
        ledger's back): a clear error naming the seq, never a traceback."""
        try:
            out = json.loads(self.payload)
        except ValueError:
            out = None
        if not isinstance(out, dict):
            from changegate.errors import EnvironmentProblem

            raise EnvironmentProblem(
                f"ledger event seq {self.seq} ({self.action}) has a damaged payload; run "
                "`changegate audit verify` to see what was changed"
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "payload": self.data(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def chain_event(
    prev: tuple[int, str] | None, ts: str, actor: str, action: str, subject: str, payload: str
) -> Event:
    """The next event after ``prev`` = (seq, hash) of the head, or the first one."""
    seq, prev_hash = (prev[0] + 1, prev[1]) if prev else (1, GENESIS)
    for name, value in (("actor", actor), ("action", action), ("subject", subject)):
        check_field(name, value)
    check_field("payload", payload)
    if not actor.strip():
        raise LedgerFieldError("actor is empty")
    if not action.strip():
        raise LedgerFieldError("action is empty")
    digest = event_hash(prev_hash, seq, ts, actor, action, subject, payload)
    return Event(seq, ts, actor, action, subject, payload, prev_hash, digest)


# --------------------------------------------------------------------------- verification


class Damage(StrEnum):
    """What happened to the chain, as far as the stored rows let us tell."""

    EDITED = "edited"  # an event's content differs from what was hashed
    INSERTED = "inserted"  # an event was added between recorded events
    DELETED = "deleted"  # one or more events are missing from the middle
    REORDERED = "reordered"  # events were moved to other positions
    TRUNCATED = "truncated"  # the tail is gone: the chain ends before the checkpoint
    REWRITTEN = "rewritten"  # consistent chain, but not the one a checkpoint signed
    BAD_CHECKPOINT = "bad-checkpoint"  # a checkpoint whose signature does not verify


@dataclass(frozen=True)
class Finding:
    kind: Damage
    seq: int
    detail: str


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain had head ``(seq, hash)`` at ``ts``."""

    seq: int
    hash: str
    ts: str
    key_id: str
    signature: str
    source: str = ""  # where it was read from (file path or git ref)

    def signed_bytes(self) -> bytes:
        return canonical_json(
            {"seq": self.seq, "hash": self.hash, "ts": self.ts, "key_id": self.key_id}
        ).encode()


@dataclass
class VerifyReport:
    """The outcome of walking the chain (and comparing it with a checkpoint)."""

    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    checkpoint: Checkpoint | None = None
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # recorded commits no longer in history

    @property
    def ok(self) -> bool:
        return self.finding is None and not self.history


# What the fast path needs per event: (seq, prev_hash, hash, prebuilt message).
# A plain tuple, because building an object per row would cost more than the hash.
LinkRow = tuple[int, str, str, bytes]


def scan_chain(rows: Iterable[LinkRow]) -> tuple[int, int, str, int | None]:
    """Walk prebuilt messages; return (count, head seq, head hash, index of first anomaly).

    This is the hot loop of ``audit verify``: one SHA-256 and three comparisons
    per event. Anything unusual is handed to :func:`classify`, which is slower
    but only runs on a damaged chain.
    """
    sha256 = hashlib.sha256
    expected_seq = 1
    expected_prev = GENESIS
    count = 0
    for seq, prev_hash, digest, message in rows:
        if (
            seq != expected_seq
            or prev_hash != expected_prev
            or sha256(message).hexdigest() != digest
        ):
            return count, expected_seq - 1, expected_prev, count
        count += 1
        expected_seq = seq + 1
        expected_prev = digest
    return count, expected_seq - 1, expected_prev, None


def scan_segment(rows: Iterable[LinkRow]) -> tuple[int, str, int, str, int, int | None]:
    """Check a contiguous stretch of the chain that may not start at genesis.

    Returns (first seq, first prev_hash, last seq, last hash, count, index of
    the first anomaly or None). Stretches checked side by side (one per core)
    are then stitched: each must start where the previous one ended.
    """
    sha256 = hashlib.sha256
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return 0, GENESIS, 0, GENESIS, 0, None
    seq0, prev0, digest0, message0 = first
    if sha256(message0).hexdigest() != digest0:
        return seq0, prev0, seq0, digest0, 0, 0
    expected_seq, expected_prev, count = seq0 + 1, digest0, 1
    for seq, prev_hash, digest, message in it:
        if (
            seq != expected_seq
            or prev_hash != expected_prev
            or sha256(message).hexdigest() != digest
        ):
            return seq0, prev0, expected_seq - 1, expected_prev, count, count
        count += 1
        expected_seq = seq + 1
        expected_prev = digest
    return seq0, prev0, expected_seq - 1, expected_prev, count, None


def _original_seq(
    event: Event, index_of_hash: Callable[[str], int | None], rows: Sequence[Event]
) -> int | None:
    """The position ``event`` was hashed at, if its content is intact; None if edited."""
    candidates = [event.seq, event.seq + 1, event.seq - 1]
    if event.prev_hash == GENESIS:
        candidates.append(1)
    else:
        at = index_of_hash(event.prev_hash)
        if at is not None:
            candidates.append(rows[at].seq + 1)
    for seq in candidates:
        if seq >= 1 and event.computed_hash(seq) == event.hash:
            return seq
    return None


def classify(rows: Sequence[Event], i: int) -> Finding:
    """Name the damage at ``rows[i]``, the first row the fast path rejected.

    ``rows`` is the whole stored chain ordered by seq. The reasoning: an event
    whose content still hashes at *some* position was moved (inserted before,
    deleted before, swapped); one that hashes nowhere was edited; a valid event
    that links to an unknown hash follows an edited-and-rehashed one.
    """
    by_hash = {row.hash: n for n, row in enumerate(rows)}
    index_of_hash = by_hash.get
    here = rows[i]
    prev = rows[i - 1] if i > 0 else None
    expected_seq = prev.seq + 1 if prev else 1
    expected_prev = prev.hash if prev else GENESIS
    nxt = rows[i + 1] if i + 1 < len(rows) else None
    orig = _original_seq(here, index_of_hash, rows)

    if orig == here.seq and here.seq > expected_seq:
        moved = index_of_hash(here.prev_hash)
        if moved is not None and moved > i:
            return Finding(
                Damage.REORDERED,
                expected_seq,
                f"the event recorded at seq {expected_seq} now sits at seq {rows[moved].seq}",
            )
        missing = here.seq - expected_seq
        return Finding(
            Damage.DELETED, expected_seq, f"{missing} event(s) missing before seq {here.seq}"
        )
    if orig is None:
        if (
            nxt is not None
            and nxt.prev_hash == expected_prev
            and (_original_seq(nxt, index_of_hash, rows) == nxt.seq - 1)
        ):
            return Finding(
                Damage.INSERTED, here.seq, f"seq {here.seq} is not part of the recorded chain"
            )
        return Finding(
            Damage.EDITED, here.seq, f"seq {here.seq}: stored content does not match its hash"
        )
    if orig == here.seq:
        linked = index_of_hash(here.prev_hash)
        if linked is not None and linked > i:
            return Finding(
                Damage.REORDERED,
                here.seq,
                f"seq {here.seq} follows seq {rows[linked].seq} in the chain",
            )
        if linked is not None and linked < i - 1:
            first = rows[linked + 1].seq
            return Finding(
                Damage.INSERTED,
                first,
                f"seq {first}..{here.seq - 1} are not part of the recorded chain",
            )
        if here.prev_hash != expected_prev and prev is not None:
            return Finding(
                Damage.EDITED,
                prev.seq,
                f"seq {prev.seq} was changed and re-hashed; seq {here.seq} "
                "still links to the original",
            )
        return Finding(Damage.EDITED, here.seq, f"seq {here.seq}: broken link")
    if orig > here.seq:
        shift = orig - here.seq
        if nxt is not None and _original_seq(nxt, index_of_hash, rows) == here.seq:
            return Finding(
                Damage.REORDERED, here.seq, f"seq {here.seq} and seq {nxt.seq} were swapped"
            )
        if shift == 1 and (
            nxt is None or _original_seq(nxt, index_of_hash, rows) == nxt.seq + shift
        ):
            return Finding(
                Damage.DELETED,
                here.seq,
                f"the event recorded at seq {here.seq} was removed and later events renumbered",
            )
        return Finding(
            Damage.REORDERED, here.seq, f"the event at seq {here.seq} was recorded at seq {orig}"
        )
    first = orig
    return Finding(
        Damage.INSERTED,
        first,
        f"seq {first}..{here.seq - 1} are not part of the recorded chain; later "
        "events were renumbered",
    )


def compare_checkpoint(
    report: VerifyReport, checkpoint: Checkpoint, hash_at: Callable[[int], str | None]
) -> Finding | None:
    """Hold an intact chain against a signed checkpoint (signature checked by the caller)."""
    if report.head_seq < checkpoint.seq:
        return Finding(
            Damage.TRUNCATED,
            report.head_seq + 1,
            f"the chain ends at seq {report.head_seq} but checkpoint {checkpoint.source} "
            f"signed seq {checkpoint.seq}",
        )
    stored = hash_at(checkpoint.seq)
    if stored != checkpoint.hash:
        return Finding(
            Damage.REWRITTEN,
            checkpoint.seq,
            f"seq {checkpoint.seq} has hash {str(stored)[:12]}… but checkpoint "
            f"{checkpoint.source} signed {checkpoint.hash[:12]}…: history was rewritten",
        )
    return None
