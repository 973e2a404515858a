"""Terminal cells of Chinese text, for the two layouts that wrap it by display width: help pages
(zh_click) and case output (render). Standard library only: `ogi case show`'s fast start uses it.

A character takes two columns when East Asian wide or full-width, none when combining, else one.
Chinese line breaking (GB/T 15834 punctuation): no line starts with a closing mark, none ends
with an opening one.
"""
from __future__ import annotations

import unicodedata

NO_BREAK_BEFORE = frozenset("，。、；：？！）」』】》〉〕’”…,.;:?!)]}%")
NO_BREAK_AFTER = frozenset("（「『【《〈〔‘“([{")


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def char_width(ch: str) -> int:
    if ch < "\u1100":  # nothing below Hangul Jamo is wide; combining marks take no column
        return 0 if ch >= "\u0300" and unicodedata.combining(ch) else 1
    if unicodedata.combining(ch):
        return 0
    return 2 if is_wide(ch) else 1


def text_width(text: str) -> int:
    """Display columns of `text` in a terminal: CJK (East Asian wide and full-width) take two."""
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)
