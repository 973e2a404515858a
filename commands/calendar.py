"""`ogi calendar ...`: working-day arithmetic on the official calendar."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import parse_date, print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
ProvisionalOpt = Annotated[
    bool, typer.Option("--allow-provisional", help="缺少年度数据时按放假办法估算，结果标注为“暂定”")
]


def _api():
    from ..engine import api

    return api


def _calendar():
    return _api().load_calendar()


@app.command("add", help="起算日之后第 N 个工作日（起算日不计入，民法典第二百零一条）。")
def add_cmd(
    date: Annotated[str, typer.Argument(help="起算日，如 2026-09-24")],
    workdays: Annotated[int, typer.Argument(help="工作日数 N", min=0, max=2000)],
    json_: JsonOpt = False,
    allow_provisional: ProvisionalOpt = False,
) -> None:
    start = parse_date(date, "起算日")
    due = _calendar().add_marked(start, workdays, allow_provisional=allow_provisional)
    if json_:
        print_json({"start": start, "workdays": workdays, "due": due.date, "provisional": due.provisional})
    else:
        print(due.date.isoformat() + ("（暂定：所涉年度尚无国务院节假日安排数据）" if due.provisional else ""))


@app.command("count", help="两日之间的工作日数：(D1, D2]，即不含 D1、含 D2。")
def count_cmd(
    d1: Annotated[str, typer.Argument(help="开始日（不计入）")],
    d2: Annotated[str, typer.Argument(help="结束日（计入）")],
    json_: JsonOpt = False,
    allow_provisional: ProvisionalOpt = False,
) -> None:
    a, b = parse_date(d1, "开始日"), parse_date(d2, "结束日")
    cal = _calendar()
    n = cal.count(a, b, allow_provisional=allow_provisional)
    provisional = cal.is_provisional(min(a, b), max(a, b))
    if json_:
        print_json({"from": a, "to": b, "workdays": n, "provisional": provisional})
    else:
        print(str(n) + ("（暂定）" if provisional else ""))


def _console():
    """Long Chinese lines have no spaces to break at: let the terminal wrap them."""
    from .common import console

    c = console()
    c.soft_wrap = True
    return c


def _md(d) -> str:
    return f"{d.month}月{d.day}日"


def _span(first, last) -> str:
    if first == last:
        return _md(first)
    if first.month == last.month:
        return f"{_md(first)}至{last.day}日"
    return f"{_md(first)}至{_md(last)}"


@app.command("show", help="以月历显示某一年的放假日（含节日名称）和调休上班日，并注明所依据的国务院办公厅通知。")
def show_cmd(
    year: Annotated[int, typer.Argument(help="年度，如 2026", min=1990, max=2099)],
    json_: JsonOpt = False,
    allow_provisional: ProvisionalOpt = False,
) -> None:
    view = _api().calendar_year(year, allow_provisional=allow_provisional)
    if json_:
        print_json(view)
        return
    _print_year(view)


def _print_year(view: dict) -> None:
    from rich import box
    from rich.columns import Columns
    from rich.table import Table
    from rich.text import Text

    c = _console()
    year = view["year"]
    off = {x["date"]: x["name"] for x in view["days_off"]}
    makeup = {x["date"]: x["name"] for x in view["makeup_workdays"]}
    c.print(Text(f"{year} 年工作日日历", style="bold"))
    if view["provisional"]:
        c.print(Text(f"暂定：尚未载入 {year} 年国务院办公厅节假日安排通知。以下按《全国年节及纪念日放假办法》"
                     "第二条推定（周末休息，不调休），通知公布后请用“ogi calendar import 文件”导入。", style="bold yellow"))
    else:
        notice = view["notice"] + (f"（{view['number']}）" if view["number"] else "")
        published = f"，{view['published']} 发布" if view["published"] else ""
        source = view["source_label"] or ""
        if view["imported_by"]:
            source += f"，{view['imported_by']} 于 {view['imported_at']} 导入"
        c.print(f"依据：{notice}{published}（{source}）")
    c.print(Text.assemble(("休", "bold red"), " 放假　", ("班", "bold blue"), " 调休上班　",
                          ("灰色", "dim"), " 周末　其余为工作日"))
    months = [_month_table(year, month, off, makeup) for month in range(1, 13)]
    c.print(Columns(months, padding=(1, 3)))
    rows = Table(title=f"{year} 年放假安排", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("节日", "放假", "天数", "调休上班"):
        rows.add_column(col)
    for h in view["holidays"]:
        rows.add_row(h["name"], _span(h["first"], h["last"]) if h["first"].year == h["last"].year
                     else f"{h['first']}至{h['last']}", str(h["days"]),
                     "、".join(f"{d.isoformat() if d.year != year else _md(d)}（{_wd(d)}）" for d in h["workdays"]) or "—")
    c.print(rows)
    for x in view["before_year"]:
        kind = "调休上班" if x["kind"] == "makeup" else "放假"
        c.print(f"注：本年度通知安排上年 {x['date']}（{_wd(x['date'])}）{x['name']}{kind}。")
    for x in view["from_next_notice"]:
        kind = "调休上班" if x["kind"] == "makeup" else "放假"
        c.print(f"注：{x['date']}（{_wd(x['date'])}）{x['name']}{kind}，依据{view['next_notice']}。")
    c.print(f"全年工作日 {view['workdays_total']} 天" + ("（暂定）" if view["provisional"] else "") + "。")


def _month_table(year: int, month: int, off: dict, makeup: dict):
    """One month of the year's calendar: 休 days off, 班 make-up working days, weekends dimmed,
    and a caption naming the holidays."""
    import calendar as pycal

    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{month}月", box=box.SIMPLE_HEAD, padding=(0, 0), pad_edge=False,
              show_edge=False, title_style="bold", caption_justify="left", collapse_padding=True)
    for i, wd in enumerate("一二三四五六日"):
        t.add_column(wd, justify="left", width=4, style="dim" if i >= 5 else "")
    notes: dict[str, list] = {}
    for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for d in week:
            if d.month != month:
                cells.append(Text(""))
            elif d in makeup:
                cells.append(Text(f"{d.day:>2}班", style="bold blue"))
                notes.setdefault(f"{makeup[d]}调休上班", []).append(d)
            elif d in off:
                cells.append(Text(f"{d.day:>2}休", style="bold red"))
                notes.setdefault(f"{off[d]}放假", []).append(d)
            else:
                cells.append(Text(f"{d.day:>2}", style="dim" if d.weekday() >= 5 else ""))
        t.add_row(*cells)
    if notes:
        t.caption = "；".join(f"{name} {_runs(ds)}" for name, ds in notes.items())
    return t

def _wd(d) -> str:
    return "周" + "一二三四五六日"[d.weekday()]


def _runs(days: list) -> str:
    """2/15, 2/16, 2/17 -> 15–17日; separate runs joined by 、"""
    days = sorted(days)
    runs: list[list] = []
    for d in days:
        if runs and (d - runs[-1][-1]).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return "、".join(f"{r[0].day}日" if len(r) == 1 else f"{r[0].day}–{r[-1].day}日" for r in runs)


@app.command("explain", help="逐日列出期限的计算过程：哪些日子计为第几个工作日，哪些日子不计入及原因（周末、节假日）。")
def explain_cmd(
    date: Annotated[str, typer.Argument(help="起算日，如 2026-09-24（不计入）")],
    workdays: Annotated[int, typer.Argument(help="工作日数 N", min=0, max=2000)],
    json_: JsonOpt = False,
    allow_provisional: ProvisionalOpt = False,
) -> None:
    start = parse_date(date, "起算日")
    r = _api().explain_period(start, workdays, allow_provisional=allow_provisional)
    if json_:
        print_json(r)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    c = _console()
    prov = "（暂定）" if r["provisional"] else ""
    why = "周末" if r["start_reason"].startswith("周") else r["start_reason"]
    c.print(f"起算日 {r['start']}（{r['start_weekday']}，{why}）不计入"
            "（民法典第二百零一条：开始的当日不计入，自下一日开始计算）。")
    t = Table(box=box.SIMPLE_HEAD)
    for col in ("日期", "星期", "计数", "说明"):
        t.add_column(col)
    for d in r["days"]:
        mark = "（暂定）" if d["provisional"] else ""
        if d["workday"]:
            t.add_row(str(d["date"]), d["weekday"], f"第 {d['counted']} 个工作日", d["reason"] + mark)
        else:
            t.add_row(Text(str(d["date"]), style="dim"), Text(d["weekday"], style="dim"), Text("不计入", style="red"),
                      Text(d["reason"] + mark, style="red"))
    if r["days"]:
        c.print(t)
    c.print(Text(f"第 {r['workdays']} 个工作日为 {r['due']}（{r['due_weekday']}）{prov}，期限至该日 24 时届满。", style="bold"))
    c.print(f"共 {r['calendar_days']} 个自然日：计入工作日 {r['workdays']} 天，不计入 {r['skipped']} 天"
            f"（周末 {r['skipped_weekend']} 天，节假日 {r['skipped_holiday']} 天）。")
    for n in r["notices"]:
        if n["provisional"]:
            c.print(f"{n['year']} 年：尚无国务院办公厅节假日安排数据，按放假办法推定（暂定，通知公布并导入后重新计算）。")
        else:
            c.print(f"{n['year']} 年依据：{n['notice']}")


@app.command("years", help="列出已载入的年度节假日安排、所依据的通知、来源（随软件提供或本机关导入）及可计算范围。")
def years_cmd(json_: JsonOpt = False) -> None:
    r = _api().calendar_years()
    if json_:
        print_json(r)
        return
    from rich import box
    from rich.table import Table

    c = _console()
    t = Table(box=box.SIMPLE_HEAD)
    for col in ("年度", "通知", "发布", "来源", "SHA-256"):
        t.add_column(col, overflow="fold")
    for y in r["years"]:
        notice = y["notice"] + (f"（{y['number']}）" if y["number"] else "")
        source = y["source_label"]
        if y["imported_by"]:
            source += f"：{y['imported_by']} {y['imported_at'][:16].replace('T', ' ')}"
            if y["supersedes_shipped"]:
                source += "（取代随软件提供的版本）"
        t.add_row(str(y["year"]), notice, str(y["published"] or "—"), source, y["sha256"][:12])
    c.print(t)
    h = r["horizon"]
    c.print(f"可计算范围：{h['first']} 至 {h['last']}。")
    if r["gaps"]:
        c.print(f"[yellow]注意：范围内缺少 {'、'.join(str(g) for g in r['gaps'])} 年的安排，涉及这些年度的计算将被拒绝或标注为暂定。[/]")
    c.print(f"{h['last'].year + 1} 年及以后：国务院办公厅公布通知后，用“ogi calendar import 文件”导入。")


AsOpt = Annotated[Optional[str], typer.Option("--as", help="办理人用户名（默认取环境变量 OGI_USER）")]
MAX_YEAR_FILE_BYTES = 1_000_000


def _read_year_file(path: str) -> str:
    from pathlib import Path

    from ..errors import InputError, YearFileError, os_reason

    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"“{path}”是目录，请指定一个年度日历文件（.toml）")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"找不到文件“{path}”，请核对路径") from None
    except PermissionError:
        raise InputError(f"没有读取文件“{path}”的权限") from None
    except OSError as exc:
        raise InputError(f"无法读取文件“{path}”：{os_reason(exc)}") from None
    if len(raw) > MAX_YEAR_FILE_BYTES:
        raise YearFileError(f"文件“{path}”过大（{len(raw)} 字节），不像是年度日历文件")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise YearFileError(f"文件“{path}”不是 UTF-8 编码的文本，请另存为 UTF-8 后重新导入") from None


@app.command("import", help="导入新年度的国务院办公厅节假日安排（TOML 文件，仅系统管理员）；校验通过后入库，并重新计算涉及该年度的全部案件（含已办结案件）的期限，变化记入各案件的办理记录。")
def import_cmd(
    file: Annotated[str, typer.Argument(help="年度日历文件，格式同 calendars/data/2026.toml")],
    replace: Annotated[bool, typer.Option("--replace", help="替换已载入的同一年度安排")] = False,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    text = _read_year_file(file)
    r = _api().import_calendar_year(as_, text, replace, expected_year=_year_in_name(file))
    if json_:
        print_json(r)
        return
    from rich import box
    from rich.table import Table

    c = _console()
    notice = r["notice"] + (f"（{r['number']}）" if r["number"] else "")
    if r["unchanged"]:
        c.print(f"{r['year']} 年的节假日安排与已载入的完全相同（{notice}），未作改动。")
        return
    verb = "已替换" if r["replaced"] else "已导入"
    c.print(f"[bold green]✓[/] {verb} {r['year']} 年节假日安排：{notice}"
            f"（放假 {r['days_off']} 天，调休上班 {r['makeup_workdays']} 天）")
    changed = r["changed_cases"]
    if not changed:
        c.print("涉及该年度的案件期限均无变化。")
        return
    closed = sum(1 for x in changed if x.get("closed"))
    c.print(f"已重新计算期限，{len(changed)} 件案件的期限有变化"
            + (f"（其中已办结 {closed} 件，可用“ogi check”查看答复是否因此由按期变为逾期）" if closed else "")
            + "，变化已记入各案件的办理记录：")
    t = Table(box=box.SIMPLE_HEAD)
    for col in ("案件", "答复期限", "下一期限", "暂定", "办结"):
        t.add_column(col)
    for x in changed:
        b, a = x["before"], x["after"]
        t.add_row(x["case"], _arrow(b["answer_due"], a["answer_due"]), _arrow(b["next_due"], a["next_due"]),
                  _arrow("是" if b["provisional"] else "否", "是" if a["provisional"] else "否"),
                  "已办结" if x.get("closed") else "")
    c.print(t)


def _year_in_name(path: str) -> int | None:
    """A file named like 2027.toml must hold the year 2027 (a mix-up of files is refused)."""
    import re
    from pathlib import Path

    m = re.fullmatch(r"(\d{4})", Path(path).stem)
    return int(m.group(1)) if m else None


def _arrow(before, after) -> str:
    b, a = ("—" if before is None else str(before)), ("—" if after is None else str(after))
    return a if a == b else f"{b} → {a}"
