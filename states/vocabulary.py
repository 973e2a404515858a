"""ogi's vocabulary, defined once: the codes stored in the database and typed on the command
line, each with the Chinese a clerk or an applicant reads, and the statutory periods.

Pure data: no imports beyond the standard library. Every other module takes its labels, codes
and caps from here (the outcomes of an application live in `states/outcomes.py`).
"""
from __future__ import annotations

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


def codes_help(labels: dict[str, str]) -> str:
    """"code 标签 / code 标签": the help text of an option taking one of these codes."""
    return " / ".join(f"{code} {label}" for code, label in labels.items())


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
