"""The per-case hash chain of history events.

Each event's hash is SHA-256 over a canonical JSON of its fields plus the previous event's
hash, so any edit, deletion or reordering of a stored event breaks the chain at that point.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Sequence

GENESIS = "0" * 64


def _iso(o: Any) -> str:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    raise TypeError(f"not canonical: {type(o).__name__}")


# One encoder for the process (json.dumps with these options builds a new one on every call).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_iso)


def canonical_json(data: Any) -> str:
    return _CANONICAL.encode(data)


def event_hash(case_id: int, seq: int, recorded_at: str, actor: str, action: str,
               effective_on: dt.date | None, reason: str, data: str, prev_hash: str, actor_auth: str = "") -> str:
    fields = {
        "case_id": case_id, "seq": seq, "recorded_at": recorded_at, "actor": actor,
        "action": action, "effective_on": effective_on.isoformat() if effective_on else None,
        "reason": reason, "data": data, "prev_hash": prev_hash,
    }
    if actor_auth:  # events before migration 0006 have none: their hashes stay as they were
        fields["actor_auth"] = actor_auth
    body = canonical_json(fields)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hash_of(ev) -> str:
    """Recompute the hash of a stored event (any object with the event's attributes)."""
    return event_hash(ev.case_id, ev.seq, ev.recorded_at, ev.actor, ev.action, ev.effective_on,
                      ev.reason, ev.data, ev.prev_hash, getattr(ev, "actor_auth", "") or "")


@dataclass(frozen=True)
class BrokenLink:
    case_id: int
    seq: int
    event_id: int | None
    problem: str  # Chinese

    def to_json(self) -> dict:
        return {"case_id": self.case_id, "seq": self.seq, "event_id": self.event_id, "problem": self.problem}


def verify_chain(events: Sequence) -> BrokenLink | None:
    """The first broken link of one case's events (ordered by seq), or None if intact."""
    prev = GENESIS
    for expected_seq, ev in enumerate(events, 1):
        if ev.seq != expected_seq:
            return BrokenLink(ev.case_id, expected_seq, getattr(ev, "id", None),
                              f"第 {expected_seq} 条记录缺失或顺序被改动（实际为第 {ev.seq} 条）")
        if ev.prev_hash != prev:
            return BrokenLink(ev.case_id, ev.seq, getattr(ev, "id", None),
                              f"第 {ev.seq} 条记录的前序哈希与上一条不符（上一条被删改）")
        if hash_of(ev) != ev.hash:
            return BrokenLink(ev.case_id, ev.seq, getattr(ev, "id", None),
                              f"第 {ev.seq} 条记录内容与其哈希不符（记录被篡改）")
        prev = ev.hash
    return None


def decode(data: str) -> dict:
    return json.loads(data) if data else {}


class EventView:
    """A stored history event with its data decoded: what replay, the letters and the timeline
    read. With strict=False (audit and timeline over possibly tampered rows) unreadable data
    reads as {} instead of raising."""

    __slots__ = ("id", "case_id", "seq", "recorded_at", "actor", "actor_auth", "action", "effective_on", "reason",
                 "data", "hash")

    def __init__(self, row, *, strict: bool = True):
        self.id, self.case_id, self.seq = getattr(row, "id", None), row.case_id, row.seq
        self.recorded_at, self.actor, self.action = row.recorded_at, row.actor, row.action
        self.actor_auth = getattr(row, "actor_auth", "") or ""
        self.effective_on, self.reason, self.hash = row.effective_on, row.reason, row.hash
        raw = row.data
        if isinstance(raw, dict):
            self.data = raw
        elif strict:
            self.data = decode(raw)
        else:
            try:
                self.data = decode(raw)
            except ValueError:
                self.data = {}


def rendered_letter(ev) -> dict | None:
    """The data of a `letter_rendered` event naming its letter, or None for any other event."""
    if ev.action != "letter_rendered":
        return None
    try:
        d = decode(ev.data)
    except ValueError:
        return None
    return d if isinstance(d, dict) and isinstance(d.get("letter_id"), int) else None
