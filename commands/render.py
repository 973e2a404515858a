"""Human output of case data. JSON output never comes through here.

Laid out for the terminal's width (80 columns and wider; COLUMNS honoured, as rich does): lines
are wrapped where Chinese allows it, never inside a case number, a date, a number or a path;
paths are printed whole on lines of their own; tables keep the case numbers and dates whole and
drop their least needed columns when the terminal is narrow; every symbol has its legend and
every due date says in words where it stands today (已逾期 N 个工作日、今日到期、还剩 N 个工作日,
computed by the engine: engine/cases/standing.py).

`ogi case show` (print_case_full) is plain text with its own tables (CJK-aware widths), so the
fast start (cli_fast.py) prints it without importing rich; so is the table of `ogi case history`
(history_lines: its wrapping never breaks a date). The other commands use rich, which colours
only on a terminal, and not at all under NO_COLOR.
"""
from __future__ import annotations

import os
import sys
import unicodedata

from .cells import NO_BREAK_AFTER, NO_BREAK_BEFORE, char_width, text_width
from ..states.info_items import InfoItem
from ..states.vocabulary import CLOCK_CHART, OPINIONS, auth_legend, auth_notes, auth_short

# The legends, printed wherever their symbols are.
DEADLINE_LEGEND = "期限（⏰ 正在计算的期限；所列日期为期限的最后一日）："
CHART_LEGEND = "期限示意图（├──┤ 期限起止，░ 暂停计算，▲ 办理步骤，◆ 同日多个步骤）"
SAVED = "✓ 已保存"  # the step's headline: ✓ says it is saved, in words


def _d(v) -> str:
    return "" if v is None else str(v)


# --------------------------------------------------------------------------- rich (not `case show`)

def _console():
    """stdout through rich: styles only on a terminal (rich's own detection), none under NO_COLOR
    (https://no-color.org: not even bold), never when piped."""
    from rich.console import Console

    plain = os.environ.get("NO_COLOR", "") != ""
    return Console(highlight=False, emoji=False, **({"color_system": None} if plain else {}))


def _print_lines(c, lines: list[str], style: str | None = None) -> None:
    """Lines already fitted to the width (wrap_line), printed as they are: no markup, no
    re-wrapping, nothing cut (a path longer than the terminal stays whole on its line)."""
    from rich.text import Text

    for line in lines:
        c.print(Text(_clean(line), style=style or ""), soft_wrap=True)


def _standing_style(standing: dict | None) -> str | None:
    kind = (standing or {}).get("kind")
    if kind == "overdue":
        return "bold red"
    if kind == "due_today" or (kind == "left" and (standing.get("workdays") or 0) <= 3):
        return "yellow"
    return None


def print_case_brief(r: dict, headline: str) -> None:
    """What every step (and registration) prints: the case, the step's warnings, the clocks, the
    letters made (each file's path whole on its own line) and the next steps."""
    c = _console()
    width = c.width
    _print_lines(c, wrap_line(f"{SAVED}　{headline}", width, "  "), "bold green")
    _print_lines(c, wrap_line(f"案件 {r['number']}（ID {r['id']}）　申请人：{r['applicant']['name']}　"
                              f"状态：{r['state_label']}", width, "  "))
    step = r.get("step") or {}
    for w in [*step.get("warnings", []), *(r.get("warnings") or [])]:  # registration: 重复申请 (第三十六条第（六）项)
        _print_lines(c, wrap_line(w, width, "  "), "yellow")
    _print_deadlines(c, r, width)
    for l in r.get("letters_rendered", []) or []:
        if l.get("error"):
            _print_lines(c, wrap_line(f"文书“{_kind_label(l['kind'])}”暂未生成：{l['error']}"
                                      "（步骤已保存，可用 ogi letter render 重试）", width, "  "), "yellow")
        else:
            kind = f"（{_kind_label(l['kind'])}）" if l.get("kind") else ""
            _print_lines(c, wrap_line(f"文书：{l['number']}{kind}", width, "  "))
            _print_lines(c, [f"  {l['path']}"])
    if r.get("next_steps"):
        _print_lines(c, next_steps_lines(r, width))


def _kind_label(kind: str) -> str:
    from ..engine import api

    return api.letter_kind_label(kind)  # an unknown code comes back as it is


def _print_deadlines(c, r: dict, width: int) -> None:
    shown = _shown_clocks(r)
    if not shown:
        return
    _print_lines(c, wrap_line(DEADLINE_LEGEND, width, "  "))
    for clock in shown:
        _print_lines(c, _deadline_line(clock, width), _standing_style(clock.get("standing")))


def print_explain(r: dict) -> None:
    """`ogi case explain`: each clock, where it stands today in words, and how it was computed."""
    c = _console()
    width = c.width
    as_of = f"（截至 {r['as_of']}）" if r.get("as_of") else ""
    _print_lines(c, wrap_line(f"案件 {r['number']} 期限计算说明{as_of}", width, "  "), "bold")
    for clock in r["clocks"]:
        c.print()
        text = f"{clock['label']}：{_d(clock['due'])}" + ("（暂定）" if clock["provisional"] else "")
        _print_lines(c, wrap_with_tail(text, standing_text(clock), width, "  "),
                     _standing_style(clock.get("standing")) or "bold")
        for line in clock["explanation"]:
            _print_lines(c, wrap_line(f"  {line}", width, "    "))


# --------------------------------------------------------------------------- case show (plain)

def print_case_full(r: dict) -> None:
    """`ogi case show`: the one renderer of both the Typer path and the fast start (cli_fast.py)."""
    sys.stdout.write("".join(line + "\n" for line in case_full_lines(r)))


def case_full_lines(r: dict, width: int | None = None) -> list[str]:
    """The case page as plain text lines (no rich: cli_fast must not import it). Lines and tables
    are fitted to `width` (default: the terminal's) by wrapping; nothing is cut off; the folder
    of the letters is printed whole on a line of its own."""
    width = width or _terminal_width()
    a = r["applicant"]
    lines: list[str] = []

    def add(text: str, indent: str = "  ") -> None:
        lines.extend(wrap_line(_clean(text), width, indent))

    add(f"案件 {r['number']}（ID {r['id']}）　{r['state_label']}"
        + (f"　办理结果：{r['outcome_label']}" if r.get("outcome_label") else ""))
    add(f"申请人：{a['name']}（{a['type_label']}）　证件：{a['id_number'] or '未填写'}　电话：{a['phone'] or '未填写'}")
    add(f"提交方式：{r['channel_label']}　收到申请之日：{r['received_on']}　经办人：{r.get('clerk_name') or r['clerk']}")
    add(f"所需信息：{r['description']}")
    if r.get("info_items"):  # propose --item: the information the proposal discloses
        add("公开的信息：")
        for n, item in enumerate(r["info_items"], 1):
            add(f"  {n}. {InfoItem(**item).label}", "     ")
    lines += deadline_lines(r, width)
    if r.get("consultations"):
        lines += table_lines("征求意见", ("编号", "对象", "发出", "期限", "答复", "意见"), [
            (str(x.get("no", x["id"])), x["party"], _d(x["sent_on"]), _d(x["due_on"]),
             _d(x["replied_on"] or (f"逾期 {x['lapsed_on']}" if x["lapsed_on"] else "")),
             OPINIONS.get(x["opinion"], _d(x["opinion"])))
            for x in r["consultations"]], width, keep=(0, 2, 3))
    if r.get("letters"):
        # File names are long: the folder is named once below; `ogi letter list` shows each file.
        lines += table_lines("文书", ("文号", "文书", "日期", "状态"), [
            (l["number"], l.get("kind_label") or l["kind"], _d(l["issued_on"]), l.get("status_label") or l["status"])
            for l in r["letters"]], width, keep=(0, 2))
        folders = sorted({os.path.dirname(l["path"]) for l in r["letters"] if l["path"]})
        if folders:
            lines.append("文书文件位于：")
            lines += [_clean(f"  {folder}") for folder in folders]  # whole, however long
    if r.get("history"):
        lines += clock_chart_block(r, width)
        lines += timeline_lines(r, width)
        for note in history_auth_notes(r["history"]):
            add(note)
    if r.get("next_steps"):
        lines += next_steps_lines(r, width)
    return lines


def next_steps_lines(r: dict, width: int) -> list[str]:
    return wrap_line(_clean("下一步可办理：" + "、".join(s["label"] for s in r["next_steps"])), width, "  ")


def _shown_clocks(r: dict) -> list[dict]:
    return [c for c in r.get("clocks", []) if c["running"] or c["paused"]]


def standing_text(clock: dict) -> str:
    """Where a clock stands today, in words (the engine's; older dicts without it: from its flags)."""
    st = clock.get("standing")
    if st:
        return st.get("text") or ""
    return "暂停计算" if clock.get("paused") else ("计时中" if clock.get("running") else "已结束")


def _deadline_line(clock: dict, width: int) -> list[str]:
    prov = "（暂定）" if clock["provisional"] else ""
    return wrap_with_tail(_clean(f"  ⏰ {clock['label']}：{_d(clock['due'])}{prov}"), standing_text(clock),
                          width, "     ")


def deadline_lines(r: dict, width: int | None = None) -> list[str]:
    """The running and paused clocks, one each (⏰, with its legend above them), each with where it
    stands today in words: "⏰ 答复期限（条例第三十三条）：2026-10-29　已逾期 45 个工作日"."""
    width = width or _terminal_width()
    shown = _shown_clocks(r)
    if not shown:
        return []
    out = wrap_line(DEADLINE_LEGEND, width, "  ")
    for clock in shown:
        out += _deadline_line(clock, width)
    return out


def history_note(h: dict, limit: int = 60) -> str:
    """The 说明 of a history row: the engine's note (the reason, then what the step recorded, in
    Chinese: engine/cases/timeline.py event_note), cut to `limit` characters."""
    note = h.get("note") or ""
    return note if len(note) <= limit else note[: limit - 1] + "…"


def timeline_lines(r: dict, width: int | None = None) -> list[str]:
    """The case's history as a table (the # column numbers the steps of the clock chart). A
    说明 longer than 60 characters ends in …: the whole text is in `ogi case history`."""
    rows = [(str(h["seq"]), _d(h["effective_on"]), h["label"] or h["action"], h.get("actor_label") or h["actor"],
             h["recorded_at"][:16].replace("T", " "), history_note(h)) for h in r["history"]]
    return table_lines(f"办理时间线（{r['number']}）", ("#", "办理日期", "步骤", "办理人", "记录时间", "说明"), rows,
                       width or _terminal_width(), keep=(0, 1, 4))


def history_auth_notes(history: list[dict]) -> list[str]:
    """The notes under a history naming the entries whose actor was declared (--as, OGI_USER),
    not proven by the operating system, and the old ones that do not say."""
    return auth_notes((h["seq"], h.get("actor_auth") or "") for h in history)


def _actor_cell(e: dict) -> tuple[str, ...]:
    """李明（li） over how it was proven, in short (声明身份: the legend below the table says what
    it means); 系统 alone for the engine's own work."""
    name, login = e.get("actor_name") or e["actor"], e["actor"]
    who = name if login in ("system", name) else f"{name}（{login}）"
    how = auth_short(e.get("actor_auth"))
    return (who,) if how == who else (who, how)


def history_lines(r: dict, notes: list[str], changes: list[str], width: int | None = None) -> list[str]:
    """`ogi case history`: every entry with who acted and how the OS proved it, what it recorded
    (`notes`, the engine's) and how its due dates changed (`changes`), then what the short names
    of the authentications mean. Dates, times and case numbers are never broken: on a narrow
    terminal the 记录时间 column goes first, then the 期限变化 one, and a line says so."""
    width = width or _terminal_width()
    headers = ("#", "办理日期", "步骤", "办理人", "说明", ("期限变化", "（前 → 后）"), "记录时间")
    floors = {3: 10, 4: 12, 5: 10, 6: 10}
    rows = []
    for e, note, change in zip(r["entries"], notes, changes):
        rows.append((str(e["seq"]), _d(e["effective_on"]) or "—", e["label"] or e["action"], _actor_cell(e),
                     (note, f"⚠ {e['problem']}") if e.get("problem") else note, change or "—",
                     e["recorded_at"][:16].replace("T", " ")))
    for shown in ((0, 1, 2, 3, 4, 5, 6), (0, 1, 2, 3, 4, 5), (0, 1, 2, 3, 4)):
        lines = table_lines(f"办理时间线（{r['number']}）", tuple(headers[i] for i in shown),
                            [tuple(row[i] for i in shown) for row in rows], width, keep=(0, 1),
                            floors={n: floors[i] for n, i in enumerate(shown) if i in floors}, rules=True)
        if max(text_width(line) for line in lines) <= width:
            break
    left_out = [headers[i] if isinstance(headers[i], str) else headers[i][0] for i in range(len(headers))
                if i not in shown]
    legend = auth_legend(e.get("actor_auth") or "" for e in r["entries"])
    return lines + (wrap_line(legend, width, "  ") if legend else []) + _left_out_line(left_out, width)


def print_plain(lines: list[str]) -> None:
    sys.stdout.write("".join(_clean(line) + "\n" for line in lines))


def print_timeline(r: dict) -> None:
    sys.stdout.write("".join(_clean(line) + "\n" for line in timeline_lines(r)))


# --------------------------------------------------------------------------- plain text layout

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


def _clean(text: str) -> str:
    """No escape codes, line breaks or direction overrides from stored text reach the terminal."""
    if text.replace("\u3000", "").isprintable():  # the common case; U+3000 (Zs) is not "printable"
        return text
    return "".join("?" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


_SPACES = (" ", "\u3000")


def _tokens(text: str) -> list[str]:
    """The units a line is never broken inside: a run of ASCII other than spaces (a date, a case
    number, a number, a path, an English word), or any other single character."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isascii() and ch != " ":
            j = i + 1
            while j < n and text[j].isascii() and text[j] != " ":
                j += 1
            out.append(text[i:j])
            i = j
        else:
            out.append(ch)
            i += 1
    return out


def wrap_line(text: str, width: int, indent: str = "") -> list[str]:
    """`text` in lines of at most `width` columns, the second and later ones starting with
    `indent`. Breaks at a space or between Chinese characters, never inside a date, a number or
    an English word (unless that alone is wider than a line), never before closing or after
    opening punctuation."""
    if text_width(text) <= width:
        return [text]
    ind_w = text_width(indent)
    if ind_w * 2 > width:
        indent, ind_w = "", 0
    out: list[str] = []
    cur: list[str] = []
    cur_w, room = 0, width

    def flush() -> None:
        nonlocal cur, cur_w, room
        out.append("".join(cur).rstrip())
        cur, cur_w, room = [], 0, width - ind_w

    for tok in _tokens(text):
        w = text_width(tok)
        if cur_w + w <= room:
            cur.append(tok)
            cur_w += w
            continue
        if tok in _SPACES:  # the line ends at a space: the space goes
            flush()
            continue
        carry: list[str] = []
        if tok in NO_BREAK_BEFORE and len(cur) > 1 and cur[-1] not in _SPACES:
            carry.append(cur.pop())  # the character before a closing mark goes down with it
        while len(cur) > 1 and cur[-1] in NO_BREAK_AFTER:
            carry.insert(0, cur.pop())
        if cur:
            flush()
        for t in (*carry, tok):
            tw = text_width(t)
            if cur_w + tw <= room:
                cur.append(t)
                cur_w += tw
                continue
            for ch in t:  # wider than a whole line: folded, the only way to show it all
                cw = char_width(ch)
                if cur and cur_w + cw > room:
                    flush()
                cur.append(ch)
                cur_w += cw
    if cur:
        out.append("".join(cur).rstrip())
    return [out[0], *(indent + line for line in out[1:])]


def wrap_with_tail(text: str, tail: str, width: int, indent: str = "") -> list[str]:
    """`text`, then `tail` after a U+3000 space, wrapped like wrap_line, except that the tail
    ("已逾期 45 个工作日") is never broken: it ends the last line, or has a line of its own."""
    if not tail:
        return wrap_line(text, width, indent)
    lines = wrap_line(text, width, indent)
    if text_width(lines[-1]) + 2 + text_width(tail) <= width:
        return [*lines[:-1], f"{lines[-1]}\u3000{tail}"]
    return [*lines, *wrap_line(indent + tail, width, indent)]


def _wrap(text: str | tuple[str, ...], width: int) -> list[str]:
    """A table cell's text in lines of at most `width` columns (wrap_line's breaks); a cell given
    as a tuple is several lines, each wrapped on its own."""
    if isinstance(text, tuple):
        return [line for part in text for line in wrap_line(part, width)]
    return wrap_line(text, width)


def _cell_clean(cell: str | tuple[str, ...]) -> str | tuple[str, ...]:
    return tuple(_clean(part) for part in cell) if isinstance(cell, tuple) else _clean(cell)


def _cell_width(cell: str | tuple[str, ...]) -> int:
    return max((text_width(part) for part in cell), default=0) if isinstance(cell, tuple) else text_width(cell)


def table_lines(title: str, headers: tuple, rows: list[tuple], width: int = 80,
                keep: tuple[int, ...] = (), *, floors: dict[int, int] | None = None,
                rules: bool = False) -> list[str]:
    """A table drawn like rich's default (heavy head), its title centred above it. Columns as
    wide as their longest cell; when the table is wider than `width`, the widest columns are
    narrowed and their cells wrapped (never cut). Columns in `keep` (a 文号, a date) are never
    wrapped; `floors` gives others a narrowest width (a column of dates: 10) where the terminal
    has room for all of them (else they wrap down to their header's width). A cell may be a
    tuple of lines (a header too). `rules`: a line between the rows (rich's show_lines)."""
    rows = [tuple(_cell_clean(c) for c in row) for row in rows]
    widths = [max([_cell_width(h)] + [_cell_width(row[i]) for row in rows]) for i, h in enumerate(headers)]
    floor = [widths[i] if i in keep else min(widths[i], max(_cell_width(h), 4)) for i, h in enumerate(headers)]
    wished = [max(f, min(widths[i], (floors or {}).get(i, 0))) for i, f in enumerate(floor)]
    if sum(wished) + 3 * len(widths) + 1 <= width:
        floor = wished
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
    for n, row in enumerate(rows):
        if rules and n:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += cells(row, "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


# --------------------------------------------------------------------------- rich tables

class Col:
    """A column of a rich table fitted to the terminal. `rank`: the lower, the longer it stays
    when the terminal is narrow (0: always). `wrap`: its text may wrap (Chinese text, or a date
    followed by a remark after a space) down to `floor` columns; otherwise it is as wide as its
    widest cell and never cut. `ease`: the width it asks for before lower ranks get a place."""

    def __init__(self, header: str, cells: list, rank: int, *, wrap: bool = False, floor: int = 0,
                 ease: int | None = None, justify: str = "left"):
        from rich.cells import cell_len

        self.header, self.cells, self.rank, self.wrap, self.justify = header, cells, rank, wrap, justify
        widest = max([cell_len(header), *(max((cell_len(line) for line in str(c).split("\n")), default=0)
                                           for c in cells)])
        self.full = widest
        self.floor = min(widest, max(floor, 1)) if wrap else widest
        self.ease = min(widest, max(self.floor, ease if ease is not None else widest))
        self.width = self.floor

    def lines(self, width: int) -> int:
        """How many lines its header and cells take at `width` (as wrap_line breaks them)."""
        return sum(1 if len(line) * 2 <= width else len(wrap_line(line, width))
                   for c in (self.header, *self.cells) for line in str(c).split("\n"))


def fit_columns(cols: list[Col], width: int) -> tuple[list[Col], list[Col]]:
    """(shown, left out): columns taken by rank while they fit, at their `ease` width or else
    their `floor` (a later, narrower one may still fit); the room left widens the wrapping ones,
    by rank, towards their widest cell. Each column costs 3 more cells (padding and rule), the
    table 1."""
    chosen: list[Col] = []
    used = 1
    for col in sorted(cols, key=lambda c: c.rank):
        fits = [w for w in (col.ease, col.floor) if used + w + 3 <= width]
        if col.rank == 0 or fits:
            col.width = fits[0] if fits else col.ease
            chosen.append(col)
            used += col.width + 3
    spare = width - used
    by_rank = sorted(chosen, key=lambda c: c.rank)
    for col in by_rank:  # first whole columns: no wrapping at all
        if 0 < col.full - col.width <= spare:
            spare -= col.full - col.width
            col.width = col.full
    for col in by_rank:  # then fewer lines where the rest of the room gives that
        if spare <= 0:
            break
        target = col.lines(col.width + spare)
        if target >= col.lines(col.width):
            continue
        lo, hi = col.width, col.width + spare  # the narrowest width giving as few lines
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if col.lines(mid) <= target else (mid + 1, hi)
        spare -= hi - col.width
        col.width = hi
    while spare < 0:  # rank 0 alone too wide (a tiny terminal): narrow what may wrap
        narrowable = [c for c in chosen if c.wrap and c.width > c.floor]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda c: c.width - c.floor)
        widest.width -= 1
        spare += 1
    shown = [c for c in cols if c in chosen]
    return shown, [c for c in cols if c not in chosen]


def fitted_table(title: str, cols: list[Col], width: int):
    """A rich Table of the columns that fit `width`, each at the width fit_columns gave it, and
    the headers of those left out."""
    from rich.table import Table

    shown, left_out = fit_columns(cols, width)
    t = Table(title=title)
    for col in shown:
        t.add_column(col.header, width=col.width, no_wrap=not col.wrap, overflow="fold", justify=col.justify)
    for i in range(len(cols[0].cells) if cols else 0):
        t.add_row(*(col.cells[i] for col in shown))
    return t, [c.header for c in left_out]


def _left_out_line(left_out: list[str], width: int) -> list[str]:
    if not left_out:
        return []
    return wrap_line(f"终端宽度 {width} 列，未显示：{'、'.join(left_out)}（加宽窗口可显示，或用 --json）", width, "  ")


def print_case_list(r: dict) -> None:
    """`ogi case list`: case numbers and dates whole at any width; the applicant, the clerk and
    the ID go first when the terminal is narrow; where each nearest due date stands, in words."""
    from rich.text import Text

    c = _console()
    width = c.width
    cases = r["cases"]
    if not cases:
        _print_lines(c, wrap_line(f"案件列表（截至 {r['as_of']}）：没有符合条件的案件。", width, "  "))
        return

    def words(x: dict) -> Text:
        st = x.get("standing") or {}
        return Text(st.get("text") or "", style=_standing_style(st) or "")

    def clock_name(x: dict) -> str:
        key = x.get("next_clock") or ""
        return CLOCK_CHART.get(key.split(":", 1)[0], key) + (f"{key.split(':', 1)[1]}" if ":" in key else "")

    marks = {"paused": any(x["paused"] for x in cases), "provisional": any(x["provisional"] for x in cases)}
    cols = [
        Col("ID", [str(x["id"]) for x in cases], 8, justify="right"),
        Col("编号", [x["number"] for x in cases], 0),
        Col("申请人", [x["applicant"] for x in cases], 6, wrap=True, floor=8, ease=12),
        Col("状态", [x["state_label"] for x in cases], 3, wrap=True, floor=6, ease=12),
        Col("经办人", [x.get("clerk_name") or x["clerk"] for x in cases], 7, wrap=True, floor=6, ease=8),
        Col("最近期限", [clock_name(x) for x in cases], 4, wrap=True, floor=4, ease=10),
        Col("到期日", [_d(x["next_due"]) + (" （暂定）" if x["provisional"] and x["next_due"] else "") for x in cases],
            1, wrap=True, floor=10, ease=10),
        Col("期限情况", [words(x) for x in cases], 2, wrap=True, floor=10, ease=20),
        Col("答复期限", [_d(x["answer_due"]) + (" （暂停）" if x["paused"] else "") for x in cases],
            5, wrap=True, floor=10, ease=10),
    ]
    t, left_out = fitted_table(f"案件列表（截至 {r['as_of']}）", cols, width)
    c.print(t)
    notes = ["期限情况按工作日计算，指最近期限"]
    if marks["paused"] and "答复期限" not in left_out:
        notes.append("（暂停）：征求意见或缴费期间，答复期限暂停计算")
    if marks["provisional"]:
        notes.append("（暂定）：所涉年度尚无国务院节假日安排，日期为暂定")
    _print_lines(c, wrap_line("说明：" + "；".join(notes) + "。", width, "  "))
    _print_lines(c, _left_out_line(left_out, width))


def print_letter_list(rows: list[dict]) -> None:
    """`ogi letter list`: the letters in a table (Chinese columns aligned by rich's cell widths),
    then each file's path whole on a line of its own."""
    c = _console()
    width = c.width
    if not rows:
        _print_lines(c, ["该案件还没有文书。"])
        return
    cols = [
        Col("文号", [x["number"] for x in rows], 0),
        Col("文书", [x["title"] for x in rows], 2, wrap=True, floor=8, ease=24),
        Col("日期", [_d(x["issued_on"]) for x in rows], 1),
        Col("状态", [_letter_status(x) for x in rows], 3, wrap=True, floor=6, ease=10),
        Col("版本", [str(x["version"]) if x.get("version") else "" for x in rows], 4),
    ]
    t, left_out = fitted_table("文书", cols, width)
    c.print(t)
    _print_lines(c, _left_out_line(left_out, width))
    if any(x.get("path") or x.get("error") for x in rows):
        _print_lines(c, ["文件："])
        for x in rows:
            _print_lines(c, wrap_line(f"  {x['number']}（{x['title']}）", width, "    "))
            if x.get("path"):
                _print_lines(c, [f"    {x['path']}"])
            elif x.get("error"):
                _print_lines(c, wrap_line(f"    生成失败：{x['error']}", width, "      "), "yellow")


def _letter_status(x: dict) -> str:
    return x.get("status_label") or _d(x.get("status"))


# --------------------------------------------------------------------------- the clock chart

def clock_chart_lines(r: dict, width: int = 56) -> list[str]:
    """A picture of the case on one date axis: each clock as a bar from its start to its due
    date (░ where paused), and the steps as numbered marks (the # of the timeline table). A
    running clock is marked 进行中, or 已逾期 / 今日到期 by where it stands today."""
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
        mark = _chart_mark(c)
        lines.append(_pad(name, label_w) + "".join(bar) + f" {str(c['due'])[5:]}{(' ' + mark) if mark else ''}")
    marks = ["─"] * width
    for _, d in steps:
        i = col(d)
        marks[i] = "▲" if marks[i] == "─" else "◆"  # ◆: several steps on one day
    lines.append(_pad("办理步骤", label_w) + "".join(marks))
    return lines


def _chart_mark(c: dict) -> str:
    if c.get("paused"):
        return "暂停"
    if not c.get("running"):
        return ""
    kind = (c.get("standing") or {}).get("kind")
    return {"overdue": "已逾期", "due_today": "今日到期"}.get(kind, "进行中")


def _pad(text: str, width: int) -> str:
    """Pad to a display width where CJK characters take two columns (at least one space)."""
    return text + " " * max(width - text_width(text), 1)


CHART_MARK_WIDTH = 15  # " 10-29 今日到期": the widest text after a bar


def clock_chart_block(r: dict, width: int | None = None) -> list[str]:
    """The chart with its heading and legend (nothing when there is nothing to draw), fitted to
    `width` (the terminal's by default): 12 columns of labels, the axis, the due date and mark."""
    total = width or _terminal_width()
    axis = max(20, min(56, total - 12 - CHART_MARK_WIDTH))
    lines = clock_chart_lines(r, axis)
    return [*wrap_line(CHART_LEGEND, total, "  "), *lines] if lines else []


def print_clock_chart(r: dict) -> None:
    sys.stdout.write("".join(_clean(line) + "\n" for line in clock_chart_block(r)))
