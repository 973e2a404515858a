"""Replies and closing letters as people read them (issue 13, items 2 and 6), driven through
`ogi case ...`: the letter's PDF text, the refusals' exit code and Chinese message (and that a
refusal changed nothing), the state and the history.

- 第三方告知书 (条例第三十二条): what is disclosed and why come from the proposal's own fields
  (--disclose-to-third-party, --public-interest), required exactly when the notice is due.
- 行政查询事项 (条例第三十六条第（三）项): 不予公开 and the channel to query it (--query-channel).
- 补正后仍不明确 (条例第三十条, with the items asked), 确认或重新出具 (条例第二条、第二十七条),
  其他处理 (the clerk's exact article, --article).
- 逾期不补正 / 逾期未缴费 / 不予处理: the closing letter exists and is delivered like an answer,
  once, without changing the closed state; a withdrawal has nothing to deliver.
"""
from __future__ import annotations

import re

DESCRIPTION = "某道路改造工程立项批复"  # what conftest's Ogi.register files


def pdf_text(path: str) -> str:
    """The PDF's text without whitespace or page numbers (PDF text wraps at the line end). pypdf
    reads the service receipt's table row by row, as a person does."""
    from pypdf import PdfReader

    raw = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return re.sub(r"\s+", "", re.sub(r"—\s*\d+\s*—", "", raw))


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def letter(ogi, cid, kind: str, nth: int = -1) -> dict:
    letters = [x for x in ogi.json("letter", "list", str(cid)) if x["kind"] == kind]
    assert letters, f"case {cid} has no {kind} letter"
    assert letters[nth]["status"] == "rendered", letters[nth]
    return letters[nth]


def text_of(ogi, cid, kind: str, nth: int = -1) -> str:
    return pdf_text(letter(ogi, cid, kind, nth)["path"])


def kinds(ogi, cid) -> list[str]:
    return [x["kind"] for x in ogi.json("letter", "list", str(cid))]


def refused(ogi, *argv, user: str = "li") -> str:
    """Run a step that must be refused: exit 1, a Chinese message, and nothing changed."""
    cid = argv[2]
    before = ogi.json("case", "show", cid)
    r = ogi(*argv, user=user)
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    assert re.search(r"[\u4e00-\u9fff]", r.stderr) and "Traceback" not in r.stderr + r.stdout
    assert ogi.json("case", "show", cid) == before, "a refused step changed the case"
    return flat(r.stderr)


def accepted(ogi) -> str:
    cid = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    return cid


def approve(ogi, cid, day: str = "2026-10-12") -> None:
    ogi.ok("case", "decide", cid, "--date", day)
    ogi.ok("case", "approve", cid, "--date", day, user="wang")


def actions(ogi, cid) -> list[str]:
    return [h["action"] for h in ogi.json("case", "show", cid)["history"] if h["action"] != "letter_rendered"]


# --------------------------------------------------------------------------- item 2: 第三方告知书

def objected(ogi) -> str:
    cid = accepted(ogi)
    ogi.ok("case", "consult", cid, "--party", "示例建设有限公司", "--kind", "third_party",
           "--information", "工程施工合同", "--date", "2026-09-28")
    ogi.ok("case", "consultation-reply", cid, "--opinion", "object", "--reason", "涉及商业秘密", "--date", "2026-10-09")
    return cid


def test_third_party_notice_says_what_the_clerk_decided_to_disclose_and_why(ogi_sqlite):
    ogi = ogi_sqlite
    cid = objected(ogi)
    partial = ("case", "propose", cid, "--outcome", "partial", "--withheld", "合同单价及银行账户",
               "--reason", "属于第三方商业秘密", "--date", "2026-10-12")
    # Disclosing over the objection without saying what and why: refused, citing 第三十二条, on one line.
    err = refused(ogi, *partial)
    assert "第三十二条" in err and "--disclose-to-third-party" in err and "--public-interest" in err
    r = ogi(*partial, "--disclose-to-third-party", "施工合同中的工程范围和工期条款")
    assert r.exit_code == 1 and len([x for x in r.stderr.splitlines() if "第三十二条" in x]) == 1
    assert ogi.json("case", "show", cid)["state"] == "processing"

    content = "施工合同中的工程范围、工期和质量标准条款"
    why = "该工程使用财政资金且关系沿线居民出行安全，不公开上述条款可能对公共利益造成重大影响"
    ogi.ok(*partial, "--disclose-to-third-party", content, "--public-interest", why)
    data = next(h for h in ogi.json("case", "show", cid)["history"] if h["action"] == "propose")["data"]
    assert (data["third_party_content"], data["public_interest"]) == (content, why)
    approve(ogi, cid)
    assert kinds(ogi, cid).count("third-party-notice") == 1
    text = text_of(ogi, cid, "third-party-notice")
    assert "示例建设有限公司：" in text and "第三十二条" in text and "不同意公开" in text
    assert f"决定公开的政府信息内容：{content}。" in text
    assert f"决定公开的理由：{why}" in text
    # Neither the application's words nor the reasons written to the applicant.
    assert DESCRIPTION not in text and "属于第三方商业秘密" not in text and "涉及商业秘密" not in text


def test_third_party_fields_only_when_the_notice_is_due(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)  # nobody objected
    err = refused(ogi, "case", "propose", cid, "--outcome", "disclose", "--public-interest", "公共利益",
                  "--date", "2026-10-12")
    assert "--public-interest" in err and "第三十二条" in err
    cid = objected(ogi)  # objected, but the agency withholds: no notice, no fields
    err = refused(ogi, "case", "propose", cid, "--outcome", "withhold_third_party", "--reason", "第三方有合理理由",
                  "--disclose-to-third-party", "合同", "--date", "2026-10-12")
    assert "--disclose-to-third-party" in err
    ogi.ok("case", "propose", cid, "--outcome", "withhold_third_party", "--reason", "第三方有合理理由", "--date", "2026-10-12")
    approve(ogi, cid)
    assert "third-party-notice" not in kinds(ogi, cid)


# --------------------------------------------------------------------------- item 6a: 行政查询事项

def test_admin_query_reply_withholds_and_names_the_channel(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    base = ("case", "propose", cid, "--outcome", "withhold_admin_query",
            "--reason", "申请查询的是某企业的登记信息", "--date", "2026-10-12")
    err = refused(ogi, *base)
    assert "--query-channel" in err and "行政查询事项" in err and "第三十六条第（三）项" in err
    channel = "国家企业信用信息公示系统（www.gsxt.gov.cn）"
    ogi.ok(*base, "--query-channel", channel)
    approve(ogi, cid)
    text = text_of(ogi, cid, "reply")
    assert "您申请获取的信息属于行政查询事项" in text
    assert "根据《中华人民共和国政府信息公开条例》第三十六条第（三）项的规定，本机关决定不予公开" in text
    assert f"您可以通过以下渠道查询该信息：{flat(channel)}。" in text
    assert "不属于政府信息公开申请的范围" not in text  # no longer says it is no application at all
    err = refused(ogi, "case", "propose", accepted(ogi), "--outcome", "disclose", "--query-channel", channel,
                  "--date", "2026-10-12")
    assert "--query-channel" in err


# --------------------------------------------------------------------------- item 6b: exact articles

def test_unclear_after_correction_names_what_was_asked(ogi_sqlite):
    ogi = ogi_sqlite
    cid = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "request-correction", cid, "--items", "请写明文件名称或文号；请写明所需信息的年份", "--date", "2026-09-28")
    ogi.ok("case", "receive-correction", cid, "--date", "2026-10-09")
    ogi.ok("case", "propose", cid, "--outcome", "unable_unclear", "--date", "2026-10-12")
    approve(ogi, cid)
    text = text_of(ogi, cid, "reply")
    assert "需要补正的事项为：（一）请写明文件名称或文号；（二）请写明所需信息的年份。" in text
    assert "补正后的申请内容仍不明确" in text
    assert "根据《中华人民共和国政府信息公开条例》第三十条的规定，本机关无法向您提供" in text


def test_confirm_or_reissue_rests_on_articles_2_and_27(ogi_sqlite):
    ogi = ogi_sqlite
    listed = {r["code"]: r["article"] for r in ogi.json("case", "outcomes")}
    assert listed["not_handled_confirm"] == "《中华人民共和国政府信息公开条例》第二条、第二十七条"
    cid = accepted(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "not_handled_confirm", "--date", "2026-10-12")
    approve(ogi, cid)
    text = text_of(ogi, cid, "reply")
    assert "要求本机关确认或者重新出具您已获取的信息" in text
    assert "不是申请获取政府信息，不属于政府信息公开申请" in text
    assert "根据《中华人民共和国政府信息公开条例》第二条、第二十七条的规定，本机关不予处理" in text
    assert "第三十六条、第三十九条" not in text


def test_other_needs_the_exact_article(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    base = ("case", "propose", cid, "--outcome", "other", "--reason", "申请人要求本机关对其提交的材料作出说明",
            "--date", "2026-10-12")
    err = refused(ogi, *base)
    assert "--article" in err and "第三十八条" in err  # says what an article looks like
    err = refused(ogi, *base, "--article", "《政府信息公开条例》")
    assert "没有写明第几条" in err
    err = refused(ogi, "case", "propose", cid, "--outcome", "disclose", "--article", "第三十八条", "--date", "2026-10-12")
    assert "--article" in err and "第三十六条第（二）项" in err
    ogi.ok(*base, "--article", "第三十八条")
    assert next(h for h in ogi.json("case", "show", cid)["history"] if h["action"] == "propose")["data"]["article"] == "第三十八条"
    approve(ogi, cid)
    text = text_of(ogi, cid, "reply")
    assert "根据《中华人民共和国政府信息公开条例》第三十八条的规定，本机关对您的申请处理如下：" in text
    assert "申请人要求本机关对其提交的材料作出说明" in text


# --------------------------------------------------------------------------- item 6c: closing letters

def next_steps(ogi, cid) -> list[str]:
    return [s["action"] for s in ogi.json("case", "show", cid)["next_steps"]]


def test_closing_letters_are_written_and_delivered_like_answers(ogi):
    # 逾期不补正: a reply (答复书) at the lapse, served in person with a 送达回证.
    a = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "request-correction", a, "--items", "请写明文件名称", "--date", "2026-09-28")
    r = ogi.json("case", "correction-lapsed", a, "--date", "2026-10-26")
    assert r["state"] == "abandoned" and r["outcome"] == "other_correction_lapsed"
    text = text_of(ogi, a, "reply")
    assert "（一）请写明文件名称；补正期限截至2026年10月23日。您无正当理由逾期未补正" in text
    assert "根据《中华人民共和国政府信息公开条例》第三十条的规定，视为您放弃申请" in text
    assert "deliver" in next_steps(ogi, a)
    r = ogi.json("case", "deliver", a, "--method", "direct", "--date", "2026-10-27")
    assert (r["state"], r["closed_on"], r["delivered_on"], r["delivery_method"]) == ("abandoned", "2026-10-26", "2026-10-27", "direct")
    assert r["step"]["warnings"] == []
    assert actions(ogi, a)[-2:] == ["correction_lapse", "deliver"]
    deliver = ogi.json("case", "show", a)["history"]
    deliver = next(h for h in deliver if h["action"] == "deliver")
    assert deliver["data"]["served_letter"] == letter(ogi, a, "reply")["number"]
    receipt = text_of(ogi, a, "service-receipt")
    assert flat(letter(ogi, a, "reply")["number"]) in receipt and "政府信息公开申请答复书" in receipt
    assert "张三" in receipt and "直接送达" in receipt
    assert next_steps(ogi, a) == []
    err = refused(ogi, "case", "deliver", a, "--method", "direct", "--date", "2026-10-28")
    assert "已于2026-10-27送达，不能重复送达" in err

    # 逾期未缴费: a reply naming the amount and the deadline, served by post (no 送达回证).
    b = accepted(ogi)
    ogi.ok("case", "fee-notice", b, "--basis", "per_page", "--quantity", "80", "--date", "2026-09-28")
    r = ogi.json("case", "fee-lapsed", b, "--date", "2026-11-02")
    assert r["state"] == "abandoned" and r["outcome"] == "other_fee_unpaid"
    text = text_of(ogi, b, "reply")
    assert "应缴纳信息处理费人民币500元，缴费期限截至2026年10月30日。您逾期未按照通知要求缴纳信息处理费" in text
    assert "国办函〔2020〕109号" in text
    r = ogi.json("case", "deliver", b, "--method", "post", "--date", "2026-11-03")
    assert (r["state"], r["delivered_on"], r["delivery_method"]) == ("abandoned", "2026-11-03", "post")
    assert "service-receipt" not in kinds(ogi, b)

    # 不予处理 (条例第三十九条): proposed, decided, approved (the notice is issued), served to a
    # delegate who signs for it: then the case is closed as not handled.
    c = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "not-handled", c, "--ground", "petition", "--reason", "申请内容系对施工噪声的投诉", "--date", "2026-09-28")
    ogi.ok("case", "decide", c, "--date", "2026-09-28")
    assert "not-handled-notice" not in kinds(ogi, c)
    ogi.ok("case", "approve", c, "--date", "2026-09-28", user="wang")
    assert "第三十九条第一款" in text_of(ogi, c, "not-handled-notice") and "reply" not in kinds(ogi, c)
    assert ogi.json("case", "show", c)["state"] == "approved"
    r = ogi.json("case", "deliver", c, "--method", "delegated", "--recipient", "李四", "--date", "2026-09-29")
    assert (r["state"], r["delivered_on"]) == ("not_handled", "2026-09-29")
    receipt = text_of(ogi, c, "service-receipt")
    assert "李四" in receipt and flat(letter(ogi, c, "not-handled-notice")["number"]) in receipt
    assert "政府信息公开申请不予处理告知书" in receipt

    # A withdrawal has no letter: nothing to deliver.
    d = accepted(ogi)
    ogi.ok("case", "withdraw", d, "--reason", "申请人书面撤回", "--date", "2026-10-09")
    err = refused(ogi, "case", "deliver", d, "--method", "direct", "--date", "2026-10-12")
    assert "撤回" in err and "没有需要送达的文书" in err
    assert next_steps(ogi, d) == []
    # Nor does an answered case get its answer served twice.
    e = accepted(ogi)
    ogi.ok("case", "propose", e, "--outcome", "disclose", "--date", "2026-10-09")
    approve(ogi, e, "2026-10-09")
    ogi.ok("case", "deliver", e, "--method", "post", "--date", "2026-10-12")
    refused(ogi, "case", "deliver", e, "--method", "post", "--date", "2026-10-13")


def test_a_closed_case_without_its_letter_is_not_delivered(ogi_sqlite):
    """Closed before closing letters existed (a legacy lapse): nothing to serve, refused."""
    from legal_support import sql

    ogi = ogi_sqlite
    a = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "request-correction", a, "--items", "请写明文件名称", "--date", "2026-09-28")
    ogi.ok("case", "correction-lapsed", a, "--date", "2026-10-26")
    sql(ogi, f"DELETE FROM letter WHERE case_id = {a} AND kind = 'reply'")
    assert "deliver" not in next_steps(ogi, a)
    err = refused(ogi, "case", "deliver", a, "--method", "post", "--date", "2026-10-27")
    assert "没有出具需要送达的文书" in err
