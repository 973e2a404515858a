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


@app.command("verify", help="重新核验每个案件的哈希链、机构日志和每份文书文件的 SHA-256，指出每个案件第一处断裂；"
                          "用 --checkpoint 指定法制机构留存的检查点，可证明此后没有记录被删除或改写；有断裂时退出码为 1。")
def verify_cmd(
    checkpoint: Annotated[Optional[str], typer.Option("--checkpoint", help="检查点文件（ogi audit checkpoint 写出的）")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="验证公钥（ogi audit key 打印的一行，或存有它的文件；默认用本实例的密钥）")] = None,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    from ..engine import api
    from .common import progress_bar

    with progress_bar("核验办理记录", enabled=not json_) as update:
        r = api.audit_verify(as_, update, checkpoint, key)
    if json_:
        print_json(r)
    else:
        c = console()
        cp = r["ledger"]["checkpoint"]
        if cp is not None:
            whose = "本实例的密钥" if cp["key_source"] == "instance" else "--key 指定的公钥"
            c.print(f"检查点：日志“{cp['origin']}”前 {cp['size']} 条，签发于 {cp['time'] or '（未注明）'}，签名有效", markup=False)
            print(f"  验证公钥（{whose}）：{cp['key']}")  # one line, to compare with the copy on file
        if r["ok"]:
            c.print(f"[bold green]✓[/] 记录完好：{r['cases']} 个案件、{r['events']} 条办理记录、{r['letter_files']} 份文书文件均核验一致")
            c.print(f"  机构日志 {r['ledger']['leaves']} 条与办理记录一致"
                    + ("；检查点之前的记录无删改" if cp is not None else
                       "（未指定检查点：无法证明日志本身未被整体改写，请用 --checkpoint 核验）"), markup=False)
        else:
            c.print(f"[bold red]✗ 发现 {len(r['broken'])} 处断裂[/]（共核验 {r['cases']} 个案件、{r['events']} 条记录、{r['letter_files']} 份文书）")
            for b in r["broken"]:
                where = f"案件 {b['case']}" if b["case"] else ("机构日志" if b["kind"] == "ledger" else "编号")
                seq = f" 第 {b['seq']} 条" if b["seq"] and b["kind"] == "history" else ""
                c.print(f"  {where}{seq}：{b['problem']}", markup=False)
    if not r["ok"]:
        raise typer.Exit(1)


@app.command("key", help="打印机构日志的验证公钥（首次使用时由系统管理员生成签名密钥）；请法制机构将公钥复制存档，核验检查点时用 --key 指定。")
def key_cmd(as_: AsOpt = None, json_: JsonOpt = False) -> None:
    from ..engine import api

    r = api.ledger_key(as_)
    if json_:
        print_json(r)
        return
    if r["created"]:
        print(f"已生成日志签名密钥：{r['path']}（仅服务账户可读，请随备份妥善保管）")
    print("验证公钥（请法制机构复制存档，核验检查点时用 ogi audit verify --key 指定）：")
    print(r["verifier_key"])
    conf = r["config"]
    line = {"written": f"已写入配置文件 {conf['path']} 的 [ledger] verifier_key",
            "differs": f"注意：配置文件 {conf['path']} 的 [ledger] verifier_key 与本实例的密钥不符，"
                       "检查点将按配置文件中的公钥核验而被拒绝：请核实后改正该项",
            "built-in": "本实例使用内置默认配置：运行 ogi init 生成配置文件后，再运行本命令写入公钥",
            "not-admin": f"配置文件 {conf['path']} 中尚无该公钥：请系统管理员运行 ogi audit key 写入",
            "unwritable": f"未能写入配置文件 {conf['path']}（{conf.get('reason')}）：请以服务账户运行，"
                          "或手工在 [ledger] 中加入 verifier_key = 上面一行"}.get(conf["state"])
    if line:
        print(line)


@app.command("checkpoint", help="签发机构日志的检查点（记录条数、根哈希、时间，Ed25519 签名），交法制机构在数据库之外留存。")
def checkpoint_cmd(
    out: Annotated[Optional[str], typer.Option("--out", help="写入的文件（省略时输出到屏幕）")] = None,
    send: Annotated[bool, typer.Option("--send", help="同时按提醒渠道（邮件、群机器人）发送给配置中的法制机构人员（[warnings] legal_office）")] = False,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    from ..engine import api

    r = api.ledger_checkpoint(as_, out)
    if send:
        r["sent"] = api.send_checkpoint(r)
    if json_:
        print_json(r)
        return
    if out:
        print(f"已签发检查点：日志“{r['origin']}”前 {r['size']} 条，时间 {r['time']}，已写入 {r['path']}（请交法制机构留存）")
    elif not send:
        typer.echo(r["note"], nl=False)
    else:
        print(f"已签发检查点：日志“{r['origin']}”前 {r['size']} 条，时间 {r['time']}")
    if send:
        sent = r["sent"]
        if not sent:
            print("配置中没有法制机构人员（[warnings] legal_office），未发送")
        for x in sent:
            print(f"  发送给 {x['user']}（{x['channel']}）：" + ("已发送" if x["ok"] else f"失败：{x['error']}"))
        if sent and not all(x["ok"] for x in sent):
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

