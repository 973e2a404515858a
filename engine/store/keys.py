"""Normalised text keys, as stored and indexed (`applicant.name_key`, migration 0004).

Unicode NFKC, lower case, and every whitespace, punctuation, symbol and control character
removed, so "某道路改造工程 立项批复。" and "某道路改造工程立项批复" give the same key. rows.py
writes it for every new applicant; the repeat check (engine/legal/repeated.py) and the per-month
fee count (engine/cases/steps.py) match applicants, and repeated requests match descriptions, with
it. Standard library only: rows.py, and so `ogi case show`'s fast start, loads no more than this.
"""
from __future__ import annotations

import unicodedata

_DROP = ("P", "S", "Z", "C")  # punctuation, symbols, separators (spaces), controls


def normalise(text: str) -> str:
    s = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in _DROP)


def applicant_key(ap) -> tuple[str, str, str]:
    """Who an applicant is, across registrations: normalised name, kind, ID number."""
    return (normalise(ap.name), ap.kind, (ap.id_number or "").strip().upper())


def same_applicant(a, b) -> bool:
    """Same normalised name and kind, and no two different ID numbers."""
    if normalise(a.name) != normalise(b.name) or a.kind != b.kind:
        return False
    ia, ib = (a.id_number or "").strip().upper(), (b.id_number or "").strip().upper()
    return not (ia and ib and ia != ib)
