"""The government information an answer discloses, recorded item by item when the clerk proposes
it (`ogi case propose --item "标题｜文号｜发文机关"`): the title, the 文号 where there is one and
the issuing body. Stored in the propose event as `info_items`, a list of {"title", "number",
"body"}; the reply lists them, and repeated requests (条例第三十六条第（六）项) and the conversion to
主动公开 (条例第四十四条) can match on them.

Pure: the standard library and errors.py only (commands, guards, letters and the engine use it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError

MAX_ITEMS = 50
LIMITS = {"title": 200, "number": 100, "body": 200}
LABELS = {"title": "标题", "number": "文号", "body": "发文机关"}
KEYS = tuple(LIMITS)
SEPARATORS = "｜|"
# As engine/cases/steps.py clean_text: separators, BOM and bidirectional overrides/isolates.
_INVISIBLE = frozenset("\u2028\u2029\ufeff\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The year of a 文号 in any bracket a clerk types: [2025] (2025) （2025） ［2025］ 【2025】 -> 〔2025〕 (GB/T 9704-2012 7.2.4).
_YEAR = re.compile(r"[\[(（［【〔]\s*(\d{4})\s*[\])）］】〕]")


@dataclass(frozen=True)
class InfoItem:
    title: str
    number: str = ""
    body: str = ""

    @property
    def label(self) -> str:
        """"标题（文号，发文机关）", the parts there are: how a letter and a listing name it."""
        extra = "，".join(x for x in (self.number, self.body) if x)
        return f"{self.title}（{extra}）" if extra else self.title

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "number": self.number, "body": self.body}


def normalise_number(number: str) -> str:
    return _YEAR.sub(r"〔\1〕", number.strip())


def parse_item(text: str, n: int = 1) -> InfoItem:
    """One `--item`: 标题｜文号｜发文机关 (｜ or |); the title is required, the rest optional."""
    parts = [p.strip() for p in re.split(f"[{re.escape(SEPARATORS)}]", text or "")]
    if len(parts) > 3:
        raise InputError(f"第 {n} 项公开的信息分隔过多：格式为“标题｜文号｜发文机关”，文号和发文机关可省略")
    parts += [""] * (3 - len(parts))
    item = InfoItem(parts[0], normalise_number(parts[1]), parts[2])
    found = item_problems(item.as_dict(), n)
    if found:
        raise InputError(found[0])
    return item


def parse_items(texts: list[str] | None) -> list[dict[str, str]]:
    """Every `--item` of one proposal, as stored (InputError on the first bad one)."""
    texts = list(texts or [])
    if len(texts) > MAX_ITEMS:
        raise InputError(f"公开的信息最多记录 {MAX_ITEMS} 项（本次 {len(texts)} 项），请合并或作为附件另行存档")
    return [parse_item(t, n).as_dict() for n, t in enumerate(texts, 1)]


def item_problems(item, n: int = 1) -> list[str]:
    if not isinstance(item, dict) or set(item) - set(KEYS) or not all(isinstance(v, str) for v in item.values()):
        return [f"第 {n} 项公开的信息格式有误：应为标题、文号、发文机关三项文字"]
    out = []
    if not (item.get("title") or "").strip():
        out.append(f"第 {n} 项公开的信息缺少标题：格式为“标题｜文号｜发文机关”，标题必填")
    for key, limit in LIMITS.items():
        value = item.get(key) or ""
        if len(value) > limit:
            out.append(f"第 {n} 项公开的信息的{LABELS[key]}过长（{len(value)} 字，上限 {limit} 字）")
        bad = [c for c in value if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in _INVISIBLE]
        if bad:
            out.append(f"第 {n} 项公开的信息的{LABELS[key]}中含有不可见的控制字符（如 U+{ord(bad[0]):04X}），请删除后重新输入")
    return out


def problems(items) -> list[str]:
    """What is wrong with a stored-shape list (a caller of the engine other than the CLI)."""
    if items is None:
        return []
    if not isinstance(items, list):
        return ["公开的信息格式有误：应为一组标题、文号、发文机关"]
    if len(items) > MAX_ITEMS:
        return [f"公开的信息最多记录 {MAX_ITEMS} 项（本次 {len(items)} 项），请合并或作为附件另行存档"]
    return [p for n, item in enumerate(items, 1) for p in item_problems(item, n)]


def items_of(data) -> tuple[InfoItem, ...]:
    """The items a propose event recorded (none before this was kept, or none given)."""
    items = data.get("info_items") if isinstance(data, dict) else None
    return tuple(InfoItem(**{k: str(i.get(k) or "") for k in KEYS}) for i in items or () if isinstance(i, dict))
