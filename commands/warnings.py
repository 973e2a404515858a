"""`ogi warnings ...`: one round of deadline warnings by hand (or from cron), the outbox, digests."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from ..states.vocabulary import DELIVERY_STATUSES, WARNING_CHANNELS, WARNING_STATUSES, codes_help, resolve_code
from .common import optional_date, print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="以该日为“今天”（默认今天）")]


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="warnings", help="期限提醒：扫描到期期限、发送提醒（邮件、企业微信/钉钉机器人）、查看发件箱、每日汇总。")


def _today(as_of: str | None) -> dt.date:
    from ..engine import api

    return optional_date(as_of, "日期") or api.today()


@app.command("sweep", help="扫描所有进行中的期限，把到期前5、3、1个工作日、当日到期和已逾期的提醒写入发件箱（重复运行不会重复提醒）。")
def sweep_cmd(as_of: AsOfOpt = None, json_: JsonOpt = False) -> None:
    from ..engine import api

    r = api.sweep_warnings(_today(as_of))
    if json_:
        print_json(r)
        return
    print(f"{r['as_of']} 扫描完成：候选案件 {r['candidates']} 件，应提醒 {r['due']} 条，"
          f"新写入发件箱 {r['created']} 条（此前已有 {r['existing']} 条）。")
    for w in r["warnings"]:
        who = "、".join(x["user"] for x in w["recipients"])
        print(f"  {w['case']}  {w['clock_label']}  {w['due_on']}  {w['level_label']}  → {who}")
    if r["unreachable"]:
        users = "、".join(dict.fromkeys(u["user"] for u in r["unreachable"]))
        print(f"注意：用户 {users} 没有可用的提醒渠道（请在配置文件中为其填写电子邮箱并配置邮件服务器，"
              "或配置企业微信/钉钉机器人），这些提醒无法送达。")
    for e in r["errors"]:
        print(f"注意：无法计算案件 {e['case']} 的期限（{e['error']}），请用“ogi case explain {e['case']}”检查。")
    if r["created"]:
        print("发送：ogi warnings send（守护进程运行时会自动发送）")


@app.command("send", help="发送发件箱中到时的提醒；失败的按退避间隔自动重试，不会丢失。")
def send_cmd(
    json_: JsonOpt = False,
    now: Annotated[Optional[str], typer.Option("--now", hidden=True, help="以该时刻为当前时间（ISO 8601，测试用）")] = None,
) -> None:
    from ..errors import InputError
    from ..engine import api

    when = None
    if now:
        try:
            when = dt.datetime.fromisoformat(now)
        except ValueError:
            raise InputError(f"时刻“{now}”无法识别，请写作 2026-10-26T09:00") from None
    r = api.send_warnings(when)
    ok = not r["failed"]
    if json_:
        print_json({"ok": ok, **r})
    else:
        print(f"发送完成：到时 {r['due']} 条，成功 {r['sent']} 条（{r['messages']} 封/次），"
              f"失败 {r['failed']} 条，取消 {r['cancelled']} 条。")
    if not ok:
        import sys

        seen = []
        for e in r["errors"]:
            if e["error"] not in seen:
                seen.append(e["error"])
        first = r["errors"][0]
        sys.stderr.write(f"错误：{r['failed']} 条提醒未能发送：{'；'.join(seen[:3])}。已保留在发件箱，"
                         f"将于 {first['next_attempt_at']} 起自动重试（ogi warnings list --status failed 查看）。\n")
        raise typer.Exit(1)


@app.command("list", help="查看发件箱：每条提醒的案件、期限、级别、到期日、收件人和发送状态。")
def list_cmd(
    status: Annotated[Optional[str], typer.Option("--status", help=codes_help(WARNING_STATUSES, "按发送状态筛选"))] = None,
    case: Annotated[Optional[str], typer.Option("--case", help="只看该案件（ID 或编号）")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000, help="最多显示条数")] = 200,
    json_: JsonOpt = False,
) -> None:
    from ..engine import api

    status = resolve_code(WARNING_STATUSES, status, "发送状态", "warning_statuses") if status else None
    rows = api.list_warnings(status=status, case=case, limit=limit)
    if json_:
        print_json(rows)
        return
    if not rows:
        print("发件箱中没有符合条件的提醒。")
        return
    for w in rows:
        who = "、".join(_recipient(d) for d in w["recipients"])
        print(f"{w['id']:>5}  {w['case']}  {w['clock_label']}  {w['due_on']}  {w['level_label']}  {w['status_label']}  {who}")
        for d in w["recipients"]:
            if d["last_error"] and d["status"] == "failed":
                print(f"       {d['user']}（{_channel(d)}）：{d['last_error']}")


def _channel(d: dict) -> str:
    return d.get("channel_label") or WARNING_CHANNELS.get(d["channel"], d["channel"])


def _recipient(d: dict) -> str:
    """li（电子邮件，已发送）; a user without a channel: li（无可用渠道）."""
    status = d.get("status_label") or DELIVERY_STATUSES.get(d["status"], d["status"])
    if d["channel"] == "none":
        return f"{d['user']}（{status}）"
    return f"{d['user']}（{_channel(d)}，{status}）"


@app.command("digest", help="每日汇总：每位经办人的在办案件，按紧迫程度排序（--send 发送给经办人）。")
def digest_cmd(
    as_of: AsOfOpt = None,
    clerk: Annotated[Optional[str], typer.Option("--clerk", help="只看该经办人")] = None,
    send: Annotated[bool, typer.Option("--send", help="通过邮件/机器人发给各经办人")] = False,
    json_: JsonOpt = False,
) -> None:
    from ..engine import api

    r = api.warning_digest(_today(as_of), clerk=clerk)
    sent = api.send_digest(r) if send else None
    if json_:
        print_json({**r, **({"sent": sent} if sent is not None else {})})
    else:
        for entry in r["clerks"]:
            print(api.compose_digest(entry, r["as_of"]).text)
            print()
        if not r["clerks"]:
            print("没有在办案件。")
        for s in sent or []:
            print(f"{s['clerk']}（{WARNING_CHANNELS.get(s['channel'], s['channel'])}）：{'已发送' if s['ok'] else '发送失败：' + (s['error'] or '')}")
    if sent and not all(s["ok"] for s in sent):
        raise typer.Exit(1)
