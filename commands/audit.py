"""`ogi audit ...` (法制机构): verify the record, export a case dossier; plus `ogi case history`,
`ogi case review` and `ogi case review-result` added to the case group."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..states.vocabulary import CHALLENGE_KINDS, CHALLENGE_RESULTS, codes_help, resolve_code
from .common import console, parse_date, print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)
JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
AsOpt = Annotated[Optional[str], typer.Option("--as", help="用户名（默认取环境变量 OGI_USER）")]
CaseArg = Annotated[str, typer.Argument(help="案件 ID 或编号（如 2026-0008，也可写 2026-8）")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit", help="审计（法制机构）：核验办理记录和文书是否被篡改，导出案卷。")
    from .case import app as case_app

    case_app.command("history", help="完整办理时间线：谁、何时、办理了什么、理由，以及每一步前后的各项期限。")(history_cmd)
    case_app.command("review", help="登记针对本案的行政复议或行政诉讼（年报表四）。")(review_cmd)
    case_app.command("review-result", help="登记行政复议或行政诉讼的结果：维持、纠正或其他。")(review_result_cmd)


@app.command("verify", help="重新核验每个案件的哈希链和每份文书文件的 SHA-256，指出每个案件第一处断裂；有断裂时退出码为 1。")
def verify_cmd(as_: AsOpt = None, json_: JsonOpt = False) -> None:
    from ..engine import api
    from .common import progress_bar

    with progress_bar("核验办理记录", enabled=not json_) as update:
        r = api.audit_verify(as_, update)
    if json_:
        print_json(r)
    else:
        c = console()
        if r["ok"]:
            c.print(f"[bold green]✓[/] 记录完好：{r['cases']} 个案件、{r['events']} 条办理记录、{r['letter_files']} 份文书文件均核验一致")
        else:
            c.print(f"[bold red]✗ 发现 {len(r['broken'])} 处断裂[/]（共核验 {r['cases']} 个案件、{r['events']} 条记录、{r['letter_files']} 份文书）")
            for b in r["broken"]:
                where = f"案件 {b['case']}" if b["case"] else "编号"
                seq = f" 第 {b['seq']} 条" if b["seq"] and b["kind"] == "history" else ""
                c.print(f"  {where}{seq}：{b['problem']}", markup=False)
    if not r["ok"]:
        raise typer.Exit(1)


@app.command("export", help="导出案卷（供复核或法院）：基本情况、办理经过、每个期限的计算说明、文书哈希、合规检查。")
def export_cmd(
    case: CaseArg,
    format_: Annotated[str, typer.Option("--format", help="pdf / csv / json")] = "pdf",
    out: Annotated[Optional[str], typer.Option("--out", help="输出文件（csv/json 省略时输出到屏幕；pdf 默认存入 OGI_HOME/exports）")] = None,
    as_: AsOpt = None,
) -> None:
    from ..engine import api

    r = api.audit_export(as_, case, format_, out)
    if "content" in r:
        typer.echo(r["content"], nl=False)
    else:
        print(f"已导出案卷：{r['path']}")


def history_cmd(case: CaseArg, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    from ..engine import api

    r = api.case_history(as_, case)
    if json_:
        print_json(r)
        return
    from .render import history_lines, print_plain

    c = console()
    c.print(f"[bold]案件 {r['number']}[/]（ID {r['id']}）　{r['state_label']}　"
            + ("[green]哈希链完好[/]" if r["chain_ok"] else f"[red]哈希链断裂：{r['broken']['problem']}[/]"))
    print_plain(history_lines(r, [api.history_note(e) for e in r["entries"]],
                              [api.history_change_text(e) for e in r["entries"]]))


def review_cmd(
    case: CaseArg,
    kind: Annotated[str, typer.Option("--kind", help=codes_help(CHALLENGE_KINDS, "类型"))],
    filed: Annotated[str, typer.Option("--filed", help="申请复议或起诉的日期")],
    body: Annotated[str, typer.Option("--body", help="复议机关或法院名称")] = "",
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    from ..engine import api

    kind = resolve_code(CHALLENGE_KINDS, kind, "复议诉讼类型", "challenge_kinds")
    r = api.record_review(as_, case, kind, parse_date(filed, "提起日期"), body)
    _print_challenge(r, json_, f"已登记{r['challenge']['kind_label']}（编号 {r['challenge']['id']}）")


def review_result_cmd(
    case: CaseArg,
    challenge: Annotated[int, typer.Option("--challenge", help="复议或诉讼编号（ogi case review 输出）")],
    result: Annotated[str, typer.Option("--result", help=codes_help(CHALLENGE_RESULTS, "结果"))],
    date: Annotated[str, typer.Option("--date", help="复议决定或裁判的日期")],
    reason: Annotated[str, typer.Option("--reason", help="说明（如决定书文号）")] = "",
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    from ..engine import api

    result = resolve_code(CHALLENGE_RESULTS, result, "复议诉讼结果", "challenge_results")
    r = api.record_review_result(as_, case, challenge, result, parse_date(date, "结果日期"), reason)
    _print_challenge(r, json_, f"已登记结果：{r['challenge']['result_label']}")


def _print_challenge(r: dict, json_: bool, headline: str) -> None:
    if json_:
        print_json(r)
        return
    c = console()
    c.print(f"[bold green]✓[/] 案件 {r['case']}：{headline}")
    for ch in r["challenges"]:
        c.print(f"  {ch['id']}. {ch['kind_label']}　提起 {ch['filed_on']}　{ch['body'] or ''}　{ch['result_label']}"
                + (f"（{ch['result_on']}）" if ch["result_on"] else ""), markup=False)

