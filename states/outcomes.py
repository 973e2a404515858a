"""How an application is answered: outcome families and grounds, each with its article and
its row in the annual report (国办公开办函〔2021〕30号 table 三). Kept apart from the case state.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    DISCLOSE = "disclose"              # 予以公开 (条例第三十六条第一、二项)
    PARTIAL = "partial"                # 部分公开 (条例第三十七条)
    WITHHOLD = "withhold"              # 不予公开 (条例第三十六条第三项)
    UNABLE = "unable"                  # 无法提供 (条例第三十六条第四项、第三十八条)
    NOT_HANDLED = "not_handled"        # 不予处理 (条例第三十六条第六项、第三十九条、第三十五条、第二条)
    OTHER = "other"                    # 其他处理 (逾期不补正、逾期未缴费、其他：经办人指明条款)
    NOT_RESPONSIBLE = "not_responsible"  # 非本机关负责 (条例第三十六条第五项)
    SPECIAL_RULES = "special_rules"    # 特别规定 (条例第三十六条第七项)


FAMILY_LABELS = {
    Family.DISCLOSE: "予以公开",
    Family.PARTIAL: "部分公开",
    Family.WITHHOLD: "不予公开",
    Family.UNABLE: "无法提供",
    Family.NOT_HANDLED: "不予处理",
    Family.OTHER: "其他处理",
    Family.NOT_RESPONSIBLE: "非本机关负责",
    Family.SPECIAL_RULES: "特别规定",
}


@dataclass(frozen=True)
class Outcome:
    key: str            # stable code used on the CLI and in the database
    family: Family
    label: str          # Chinese name as the clerk and the applicant read it
    article: str        # the exact article (and item) the answer rests on
    report_row: str     # annual report table 三 row, e.g. "三(三)4"
    needs_ground_text: bool = False  # the letter must state reasons in free text
    refusal: bool = False            # review must come first (行政复议法第二十三条)


_O = Outcome
OUTCOMES: dict[str, Outcome] = {o.key: o for o in [
    _O("disclose", Family.DISCLOSE, "予以公开", "《中华人民共和国政府信息公开条例》第三十六条第（二）项", "三(一)"),
    _O("disclose_already_public", Family.DISCLOSE, "予以公开（已主动公开）",
       "《中华人民共和国政府信息公开条例》第三十六条第（一）项", "三(一)"),
    _O("partial", Family.PARTIAL, "部分公开",
       "《中华人民共和国政府信息公开条例》第三十七条", "三(二)", needs_ground_text=True, refusal=True),
    _O("withhold_state_secret", Family.WITHHOLD, "不予公开（属于国家秘密）",
       "《中华人民共和国政府信息公开条例》第十四条、第三十六条第（三）项", "三(三)1", refusal=True),
    _O("withhold_law_forbidden", Family.WITHHOLD, "不予公开（其他法律行政法规禁止公开）",
       "《中华人民共和国政府信息公开条例》第十四条、第三十六条第（三）项", "三(三)2", needs_ground_text=True, refusal=True),
    _O("withhold_three_safety", Family.WITHHOLD, "不予公开（危及“三安全一稳定”）",
       "《中华人民共和国政府信息公开条例》第十四条、第三十六条第（三）项", "三(三)3", needs_ground_text=True, refusal=True),
    _O("withhold_third_party", Family.WITHHOLD, "不予公开（保护第三方合法权益）",
       "《中华人民共和国政府信息公开条例》第十五条、第三十二条、第三十六条第（三）项", "三(三)4", needs_ground_text=True, refusal=True),
    _O("withhold_internal", Family.WITHHOLD, "不予公开（属于三类内部事务信息）",
       "《中华人民共和国政府信息公开条例》第十六条第一款、第三十六条第（三）项", "三(三)5", needs_ground_text=True, refusal=True),
    _O("withhold_process", Family.WITHHOLD, "不予公开（属于四类过程性信息）",
       "《中华人民共和国政府信息公开条例》第十六条第二款、第三十六条第（三）项", "三(三)6", needs_ground_text=True, refusal=True),
    _O("withhold_enforcement_file", Family.WITHHOLD, "不予公开（属于行政执法案卷）",
       "《中华人民共和国政府信息公开条例》第十六条第二款、第三十六条第（三）项", "三(三)7", needs_ground_text=True, refusal=True),
    # The 行政查询事项 answer decides 不予公开 and tells the applicant where to query the information
    # (propose --query-channel, required): the letter names the channel, never "not an application".
    _O("withhold_admin_query", Family.WITHHOLD, "不予公开（属于行政查询事项）",
       "《中华人民共和国政府信息公开条例》第三十六条第（三）项", "三(三)8", needs_ground_text=True, refusal=True),
    _O("unable_not_held", Family.UNABLE, "无法提供（本机关不掌握相关政府信息）",
       "《中华人民共和国政府信息公开条例》第三十六条第（四）项", "三(四)1"),
    _O("unable_needs_creation", Family.UNABLE, "无法提供（没有现成信息需要另行制作）",
       "《中华人民共和国政府信息公开条例》第三十八条", "三(四)2"),
    # 条例第三十条 is one paragraph without items: cited whole. It is the article of the correction
    # (一次性告知补正); the letter names the items the applicant was asked to correct, when recorded.
    _O("unable_unclear", Family.UNABLE, "无法提供（补正后申请内容仍不明确）",
       "《中华人民共和国政府信息公开条例》第三十条", "三(四)3"),
    _O("not_handled_petition", Family.NOT_HANDLED, "不予处理（信访举报投诉类申请）",
       "《中华人民共和国政府信息公开条例》第三十九条第一款", "三(五)1"),
    _O("not_handled_repeat", Family.NOT_HANDLED, "不予处理（重复申请）",
       "《中华人民共和国政府信息公开条例》第三十六条第（六）项", "三(五)2"),
    _O("not_handled_publication", Family.NOT_HANDLED, "不予处理（要求提供公开出版物）",
       "《中华人民共和国政府信息公开条例》第三十九条第二款", "三(五)3"),
    _O("not_handled_excessive", Family.NOT_HANDLED, "不予处理（无正当理由大量反复申请）",
       "《中华人民共和国政府信息公开条例》第三十五条", "三(五)4", needs_ground_text=True),
    # Neither 第三十六条 nor 第三十九条 names this ground. A request to confirm, or to issue again,
    # information the applicant already holds asks the agency for a new act, not for information
    # it has made or obtained and recorded (条例第二条: what 政府信息 is) that the applicant seeks to
    # obtain (条例第二十七条: what an application is): it is not a request for disclosure, and the
    # letter says so. Both articles have one paragraph and no items.
    _O("not_handled_confirm", Family.NOT_HANDLED, "不予处理（要求行政机关确认或重新出具已获取信息）",
       "《中华人民共和国政府信息公开条例》第二条、第二十七条", "三(五)5"),
    _O("other_correction_lapsed", Family.OTHER, "其他处理（申请人无正当理由逾期不补正）",
       "《中华人民共和国政府信息公开条例》第三十条", "三(六)1"),
    _O("other_fee_unpaid", Family.OTHER, "其他处理（申请人逾期未按收费通知要求缴纳费用）",
       "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）", "三(六)2"),
    # "Other" has no article of its own: the clerk names the exact one (propose --article, checked by
    # names_an_article) and the letter prints it (cited_article); this placeholder is only the law.
    _O("other", Family.OTHER, "其他处理（其他）", "《中华人民共和国政府信息公开条例》", "三(六)3", needs_ground_text=True),
    # Not rows of their own in table 三: counted where the national format puts them (config-free default).
    _O("not_responsible", Family.NOT_RESPONSIBLE, "非本机关负责公开",
       "《中华人民共和国政府信息公开条例》第三十六条第（五）项", "三(四)1"),
    _O("special_rules", Family.SPECIAL_RULES, "按特别规定办理（工商、不动产登记资料等）",
       "《中华人民共和国政府信息公开条例》第三十六条第（七）项", "三(六)3"),
]}

# Outcomes reached by a clerk's proposal; the two "其他处理" lapses are set by the engine.
PROPOSABLE = tuple(k for k in OUTCOMES if k not in ("other_correction_lapsed", "other_fee_unpaid"))


# 条例第三十九条: a request that is a 信访、投诉、举报 or asks for a 公开出版物 is "not handled as an
# application". The agency says so in a 不予处理告知书 (not a 答复书), approved like a reply; served,
# it closes the case as not handled (states.machine: DELIVER's dest_if_not_handled). The other
# 不予处理 outcomes (重复申请, 第三十五条, 确认或重新出具) are answered with a 答复书.
# `ogi case not-handled --ground G` proposes not_handled_G (grounds: states.vocabulary.NOT_HANDLED_GROUNDS).
NOT_HANDLED_NOTICE_OUTCOMES = ("not_handled_petition", "not_handled_publication")


def not_handled_notice_due(outcome_key: str | None) -> bool:
    return outcome_key in NOT_HANDLED_NOTICE_OUTCOMES


# 条例第三十二条: disclosing over a third party's objection (public-interest override) -> the agency
# tells the third party in writing what it discloses and why. The one condition the engine uses
# for the notice (engine/cases/numbering.py) and for what the proposal must record (guards).
THIRD_PARTY_NOTICE_OUTCOMES = ("disclose", "partial")


def third_party_notice_due(outcome_key: str | None, third_party_objected: bool) -> bool:
    return bool(third_party_objected) and outcome_key in THIRD_PARTY_NOTICE_OUTCOMES


REGULATIONS = "《中华人民共和国政府信息公开条例》"
# An article as a clerk writes it: 第三十条, 第三十六条第（三）项, 第16条第2款 (Chinese or Arabic numerals).
_ARTICLE = re.compile(r"第[0-9０-９一二三四五六七八九十百零〇]+条")


def names_an_article(text: str | None) -> bool:
    """Does the text name an article (第…条)? 《条例》 alone is not a legal basis."""
    return bool(_ARTICLE.search(text or ""))


def cited_article(text: str) -> str:
    """The clerk's article as the letter prints it: a bare 第…条 is an article of the 条例."""
    text = (text or "").strip()
    return text if text.startswith("《") else REGULATIONS + text


def outcome(key: str) -> Outcome:
    try:
        return OUTCOMES[key]
    except KeyError:
        raise KeyError(key) from None
