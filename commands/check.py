"""`ogi check [ID|--all]`: the compliance check — what a court would hold against the agency."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import console, optional_date, print_json


def register(root: typer.Typer) -> None:
    root.command("check", short_help="合规检查：逐案列出法院会指出的问题及依据条款。", help="合规检查：逐案查找法院会指出的问题（逾期补正告知、逾期答复、延期程序、"
                              "未说明理由、未告知救济途径、未征求第三方意见、送达方式，以及节假日安排变更后已办结案件的答复由按期变为逾期或相反等），每项注明依据条款。"
                              "这是一份报告：有问题也以 0 退出，加 --strict 则有问题时退出码为 1。")(check_cmd)


def check_cmd(
    case: Annotated[Optional[str], typer.Argument(help="案件 ID 或编号（省略则检查全部案件）")] = None,
    all_: Annotated[bool, typer.Option("--all", help="检查全部案件")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="发现问题时退出码为 1（用于定时任务、持续集成）")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="以该日判断“期限届满仍未答复”（默认今天）")] = None,
    as_: Annotated[Optional[str], typer.Option("--as", help="用户名（默认取环境变量 OGI_USER）")] = None,
    json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    from ..engine import api
    from ..errors import InputError

    if case is not None and all_:
        raise InputError("请指定一个案件，或使用 --all 检查全部案件，二者不能同时使用")
    r = api.compliance_check(as_, case, optional_date(as_of, "日期"))
    if json_:
        print_json(r)
    else:
        _print(r)
    if strict and r["findings"]:
        raise typer.Exit(1)


def _print(r: dict) -> None:
    from rich.table import Table

    c = console()
    if not r["findings"]:
        c.print(f"[bold green]✓[/] 检查了 {r['cases_checked']} 个案件，未发现问题（截至 {r['as_of']}）")
        return
    c.print(f"[bold yellow]检查了 {r['cases_checked']} 个案件，{r['cases_with_findings']} 个案件共发现 "
            f"{len(r['findings'])} 个问题[/]（截至 {r['as_of']}）")
    t = Table(show_lines=True)
    for col in ("案件", "问题", "依据", "说明"):
        t.add_column(col, overflow="fold")
    for f in r["findings"]:
        t.add_row(f["case"], f["title"], f["article"], f["message"])
    c.print(t)
