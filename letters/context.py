"""What a letter prints: a frozen dataclass filled by the engine (no database here), and the
per-kind check of the fields a letter cannot go out without."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..states.info_items import InfoItem
from ..states.outcomes import OUTCOMES, Family, Outcome
from ..states.vocabulary import DELIVERY_METHODS, FEE_BASES, MAX_EXTENSION_WD
from .kinds import LetterKind, resolve_kind


@dataclass(frozen=True, kw_only=True)
class Agency:
    name: str
    seal: str | None = None         # name printed at the seal position; default: name
    address: str | None = None
    postcode: str | None = None
    phone: str | None = None
    review_body: str | None = None  # 行政复议机关 (行政复议法第二十四条、第二十五条、第二十七条)
    court: str | None = None        # 有管辖权的人民法院 (行政诉讼法第十八条)


@dataclass(frozen=True, kw_only=True)
class Applicant:
    name: str
    type_label: str = "自然人"       # 自然人 / 法人或其他组织 (annual report columns)
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None    # already masked by the engine




@dataclass(frozen=True, kw_only=True)
class LetterContext:
    # every letter
    kind: LetterKind
    number: str                      # 文号, e.g. 示政办公开〔2026〕12号
    issued_on: dt.date
    agency: Agency
    case_number: str
    received_on: dt.date             # 收到申请之日 (条例第三十一条)
    applicant: Applicant | None = None
    request_description: str | None = None
    requested_form: str | None = None
    answer_due: dt.date | None = None  # the answer period's last day after the letter's step
    previous_due: dt.date | None = None  # ... and before it (延期、延迟答复告知书)
    provisional: bool = False        # a due date rests on a year without its holiday notice
    clerk_name: str | None = None    # 联系人 / 送达人
    attachments: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()         # 抄送
    # replies (条例第三十六条至第三十九条)
    outcome: str | None = None       # key of states.outcomes.OUTCOMES
    reasons: str | None = None
    withheld: str | None = None
    already_public_where: str | None = None
    responsible_agency: str | None = None
    responsible_agency_contact: str | None = None
    query_channel: str | None = None  # 行政查询事项: where the applicant can query it
    legal_basis: str | None = None    # outcome "other": the exact article the clerk named
    info_items: tuple[InfoItem, ...] = ()  # the information disclosed (propose --item), listed when given
    # 补正 (条例第三十条)
    correction_items: tuple[str, ...] = ()
    correction_workdays: int | None = None
    correction_due: dt.date | None = None
    # 延期 (条例第三十三条第二款)
    extension_workdays: int | None = None
    new_due: dt.date | None = None
    # 延迟答复 (条例第三十五条)
    delay_until: dt.date | None = None
    # 征求意见 / 第三方告知 (条例第三十二条、第三十四条)
    consult_party: str | None = None
    consult_information: str | None = None
    consult_due: dt.date | None = None
    # 收费 (条例第四十二条, 国办函〔2020〕109号)
    fee_basis: str | None = None     # per_application | per_page
    fee_standard: str | None = None
    fee_quantity: int | None = None  # the application's rank in the month, or pages
    fee_amount: Decimal | int | None = None  # yuan
    # how the amount is computed: (first, last, count, price) per band, e.g. (31, 100, 70, 10)
    fee_breakdown: tuple[tuple[int, int, int, int], ...] = ()
    fee_pauses_answer: bool | None = None  # config rules.fee_pauses_answer_clock, as recorded
    fee_due: dt.date | None = None
    fee_how_to_pay: str | None = None
    # 送达回证
    served_title: str | None = None
    served_number: str | None = None
    delivery_method: str | None = None  # direct | delegated | post | electronic
    delivery_date: dt.date | None = None
    delivery_place: str | None = None
    delivery_recipient: str | None = None  # 受送达人: the applicant
    delivery_agent: str | None = None      # 代收人: who signed for the applicant (委托送达)
    delivery_note: str | None = None

    def __post_init__(self):
        for name in ("attachments", "cc", "correction_items"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value or ()))
        object.__setattr__(self, "info_items", tuple(i if isinstance(i, InfoItem) else InfoItem(**i)
                                                     for i in self.info_items or ()))
        object.__setattr__(self, "fee_breakdown", tuple(tuple(int(x) for x in line) for line in self.fee_breakdown or ()))
        if not isinstance(self.kind, LetterKind):
            object.__setattr__(self, "kind", resolve_kind(self.kind))

    @property
    def outcome_info(self) -> Outcome | None:
        return OUTCOMES.get(self.outcome) if self.outcome else None

    @property
    def addressee(self) -> str | None:
        if self.kind.addressed_to_party:
            return self.consult_party
        if self.kind is LetterKind.SERVICE_RECEIPT and self.delivery_recipient:
            return self.delivery_recipient
        return self.applicant.name if self.applicant else None


LABELS = {
    "number": "文号", "issued_on": "成文日期", "agency.name": "机关名称", "case_number": "登记号",
    "received_on": "收到申请日期", "applicant": "申请人", "applicant.name": "申请人姓名或名称",
    "request_description": "申请内容", "answer_due": "答复期限届满日", "outcome": "办理结果",
    "reasons": "理由", "withheld": "不予公开的内容", "already_public_where": "获取已主动公开信息的方式、途径",
    "correction_items": "需要补正的事项", "correction_due|correction_workdays": "补正期限",
    "extension_workdays": "延长的工作日数", "new_due": "延期后的答复期限届满日",
    "previous_due": "原答复期限届满日", "delay_until": "延迟答复的期限",
    "consult_party": "被征求意见方", "consult_information": "涉及的政府信息",
    "fee_basis": "计收方式", "fee_standard": "收费标准", "fee_amount": "应缴金额",
    "fee_how_to_pay": "缴费方式", "fee_breakdown": "收费计算明细",
    "fee_pauses_answer": "缴费期间是否暂停计算答复期限", "served_title": "送达文书名称", "served_number": "送达文书文号",
    "delivery_method": "送达方式", "delivery_recipient|applicant": "受送达人",
    "agency.review_body": "行政复议机关", "agency.court": "管辖法院",
}

_COMMON = ("number", "issued_on", "agency.name", "case_number", "received_on")
REQUIRED: dict[LetterKind, tuple[str, ...]] = {
    LetterKind.RECEIPT: ("applicant.name", "request_description", "answer_due"),
    LetterKind.CORRECTION_NOTICE: ("applicant.name", "request_description", "correction_items",
                                   "correction_due|correction_workdays"),
    LetterKind.EXTENSION_NOTICE: ("applicant.name", "extension_workdays", "previous_due", "new_due"),
    LetterKind.DELAY_NOTICE: ("applicant.name", "delay_until", "reasons"),
    LetterKind.THIRD_PARTY_CONSULTATION: ("consult_party", "consult_information"),
    LetterKind.AGENCY_CONSULTATION: ("consult_party", "consult_information"),
    LetterKind.THIRD_PARTY_NOTICE: ("consult_party", "consult_information", "reasons"),
    LetterKind.FEE_NOTICE: ("applicant.name", "fee_basis", "fee_standard", "fee_amount", "fee_breakdown",
                            "fee_pauses_answer", "fee_how_to_pay"),
    LetterKind.NOT_HANDLED_NOTICE: ("applicant.name", "request_description", "outcome"),
    LetterKind.SERVICE_RECEIPT: ("served_title", "served_number", "delivery_method",
                                 "delivery_recipient|applicant"),
    LetterKind.REPLY: ("applicant.name", "request_description", "outcome"),
}


def _get(ctx: LetterContext, path: str):
    value = ctx
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _present(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, tuple | list):
        return any(_present(v) for v in value)
    return value is not None


def required_fields(ctx: LetterContext) -> tuple[str, ...]:
    """The fields this letter must have; `a|b` means either one."""
    req = list(_COMMON) + list(REQUIRED[ctx.kind])
    o = ctx.outcome_info
    if o is not None and ctx.kind in (LetterKind.REPLY, LetterKind.NOT_HANDLED_NOTICE):
        if o.needs_ground_text:
            req.append("reasons")
        if o.family is Family.PARTIAL:
            req.append("withheld")
        if o.key == "disclose_already_public":
            req.append("already_public_where")
    if ctx.kind.needs_remedy:
        req.append("agency.review_body")  # 行政复议法第二十条
        if not (ctx.kind is LetterKind.REPLY and o is not None and o.family is Family.WITHHOLD):
            req.append("agency.court")    # 行政诉讼法第四十六条; withholding: review first
    return tuple(dict.fromkeys(req))


def problems(ctx: LetterContext) -> list[str]:
    """Chinese descriptions of what is missing or wrong; empty when the letter can go out."""
    out = []
    missing = [p for p in required_fields(ctx)
               if not any(_present(_get(ctx, alt)) for alt in p.split("|"))]
    if missing:
        out.append("缺少" + "、".join(f"{LABELS.get(p, p)}（{p}）" for p in missing))
    if ctx.outcome and ctx.outcome not in OUTCOMES:
        out.append(f"未知的办理结果“{ctx.outcome}”")
    o = ctx.outcome_info
    if ctx.kind is LetterKind.NOT_HANDLED_NOTICE and o and o.family is not Family.NOT_HANDLED:
        out.append(f"办理结果“{o.label}”不能使用不予处理告知书，请改用答复书")
    if ctx.extension_workdays is not None and not 1 <= ctx.extension_workdays <= MAX_EXTENSION_WD:
        out.append("延长答复期限最长不得超过20个工作日（条例第三十三条第二款）")
    if ctx.previous_due and ctx.delay_until and ctx.delay_until <= ctx.previous_due:
        out.append("延迟答复的期限须晚于原答复期限届满日（条例第三十五条）")
    if ctx.fee_breakdown and ctx.fee_amount is not None and (
            sum(count * price for _, _, count, price in ctx.fee_breakdown) != Decimal(str(ctx.fee_amount))):
        out.append("收费计算明细的合计与应缴金额不符")
    if ctx.fee_basis is not None and ctx.fee_basis not in FEE_BASES:
        out.append(f"计收方式“{ctx.fee_basis}”无效，应为 per_application（按件计收）或 per_page（按量计收）")
    if (ctx.delivery_method is not None and ctx.delivery_method not in DELIVERY_METHODS
            and ctx.delivery_method not in DELIVERY_METHODS.values()):
        out.append(f"送达方式“{ctx.delivery_method}”无效，应为 "
                   + "、".join(f"{k}（{v}）" for k, v in DELIVERY_METHODS.items()))
    return out

