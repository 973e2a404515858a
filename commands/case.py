"""`ogi case ...`: the clerk's commands. Each is one engine call."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..states.info_items import parse_items
from ..states.machine import STATE_LABELS, Trigger
from ..states.outcomes import OUTCOMES, PROPOSABLE
from ..states.vocabulary import (APPLICANT_KINDS, CHANNELS, CONSULTATION_KINDS, DELIVERY_METHODS, FEE_BASES,
                                 NOT_HANDLED_GROUNDS, OPINIONS, codes_help, resolve_code)
from .common import optional_date, parse_date, print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
AsOpt = Annotated[Optional[str], typer.Option("--as", help="办理人用户名（默认取环境变量 OGI_USER）")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="办理日期（纸质办理在先的，填写实际日期；默认今天）")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="理由或说明")]
CaseArg = Annotated[str, typer.Argument(help="案件 ID 或编号（如 2026-0008，也可写 2026-8）")]

# The tables of the coded options: a clerk types the code or the Chinese (states.vocabulary.resolve_code).
PROPOSABLE_LABELS = {k: OUTCOMES[k].label for k in PROPOSABLE}
STATE_CHOICES = {s.value: label for s, label in STATE_LABELS.items()}


def _api():
    from ..engine import api

    return api


def _emit(result: dict, json_: bool, headline: str) -> None:
    if json_:
        print_json(result)
        return
    from .render import print_case_brief

    print_case_brief(result, headline)


def _step(ref: str, trigger: Trigger, date: str | None, as_: str | None, json_: bool,
          params: dict | None = None, reason: str = "", headline: str = "") -> dict:
    result = _api().step(as_, ref, trigger, optional_date(date, "办理日期"), params or {}, reason)
    label = result["step"]["label"]
    _emit(result, json_, headline or (label if label.startswith("已") else f"已{label}"))  # 已缴费, not 已已缴费
    return result


@app.command("register", help="登记一件政府信息公开申请（条例第二十九条、第三十一条）。")
def register_cmd(
    applicant: Annotated[str, typer.Option("--applicant", help="申请人姓名或名称")],
    applicant_type: Annotated[str, typer.Option("--applicant-type", help=codes_help(APPLICANT_KINDS, "申请人类型"))],
    channel: Annotated[str, typer.Option("--channel", help=codes_help(CHANNELS, "提交方式"))],
    received: Annotated[str, typer.Option("--received", help="收到日期（当面提交之日、签收之日）")],
    description: Annotated[str, typer.Option("--description", help="所需政府信息的名称、文号或特征性描述")],
    confirmed: Annotated[Optional[str], typer.Option("--confirmed", help="与申请人确认之日（平常信函、互联网、传真）")] = None,
    requested_form: Annotated[str, typer.Option("--requested-form", help="获取信息的形式、方式和途径")] = "",
    id_number: Annotated[str, typer.Option("--id-number", help="身份证明号码")] = "",
    phone: Annotated[str, typer.Option("--phone", help="联系电话")] = "",
    email: Annotated[str, typer.Option("--email", help="电子邮箱")] = "",
    address: Annotated[str, typer.Option("--address", help="通讯地址")] = "",
    contact: Annotated[str, typer.Option("--contact", help="联系方式（电话或地址，简写）")] = "",
    electronic_consent: Annotated[bool, typer.Option("--electronic-consent", help="申请人同意电子送达")] = False,
    clerk: Annotated[Optional[str], typer.Option("--clerk", help="经办人（默认为登记人）")] = None,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    applicant_type = resolve_code(APPLICANT_KINDS, applicant_type, "申请人类型", "applicant_kinds")
    channel = resolve_code(CHANNELS, channel, "提交方式", "channels")
    reg = _api().Registration(
        applicant=applicant, applicant_type=applicant_type, channel=channel,
        received=parse_date(received, "收到日期"), description=description,
        confirmed=optional_date(confirmed, "确认日期"), requested_form=requested_form, id_number=id_number,
        phone=phone, email=email, address=address, contact=contact, electronic_consent=electronic_consent, clerk=clerk,
    )
    result = _api().register_case(as_, reg)
    _emit(result, json_, f"已登记：案件 {result['number']}（ID {result['id']}）")


@app.command("accept", help="受理申请。")
def accept_cmd(case: CaseArg, date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.ACCEPT, date, as_, json_)


@app.command("request-correction", help="一次性告知补正（条例第三十条：收到申请之日起7个工作日内）。")
def request_correction_cmd(
    case: CaseArg,
    items: Annotated[str, typer.Option("--items", help="需要补正的事项")],
    served: Annotated[Optional[str], typer.Option("--served", help="申请人收到补正告知书之日（默认同办理日期）")] = None,
    period: Annotated[Optional[int], typer.Option("--period", help="补正期限（工作日，默认按配置）", min=1, max=60)] = None,
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    _step(case, Trigger.REQUEST_CORRECTION, date, as_, json_,
          {"items": items, "served_on": optional_date(served, "送达日期"), "period_workdays": period})


@app.command("receive-correction", help="收到补正后的申请：答复期限自该日重新计算（条例第三十条）。")
def receive_correction_cmd(case: CaseArg, date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.RECEIVE_CORRECTION, date, as_, json_)


@app.command("correction-lapsed", help="补正期限届满未补正：视为放弃申请（条例第三十条），出具答复书，可用 ogi case deliver 送达。")
def correction_lapsed_cmd(case: CaseArg, date: DateOpt = None, reason: ReasonOpt = "", as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.CORRECTION_LAPSE, date, as_, json_, reason=reason)


@app.command("consult", help="书面征求第三方（条例第三十二条）或其他机关（第三十四条）意见；输出征求意见编号。")
def consult_cmd(
    case: CaseArg,
    party: Annotated[str, typer.Option("--party", help="第三方或机关名称")],
    kind: Annotated[str, typer.Option("--kind", help=codes_help(CONSULTATION_KINDS, "征求意见对象"))],
    served: Annotated[Optional[str], typer.Option("--served", help="对方收到征求意见书之日（默认同发出日期）")] = None,
    information: Annotated[str, typer.Option("--information", help="涉及的政府信息")] = "",
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    kind = resolve_code(CONSULTATION_KINDS, kind, "征求意见对象类型", "consultation_kinds")
    result = _step(case, Trigger.CONSULT, date, as_, json_,
                   {"party": party, "kind": kind, "served_on": optional_date(served, "收到日期"),
                    "information": information or None},
                   headline="已发出征求意见")
    if not json_:  # the number in this case, which --consultation takes
        print(f"征求意见编号：{result['step']['consultation_no']}，答复期限：{result['step']['consultation_due']}")


@app.command("consultation-reply", help="登记征求意见的答复。")
def consultation_reply_cmd(
    case: CaseArg,
    opinion: Annotated[str, typer.Option("--opinion", help=codes_help(OPINIONS, "答复意见"))],
    consultation: Annotated[Optional[int], typer.Option(
        "--consultation", help="征求意见编号：本案的第几份征求意见（1、2……，见 ogi case show；本案只有一份未办结时可省略）")] = None,
    reason: ReasonOpt = "", date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    # Without --consultation the engine takes the case's only open consultation.
    opinion = resolve_code(OPINIONS, opinion, "意见", "opinions")
    _step(case, Trigger.CONSULTATION_REPLY, date, as_, json_, {"consultation_no": consultation, "opinion": opinion}, reason)


@app.command("consultation-lapsed", help="征求意见逾期未答复（第三方：由机关决定；其他机关：视为同意）。")
def consultation_lapsed_cmd(
    case: CaseArg,
    consultation: Annotated[Optional[int], typer.Option(
        "--consultation", help="征求意见编号：本案的第几份征求意见（1、2……；本案只有一份未办结时可省略）")] = None,
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    _step(case, Trigger.CONSULTATION_LAPSE, date, as_, json_, {"consultation_no": consultation})


@app.command("fee-notice", help="发出收费通知（条例第四十二条、国办函〔2020〕109号）。")
def fee_notice_cmd(
    case: CaseArg,
    basis: Annotated[str, typer.Option("--basis", help=codes_help(FEE_BASES, "计收方式"))],
    quantity: Annotated[Optional[int], typer.Option("--quantity", help="按量：页数（按件计收时由系统统计申请人本月申请件数，不填）", min=1, max=1_000_000)] = None,
    served: Annotated[Optional[str], typer.Option("--served", help="申请人收到收费通知之日")] = None,
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    # The amount is the engine's (国办函〔2020〕109号), computed inside the step.
    basis = resolve_code(FEE_BASES, basis, "计收方式", "fee_bases")
    _step(case, Trigger.FEE_NOTICE, date, as_, json_,
          {"basis": basis, "quantity": quantity, "served_on": optional_date(served, "收到日期")})


@app.command("fee-paid", help="登记申请人已缴费。")
def fee_paid_cmd(case: CaseArg, date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.FEE_PAID, date, as_, json_)


@app.command("fee-lapsed", help="逾期未缴费：视为放弃申请（国办函〔2020〕109号），出具答复书，可用 ogi case deliver 送达。")
def fee_lapsed_cmd(case: CaseArg, date: DateOpt = None, reason: ReasonOpt = "", as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.FEE_LAPSE, date, as_, json_, reason=reason)


@app.command("propose", help="提出办理意见（答复类型见 ogi case outcomes）。")
def propose_cmd(
    case: CaseArg,
    outcome: Annotated[str, typer.Option("--outcome", help=(
        "办理结果：中文名称或代码，如 予以公开（disclose）、部分公开（partial）、"
        "不予公开（保护第三方合法权益）（withhold_third_party）；唯一时可只写开头几个字；全部见 ogi case outcomes"))],
    reason: ReasonOpt = "",
    withheld: Annotated[str, typer.Option("--withheld", help="部分公开时不予公开的内容")] = "",
    where: Annotated[str, typer.Option("--where", help="已主动公开信息的获取方式、途径")] = "",
    responsible_agency: Annotated[str, typer.Option("--responsible-agency", help="负责公开该信息的机关及联系方式")] = "",
    third_party_content: Annotated[str, typer.Option(
        "--disclose-to-third-party",
        help="第三方不同意公开而决定公开时：决定公开的政府信息内容（写入第三方告知书，条例第三十二条）")] = "",
    public_interest: Annotated[str, typer.Option(
        "--public-interest", help="第三方不同意公开而决定公开时：决定公开的理由（公共利益，条例第三十二条）")] = "",
    query_channel: Annotated[str, typer.Option(
        "--query-channel", help="行政查询事项（withhold_admin_query）：申请人查询该信息的渠道")] = "",
    article: Annotated[str, typer.Option(
        "--article", help="其他处理（other）：所依据的具体条款，如“第三十八条”（默认为《政府信息公开条例》的条款）")] = "",
    item: Annotated[Optional[list[str]], typer.Option(
        "--item", help="予以公开、部分公开时公开的政府信息，写作“标题｜文号｜发文机关”（文号、发文机关可省略；"
                       "每项一个 --item，可重复，最多50项），列入答复书")] = None,
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    outcome = resolve_code(PROPOSABLE_LABELS, outcome, "办理结果", "outcomes")
    info_items = parse_items(item)  # malformed: refused here, before the case is touched
    _step(case, Trigger.PROPOSE, date, as_, json_,
          {"outcome": outcome, "withheld": withheld or None, "where": where or None,
           "responsible_agency": responsible_agency or None, "third_party_content": third_party_content or None,
           "public_interest": public_interest or None, "query_channel": query_channel or None,
           "article": article or None, "info_items": info_items or None}, reason)


@app.command("decide", help="作出决定并报批。")
def decide_cmd(case: CaseArg, date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.DECIDE, date, as_, json_)


@app.command("approve", help="审批同意（提出办理意见的人不能审批）。")
def approve_cmd(case: CaseArg, date: DateOpt = None, reason: ReasonOpt = "", as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.APPROVE, date, as_, json_, reason=reason)


@app.command("send-back", help="退回修改（须写明理由）。")
def send_back_cmd(case: CaseArg, reason: ReasonOpt = "", date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.SEND_BACK, date, as_, json_, reason=reason)


@app.command("deliver", help="送达答复书或办结文书（逾期不补正、逾期未缴费的答复书，不予处理告知书；直接、委托、邮寄、电子）。")
def deliver_cmd(
    case: CaseArg,
    method: Annotated[str, typer.Option("--method", help=codes_help(DELIVERY_METHODS, "送达方式"))],
    date: DateOpt = None,
    recipient: Annotated[str, typer.Option("--recipient", help="签收人（委托送达时填写受托人）")] = "",
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    method = resolve_code(DELIVERY_METHODS, method, "送达方式", "delivery_methods")
    _step(case, Trigger.DELIVER, date, as_, json_, {"method": method, "recipient": recipient or None})


@app.command("extend", help="延长答复期限（条例第三十三条第二款：负责人同意，合计不超过20个工作日）。")
def extend_cmd(
    case: CaseArg,
    workdays: Annotated[int, typer.Option("--workdays", help="延长的工作日数", min=1, max=20)] = 20,
    reason: ReasonOpt = "", date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    _step(case, Trigger.EXTEND, date, as_, json_, {"workdays": workdays}, reason)


@app.command("delay", help="申请理由合理但无法按期答复：确定延迟答复的合理期限（条例第三十五条；须在答复期限届满前确定并告知）。")
def delay_cmd(
    case: CaseArg,
    until: Annotated[str, typer.Option("--until", help="延迟答复的期限")],
    reason: ReasonOpt = "", date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    _step(case, Trigger.DELAY, date, as_, json_, {"until": parse_date(until, "延迟答复期限")}, reason)


@app.command("withdraw", help="申请人撤回申请。")
def withdraw_cmd(case: CaseArg, reason: ReasonOpt = "", date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    _step(case, Trigger.WITHDRAW, date, as_, json_, reason=reason)


@app.command("not-handled", help="提出不作为政府信息公开申请处理的意见（条例第三十九条：信访举报投诉、公开出版物；"
                                 "须写明理由），再经作出决定、审批同意出具不予处理告知书，用 ogi case deliver 送达后办结。")
def not_handled_cmd(
    case: CaseArg,
    ground: Annotated[str, typer.Option("--ground", help=codes_help(NOT_HANDLED_GROUNDS, "不予处理的情形"))],
    reason: Annotated[str, typer.Option("--reason", help="理由（必填：为何属于信访举报投诉或公开出版物，写入不予处理告知书）")] = "",
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    # 条例第三十九条: a proposal like any other (propose --outcome not_handled_<ground>), possible
    # before acceptance; the engine refuses it without a reason. Approved, the 不予处理告知书 is
    # issued; served, the case closes as not handled (states/machine.py).
    ground = resolve_code(NOT_HANDLED_GROUNDS, ground, "不予处理的情形", "not_handled_grounds")
    _step(case, Trigger.PROPOSE, date, as_, json_, {"outcome": f"not_handled_{ground}"}, reason,
          headline="已提出不作为政府信息公开申请处理的意见（下一步：作出决定并报批）")


@app.command("consent", help="登记申请人同意电子送达（国办公开办函〔2016〕235号：电子送达须经申请人同意）；--withdraw 登记撤回同意。")
def consent_cmd(
    case: CaseArg,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="申请人撤回对电子送达的同意")] = False,
    reason: ReasonOpt = "", date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    _step(case, Trigger.CONSENT_WITHDRAWN if withdraw else Trigger.CONSENT, date, as_, json_, reason=reason)


@app.command("correct-contact", help="更正申请人的联系方式（通讯地址、电话、电子邮箱；条例第二十九条）：此后出具的文书使用更正后的地址。")
def correct_contact_cmd(
    case: CaseArg,
    address: Annotated[str, typer.Option("--address", help="更正后的通讯地址")] = "",
    phone: Annotated[str, typer.Option("--phone", help="更正后的联系电话")] = "",
    email: Annotated[str, typer.Option("--email", help="更正后的电子邮箱")] = "",
    reason: Annotated[str, typer.Option("--reason", help="更正的依据（必填，如申请人书面告知新的通讯地址）")] = "",
    date: DateOpt = None, as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    _step(case, Trigger.CORRECT_CONTACT, date, as_, json_,
          {"address": address or None, "phone": phone or None, "email": email or None}, reason)


@app.command("show", help="查看案件：状态、各项期限、征求意见、文书和办理记录。")
def show_cmd(case: CaseArg, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    result = _api().show(as_, case)
    if json_:
        print_json(result)
    else:
        from .render import print_case_full

        print_case_full(result)


@app.command("explain", help="逐项说明每个期限是如何计算的（起算日、不计入的期间、延长）。")
def explain_cmd(case: CaseArg, as_: AsOpt = None, json_: JsonOpt = False) -> None:
    result = _api().explain(as_, case)
    if json_:
        print_json(result)
    else:
        from .render import print_explain

        print_explain(result)


@app.command("list", help="案件列表，按最近的期限排序。")
def list_cmd(
    state: Annotated[Optional[str], typer.Option("--state", help=codes_help(STATE_CHOICES, "按状态筛选"))] = None,
    clerk: Annotated[Optional[str], typer.Option("--clerk", help="按经办人筛选")] = None,
    due_within: Annotated[Optional[int], typer.Option("--due-within", help="N 个工作日内到期", min=0, max=400)] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只看已逾期")] = False,
    all_: Annotated[bool, typer.Option("--all", help="包括已办结的案件")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="以该日为“今天”")] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多列出多少件", min=1, max=100000)] = 200,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    state = resolve_code(STATE_CHOICES, state, "状态", "states") if state else None
    result = _api().list_cases(as_, state=state, clerk=clerk, due_within=due_within, overdue=overdue,
                               include_closed=all_, as_of=optional_date(as_of, "日期"), limit=limit)
    if json_:
        print_json(result)
    else:
        from .render import print_case_list

        print_case_list(result)


@app.command("outcomes", help="列出办理结果代码及其法律依据。")
def outcomes_cmd(json_: JsonOpt = False) -> None:
    # "other" rests on the article the clerk names (propose --article).
    rows = [{"code": k, "label": OUTCOMES[k].label,
             "article": OUTCOMES[k].article + ("（具体条款用 --article 写明）" if k == "other" else ""),
             "report_row": OUTCOMES[k].report_row}
            for k in PROPOSABLE]
    if json_:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['label']}（{r['code']}）　{r['article']}")
