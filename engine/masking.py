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


def mask_name(value: str, applicant_kind: str = "natural") -> str:
    """A natural person's name keeps its first character: 张三 -> 张*, 欧阳小明 -> 欧***.
    Names of organisations are not personal data and stay as they are."""
    v = (value or "").strip()
    if applicant_kind != "natural" or len(v) <= 1:
        return v
    return v[0] + "*" * (len(v) - 1)
