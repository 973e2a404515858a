"""Issue 17, part 1: the information an answer discloses, recorded item by item when the clerk
proposes it (`ogi case propose --item "标题｜文号｜发文机关"`), driven through the CLI as a clerk
does: stored in the propose event as `info_items`, shown by `ogi case show` (text and --json)
and in the history note, listed by the reply (PDF read back with pypdf). Malformed items are
refused on one Chinese line and change nothing; a proposal without --item is as before."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from reliability_support import has_cjk, snapshot

from ogi.states.info_items import normalise_number, parse_items

HEAD = "wang"
PROJECT = ("人民路改造工程立项批复｜某发改（2025）12号｜某市发展和改革委员会", "2025年度部门预算")
STORED = [{"title": "人民路改造工程立项批复", "number": "某发改〔2025〕12号", "body": "某市发展和改革委员会"},
          {"title": "2025年度部门预算", "number": "", "body": ""}]


def pdf_text(path: str) -> str:
    """The PDF's text without whitespace or page numbers (PDF text wraps at the line end)."""
    from pypdf import PdfReader

    raw = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return re.sub(r"\s+", "", re.sub(r"—\s*\d+\s*—", "", raw))


def reply_text(ogi, cid: str) -> str:
    reply = [x for x in ogi.json("letter", "list", cid) if x["kind"] == "reply"][-1]
    assert reply["status"] == "rendered", reply
    return pdf_text(reply["path"])


def accepted(ogi) -> str:
    cid = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    return cid


def items_args(*items: str) -> list[str]:
    return [a for item in items for a in ("--item", item)]


def answer(ogi, cid: str, day: str = "2026-10-12") -> None:
    ogi.ok("case", "decide", cid, "--date", day)
    ogi.ok("case", "approve", cid, "--date", day, user=HEAD)
    ogi.ok("case", "deliver", cid, "--method", "direct", "--date", day)


def propose_event(ogi, cid: str) -> dict:
    return [h for h in ogi.json("case", "show", cid)["history"] if h["action"] == "propose"][-1]


# --------------------------------------------------------------------------- the pure parser

def test_an_item_is_title_number_body_with_either_bar():
    assert parse_items(["  A ｜ 某府发[2024]3号 ｜ 某市人民政府 ", "B|某办(2023) 7号", "C||某局"]) == [
        {"title": "A", "number": "某府发〔2024〕3号", "body": "某市人民政府"},
        {"title": "B", "number": "某办〔2023〕 7号", "body": ""},
        {"title": "C", "number": "", "body": "某局"}]
    for typed in ("某发改[2025]12号", "某发改(2025)12号", "某发改（2025）12号", "某发改［2025］12号", "某发改〔2025〕12号"):
        assert normalise_number(typed) == "某发改〔2025〕12号"
    assert normalise_number("某发改（二〇二五）12号") == "某发改（二〇二五）12号"  # only a year in digits


# --------------------------------------------------------------------------- recorded, shown, listed

def test_disclosed_items_are_stored_shown_and_listed_in_the_reply(ogi):
    cid = accepted(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "disclose", *items_args(*PROJECT), "--date", "2026-10-09")
    event = propose_event(ogi, cid)
    assert event["data"]["info_items"] == STORED
    assert "公开的信息：人民路改造工程立项批复、2025年度部门预算" in event["note"]
    shown = ogi.json("case", "show", cid)
    assert shown["info_items"] == STORED
    text = re.sub(r"\s+", "", ogi.ok("case", "show", cid).stdout)
    assert "公开的信息：1.人民路改造工程立项批复（某发改〔2025〕12号，某市发展和改革委员会）2.2025年度部门预算" in text
    notes = [e["note"] for e in ogi.json("case", "history", cid)["entries"] if e["action"] == "propose"]
    assert "公开的信息：人民路改造工程立项批复、2025年度部门预算" in notes[-1]  # `ogi case history`

    answer(ogi, cid)
    text = reply_text(ogi, cid)
    assert ("本机关公开的政府信息为：（一）人民路改造工程立项批复（某发改〔2025〕12号，某市发展和改革委员会）；"
            "（二）2025年度部门预算。") in text
    assert ogi.json("case", "show", cid)["info_items"] == STORED  # still the answer's, once closed


def test_partial_reply_lists_what_is_disclosed_before_what_is_withheld(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "partial", "--withheld", "合同单价及银行账户",
           "--reason", "属于第三方商业秘密", "--item", "工程施工合同（公开部分）|某建〔2025〕3号", "--date", "2026-10-09")
    answer(ogi, cid)
    text = reply_text(ogi, cid)
    assert "现将公开的政府信息、不予公开的内容及理由告知如下：" in text
    assert "一、公开的政府信息：工程施工合同（公开部分）（某建〔2025〕3号）。" in text
    assert "二、不予公开的内容：合同单价及银行账户。" in text
    assert "三、不予公开的理由：属于第三方商业秘密。" in text
    docx = pytest.importorskip("docx")  # the Word copy says what the PDF says (letters/docx.py)
    reply = [x for x in ogi.json("letter", "list", cid) if x["kind"] == "reply"][-1]
    paragraphs = [p.text for p in docx.Document(Path(reply["path"]).with_suffix(".docx")).paragraphs]
    assert "一、公开的政府信息：工程施工合同（公开部分）（某建〔2025〕3号）。" in paragraphs


def test_already_public_reply_lists_the_items_with_where_to_find_them(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "disclose_already_public", "--where", "本机关门户网站“政府信息公开”栏目",
           "--item", "2025年度部门预算｜｜某市财政局", "--date", "2026-10-09")
    answer(ogi, cid)
    text = reply_text(ogi, cid)
    assert "现告知您获取该政府信息的方式、途径：本机关门户网站“政府信息公开”栏目。" in text
    assert "本机关已主动公开的相关政府信息为：2025年度部门预算（某市财政局）。" in text


def test_a_proposal_without_items_is_as_before(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "partial", "--withheld", "合同单价", "--reason", "商业秘密",
           "--date", "2026-10-09")
    event = propose_event(ogi, cid)
    assert "info_items" not in event["data"] and "公开的信息" not in event["note"]
    assert ogi.json("case", "show", cid)["info_items"] == []
    assert "公开的信息" not in ogi.ok("case", "show", cid).stdout
    answer(ogi, cid)
    text = reply_text(ogi, cid)
    assert "并对不予公开的内容说明理由如下：一、不予公开的内容：合同单价。二、不予公开的理由：商业秘密。" in text
    assert "公开的政府信息：" not in text


def test_a_sent_back_proposal_takes_its_items_with_it(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "disclose", *items_args(*PROJECT), "--date", "2026-10-09")
    ogi.ok("case", "decide", cid, "--date", "2026-10-09")
    ogi.ok("case", "send-back", cid, "--reason", "请核对文号", "--date", "2026-10-09", user=HEAD)
    assert ogi.json("case", "show", cid)["info_items"] == []
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--item", "2025年度部门预算", "--date", "2026-10-10")
    assert ogi.json("case", "show", cid)["info_items"] == STORED[1:]
    answer(ogi, cid, "2026-10-12")
    text = reply_text(ogi, cid)
    assert "本机关公开的政府信息为：2025年度部门预算。" in text and "某发改" not in text


# --------------------------------------------------------------------------- refused, nothing changed

def _refused(ogi, cid: str, *extra: str, outcome: str = "disclose") -> str:
    before = snapshot(ogi.url)
    r = ogi("case", "propose", cid, "--outcome", outcome, *extra, "--date", "2026-10-09")
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and has_cjk(lines[0]) and "Traceback" not in r.stdout + r.stderr, r.stderr
    assert snapshot(ogi.url) == before, "a refused proposal changed the database"
    return lines[0]


@pytest.mark.parametrize("items, words", [
    (["｜某发改〔2025〕12号｜某市发展和改革委员会"], "缺少标题"),
    (["   "], "缺少标题"),
    (["标" * 201], "标题过长"),
    (["标题\x1b[31m"], "控制字符"),
    (["标题｜文号\u202e｜机关"], "控制字符"),
    (["a|b|c|d"], "分隔过多"),
    ([f"第{n}份文件" for n in range(51)], "最多记录 50 项"),
])
def test_malformed_items_are_refused_and_change_nothing(ogi, items, words):
    cid = accepted(ogi)
    assert words in _refused(ogi, cid, *items_args(*items))
    assert ogi.json("case", "show", cid)["state"] == "processing"


def test_items_only_for_an_answer_that_discloses(ogi_sqlite):
    ogi = ogi_sqlite
    cid = accepted(ogi)
    line = _refused(ogi, cid, "--reason", "属于内部讨论记录", "--item", "会议纪要", outcome="withhold_process")
    assert "--item" in line and "予以公开、部分公开" in line
    # fifty items, each at its longest, are recorded
    ogi.ok("case", "propose", cid, "--outcome", "disclose", *items_args(*(f"{n:03d}" + "标" * 197 for n in range(50))),
           "--date", "2026-10-09")
    assert len(ogi.json("case", "show", cid)["info_items"]) == 50
