"""The configuration that decides rules and roles, as a leaf of the agency's log (issue 15).

What counts: the [agency] fields letters print, [rules], [identity], [service], the log's
verifier key ([ledger]), and every user's roles and os_account. Not the channels (email,
webhook, [warnings]): changing an address changes no decision. Pure functions, no I/O: engine/ledger/store.py appends a `config` leaf before a
step's event when the newest one's digest is not the current configuration's.
"""
from __future__ import annotations

import hashlib
from dataclasses import fields

from ..cases.history import canonical_json


def rules_sections(cfg) -> dict:
    """The sections of `cfg` that affect rules or roles, as plain JSON values."""
    sections = {
        "agency": {f.name: getattr(cfg.agency, f.name) for f in fields(cfg.agency)},
        "rules": {f.name: getattr(cfg.rules, f.name) for f in fields(cfg.rules)},
        "identity": {"allow_declared": cfg.identity.allow_declared},
        "service": {"user": cfg.identity.service_user},
        "users": {login: {"roles": sorted(u.roles), "os_account": u.os_account}
                  for login, u in cfg.users.items()},
    }
    if cfg.ledger_verifier:  # which key signs the checkpoints (absent before `ogi audit key`: old digests hold)
        sections["ledger"] = {"verifier_key": cfg.ledger_verifier}
    return sections


def rules_digest(cfg) -> tuple[str, str]:
    """(SHA-256 hex, canonical JSON) of the configuration that affects rules or roles."""
    body = canonical_json(rules_sections(cfg))
    return hashlib.sha256(body.encode("utf-8")).hexdigest(), body


def config_body(digest: str, canonical: str, actor: str, actor_auth: str, recorded_at: str) -> str:
    """The leaf body: the sections themselves (self-contained), their digest, who and when."""
    import json

    return canonical_json({"kind": "config", "config": json.loads(canonical), "digest": digest,
                           "actor": actor, "actor_auth": actor_auth, "recorded_at": recorded_at})
