"""Letter kinds: printed title, 文号 family, remedy clause, Chinese aliases."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class _Spec:
    short: str          # the name a clerk types (登记回执)
    title: str          # the title printed on the letter
    number_family: str  # 文号 series: the engine numbers per agency, family and year
    needs_remedy: bool  # carries the 行政复议/行政诉讼 clause
    addressed_to_party: bool = False  # addressee is the consulted party, not the applicant


class LetterKind(StrEnum):
    RECEIPT = "receipt"
    CORRECTION_NOTICE = "correction-notice"
    EXTENSION_NOTICE = "extension-notice"
    DELAY_NOTICE = "delay-notice"
    THIRD_PARTY_CONSULTATION = "third-party-consultation"
    AGENCY_CONSULTATION = "agency-consultation"
    THIRD_PARTY_NOTICE = "third-party-notice"
    FEE_NOTICE = "fee-notice"
    NOT_HANDLED_NOTICE = "not-handled-notice"
    SERVICE_RECEIPT = "service-receipt"
    REPLY = "reply"

    @property
    def short(self) -> str:
        return _SPECS[self].short

    @property
    def title(self) -> str:
        return _SPECS[self].title

    @property
    def number_family(self) -> str:
        return _SPECS[self].number_family

    @property
    def needs_remedy(self) -> bool:
        return _SPECS[self].needs_remedy

    @property
    def addressed_to_party(self) -> bool:
        return _SPECS[self].addressed_to_party


_K = LetterKind
_SPECS: dict[LetterKind, _Spec] = {
    _K.RECEIPT: _Spec("登记回执", "政府信息公开申请登记回执", "receipt", False),
    _K.CORRECTION_NOTICE: _Spec("补正告知书", "政府信息公开申请补正告知书", "notice", False),
    _K.EXTENSION_NOTICE: _Spec("延期答复告知书", "政府信息公开申请延期答复告知书", "notice", False),
    # 条例第三十五条: a later due date for a reasonable but excessive request. Like the fee notice
    # below it is an act the applicant may challenge (行政复议法第十一条第（十四）项, 法释〔2011〕17号
    # 第一条第一款第（五）项): both carry the remedy clause.
    _K.DELAY_NOTICE: _Spec("延迟答复告知书", "政府信息公开申请延迟答复告知书", "notice", True),
    _K.THIRD_PARTY_CONSULTATION: _Spec("第三方征求意见书", "政府信息公开第三方征求意见书", "consult", False, True),
    _K.AGENCY_CONSULTATION: _Spec("征求其他机关意见函", "政府信息公开征求意见函", "consult", False, True),
    # 法释〔2011〕17号第一条第一款第（三）项: the third party may sue over a disclosure.
    _K.THIRD_PARTY_NOTICE: _Spec("第三方告知书", "政府信息公开第三方告知书", "notice", True, True),
    _K.FEE_NOTICE: _Spec("收费通知书", "政府信息公开信息处理费收费通知书", "notice", True),
    _K.NOT_HANDLED_NOTICE: _Spec("不予处理告知书", "政府信息公开申请不予处理告知书", "reply", True),
    _K.SERVICE_RECEIPT: _Spec("送达回证", "送达回证", "service", False),  # its own series, not the 登记回执's
    _K.REPLY: _Spec("答复书", "政府信息公开申请答复书", "reply", True),
}

KIND_ALIASES: dict[str, LetterKind] = {
    **{k.short: k for k in LetterKind},
    **{k.title: k for k in LetterKind},
    "回执": _K.RECEIPT,
    "受理回执": _K.RECEIPT,
    "补正通知书": _K.CORRECTION_NOTICE,
    "延期告知书": _K.EXTENSION_NOTICE,
    "延期答复通知书": _K.EXTENSION_NOTICE,
    "延迟答复通知书": _K.DELAY_NOTICE,
    "延迟告知书": _K.DELAY_NOTICE,
    "延迟答复告知": _K.DELAY_NOTICE,
    "征求意见书": _K.THIRD_PARTY_CONSULTATION,
    "征求第三方意见书": _K.THIRD_PARTY_CONSULTATION,
    "征求意见函": _K.AGENCY_CONSULTATION,
    "收费通知": _K.FEE_NOTICE,
    "信息处理费通知书": _K.FEE_NOTICE,
    "不予处理通知书": _K.NOT_HANDLED_NOTICE,
    "答复": _K.REPLY,
    "依申请公开答复书": _K.REPLY,
}


def short_label(kind: str) -> str:
    """The name a clerk reads for a stored kind code (登记回执); an unknown code as it is."""
    spec = _SPECS.get(LetterKind._value2member_map_.get(kind))
    return spec.short if spec else kind


def resolve_kind(text: str | LetterKind) -> LetterKind:
    """A kind from its code (`fee-notice`, `fee_notice`, any case), a Chinese name (收费通知书,
    an alias above) or the unambiguous beginning of one (收费 -> 收费通知书): the rules of
    states.vocabulary.resolve_code, which also words the refusal."""
    from ..states.vocabulary import resolve_code

    if isinstance(text, LetterKind):
        return text
    key = str(text).strip()
    code = key.lower().replace("_", "-")
    if code in LetterKind._value2member_map_:
        return LetterKind(code)
    table = {k.value: k.short for k in LetterKind}
    aliases = {name: k.value for name, k in KIND_ALIASES.items()}
    return LetterKind(resolve_code(table, key, "文书种类", aliases))
