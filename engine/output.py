"""Results as JSON, the one way every command prints them (`--json`) and exports write them:
UTF-8 Chinese as is, dates as ISO 8601, objects by their to_json()."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any


def _default(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if hasattr(o, "to_json"):
        return o.to_json()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)
