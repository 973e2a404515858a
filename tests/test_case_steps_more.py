"""Issue 16 item 4, driven through `ogi case ...` on SQLite and PostgreSQL:

- consultation numbers are per case: `--consultation N` is the N-th consultation of this case,
  and every output (the consult step's line, `case show`, history, JSON) shows that number;
- consent to electronic delivery (国办公开办函〔2016〕235号) and corrected contact details
  (条例第二十九条) are side steps with a history event; letters rendered afterwards use the
  corrected address;
- 不作为政府信息公开申请处理 (条例第三十九条) needs a reason and goes through proposal, decision,
  approval by another person (the 不予处理告知书 is issued then) and delivery, which closes it;
- case references accept an unpadded sequence (`2026-8`).
"""
from __future__ import annotations

import os
import re

import pytest

from reliability_support import EXTRA_USERS, snapshot
from test_replies_cli import flat, kinds, letter, text_of


def accepted(ogi, received: str = "2026-09-24", *extra: str) -> str:
    cid = str(ogi.register(received, "张三", "natural", "in_person", *extra)["id"])
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    return cid


def approved(ogi, cid: str) -> None:
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-10-09")
    ogi.ok("case", "decide", cid, "--date", "2026-10-09")
    ogi.ok("case", "approve", cid, "--date", "2026-10-12", user="wang")


def refused(ogi, *argv: str, user: str = "li") -> str:
    """Exit 1, one Chinese line, nothing changed in any table."""
    before = snapshot(ogi.url)
    r = ogi(*argv, user=user)
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(r"[\u4e00-\u9fff]", lines[0]) and "Traceback" not in r.stdout + r.stderr
    assert snapshot(ogi.url) == before, "a refused step changed the database"
    return lines[0]


# --------------------------------------------------------------------------- a. consultation numbers

def test_consultation_numbers_are_per_case(ogi):
    first = accepted(ogi)
    ogi.ok("case", "consult", first, "--party", "甲公司", "--kind", "third_party", "--date", "2026-09-28")
    second = accepted(ogi)
    r = ogi("case", "consult", second, "--party", "乙公司", "--kind", "third_party", "--date", "2026-09-28")
    assert r.exit_code == 0 and "征求意见编号：1，" in r.stdout, r.stdout  # the first of case 2 (stored id 2)
    b = ogi.json("case", "consult", second, "--party", "市自然资源局", "--kind", "agency", "--date", "2026-09-29")
    assert (b["step"]["consultation_no"], b["step"]["consultation_id"]) == (2, 3)

    # --consultation 1 on case 2 is case 2's first consultation (乙公司), not the stored id 1
    r = ogi.json("case", "consultation-reply", second, "--consultation", "1", "--opinion", "agree", "--date", "2026-10-09")
    assert r["state"] == "consulting"
    shown = ogi.json("case", "show", second)
    assert [(c["no"], c["id"], c["party"], c["replied_on"]) for c in shown["consultations"]] == [
        (1, 2, "乙公司", "2026-10-09"), (2, 3, "市自然资源局", None)]
    assert sorted(shown["deadlines"]["consultations"]) == ["1", "2"]
    assert ogi.json("case", "show", first)["consultations"][0]["replied_on"] is None  # case 1 untouched
    reply = next(h for h in shown["history"] if h["action"] == "consultation_reply")
    assert (reply["data"]["consultation_no"], reply["data"]["consultation_id"]) == (1, 2)
    consults = [h["data"]["consultation_no"] for h in shown["history"] if h["action"] == "consult"]
    assert consults == [1, 2]

    # a number the case does not have is refused, in its own words; a closed one too
    assert "本案没有编号为 3 的征求意见" in refused(ogi, "case", "consultation-reply", second, "--consultation", "3",
                                               "--opinion", "agree", "--date", "2026-10-09")
    assert "征求意见 1（乙公司）已于 2026-10-09 办结" in refused(
        ogi, "case", "consultation-lapsed", second, "--consultation", "1", "--date", "2026-10-30")
    ogi.ok("case", "consultation-lapsed", second, "--consultation", "2", "--date", "2026-10-30")

    # the text of `case show` and of `case history` show the numbers in the case
    text = ogi.ok("case", "show", second).stdout
    table = text.split("征求意见", 1)[1]
    assert re.search(r"│\s*1\s*│\s*乙公司", table) and re.search(r"│\s*2\s*│\s*市自然资源局", table), table
    history = ogi.json("case", "history", second)
    notes = [e["note"] for e in history["entries"] if e["action"] in ("consultation_reply", "consultation_lapse")]
    assert notes and "征求意见 1" in notes[0] and "征求意见 2" in notes[1], notes
    assert [e["data"]["consultation_no"] for e in history["entries"] if e["action"] == "consult"] == [1, 2]


def test_old_events_without_numbers_are_numbered_by_their_order(ogi_sqlite):
    """Histories recorded before the numbers carry only the stored id: numbered by the order of
    the case's consult events, the same in replay and in what is shown."""
    from legal_support import import_event

    ogi = ogi_sqlite
    first = accepted(ogi)
    ogi.ok("case", "consult", first, "--party", "甲公司", "--kind", "third_party", "--date", "2026-09-28")
    second = accepted(ogi)
    import_event(int(second), "consult", "2026-09-28",
                 data={"consultation_id": 7, "kind": "agency", "party": "旧机关", "due_on": "2026-10-26"})
    import_event(int(second), "consultation_reply", "2026-10-09", data={"consultation_id": 7, "opinion": "agree"})
    shown = ogi.json("case", "show", second)
    reply = next(h for h in shown["history"] if h["action"] == "consultation_reply")
    assert reply["data"] == {"consultation_id": 7, "opinion": "agree", "consultation_no": 1}
    entry = next(e for e in ogi.json("case", "history", second)["entries"] if e["action"] == "consultation_reply")
    assert entry["data"]["consultation_no"] == 1 and "征求意见 1" in entry["note"]
    assert shown["state"] == "processing"


# --------------------------------------------------------------------------- b. consent, contact

def test_consent_then_electronic_delivery(ogi):
    cid = accepted(ogi)
    approved(ogi, cid)
    assert "申请人未同意电子送达" in refused(ogi, "case", "deliver", cid, "--method", "electronic", "--date", "2026-10-13")
    r = ogi.json("case", "consent", cid, "--date", "2026-10-13", "--reason", "申请人书面同意以电子邮件送达")
    assert r["state"] == "approved" and r["applicant"]["electronic_consent"] is True  # a side step
    assert r["step"]["action"] == "consent"
    assert "无需重复登记" in refused(ogi, "case", "consent", cid, "--date", "2026-10-13")
    # withdrawn, then given again: the last one counts
    assert ogi.json("case", "consent", cid, "--withdraw", "--date", "2026-10-13")["applicant"]["electronic_consent"] is False
    assert "申请人未同意电子送达" in refused(ogi, "case", "deliver", cid, "--method", "electronic", "--date", "2026-10-13")
    ogi.ok("case", "consent", cid, "--date", "2026-10-14")
    r = ogi.json("case", "deliver", cid, "--method", "electronic", "--date", "2026-10-14")
    assert (r["state"], r["delivery_method"]) == ("answered", "electronic")
    history = ogi.json("case", "show", cid)["history"]
    assert [h["action"] for h in history if h["action"].startswith("consent")] == ["consent", "consent_withdrawn", "consent"]
    assert [h["label"] for h in history if h["action"].startswith("consent")][:2] == ["申请人同意电子送达", "申请人撤回电子送达同意"]
    # answered: nothing more to record
    assert "此时不能申请人撤回电子送达同意" in refused(ogi, "case", "consent", cid, "--withdraw", "--date", "2026-10-15")
    # the compliance check reads the consent in force at the delivery
    assert not [f for f in ogi.json("check", cid)["findings"] if "电子" in f["message"]]


def test_corrected_address_in_later_letters_and_in_history(ogi, monkeypatch):
    # 逾期不补正: the closing 答复书 is issued at the lapse; the address is corrected before it is served
    cid = str(ogi.register("2026-09-24", "张三", "natural", "in_person", "--address", "示例市东风路8号",
                           "--phone", "13812345678")["id"])
    ogi.ok("case", "request-correction", cid, "--items", "请写明文件名称", "--date", "2026-09-28")
    ogi.ok("case", "correction-lapsed", cid, "--date", "2026-10-26")
    assert "请用 --reason 写明更正的依据" in refused(ogi, "case", "correct-contact", cid, "--address", "示例市西湖路3号",
                                                 "--date", "2026-10-27")
    assert "请用 --address、--phone 或 --email" in refused(ogi, "case", "correct-contact", cid, "--reason", "x",
                                                          "--date", "2026-10-27")
    assert "与现有记录相同" in refused(ogi, "case", "correct-contact", cid, "--address", "示例市东风路8号",
                                    "--reason", "申请人来电", "--date", "2026-10-27")
    r = ogi.json("case", "correct-contact", cid, "--address", "示例市西湖路3号", "--phone", "13900001111",
                 "--reason", "申请人书面告知新的通讯地址", "--date", "2026-10-27")
    assert r["state"] == "abandoned"
    assert (r["applicant"]["address"], r["applicant"]["phone"]) == ("示例市西湖路3号", "13900001111")
    ogi.ok("case", "deliver", cid, "--method", "direct", "--date", "2026-10-28")
    receipt = text_of(ogi, cid, "service-receipt")  # rendered after the correction: the new address
    assert "示例市西湖路3号" in receipt and "东风路" not in receipt
    # served: the case takes no more corrections
    refused(ogi, "case", "correct-contact", cid, "--address", "示例市北路1号", "--reason", "x", "--date", "2026-10-29")

    # history: the step, the new values and what they replaced; the phone masked for a reviewer
    history = ogi.json("case", "history", cid)
    entry = next(e for e in history["entries"] if e["action"] == "correct_contact")
    assert entry["label"] == "更正联系方式" and entry["reason"] == "申请人书面告知新的通讯地址"
    assert entry["data"]["address"] == "示例市西湖路3号"
    assert entry["data"]["previous"] == {"address": "示例市东风路8号", "phone": "13812345678"}
    assert "通讯地址：示例市西湖路3号" in entry["note"] and "13900001111" not in entry["note"]
    monkeypatch.setenv("COLUMNS", "400")  # one line per row: the note is not wrapped
    assert "通讯地址：示例市西湖路3号" in ogi.ok("case", "history", cid).stdout
    masked = next(e for e in ogi.json("case", "history", cid, user="wang")["entries"] if e["action"] == "correct_contact")
    assert "13900001111" not in str(masked["data"]) and "13812345678" not in str(masked["data"])
    shown = next(h for h in ogi.json("case", "show", cid, user="wang")["history"] if h["action"] == "correct_contact")
    assert "13900001111" not in str(shown["data"])


def test_a_letter_keeps_the_address_it_was_issued_with():
    """documents.contact_as_of: a letter issued before a correction re-renders as issued."""
    from types import SimpleNamespace as E

    from ogi.engine.cases.documents import contact_as_of

    events = [E(seq=1, action="register", data={}),
              E(seq=2, action="accept", data={}),
              E(seq=3, action="correct_contact", data={"address": "乙地", "previous": {"address": "甲地"}}),
              E(seq=4, action="correct_contact", data={"email": "b@x", "previous": {"email": "a@x"}}),
              E(seq=5, action="correct_contact", data={"address": "丙地", "previous": {"address": "乙地"}})]
    now = {"address": "丙地", "email": "b@x"}  # the applicant row: the latest values
    assert contact_as_of(events, 2, now) == {"address": "甲地", "email": "a@x"}
    assert contact_as_of(events, 3, now) == {"address": "乙地", "email": "a@x"}
    assert contact_as_of(events, 4, now) == {"address": "乙地", "email": "b@x"}
    assert contact_as_of(events, 9, now) == now
    assert contact_as_of(events[:2], 2, {"address": "甲地"}) == {"address": "甲地"}


# --------------------------------------------------------------------------- c. not handled

def test_not_handled_needs_a_reason_and_the_approval_path(ogi):
    cfg = ogi.home / "ogi.toml"
    cfg.write_text(cfg.read_text("utf-8") + EXTRA_USERS, "utf-8")  # sun: clerk and reviewer
    os.utime(cfg, None)
    cid = str(ogi.register("2026-09-24")["id"])
    for argv in (("--reason", "   "), ()):
        line = refused(ogi, "case", "not-handled", cid, "--ground", "petition", *argv, "--date", "2026-09-28")
        assert "条例第三十九条" in line and "--reason" in line, line
    assert ogi.json("case", "show", cid)["state"] == "registered"
    # other proposals wait for the acceptance
    assert "请先受理" in refused(ogi, "case", "propose", cid, "--outcome", "disclose", "--date", "2026-09-28")

    r = ogi.json("case", "not-handled", cid, "--ground", "petition", "--reason", "申请内容系对施工噪声的投诉",
                 "--date", "2026-09-28", user="sun")
    assert (r["state"], r["outcome"], r["step"]["action"]) == ("proposed", "not_handled_petition", "propose")
    assert r["closed_on"] is None and "not-handled-notice" not in kinds(ogi, cid)
    ogi.ok("case", "decide", cid, "--date", "2026-09-28", user="sun")
    assert "提出人不能审批" in refused(ogi, "case", "approve", cid, "--date", "2026-09-29", user="sun")
    r = ogi.json("case", "approve", cid, "--date", "2026-09-29", user="wang")
    assert r["state"] == "approved" and kinds(ogi, cid) == ["receipt", "not-handled-notice"]
    notice = text_of(ogi, cid, "not-handled-notice")
    assert "不作为政府信息公开申请处理" in notice and "第三十九条第一款" in notice
    assert "申请内容系对施工噪声的投诉" in notice and "2026年9月29日" in notice
    r = ogi.json("case", "deliver", cid, "--method", "direct", "--date", "2026-09-30")
    assert (r["state"], r["closed_on"], r["delivered_on"]) == ("not_handled", "2026-09-30", "2026-09-30")
    assert r["next_steps"] == []
    receipt = text_of(ogi, cid, "service-receipt")
    assert "政府信息公开申请不予处理告知书" in receipt and flat(letter(ogi, cid, "not-handled-notice")["number"]) in receipt
    actions = [h["action"] for h in ogi.json("case", "show", cid)["history"] if h["action"] != "letter_rendered"]
    assert actions == ["register", "propose", "decide", "approve", "deliver"]
    refused(ogi, "case", "deliver", cid, "--method", "direct", "--date", "2026-09-30")  # served once

    # the annual report counts it in 三(五)1 (closed on its delivery), not in 三(一)
    report = ogi.json("report", "annual", "--year", "2026", user="zhao")
    rows = {x["key"]: x["counts"]["total"] for x in report["table3"]["rows"]}
    assert (rows["三(五)1"], rows["三(一)"], rows["三(七)"]) == (1, 0, 1) and report["balanced"] is True


def test_the_retired_step_still_replays_and_is_refused(ogi_sqlite):
    """Histories recorded before issue 16 closed the case at once (not_handle): they replay to
    not handled, and their unserved notice is served once; the step itself runs no more."""
    from legal_support import import_event, step

    from ogi.errors import StepRefused

    ogi = ogi_sqlite
    cid = str(ogi.register("2026-09-24")["id"])
    import_event(int(cid), "not_handle", "2026-09-28", reason="系投诉", data={"outcome": "not_handled_petition"})
    shown = ogi.json("case", "show", cid)
    assert (shown["state"], shown["closed_on"], shown["outcome"]) == ("not_handled", "2026-09-28", "not_handled_petition")
    assert ogi.json("audit", "verify")["ok"] is True
    other = str(ogi.register("2026-09-24")["id"])
    with pytest.raises(StepRefused) as exc:
        step(ogi, int(other), "not_handle", "2026-09-28", outcome="not_handled_petition")
    assert "ogi case not-handled" in str(exc.value.reasons)


# --------------------------------------------------------------------------- d. case references

def test_case_reference_without_padding(ogi):
    for _ in range(2):
        ogi.register("2026-09-24")
    shown = ogi.json("case", "show", "2026-1")
    assert (shown["id"], shown["number"]) == (1, "2026-0001")
    assert ogi.json("case", "show", "2026-00002")["number"] == "2026-0002"
    assert ogi.json("case", "show", "2026-0002")["number"] == "2026-0002"
    assert ogi.json("case", "accept", "2026-2", "--date", "2026-09-25")["state"] == "processing"
    assert "2026-0001" in ogi.ok("case", "show", "2026-1").stdout
    r = ogi("case", "show", "2026-3")
    assert r.exit_code == 1 and "没有找到案件" in r.stderr


def test_case_reference_without_padding_on_the_fast_path(ogi_sqlite, capsys):
    """`ogi case show 2026-1` through cli_fast (bare sqlite3) says what the Typer path says: both
    parse the reference with rows.case_ref."""
    from ogi import cli, cli_fast

    ogi_sqlite.register("2026-09-24")
    for argv, code, shown in ((["case", "show", "2026-1", "--json"], 0, '"number": "2026-0001"'),
                              (["case", "show", "2026-1"], 0, "案件 2026-0001"),
                              (["case", "show", "2026-9"], 1, "没有找到案件")):
        capsys.readouterr()
        fast = (cli_fast.try_fast(list(argv)), *capsys.readouterr())
        normal = (cli.main(list(argv)), *capsys.readouterr())
        assert fast == normal, (argv, fast, normal)
        assert fast[0] == code and shown in fast[1] + fast[2], (argv, fast)
