"""Every code is typed in Chinese as well, and shown in Chinese (issue 16, item 1).

Input: wherever a clerk types a code (`--applicant-type`, `--channel`, `--kind`, `--opinion`,
`--basis`, `--outcome`, `--method`, `--ground`, `--state`, `--status`, `ogi case review
--kind/--result`, letter kinds) the code, its Chinese label, an alias and an unambiguous Chinese
beginning are accepted (states.vocabulary.resolve_code); an ambiguous beginning is refused with
the candidates, an unknown value with every choice as 「中文（code）」, and nothing changes.
Output: text shows the labels; `--json` keeps the codes and adds `*_label` fields.
"""
from __future__ import annotations

import re

import pytest

from legal_support import no_letters
from reliability_support import snapshot

RECEIVED = "2026-09-24"
CODED = ("applicant_type", "channel", "kind", "opinion", "basis", "outcome", "method", "result")


def _flow(ogi, values: dict) -> str:
    """One application from registration to delivery, every coded option from `values`."""
    reg = ogi.json("case", "register", "--applicant", "张三", "--applicant-type", values["applicant_type"],
                   "--channel", values["channel"], "--received", RECEIVED, "--description", "某道路改造工程施工合同")
    cid = str(reg["id"])
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    ogi.ok("case", "consult", cid, "--party", "某建设公司", "--kind", values["kind"], "--date", "2026-09-28")
    ogi.ok("case", "consultation-reply", cid, "--opinion", values["opinion"], "--reason", "涉及商业秘密",
           "--date", "2026-10-09")
    ogi.ok("case", "fee-notice", cid, "--basis", values["basis"], "--quantity", "200", "--date", "2026-10-12")
    ogi.ok("case", "fee-paid", cid, "--date", "2026-10-14")
    ogi.ok("case", "propose", cid, "--outcome", values["outcome"], "--reason", "第三方有合理理由不同意公开",
           "--date", "2026-10-20")
    ogi.ok("case", "decide", cid, "--date", "2026-10-21")
    ogi.ok("case", "approve", cid, "--date", "2026-10-22", user="wang")
    ogi.ok("case", "deliver", cid, "--method", values["method"], "--date", "2026-10-23")
    return cid


CODES = {"applicant_type": "natural", "channel": "in_person", "kind": "third_party", "opinion": "object",
         "basis": "per_page", "outcome": "withhold_third_party", "method": "direct"}
CHINESE = {"applicant_type": "自然人", "channel": "当面提交", "kind": "第三方", "opinion": "不同意",
           "basis": "按量计收", "outcome": "不予公开（保护第三方合法权益）", "method": "直接送达"}


def _recorded(ogi, cid: str) -> list[tuple]:
    entries = ogi.json("case", "history", cid)["entries"]
    return [(e["action"], e["state_after"], {k: e["data"][k] for k in CODED if k in e["data"]}) for e in entries]


def test_a_case_driven_in_chinese_records_the_same_codes(ogi, monkeypatch):
    no_letters(monkeypatch)
    by_code, by_chinese = _flow(ogi, CODES), _flow(ogi, CHINESE)
    a, b = ogi.json("case", "show", by_code), ogi.json("case", "show", by_chinese)
    assert (b["state"], b["outcome"], b["delivery_method"]) == (a["state"], a["outcome"], a["delivery_method"]) \
        == ("answered", "withhold_third_party", "direct")
    assert (b["applicant"]["type"], b["channel"]) == ("natural", "in_person")
    assert [(c["kind"], c["opinion"]) for c in b["consultations"]] == [("third_party", "object")]
    assert _recorded(ogi, by_chinese) == _recorded(ogi, by_code)
    # the codes stay the record: nothing Chinese was stored for a coded value
    assert {k: v for _, _, d in _recorded(ogi, by_chinese) for k, v in d.items()} == CODES


def test_beginnings_aliases_and_ambiguity(ogi_sqlite, monkeypatch):
    ogi = ogi_sqlite
    no_letters(monkeypatch)
    reg = ogi.json("case", "register", "--applicant", "李四", "--applicant-type", "个人", "--channel", "邮寄",
                   "--received", RECEIVED, "--description", "某信息")
    assert (reg["applicant"]["type"], reg["channel"]) == ("natural", "registered_mail")
    other = ogi.json("case", "register", "--applicant", "示例科技有限公司", "--applicant-type", "商业",
                     "--channel", "互联网", "--received", RECEIVED, "--description", "某信息")
    assert (other["applicant"]["type"], other["channel"]) == ("commercial", "online")
    cid = str(reg["id"])
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    ogi.ok("case", "consult", cid, "--party", "市自然资源局", "--kind", "其他机关", "--date", "2026-09-28")
    ogi.ok("case", "consultation-reply", cid, "--opinion", "同意", "--date", "2026-10-09")
    ogi.ok("case", "fee-notice", cid, "--basis", "按量", "--quantity", "100", "--date", "2026-10-12")
    ogi.ok("case", "fee-paid", cid, "--date", "2026-10-13")

    before = snapshot(ogi.url)
    for argv, candidates, not_listed in [
        (["case", "propose", cid, "--outcome", "不予公开", "--reason", "r"],
         ["withhold_state_secret", "withhold_third_party", "withhold_admin_query"], ["「予以公开（disclose）」"]),
        (["case", "propose", cid, "--outcome", "不予"],
         ["not_handled_repeat", "withhold_process"], ["「部分公开（partial）」"]),
        (["case", "review", cid, "--kind", "行政诉讼", "--filed", "2026-10-14"],
         ["「行政诉讼（未经复议直接起诉）（lawsuit_direct）」", "lawsuit_after_review"], ["「行政复议（review）」"]),
    ]:
        r = ogi(*argv, user="zhao" if argv[1] == "review" else "li")
        assert r.exit_code == 1, r.stdout
        line = r.stderr.strip()
        assert len(line.splitlines()) == 1 and "可指多项" in line, line
        assert all(c in line for c in candidates) and not any(n in line for n in not_listed), line
    for argv in (["case", "consultation-reply", cid, "--opinion", "同"],        # one character: never a guess
                 ["case", "deliver", cid, "--method", "pos"],                  # codes are never guessed
                 ["case", "deliver", cid, "--method", "DIRECT"]):
        r = ogi(*argv)
        assert r.exit_code == 1 and "不存在；可选：" in r.stderr, r.stderr
    assert snapshot(ogi.url) == before

    ogi.ok("case", "propose", cid, "--outcome", "部分", "--withheld", "个人信息", "--reason", "涉及个人隐私",
           "--date", "2026-10-14")
    ogi.ok("case", "decide", cid, "--date", "2026-10-14")
    ogi.ok("case", "approve", cid, "--date", "2026-10-15", user="wang")
    ogi.ok("case", "deliver", cid, "--method", "邮寄", "--date", "2026-10-16")
    done = ogi.json("case", "show", cid)
    assert (done["outcome"], done["delivery_method"]) == ("partial", "post")
    assert [(c["kind"], c["opinion"]) for c in done["consultations"]] == [("agency", "agree")]
    fee = next(e for e in ogi.json("case", "history", cid)["entries"] if e["action"] == "fee_notice")
    assert fee["data"]["basis"] == "per_page" and fee["data_labels"]["basis"] == "按量计收"
    # filters take Chinese too
    assert [c["id"] for c in ogi.json("case", "list", "--state", "已登记")["cases"]] == [other["id"]]
    assert [c["id"] for c in ogi.json("case", "list", "--state", "已答复", "--all")["cases"]] == [done["id"]]
    r = ogi.json("case", "review", cid, "--kind", "复议", "--filed", "2026-11-02", user="zhao")
    assert r["challenge"]["kind"] == "review"
    r = ogi.json("case", "review-result", cid, "--challenge", str(r["challenge"]["id"]), "--result", "维持",
                 "--date", "2026-12-01", user="zhao")
    assert r["challenge"]["result"] == "upheld"


@pytest.mark.parametrize("argv, user, choice", [
    (["case", "register", "--applicant", "张三", "--applicant-type", "外星人", "--channel", "当面提交",
      "--received", RECEIVED, "--description", "x"], "li", "「自然人（natural）」"),
    (["case", "register", "--applicant", "张三", "--applicant-type", "自然人", "--channel", "飞鸽传书",
      "--received", RECEIVED, "--description", "x"], "li", "「当面提交（in_person）」"),
    (["case", "consult", "1", "--party", "某公司", "--kind", "外星人", "--date", "2026-09-28"], "li", "「第三方（third_party）」"),
    (["case", "consultation-reply", "1", "--opinion", "随便"], "li", "「同意公开（agree）」"),
    (["case", "fee-notice", "1", "--basis", "免费", "--quantity", "5"], "li", "「按量计收（per_page）」"),
    (["case", "propose", "1", "--outcome", "公开一下"], "li", "「予以公开（disclose）」"),
    (["case", "deliver", "1", "--method", "飞鸽传书"], "li", "「邮寄送达（post）」"),
    (["case", "not-handled", "1", "--ground", "外星人"], "li", "「信访举报投诉（petition）」"),
    (["case", "list", "--state", "外星人"], "li", "「已登记（registered）」"),
    (["warnings", "list", "--status", "外星人"], "li", "「已发送（sent）」"),
    (["case", "review", "1", "--kind", "外星人", "--filed", "2026-11-01"], "zhao", "「行政复议（review）」"),
    (["case", "review-result", "1", "--challenge", "1", "--result", "外星人", "--date", "2026-12-01"], "zhao",
     "「结果维持（upheld）」"),
    (["letter", "render", "1", "起诉书"], "li", "「登记回执（receipt）」"),
], ids=lambda v: v[1] if isinstance(v, list) else None)
def test_unknown_values_are_refused_in_chinese_and_change_nothing(ogi_sqlite, monkeypatch, argv, user, choice):
    ogi = ogi_sqlite
    no_letters(monkeypatch)
    ogi.register()
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    before = snapshot(ogi.url)
    r = ogi(*argv, user=user)
    assert r.exit_code == 1, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and "不存在；可选：" in lines[0], r.stderr
    assert choice in lines[0]
    assert snapshot(ogi.url) == before


def test_help_shows_the_chinese_first(ogi_sqlite):
    text = ogi_sqlite.ok("case", "consultation-reply", "-h").stdout
    assert "同意公开（agree）" in re.sub(r"\s+", "", text)
    text = ogi_sqlite.ok("case", "register", "-h").stdout
    assert "自然人（natural）" in re.sub(r"\s+", "", text) and "当面提交（in_person）" in re.sub(r"\s+", "", text)


def _outside_paths(text: str) -> str:
    return re.sub(r"\S*[/\\]\S*", " ", text)


ENGLISH = ("opinion=", "party=", "outcome=", "method=", "workdays=", "object", "third_party", "per_page",
           "withhold_third_party", "direct", "rendered", "pending", "receipt", "none:", "no_address", "system")


def test_text_outputs_show_labels_and_json_keeps_codes(ogi_sqlite, monkeypatch, tmp_path):
    ogi = ogi_sqlite
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line: labels are not wrapped apart
    no_letters(monkeypatch)
    cid = _flow(ogi, CHINESE)
    ogi.ok("letter", "render", cid, "回执")   # one real letter (an alias of 登记回执), for list and verify
    ogi.register("2026-12-20", "李四")          # correction notice overdue by 2026-12-31: a warning

    outputs = {}
    outputs["history"] = ogi.ok("case", "history", cid).stdout
    outputs["show"] = ogi.ok("case", "show", cid).stdout
    outputs["letter list"] = ogi.ok("letter", "list", cid).stdout
    letters = ogi.json("letter", "list", cid)
    receipt = next(l for l in letters if l["kind"] == "receipt")
    outputs["letter verify"] = ogi.ok("letter", "verify", receipt["path"]).stdout
    outputs["warnings sweep"] = ogi("warnings", "sweep").stdout
    outputs["warnings list"] = ogi.ok("warnings", "list").stdout
    outputs["dossier csv"] = ogi.ok("audit", "export", cid, "--format", "csv").stdout
    pdf = tmp_path / "dossier.pdf"
    ogi.ok("audit", "export", cid, "--format", "pdf", "--out", str(pdf))
    import pypdf

    outputs["dossier pdf"] = "".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)
    for name, text in outputs.items():
        shown = _outside_paths(text)
        leaked = [w for w in ENGLISH if w in shown]
        assert not leaked, f"{name} shows {leaked}:\n{text[:3000]}"

    squeeze = {k: re.sub(r"\s+", "", v) for k, v in outputs.items()}
    for label in ("对象：某建设公司（第三方）", "意见：不同意公开", "计收方式：按量计收", "送达方式：直接送达",
                  "结果：不予公开（保护第三方合法权益）"):
        assert label in squeeze["history"] and label in squeeze["dossier csv"], label
    assert "不同意公开" in squeeze["show"] and "直接送达" in squeeze["show"]
    assert "登记回执" in squeeze["letter list"] and "已生成" in squeeze["letter list"] and "待生成" in squeeze["letter list"]
    assert "登记回执" in squeeze["letter verify"]
    assert "无可用渠道" in squeeze["warnings list"]
    assert all(x in squeeze["dossier pdf"] for x in ("不同意公开", "某建设公司（第三方）", "直接送达"))

    # --json: the stable codes, and their labels beside them
    hist = ogi.json("case", "history", cid)["entries"]
    reply = next(e for e in hist if e["action"] == "consultation_reply")
    assert reply["data"]["opinion"] == "object" and reply["data_labels"]["opinion"] == "不同意公开"
    assert "不同意公开" in reply["note"]
    shown = ogi.json("case", "show", cid)
    con = shown["consultations"][0]
    assert (con["kind"], con["kind_label"], con["opinion"], con["opinion_label"]) == \
        ("third_party", "第三方", "object", "不同意公开")
    assert (shown["delivery_method"], shown["delivery_method_label"]) == ("direct", "直接送达")
    assert next(h for h in shown["history"] if h["action"] == "deliver")["data"]["method"] == "direct"
    assert (receipt["status"], receipt["status_label"], receipt["kind_label"]) == ("rendered", "已生成", "登记回执")
    assert {(l["status"], l["status_label"]) for l in letters if l["kind"] != "receipt"} == {("pending", "待生成")}
    verify = ogi.json("letter", "verify", receipt["path"])
    assert (verify["kind"], verify["kind_label"]) == ("receipt", "登记回执")
    warning = ogi.json("warnings", "list")[0]
    assert {(d["channel"], d["status"], d["channel_label"], d["status_label"]) for d in warning["recipients"]} == \
        {("none", "no_address", "无渠道", "无可用渠道")}


def test_the_resolver_rules():
    from ogi.errors import InputError
    from ogi.states.outcomes import OUTCOMES, PROPOSABLE
    from ogi.states.vocabulary import CHANNELS, DELIVERY_METHODS, OPINIONS, resolve_code

    outcomes = {k: OUTCOMES[k].label for k in PROPOSABLE}
    assert resolve_code(CHANNELS, "in_person", "提交方式") == "in_person"
    assert resolve_code(CHANNELS, "in-person", "提交方式") == "in_person"
    assert resolve_code(CHANNELS, " 当面提交 ", "提交方式") == "in_person"
    assert resolve_code(CHANNELS, "窗口", "提交方式", "channels") == "in_person"       # an alias
    # brackets full or half width, or none; the words in the brackets; exact beats beginning
    for text in ("不予公开（保护第三方合法权益）", "不予公开(保护第三方合法权益)", "不予公开保护第三方合法权益",
                 "保护第三方合法权益", "不予公开保护第三方"):
        assert resolve_code(outcomes, text, "办理结果", "outcomes") == "withhold_third_party", text
    assert resolve_code(outcomes, "予以公开", "办理结果", "outcomes") == "disclose"
    assert resolve_code(outcomes, "已主动公开", "办理结果", "outcomes") == "disclose_already_public"
    assert resolve_code(outcomes, "国家秘密", "办理结果", "outcomes") == "withhold_state_secret"
    assert resolve_code(OPINIONS, "同意", "意见", "opinions") == "agree"
    assert resolve_code(OPINIONS, "不同意", "意见", "opinions") == "object"
    assert resolve_code(DELIVERY_METHODS, "邮寄", "送达方式", "delivery_methods") == "post"
    for bad in ("NATURAL", "dis", "同", "", "公开一下"):
        with pytest.raises(InputError):
            resolve_code(outcomes | OPINIONS, bad, "值")
    with pytest.raises(InputError) as err:
        resolve_code(outcomes, "无法提供", "办理结果", "outcomes")
    assert "可指多项" in err.value.message and "「无法提供（本机关不掌握相关政府信息）（unable_not_held）」" in err.value.message
