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


def mask_event_phones(data):
    """An event's data as a viewer without access to personal data reads it: a 更正联系方式
    step's phone numbers (the new one and the previous one) masked; anything else as it is."""
    if not isinstance(data, dict) or not ("phone" in data or "phone" in (data.get("previous") or {})):
        return data
    out = {**data}
    if isinstance(out.get("phone"), str):
        out["phone"] = mask_phone(out["phone"])
    if isinstance(out.get("previous"), dict) and isinstance(out["previous"].get("phone"), str):
        out["previous"] = {**out["previous"], "phone": mask_phone(out["previous"]["phone"])}
    return out


def mask_name(value: str, applicant_kind: str = "natural") -> str:
    """A natural person's name keeps its first character: 张三 -> 张*, 欧阳小明 -> 欧***.
    Names of organisations are not personal data and stay as they are."""
    v = (value or "").strip()
    if applicant_kind != "natural" or len(v) <= 1:
        return v
    return v[0] + "*" * (len(v) - 1)


# Free text (error logs, exported messages): 18/15-digit resident ID numbers and mainland mobile
# numbers anywhere in the text, and the values of the CLI options that carry them.
_ID_RE = None
_PRIVATE_OPTIONS = {"--id-number": mask_id_number, "--phone": mask_phone, "--contact": mask_phone}


def mask_text(text: str) -> str:
    """110101199003071234 -> 110101********1234 and 13812345678 -> 138****5678 inside any text."""
    import re

    global _ID_RE
    if _ID_RE is None:
        _ID_RE = (re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])|(?<![0-9])[0-9]{15}(?![0-9])"),
                  re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"))
    ids, phones = _ID_RE
    text = ids.sub(lambda m: mask_id_number(m.group(0)), text or "")
    return phones.sub(lambda m: mask_phone(m.group(0)), text)


def mask_argv(argv: list[str]) -> list[str]:
    """A command line fit for a log file: private option values masked, the rest as mask_text."""
    out, mask_next = [], None
    for a in argv:
        a = str(a)
        if mask_next:
            out.append(mask_next(a))
            mask_next = None
            continue
        opt, eq, val = a.partition("=")
        if opt in _PRIVATE_OPTIONS:
            if eq:
                out.append(f"{opt}={_PRIVATE_OPTIONS[opt](val)}")
            else:
                out.append(a)
                mask_next = _PRIVATE_OPTIONS[opt]
            continue
        out.append(mask_text(a))
    return out
