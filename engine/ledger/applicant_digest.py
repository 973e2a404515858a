"""Keyed digests of the applicant's identity document number and contact details (issue 15).

The register event records the applicant's name, type and the description in clear, but not the
ID number, telephone, e-mail or address: the history is read by every role (clerks, the head,
the legal office), and those are personal data (个人信息保护法第二十八条: an identity number is
sensitive). An unkeyed SHA-256 would not protect them: an 18-digit 身份证号 with its region and
birth date is a few billion guesses. So the event records an HMAC-SHA256 of each value under a key
only the service holds (keys/applicant.key), and `ogi audit verify` recomputes them from the
applicant row: an edit of a field that no logged step changed (a 更正联系方式 step records its
new values in clear) is a finding, and letters, which print these fields, render from logged data.

Pure: the key comes in as bytes (engine/ledger/store.py reads or creates the file).
"""
from __future__ import annotations

import hashlib
import hmac

FIELDS = ("id_number", "phone", "email", "address")
DIGEST_HEX = 32                    # 128 bits: collisions are not the threat, guessing the key is
KEY_ID_HEX = 12


def key_id(key: bytes) -> str:
    """Names the key in each event, so a replaced key is told apart from an edited row."""
    return hashlib.sha256(b"ogi applicant digest key\x00" + key).hexdigest()[:KEY_ID_HEX]


def digest(key: bytes, field: str, value: str | None) -> str:
    """The field's name is inside the MAC: a phone number moved into the address field differs."""
    msg = f"{field}\x00{value or ''}".encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:DIGEST_HEX]


def digests(key: bytes, contact: dict) -> dict:
    """What the register event records: {"key": key id, field: digest, ...}."""
    return {"key": key_id(key), **{f: digest(key, f, contact.get(f)) for f in FIELDS}}


def mismatched(key: bytes, recorded: dict, applicant, corrected: set[str]) -> list[str]:
    """The fields of `applicant` (a row) whose digest differs from the register event's,
    skipping those a logged step has since given in clear (`corrected`)."""
    return [f for f in FIELDS if f in recorded and f not in corrected
            and not hmac.compare_digest(digest(key, f, getattr(applicant, f)), recorded[f])]
