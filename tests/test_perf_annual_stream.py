"""The annual report streams the cases (never holds them all) and reads the fee events without an
ORDER BY over the whole history (sorted by case and sequence in Python). Behaviour, not time:
with fee events of several cases interleaved in the history table, each payment is still paired
with its own case's latest notice, and the report is the same as computed from a list."""
from __future__ import annotations

import pytest

from legal_support import no_letters, register, step


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def _fee(ogi, cid: int, day: str, amount: int) -> None:
    """A notice of `amount` 元 (a multiple of 10, at most 700): 按量, 30 pages free, then 10 元 a page."""
    assert amount % 10 == 0 and 0 < amount <= 700
    step(ogi, cid, "fee_notice", day, basis="per_page", quantity=30 + amount // 10)


def test_fees_pair_with_their_own_notice_when_cases_interleave(fast):
    a = register(fast, "2026-03-02")
    b = register(fast, "2026-03-02", "李四")
    step(fast, a, "accept", "2026-03-03")
    step(fast, b, "accept", "2026-03-03")
    _fee(fast, b, "2026-03-04", 300)   # b's notice is written before a's
    _fee(fast, a, "2026-03-04", 100)
    step(fast, a, "fee_paid", "2026-03-05")
    step(fast, b, "fee_paid", "2026-03-05")
    _fee(fast, b, "2026-03-09", 50)    # a second notice for b: its payment is 50, not 300
    step(fast, b, "fee_paid", "2026-03-10")
    r = fast.json("report", "annual", "--year", "2026", user="zhao")
    assert r["fees"] == {"count": 3, "amount": 450}


def test_report_from_a_stream_equals_the_report_from_a_list(fast):
    from ogi.engine.legal.annual_report import compute, load
    from ogi.engine.store.db import read_session

    for i, day in enumerate(("2025-12-29", "2026-01-05", "2026-02-02")):
        register(fast, day, f"申请人{i}")
    with read_session() as s:
        cases, challenges, fees = load(s, 2026)
        assert iter(cases) is cases  # a stream, not a list
        streamed = compute(2026, cases, challenges, fees)
        cases, challenges, fees = load(s, 2026)
        listed = compute(2026, list(cases), challenges, fees)
    assert streamed == listed and streamed["balanced"]
    assert streamed["cases_by_row"]["一"] == ["2026-0001", "2026-0002"]
    assert streamed["cases_by_row"]["二"] == ["2025-0001"]
