"""`ogi proactive ...`: information requested again and again, converted to 主动公开
(条例第四十四条; engine/legal/proactive.py). The yearly list is `ogi report proactive`."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import console, optional_date, print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)
AsOpt = Annotated[Optional[str], typer.Option("--as", help="用户名（默认取环境变量 OGI_USER）")]
JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="办理日期 YYYY-MM-DD（默认今天）")]
ItemArg = Annotated[str, typer.Argument(help="事项编号（如 2026-001）", show_default=False)]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="proactive",
                   help="依申请公开转为主动公开（条例第四十四条）：提出、审核、查看事项；年度目录见 ogi report proactive。")


def _api():
    from ..engine import api

    return api


def _print_item(r: dict, verb: str) -> None:
    c = console()
    c.print(f"{verb}：事项 {r['number']}“{r['title']}”——{r['state_label']}", markup=False)
    if r["doc_number"] or r["issuer"]:
        c.print(f"  文号：{r['doc_number'] or '—'}　发文机关：{r['issuer'] or '—'}", markup=False)
    if r["cases"]:
        c.print(f"  申请案件：{'、'.join(r['cases'])}（{r['applicants']} 个申请人）", markup=False)
    if r["state"] == "approved":
        c.print(f"  公开位置：{r['location']}", markup=False)
        c.print(f"  已列入 {r['decided_on'][:4]} 年度转主动公开目录：ogi report proactive --year {r['decided_on'][:4]}",
                markup=False, soft_wrap=True)
    elif r["state"] == "rejected":
        c.print(f"  不予转化的理由：{r['decision_reason']}", markup=False)
    else:
        c.print(f"  待审核：由审核人（非提出人）运行 ogi proactive approve {r['number']} --location … 或 reject",
                markup=False, soft_wrap=True)


@app.command("propose", help="提出将某项政府信息转为主动公开（经办人）：写明信息名称、文号、发文机关、提出理由及申请过它的案件。")
def propose_cmd(
    title: Annotated[str, typer.Option("--title", help="信息名称，如“人民路改造工程立项批复”")],
    reason: Annotated[str, typer.Option("--reason", help="提出理由，如“2026年有5个申请人申请”")],
    doc_number: Annotated[str, typer.Option("--number", help="文号，如“某发改〔2025〕12号”")] = "",
    issuer: Annotated[str, typer.Option("--issuer", help="发文机关")] = "",
    case: Annotated[Optional[list[str]], typer.Option("--case", help="申请过该信息的案件（可重复）")] = None,
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    r = _api().proactive_propose(as_, title=title, doc_number=doc_number, issuer=issuer, cases=case or [],
                                 reason=reason, on=optional_date(date, "办理日期"))
    print_json(r) if json_ else _print_item(r, "已提出")


@app.command("approve", help="审核同意转为主动公开（审核人，提出人不能审核）：写明公开位置。")
def approve_cmd(
    item: ItemArg,
    location: Annotated[str, typer.Option("--location", help="公开的位置，如“本机关门户网站—政府信息公开—法定主动公开内容”")],
    reason: Annotated[str, typer.Option("--reason", help="审核意见")] = "",
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    r = _api().proactive_decide(as_, item, approve=True, reason=reason, location=location,
                                on=optional_date(date, "办理日期"))
    print_json(r) if json_ else _print_item(r, "已审核")


@app.command("reject", help="审核不同意转为主动公开（审核人，提出人不能审核）：须写明理由。")
def reject_cmd(
    item: ItemArg,
    reason: Annotated[str, typer.Option("--reason", help="不予转化的理由")],
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    r = _api().proactive_decide(as_, item, approve=False, reason=reason, on=optional_date(date, "办理日期"))
    print_json(r) if json_ else _print_item(r, "已审核")


@app.command("list", help="列出转主动公开事项（可按年度、状态筛选）。")
def list_cmd(
    year: Annotated[Optional[int], typer.Option("--year", help="年度（提出或审核于该年）")] = None,
    state: Annotated[Optional[str], typer.Option("--state", help="状态：proposed（待审核）、approved（已转为主动公开）、rejected（不予转化）")] = None,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    rows = _api().proactive_list(as_, year=year, state=state)
    if json_:
        print_json({"items": rows})
        return
    c = console()
    if not rows:
        c.print("没有转主动公开事项。运行 ogi report repeated 查看多人申请的相同信息。")
        return
    from rich.table import Table

    t = Table(title="转主动公开事项（条例第四十四条）", show_lines=True)
    t.add_column("编号", no_wrap=True)
    t.add_column("信息名称（文号）", overflow="fold", ratio=3)
    t.add_column("申请人", no_wrap=True, justify="right")
    t.add_column("状态", overflow="fold", ratio=1)
    t.add_column("审核（公开位置或理由）", overflow="fold", ratio=3)
    for r in rows:
        title = r["title"] + (f"（{r['doc_number']}）" if r["doc_number"] else "")
        decided = (f"{r['decided_on']} {r['decided_by']}：{r['location'] or r['decision_reason']}" if r["decided_on"]
                   else f"{r['proposed_on']} 由 {r['proposed_by']} 提出")
        t.add_row(r["number"], title, str(r["applicants"]), r["state_label"], decided)
    c.print(t)
