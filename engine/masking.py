"""Masking of personal data in listings, logs, warnings and exports (个人信息保护法第五十一条)."""
from __future__ import annotations


def mask_id_number(value: str) -> str:
    """110101199003071234 -> 110101********1234 (keeps the region code and last four)."""
    v = (value or "").strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678."""
    v = (value or "").strip()
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]
