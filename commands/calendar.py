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


def _calendar():
    from ..engine.calendar_store import load_calendar

    return load_calendar()


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
