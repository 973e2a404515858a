"""Human output of case data. JSON output never comes through here.

`ogi case show` (print_case_full) is plain text with its own tables (CJK-aware widths), so the
fast start (cli_fast.py) prints it without importing rich; the other commands use rich.
"""
from __future__ import annotations

import os
import sys
import unicodedata

from ..states.vocabulary import CLOCK_CHART
from .common import console


def _d(v) -> str:
    return "" if v is None else str(v)


def print_case_brief(r: dict, headline: str) -> None:
    c = console()
    c.print(f"[bold green]✓[/] {headline}")
    c.print(f"案件 {r['number']}（ID {r['id']}）　申请人：{r['applicant']['name']}　状态：[bold]{r['state_label']}[/]")
    step = r.get("step") or {}
    for w in step.get("warnings", []):
        c.print(f"[yellow]{w}[/]")
    for w in r.get("warnings") or []:  # registration: e.g. 重复申请 (条例第三十六条第（六）项)
        c.print(f"[yellow]{w}[/]")
    _print_deadlines(c, r)
    for l in r.get("letters_rendered", []) or []:
        if l.get("error"):
            c.print(f"[yellow]文书“{l['kind']}”暂未生成：{l['error']}（步骤已保存，可用 ogi letter render 重试）[/]")
        else:
            c.print(f"文书：{l['number']}　{l['path']}")
    if r.get("next_steps"):
        c.print("下一步可办理：" + "、".join(s["label"] for s in r["next_steps"]))


def _print_deadlines(c, r: dict) -> None:
    for line in deadline_lines(r, due_style=lambda due: f"[bold]{due}[/]"):
        c.print(line)


def print_case_full(r: dict) -> None:
    """`ogi case show`: the one renderer of both the Typer path and the fast start (cli_fast.py)."""
    sys.stdout.write("".join(line + "\n" for line in case_full_lines(r)))


def case_full_lines(r: dict, width: int | None = None) -> list[str]:
    """The case page as plain text lines (no rich: cli_fast must not import it). Tables are
    drawn in rich's style and fitted to `width` (default: the terminal's) by wrapping cells;
    nothing is cut off."""
    width = width or _terminal_width()
    a = r["applicant"]
    lines = [
        f"案件 {r['number']}（ID {r['id']}）　{r['state_label']}"
        + (f"　办理结果：{r['outcome_label']}" if r.get("outcome_label") else ""),
        f"申请人：{a['name']}（{a['type_label']}）　证件：{a['id_number'] or '—'}　电话：{a['phone'] or '—'}",
        f"提交方式：{r['channel_label']}　收到申请之日：{r['received_on']}　经办人：{r['clerk']}",
        f"所需信息：{r['description']}",
    ]
    lines += deadline_lines(r)
    if r.get("consultations"):
        lines += table_lines("征求意见", ("编号", "对象", "发出", "期限", "答复", "意见"), [
            (str(x["id"]), x["party"], _d(x["sent_on"]), _d(x["due_on"]),
             _d(x["replied_on"] or (f"逾期 {x['lapsed_on']}" if x["lapsed_on"] else "")), _d(x["opinion"]))
            for x in r["consultations"]], width)
    if r.get("letters"):
        # File names are long: the folder is named once below; `ogi letter list` shows each file.
        lines += table_lines("文书", ("文号", "文书", "日期", "状态"), [
            (l["number"], l.get("kind_label") or l["kind"], _d(l["issued_on"]), l.get("status_label") or l["status"])
            for l in r["letters"]], width, keep=(0, 1))
        folders = sorted({os.path.dirname(l["path"]) for l in r["letters"] if l["path"]})
        if folders:
            lines.append("文书文件位于：" + "；".join(folders))
    if r.get("history"):
        lines += clock_chart_block(r)
        lines += timeline_lines(r, width)
    if r.get("next_steps"):
        lines.append("下一步可办理：" + "、".join(s["label"] for s in r["next_steps"]))
    return [_clean(line) for line in lines]


def deadline_lines(r: dict, due_style=str) -> list[str]:
    """One line per running or paused clock; due_style marks up the date (rich bold for a step's
    brief, plain for `case show`)."""
    out = []
    for clock in r.get("clocks", []):
        if not clock["running"] and not clock["paused"]:
            continue
        flag = "（暂停计算）" if clock["paused"] else ""
        prov = "（暂定）" if clock["provisional"] else ""
        out.append(f"  ⏰ {clock['label']}：{due_style(_d(clock['due']))}{prov}{flag}")
    return out


def timeline_lines(r: dict, width: int | None = None) -> list[str]:
    """The case's history as a table (the # column numbers the steps of the clock chart)."""
    rows = []
    for h in r["history"]:
        note = h["reason"] or ""
        data = h.get("data") or {}
        for key in ("items", "party", "outcome", "method", "workdays", "opinion", "kind"):
            if key in data and key != "kind":
                note = (note + " " if note else "") + f"{key}={data[key]}"
        rows.append((str(h["seq"]), _d(h["effective_on"]), h["label"] or h["action"], h["actor"],
                     h["recorded_at"][:16].replace("T", " "), note[:60]))
    return table_lines(f"办理时间线（{r['number']}）", ("#", "办理日期", "步骤", "办理人", "记录时间", "说明"), rows,
                       width or _terminal_width())


def print_timeline(r: dict) -> None:
    sys.stdout.write("".join(_clean(line) + "\n" for line in timeline_lines(r)))


# --------------------------------------------------------------------------- plain tables

def _terminal_width() -> int:
    """As rich measures it: COLUMNS, else the size of whichever of stdin/stdout/stderr is a
    terminal, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


def _char_width(ch: str) -> int:
    if ch < "\u1100":  # nothing below Hangul Jamo is wide; combining marks take no column
        return 0 if ch >= "\u0300" and unicodedata.combining(ch) else 1
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Display columns of `text` in a terminal: CJK (East Asian wide and full-width) take two."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)


def _clean(text: str) -> str:
    """No escape codes, line breaks or direction overrides from stored text reach the terminal."""
    if text.replace("\u3000", "").isprintable():  # the common case; U+3000 (Zs) is not "printable"
        return text
    return "".join("?" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken after a space where there is one."""
    if text_width(text) <= width:
        return [text]
    out: list[str] = []
    cur, cur_w = "", 0
    for ch in text:
        w = _char_width(ch)
        if cur and cur_w + w > width:
            cut = cur.rfind(" ")
            if cut > 0:
                out.append(cur[:cut])
                cur = cur[cut + 1:]
            else:
                out.append(cur)
                cur = ""
            cur_w = text_width(cur)
        cur += ch
        cur_w += w
    out.append(cur)
    return out


def table_lines(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]], width: int = 80,
                keep: tuple[int, ...] = ()) -> list[str]:
    """A table drawn like rich's default (heavy head), its title centred above it. Columns as
    wide as their longest cell; when the table is wider than `width`, the widest columns are
    narrowed and their cells wrapped (never cut). Columns in `keep` (a 文号) are never wrapped."""
    rows = [tuple(_clean(c) for c in row) for row in rows]
    widths = [max([text_width(h)] + [text_width(row[i]) for row in rows]) for i, h in enumerate(headers)]
    floor = [widths[i] if i in keep else max(text_width(h), 4) for i, h in enumerate(headers)]
    excess = sum(widths) + 3 * len(widths) + 1 - width
    while excess > 0:
        i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break
        widths[i] -= 1
        excess -= 1

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values, bar: str) -> list[str]:
        wrapped = [_wrap(v, w) for v, w in zip(values, widths)]
        out = []
        for k in range(max(len(c) for c in wrapped)):
            parts = []
            for c, w in zip(wrapped, widths):
                part = c[k] if k < len(c) else ""
                parts.append(part + " " * (w - text_width(part)))
            out.append(bar + " " + f" {bar} ".join(parts) + " " + bar)
        return out

    total = sum(widths) + 3 * len(widths) + 1
    pad = max((total - text_width(title)) // 2, 0)
    lines = [" " * pad + title, rule("┏", "━", "┳", "┓"), *cells(headers, "┃"), rule("┡", "━", "╇", "┩")]
    for row in rows:
        lines += cells(row, "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def print_explain(r: dict) -> None:
    c = console()
    c.print(f"[bold]案件 {r['number']} 期限计算说明[/]")
    for clock in r["clocks"]:
        state = "进行中" if clock["running"] else ("暂停" if clock["paused"] else "—")
        c.print(f"\n[bold]{clock['label']}[/]：{_d(clock['due'])}（{state}{'，暂定' if clock['provisional'] else ''}）")
        for line in clock["explanation"]:
            c.print(f"  · {line}")


def print_case_list(r: dict) -> None:
    from rich.table import Table

    t = Table(title=f"案件列表（截至 {r['as_of']}）")
    for col in ("ID", "编号", "申请人", "状态", "经办人", "最近期限", "剩余工作日", "答复期限"):
        t.add_column(col)
    for x in r["cases"]:
        left = x["workdays_left"]
        left_s = "" if left is None else (f"[red]逾期 {-left}[/]" if left < 0 else (f"[yellow]{left}[/]" if left <= 3 else str(left)))
        due = _d(x["next_due"]) + ("（暂停）" if x["paused"] else "") + ("（暂定）" if x["provisional"] else "")
        t.add_row(str(x["id"]), x["number"], x["applicant"], x["state_label"], x["clerk"], due, left_s, _d(x["answer_due"]))
    console().print(t)
    if not r["cases"]:
        console().print("没有符合条件的案件。")


def clock_chart_lines(r: dict, width: int = 56) -> list[str]:
    """A picture of the case on one date axis: each clock as a bar from its start to its due
    date (░ where paused), and the steps as numbered marks (the # of the timeline table)."""
    import datetime as dt

    def day(v):
        return v if isinstance(v, dt.date) else dt.date.fromisoformat(v)

    clocks = [c for c in r.get("clocks", []) if c.get("start") and c.get("due")]
    steps = [(h["seq"], day(h["effective_on"])) for h in r.get("history", [])
             if h.get("effective_on") and h["action"] not in ("letter_rendered", "warning_sent", "recompute")]
    dates = [day(c["start"]) for c in clocks] + [day(c["due"]) for c in clocks] + [d for _, d in steps]
    if not dates:
        return []
    lo, hi = min(dates), max(dates)
    span = max((hi - lo).days, 1)

    def col(d) -> int:
        return round((day(d) - lo).days * (width - 1) / span)

    label_w = 12
    lines = [f"{'':<{label_w}}{lo.isoformat():<{width - 10}}{hi.isoformat():>10}"]
    for c in clocks:
        key = c["key"].split(":")
        name = CLOCK_CHART.get(key[0], key[0]) + (key[1] if len(key) > 1 else "")
        a, b = col(c["start"]), col(c["due"])
        bar = [" "] * width
        fill = "░" if c.get("paused") else "─"
        for i in range(a, b + 1):
            bar[i] = fill
        bar[a], bar[b] = "├", "┤"
        mark = "暂停" if c.get("paused") else ("进行中" if c.get("running") else "")
        lines.append(_pad(name, label_w) + "".join(bar) + f" {str(c['due'])[5:]}{(' ' + mark) if mark else ''}")
    marks = ["─"] * width
    for _, d in steps:
        i = col(d)
        marks[i] = "▲" if marks[i] == "─" else "◆"  # ◆: several steps on one day
    lines.append(_pad("办理步骤", label_w) + "".join(marks))
    return lines


def _pad(text: str, width: int) -> str:
    """Pad to a display width where CJK characters take two columns (at least one space)."""
    return text + " " * max(width - text_width(text), 1)


def clock_chart_block(r: dict) -> list[str]:
    """The chart with its heading and legend (nothing when there is nothing to draw)."""
    lines = clock_chart_lines(r)
    return ["期限示意图（├──┤ 期限起止，░ 暂停计算，▲ 办理步骤，◆ 同日多个步骤）", *lines] if lines else []


def print_clock_chart(r: dict) -> None:
    sys.stdout.write("".join(_clean(line) + "\n" for line in clock_chart_block(r)))
