"""`ogi report ...`: the annual report (tables 三 and 四), repeated requests, the dashboard."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import console, dump_json, optional_date, print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)
AsOpt = Annotated[Optional[str], typer.Option("--as", help="用户名（默认取环境变量 OGI_USER）")]
OutOpt = Annotated[Optional[str], typer.Option("--out", help="输出文件")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report", help="统计报告：政府信息公开工作年度报告（表三、表四）、重复申请、办理看板。")


def _api():
    from ..engine import api

    return api


def _default_path(name: str) -> str:
    return str(_api().export_path(name))


@app.command("annual", help="年度报告统计表（国办公开办函〔2021〕30号）：表三 收到和处理申请情况、表四 行政复议和行政诉讼情况，"
                           "以及本年收取的信息处理费。勾稽关系（一+二=三(七)+四）不成立时拒绝生成。")
def annual_cmd(
    year: Annotated[int, typer.Option("--year", help="年度，例如 2026")],
    json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="CSV")] = False,
    html: Annotated[bool, typer.Option("--html", help="HTML（官方表格样式）")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="PDF（官方表格样式）")] = False,
    out: OutOpt = None, as_: AsOpt = None,
) -> None:
    from ..errors import InputError, ReportImbalance

    api = _api()
    write_output = api.write_output
    if sum([json_, csv_, html, pdf]) > 1:
        raise InputError("--json、--csv、--html、--pdf 只能选一个")
    r = api.annual_report(as_, year)
    if json_:
        text = dump_json(r) + "\n"
        if out:
            print(f"已写出：{write_output(text, out)}")
        else:
            typer.echo(text, nl=False)
        if not r["balanced"]:
            from .common import err_console

            err_console().print(f"[red]{api.annual_imbalance_message(r)}[/]")
            raise typer.Exit(1)
        return
    if not r["balanced"]:
        raise ReportImbalance(api.annual_imbalance_message(r), details={"balance": r["balance"], "problems": r["problems"]})
    if csv_ or html:
        text = api.annual_report_text(r, "csv" if csv_ else "html")
        if out:
            data = ("\ufeff" + text) if csv_ else text  # BOM: spreadsheets then read the CSV as UTF-8
            print(f"已写出：{write_output(data, out)}")
        else:
            typer.echo(text, nl=False)
        return
    if pdf:
        path = write_output(api.html_to_pdf(api.annual_report_text(r, "html")), out or _default_path(f"年度报告-{year}.pdf"))
        print(f"已写出：{path}")
        return
    _print_annual(r)


SHORT_COLUMNS = {"natural": "自然人", "commercial": "企业", "research": "科研", "public_interest": "公益",
                 "legal_service": "法律", "other": "其他", "total": "总计"}
SHORT_ROWS = {"一": "本年新收", "二": "上年结转", "三(一)": "予以公开", "三(二)": "部分公开", "三(七)": "总计",
              "四": "结转下年度"}


def _short(row: dict) -> str:
    if row["key"] in SHORT_ROWS:
        text = SHORT_ROWS[row["key"]]
    else:  # "4.属于国家秘密" under "（三）不予公开" -> "三(三)1 属于国家秘密"
        text = row["item"].split(".", 1)[-1]
    return f"{row['key']} {text}"


def _print_annual(r: dict) -> None:
    from rich.table import Table

    c = console()
    cols = r["table3"]["columns"]
    t = Table(title=f"{r['agency']} {r['year']} 年度　表三 收到和处理政府信息公开申请情况")
    t.add_column("项目", no_wrap=True, max_width=24, overflow="ellipsis")
    for col in cols:
        t.add_column(SHORT_COLUMNS.get(col["key"], col["label"]), justify="right", no_wrap=True)
    for row in r["table3"]["rows"]:
        style = "bold" if row["key"] in ("一", "二", "三(七)", "四") else None
        t.add_row(_short(row), *[str(row["counts"][col["key"]]) for col in cols], style=style)
    c.print(t)
    c.print("（企业、科研、公益、法律、其他：法人或其他组织中的商业企业、科研机构、社会公益组织、法律服务机构、其他）")
    t4 = Table(title="表四 政府信息公开行政复议、行政诉讼情况")
    t4.add_column("类别", no_wrap=True)
    for col in r["table4"]["columns"]:
        t4.add_column(col["label"], justify="right", no_wrap=True)
    for g in r["table4"]["groups"]:
        t4.add_row(g["label"].replace("行政诉讼　", "诉讼·"), *[str(g["counts"][col["key"]]) for col in r["table4"]["columns"]])
    c.print(t4)
    c.print(f"本年度收取信息处理费 {r['fees']['count']} 笔，共 {r['fees']['amount']} 元。")
    c.print("[green]勾稽关系成立[/]（一+二=三(七)+四，各列）。撤回申请计入“三(六)3 其他”。")
    if r.get("proactive") is not None:
        c.print(_api().annual_proactive_text(r), markup=False)
    c.print(_api().checkpoint_line(r.get("checkpoint")), markup=False)


@app.command("proactive", help="年度依申请公开转为主动公开的政府信息目录（条例第四十四条）：本年度审核同意的事项，"
                              "供本机关公布；--pdf 或 --csv 写出文件。")
def proactive_cmd(
    year: Annotated[int, typer.Option("--year", help="年度，例如 2026")],
    json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="CSV")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="PDF")] = False,
    out: OutOpt = None, as_: AsOpt = None,
) -> None:
    from ..errors import InputError

    api = _api()
    if sum([json_, csv_, pdf]) > 1:
        raise InputError("--json、--csv、--pdf 只能选一个")
    r = api.proactive_yearly(as_, year)
    if json_:
        print_json(r)
        return
    if csv_:
        text = api.proactive_yearly_text(r, "csv")
        if out:
            print(f"已写出：{api.write_output(text, out)}")
        else:
            typer.echo(text.lstrip("\ufeff"), nl=False)
        return
    if pdf:
        html = api.proactive_yearly_text(r, "html")
        path = api.write_output(api.html_to_pdf(html), out or _default_path(f"转主动公开目录-{year}.pdf"))
        print(f"已写出：{path}")
        return
    c = console()
    if not r["items"]:
        c.print(f"{year} 年度没有转为主动公开的政府信息。")
    else:
        from rich.table import Table

        t = Table(title=f"{r['agency']} {year} 年度依申请公开转为主动公开的政府信息目录", show_lines=True)
        t.add_column("编号", no_wrap=True)
        t.add_column("信息名称（文号；发文机关）", overflow="fold", ratio=3)
        t.add_column("申请人", no_wrap=True, justify="right")
        t.add_column("审核日期", no_wrap=True)
        t.add_column("公开位置", overflow="fold", ratio=2)
        for x in r["items"]:
            extra = "；".join(v for v in (x["doc_number"], x["issuer"]) if v)
            t.add_row(x["number"], x["title"] + (f"（{extra}）" if extra else ""), str(x["applicants"]),
                      x["decided_on"], x["location"])
        c.print(t)
    c.print(api.checkpoint_line(r.get("checkpoint")), markup=False)


@app.command("repeated", help="多个申请人申请的相同信息（条例第四十四条：可纳入主动公开）。先按提出办理意见时记录的信息（名称、文号）归并，"
                             "其余按描述的相似度归并（年份、文号、编号须一致；阈值见配置文件 [repeated]），并说明归并理由和转主动公开的进展。")
def repeated_cmd(
    min_applicants: Annotated[int, typer.Option("--min-applicants", help="至少多少个不同申请人", min=1)] = 2,
    since: Annotated[Optional[str], typer.Option("--since", help="收到申请之日不早于")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="收到申请之日不晚于")] = None,
    as_: AsOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    r = _api().repeated_requests(as_, min_applicants=min_applicants, since=optional_date(since, "起始日期"),
               until=optional_date(until, "截止日期"))
    if json_:
        print_json(r)
        return
    c = console()
    if not r["items"]:
        c.print(f"没有被 {min_applicants} 个以上申请人申请过的相同信息。")
        return
    c.print(f"多人申请的相同信息（至少 {min_applicants} 个申请人）——可考虑纳入主动公开（条例第四十四条）", markup=False)
    from ..states.outcomes import OUTCOMES

    labels = {k: o.label for k, o in OUTCOMES.items()}
    for n, x in enumerate(r["items"], 1):
        items = "；".join(i["title"] + (f"（{i['number']}）" if i.get("number") else "") for i in x["items"])
        c.print(f"\n{n}. {items or x['description']}", markup=False, style="bold", soft_wrap=True)
        c.print(f"   {x['applicants']} 个申请人、{x['requests']} 件申请（{x['first_received']} 至 {x['last_received']}，"
                f"平均每月 {x['per_month']} 件）", markup=False)
        if x["outcomes"]:
            c.print("   办理结果：" + "、".join(f"{labels.get(k, k)} {v} 件" for k, v in x["outcomes"].items()), markup=False)
        shown = x["cases"][:8]
        c.print(f"   案件：{'、'.join(shown)}{'…' if len(x['cases']) > 8 else ''}", markup=False)
        if x["why"]:
            c.print(f"   视为相同的理由：{x['why']}", markup=False)
        p = x["proactive"]
        if p:
            c.print(f"   转主动公开：事项 {p['number']} {p['state_label']}"
                    + (f"（{p['location']}）" if p["location"] else ""), markup=False)
        else:
            cases = " ".join(f"--case {k}" for k in x["cases"][:20])
            c.print(f"   可提出转为主动公开：ogi proactive propose --title \"…\" --reason \"…\" {cases}", markup=False,
                    soft_wrap=True)  # one line: copied as a command


@app.command("dashboard", help="办理看板：单个 HTML 文件（内嵌 SVG 图表，无需联网），显示办理中案件的紧迫程度、办理结果、按月按期答复率。")
def dashboard_cmd(
    out: OutOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="截至日期（默认今天）")] = None,
    as_: AsOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="同时以 JSON 输出统计数据")] = False,
) -> None:
    api = _api()
    data, html = api.dashboard(as_, optional_date(as_of, "截至日期"))
    path = api.write_output(html, out or _default_path(f"看板-{data['as_of']}.html"))
    if json_:
        print_json({**data, "path": str(path)})
    else:
        print(f"已生成看板：{path}")
        print(api.checkpoint_line(data.get("checkpoint")))
