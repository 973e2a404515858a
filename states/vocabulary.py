"""ogi's vocabulary, defined once: the codes stored in the database and typed on the command
line, each with the Chinese a clerk or an applicant reads, and the statutory periods.

Pure data: no imports beyond the standard library (and errors.py, which imports nothing).
Every other module takes its labels, codes and caps from here (the outcomes of an application
live in `states/outcomes.py`). A clerk may type a code or its Chinese: `resolve_code` is the one
place where what was typed becomes a code (the rules are in its docstring).
"""
from __future__ import annotations

import unicodedata
from typing import Mapping

from ..errors import InputError

# --------------------------------------------------------------------------- who acts
ROLES = ("clerk", "reviewer", "head", "legal", "admin")
ROLE_LABELS = {
    "clerk": "经办人",
    "reviewer": "审核人",
    "head": "政府信息公开工作机构负责人",
    "legal": "法制机构",
    "admin": "系统管理员",
}
ROLE_NOTES = {"reviewer": "报批审批", "legal": "只读"}  # shown beside the label by `ogi users`

# How the actor of a history event was authenticated (history_event.actor_auth; the codes are
# engine/identity.py's PEER, OS_LOGIN, DECLARED, SYSTEM; "" for events recorded before it was kept).
AUTH_LABELS = {  # --json, the dossier
    "peer": "服务认证（操作系统账户）",
    "os_login": "本机登录（操作系统账户）",
    "declared": "声明身份（未经认证）",
    "system": "系统",
    "": "未记录（旧记录）",
}
AUTH_SHORT = {  # the cells of narrow tables (`ogi case history`), explained by auth_legend below them
    "peer": "服务认证",
    "os_login": "本机登录",
    "declared": "声明身份",
    "system": "系统",
    "": "未记录",
}
AUTH_EXPLAINED = {
    "peer": "经 ogi 服务由操作系统账户认证",
    "os_login": "本机操作系统登录账户",
    "declared": "由命令行（--as 或 OGI_USER）声明，未经操作系统认证（供演示、培训或测试）",
    "": "记录时系统尚未记载认证方式",
}


def auth_label(code: str | None) -> str:
    """How an event's actor was authenticated, in Chinese (an unknown code as it is)."""
    return AUTH_LABELS.get(code or "", code or "")


def auth_short(code: str | None) -> str:
    return AUTH_SHORT.get(code or "", code or "")


def auth_legend(codes) -> str:
    """"认证方式：声明身份＝由命令行…": what each short label of `codes` means (the system's own
    work needs none); "" when there is nothing to explain."""
    present = set(codes)
    parts = [f"{AUTH_SHORT[c]}＝{text}" for c, text in AUTH_EXPLAINED.items() if c in present]
    return "认证方式：" + "；".join(parts) + "。" if parts else ""


def _seq_ranges(seqs: list[int]) -> str:
    """[1, 2, 3, 5] -> "1 至 3、5"."""
    parts: list[str] = []
    ordered = sorted(set(seqs))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if j == i else f"{ordered[i]} 至 {ordered[j]}")
        i = j + 1
    return "、".join(parts)


def auth_notes(events) -> list[str]:
    """The notes under a history whose table does not show how each actor was authenticated:
    the entries whose actor was declared (--as, OGI_USER) and the old ones that do not say.
    `events`: (seq, actor_auth) pairs. Nothing when every actor was proven (or is the system)."""
    events = list(events)
    notes = []
    for code in ("declared", ""):
        seqs = [seq for seq, auth in events if (auth or "") == code]
        if seqs:
            notes.append(f"注：第 {_seq_ranges(seqs)} 条记录的办理人认证方式为“{AUTH_LABELS[code]}”："
                         f"{AUTH_EXPLAINED[code]}。")
    return notes


# --------------------------------------------------------------------------- the application
APPLICANT_KINDS = {  # 国办公开办函〔2021〕30号 table 二: the columns of the annual report
    "natural": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_service": "法律服务机构",
    "other": "其他",
}
CHANNELS = {  # how the application arrived (条例第三十一条 fixes the receipt day by channel)
    "in_person": "当面提交",
    "registered_mail": "邮寄（需签收）",
    "ordinary_mail": "平常信函",
    "online": "互联网渠道",
    "fax": "传真",
    "email": "电子邮件",
}

# --------------------------------------------------------------------------- steps
CONSULTATION_KINDS = {"third_party": "第三方", "agency": "其他机关"}  # 条例第三十二条 / 第三十四条
OPINIONS = {"agree": "同意公开", "object": "不同意公开", "none": "未表示意见"}
DELIVERY_METHODS = {  # 国办公开办函〔2016〕235号
    "direct": "直接送达",
    "delegated": "委托送达",
    "post": "邮寄送达",
    "electronic": "电子送达",
}
SIGNED_FOR = ("direct", "delegated")  # methods whose proof is a 送达回证 signed by the recipient
FEE_BASES = {"per_application": "按件计收", "per_page": "按量计收"}  # 国办函〔2020〕109号

# --------------------------------------------------------------------------- periods (working days)
CORRECTION_NOTICE_WD = 7   # 条例第三十条: correction notice within 7 WD of receipt, once
ANSWER_WD = 20             # 条例第三十三条第二款: answer within 20 WD of receipt
MAX_EXTENSION_WD = 20      # 条例第三十三条第二款: extension at most 20 WD in total
CONSULTATION_WD = 15       # 条例第三十二条 / 第三十四条: third parties and agencies answer in 15 WD
PAYMENT_WD = 20            # 国办函〔2020〕109号: pay within 20 WD of receiving the fee notice

# --------------------------------------------------------------------------- clocks
# A clock's key is one of these, or "consultation:<id>" for each consultation.
CLOCK_LABELS = {  # the long form, with its article: `case explain`, `case show`, warnings
    "correction_notice": "补正告知期限（条例第三十条：收到申请之日起7个工作日内）",
    "correction": "申请人补正期限",
    "answer": "答复期限（条例第三十三条）",
    "consultation": "征求意见答复期限（条例第三十二条、第三十四条：15个工作日）",
    "payment": "缴费期限（国办函〔2020〕109号：20个工作日）",
}
CLOCK_SHORT = {  # the short form: timelines, lists, messages
    "correction_notice": "补正告知期限",
    "correction": "申请人补正期限",
    "answer": "答复期限",
    "consultation": "征求意见答复期限",
    "payment": "缴费期限",
}

CLOCK_CHART = {  # the shortest form: the rows of the picture in `case show`
    "correction_notice": "补正告知",
    "correction": "补正期限",
    "answer": "答复期限",
    "consultation": "征求意见",
    "payment": "缴费期限",
}


def codes_help(labels: Mapping[str, str], head: str = "") -> str:
    """"标签（code）、标签（code）": the help text of an option taking one of these codes, the
    Chinese first (the code is accepted too, and so is an unambiguous beginning of the Chinese)."""
    return (head + "：" if head else "") + "、".join(f"{label}（{code}）" for code, label in labels.items()) \
        + "；可填中文名称（或其开头几个字）或代码"


def clock_kind(key: str) -> str:
    """"consultation:3" -> "consultation"; other keys are their own kind."""
    return key.split(":", 1)[0]


def clock_short(key: str) -> str:
    return CLOCK_SHORT.get(clock_kind(key), key)


def clock_label(key: str) -> str:
    """The short label, naming the consultation where there are several."""
    if key.startswith("consultation:"):
        return f"{CLOCK_SHORT['consultation']}（征求意见 {key.split(':', 1)[1]}）"
    return CLOCK_SHORT.get(key, key)


# --------------------------------------------------------------------------- legal challenges
CHALLENGE_KINDS = {  # 行政复议法 (2023) / 行政诉讼法: the three columns of annual report table 四
    "review": "行政复议",
    "lawsuit_direct": "行政诉讼（未经复议直接起诉）",
    "lawsuit_after_review": "行政诉讼（复议后起诉）",
}
CHALLENGE_RESULTS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果"}


# --------------------------------------------------------------------------- warnings (notify)
WARNING_STATUSES = {  # one status per warning, from its deliveries (`ogi warnings list --status`)
    "pending": "待发送",
    "failed": "发送失败，等待重试",
    "sent": "已发送",
    "cancelled": "已取消",
    "undeliverable": "无法送达（未配置提醒渠道）",
}
DELIVERY_STATUSES = {  # one delivery of a warning to one user on one channel
    "pending": "待发送",
    "failed": "发送失败",
    "sent": "已发送",
    "cancelled": "已取消",
    "no_address": "无可用渠道",
}
WARNING_CHANNELS = {"email": "电子邮件", "webhook": "机器人（企业微信/钉钉）", "none": "无渠道"}

# `ogi case not-handled --ground`: 条例第三十九条 (the outcome is not_handled_<ground>)
NOT_HANDLED_GROUNDS = {"petition": "信访举报投诉", "publication": "公开出版物"}


# --------------------------------------------------------------------------- typed input
# What a clerk naturally types where it is not the label (nor the start of it). Per table, since
# codes repeat across tables ("other"); a name here must not be another code's label.
ALIASES: dict[str, dict[str, str]] = {
    "applicant_kinds": {"个人": "natural", "公民": "natural", "企业": "commercial", "公司": "commercial",
                        "公益组织": "public_interest", "律师事务所": "legal_service", "律所": "legal_service"},
    "channels": {"现场": "in_person", "窗口": "in_person", "挂号信": "registered_mail", "快递": "registered_mail",
                 "平信": "ordinary_mail", "平邮": "ordinary_mail", "网上": "online", "网络": "online",
                 "在线": "online", "政府网站": "online", "电邮": "email", "邮箱": "email"},
    "consultation_kinds": {"第三人": "third_party", "机关": "agency", "行政机关": "agency", "其他行政机关": "agency"},
    "opinions": {"反对": "object", "未表态": "none"},
    "delivery_methods": {"当面送达": "direct", "自取": "direct", "受托人": "delegated", "快递": "post",
                         "挂号": "post", "电子邮件": "electronic", "网上送达": "electronic"},
    "fee_bases": {"按页": "per_page", "按页数": "per_page"},
    "challenge_kinds": {"复议": "review", "直接起诉": "lawsuit_direct", "复议后起诉": "lawsuit_after_review"},
    "challenge_results": {"维持": "upheld", "纠正": "corrected"},
    "not_handled_grounds": {"信访": "petition", "举报": "petition", "投诉": "petition", "出版物": "publication",
                            "要求提供公开出版物": "publication"},
    "states": {"办理中": "processing", "已受理": "processing", "撤回": "withdrawn", "已撤回": "withdrawn",
               "不予处理": "not_handled"},
    "outcomes": {"国家秘密": "withhold_state_secret", "信息不存在": "unable_not_held", "不掌握": "unable_not_held",
                 "特别规定": "special_rules", "过程性信息": "withhold_process",
                 "内部事务信息": "withhold_internal", "信访举报投诉": "not_handled_petition",
                 "公开出版物": "not_handled_publication"},
    "warning_statuses": {"失败": "failed", "取消": "cancelled"},
}

# Marks a clerk may leave out or write either way: brackets (full or half width), quotes, spaces.
_IGNORED = set("()（）[]【】「」『』“”\"'‘’《》·・")


def _loose(text: str) -> str:
    """The form compared: NFKC (full-width letters and brackets as half width), without
    spaces, brackets and quotes."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if not c.isspace() and c not in _IGNORED)


def _names(label: str) -> list[str]:
    """The Chinese names of one code: its label, and the words in its last brackets on their own
    ("不予公开（属于国家秘密）" -> "属于国家秘密", "国家秘密" without a leading 属于)."""
    names = [_loose(label)]
    norm = unicodedata.normalize("NFKC", label)
    if norm.endswith(")") and "(" in norm:
        detail = _loose(norm[norm.rindex("(") + 1:-1])
        if detail:
            names.append(detail)
            if detail.startswith("属于") and len(detail) > 3:
                names.append(detail[2:])
    return names


def _shown(text: str) -> str:
    text = text if len(text) <= 40 else text[:40] + "…"
    return "".join(c if c.isprintable() else "?" for c in text)


def choices_text(table: Mapping[str, str]) -> str:
    """「中文（code）」、…: the choices, as every refusal lists them."""
    return "、".join(f"「{label}（{code}）」" for code, label in table.items())


def resolve_code(table: Mapping[str, str], text: str | None, what: str, aliases: Mapping[str, str] | str | None = None,
                 *, hint: str = "") -> str:
    """The code a clerk means by `text` in `table` (code -> Chinese label), else InputError.

    Accepted, in this order:
      1. the code itself, exactly (`in_person`; `in-person` too); codes are never guessed: NATURAL
         or a code's beginning is refused;
      2. a Chinese name, compared without spaces, brackets or quotes, full- or half-width: the
         label (当面提交, 不予公开（保护第三方合法权益）, 不予公开保护第三方合法权益), the words in the
         label's last brackets (已主动公开; 国家秘密 for （属于国家秘密）), or an alias of the table
         (ALIASES[name], e.g. 个人 -> natural);
      3. the beginning (two characters or more, not only ASCII) of exactly one code's names:
         同意 -> agree (同意公开), 邮寄 -> post (邮寄送达), 按量 -> per_page.
    A name or beginning shared by several codes is refused with the candidates listed; an
    unknown one with every choice, as 「中文（code）」. `aliases` is a dict or a key of ALIASES.
    """
    raw = (text or "").strip()
    if not raw:
        raise InputError(f"请填写{what}；可选：{choices_text(table)}{hint}")
    if raw in table:
        return raw
    if raw.replace("-", "_") in table:
        return raw.replace("-", "_")
    extra = ALIASES.get(aliases, {}) if isinstance(aliases, str) else (aliases or {})
    names: dict[str, list[str]] = {code: _names(label) for code, label in table.items()}
    for alias, code in extra.items():
        if code in names:
            names[code].append(_loose(alias))
    key = _loose(raw)
    found = [code for code, ns in names.items() if key and key in ns]
    if not found and len(key) >= 2 and not key.isascii():
        found = [code for code, ns in names.items() if any(n.startswith(key) for n in ns)]
    if len(found) == 1:
        return found[0]
    if found:
        listed = choices_text({code: table[code] for code in found})
        raise InputError(f"{what}“{_shown(raw)}”可指多项：{listed}；请写完整名称或代码{hint}")
    raise InputError(f"{what}“{_shown(raw)}”不存在；可选：{choices_text(table)}{hint}")
