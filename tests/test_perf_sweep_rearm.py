"""The sweep at scale keeps in memory only the undeliverable rows it can re-arm (a recipient whose
config now has a channel), not every `no_address` row of the outbox, and plans its candidates
one chunk at a time. Behaviour, not time: with several recipients per warning, exactly those who
got a channel are re-armed; the others stay undeliverable, and a second sweep changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from warnings_support import received_for, shift, write_config

AS_OF = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _no_letter_rendering(monkeypatch):
    monkeypatch.setattr("ogi.engine.api.after_commit", lambda case_id: [])


def _statuses(ogi) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for w in ogi.json("warnings", "list"):
        for d in w["recipients"]:
            out.setdefault(d["user"], set()).add((d["channel"], d["status"]))
    return out


def test_only_recipients_with_a_channel_now_are_rearmed(ogi_sqlite, calendar, monkeypatch):
    ogi = ogi_sqlite
    r = received_for(calendar, shift(calendar, AS_OF, 1))  # wd1: clerk + head + legal office
    n = ogi.register(r.isoformat())["number"]
    ogi.ok("case", "accept", n, "--date", r.isoformat())
    first = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())  # default config: no channel at all
    assert first["created"] == 1
    before = _statuses(ogi)
    assert len(before) >= 3 and all(s == {("none", "no_address")} for s in before.values())
    write_config(ogi, monkeypatch, user_webhooks={"li": "http://127.0.0.1:9/hook"})  # the clerk only
    again = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert again["created"] == 0
    after = _statuses(ogi)
    assert after["li"] == {("none", "cancelled"), ("webhook", "pending")}
    assert {u: s for u, s in after.items() if u != "li"} == {u: s for u, s in before.items() if u != "li"}
    ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert _statuses(ogi) == after
