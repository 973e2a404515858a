"""`ogi audit verify` checks that every row the product reads equals what the log implies
(issue 15, item 3; engine/ledger/derived.py), on SQLite and PostgreSQL.

The history and the log stay intact; the attacker edits only the rows derived from them with raw
SQL (case columns, applicant, letter rows and files, counters). Each edit must make `ogi audit
verify` exit 1 with one Chinese line naming the case and the column; undone, it verifies again."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from pathlib import Path

import pytest

from legal_support import answer, no_letters, register, sql, step


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def verify(ogi, *args):
    r = ogi("audit", "verify", *args, "--json", user="zhao")
    return r.exit_code, r.json


def lines(ogi) -> tuple[int, str]:
    r = ogi("audit", "verify", user="zhao")
    return r.exit_code, r.stdout


def derived(r) -> list[dict]:
    return [b for b in r["broken"] if b["kind"] == "derived"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def tampered(ogi, statement: str, undo: str, *expect: str, case: str | None = "2026-0001", params=None) -> None:
    """Edit a row, check that verify names it (JSON and the text line), undo, check it is clean."""
    sql(ogi, statement, params=params)
    code, r = verify(ogi)
    assert code == 1 and r["ok"] is False, r
    [b] = r["broken"]
    assert b["kind"] == "derived" and b["case"] == case, b
    for e in expect:
        assert e in b["problem"], b["problem"]
    code, text = lines(ogi)  # the terminal may wrap the line: compared without white space
    where = f"案件 {case}" if case else "编号"
    assert code == 1 and _flat(text).count(_flat(f"{where}：{expect[0]}")) == 1, text
    sql(ogi, undo, params=params)
    assert verify(ogi)[0] == 0


def test_case_and_applicant_rows_against_the_log(fast):
    a = register(fast, "2026-09-24")
    step(fast, a, "accept", "2026-09-25")  # its answer period ran out long before FIXED_TODAY
    b = register(fast, "2026-09-24", "李四")
    step(fast, b, "accept", "2026-09-25")
    step(fast, b, "correct_contact", "2026-09-28", reason="申请人书面告知新的通讯地址", address="人民路1号")
    answer(fast, b, accept=None, propose="2026-10-09", deliver="2026-10-12")
    code, r = verify(fast)
    assert code == 0 and r["broken"] == [], r

    row = sql(fast, f"SELECT next_due, answer_due, received_on, clerk FROM cases WHERE id = {a}")[0]
    next_due, answer_due = (v if isinstance(v, dt.date) else dt.date.fromisoformat(v) for v in row[:2])
    overdue = fast.json("case", "list", "--overdue")
    assert a in [c["id"] for c in overdue["cases"]]

    # next_due moved: the case leaves the overdue list, and verify names the column.
    sql(fast, f"UPDATE cases SET next_due = '2027-06-30' WHERE id = {a}")
    assert a not in [c["id"] for c in fast.json("case", "list", "--overdue")["cases"]]
    sql(fast, f"UPDATE cases SET next_due = '{next_due}' WHERE id = {a}")
    tampered(fast, f"UPDATE cases SET next_due = '2027-06-30' WHERE id = {a}",
             f"UPDATE cases SET next_due = '{next_due}' WHERE id = {a}",
             "下一个期限（next_due）为 2027-06-30", f"办理记录推算为 {next_due}", "缓存被改动")
    tampered(fast, f"UPDATE cases SET answer_due = '2027-06-30' WHERE id = {a}",
             f"UPDATE cases SET answer_due = '{answer_due}' WHERE id = {a}",
             "答复期限（answer_due）为 2027-06-30", f"办理记录推算为 {answer_due}")
    tampered(fast, f"UPDATE cases SET received_on = '2026-09-30' WHERE id = {a}",
             f"UPDATE cases SET received_on = '2026-09-24' WHERE id = {a}",
             "收到申请之日（received_on）为 2026-09-30", "办理记录推算为 2026-09-24")
    tampered(fast, f"UPDATE cases SET description = '另一件事' WHERE id = {a}",
             f"UPDATE cases SET description = '某道路改造工程立项批复' WHERE id = {a}",
             "所需信息的描述（description）为 “另一件事”", "“某道路改造工程立项批复”")
    tampered(fast, f"UPDATE cases SET clerk = 'wang' WHERE id = {a}",
             f"UPDATE cases SET clerk = '{row[3]}' WHERE id = {a}",
             "经办人（clerk）为 “wang”", f"“{row[3]}”")

    # The applicant row: the name the registration recorded, the address the correction gave.
    app_a = sql(fast, f"SELECT applicant_id FROM cases WHERE id = {a}")[0][0]
    app_b = sql(fast, f"SELECT applicant_id FROM cases WHERE id = {b}")[0][0]
    tampered(fast, f"UPDATE applicant SET name = '张山' WHERE id = {app_a}",
             f"UPDATE applicant SET name = '张三' WHERE id = {app_a}",
             "申请人的申请人姓名或名称（name）为 “张山”", "办理记录为 “张三”", "申请人表被改动")
    key = sql(fast, f"SELECT name_key FROM applicant WHERE id = {app_a}")[0][0]
    tampered(fast, f"UPDATE applicant SET name_key = 'x' WHERE id = {app_a}",
             f"UPDATE applicant SET name_key = '{key}' WHERE id = {app_a}",
             "申请人的查重键（name_key）为 “x”")
    tampered(fast, f"UPDATE applicant SET address = '胜利路9号' WHERE id = {app_b}",
             f"UPDATE applicant SET address = '人民路1号' WHERE id = {app_b}",
             "申请人的通讯地址（address）为 “胜利路9号”", "办理记录为 “人民路1号”", case="2026-0002")


def test_state_edit_is_named_once(fast):
    """A state edit is the projection check's (one line per case, not one more from derived)."""
    a = register(fast, "2026-09-24")
    step(fast, a, "accept", "2026-09-25")
    sql(fast, f"UPDATE cases SET state = 'registered' WHERE id = {a}")
    code, r = verify(fast)
    assert code == 1 and [b["kind"] for b in r["broken"]] == ["projection"]


def test_counters_against_the_numbers_allocated(fast):
    register(fast, "2026-09-24")
    register(fast, "2026-09-24", "李四")
    assert verify(fast)[0] == 0
    tampered(fast, "UPDATE counter SET value = 1 WHERE scope = 'case' AND year = 2026",
             "UPDATE counter SET value = 2 WHERE scope = 'case' AND year = 2026",
             "2026 年案件编号计数器（counter case/2026）为 1，已分配的编号最大为 2", "重复编号", case=None)
    tampered(fast, "UPDATE counter SET value = 1 WHERE scope = 'letter:receipt' AND year = 2026",
             "UPDATE counter SET value = 2 WHERE scope = 'letter:receipt' AND year = 2026",
             "“receipt”类文书 2026 年文号计数器（counter letter:receipt/2026）为 1", "重复文号", case=None)
    leaves = sql(fast, "SELECT COUNT(*) FROM ledger_leaf")[0][0]
    tampered(fast, f"UPDATE counter SET value = {leaves - 1} WHERE scope = 'ledger' AND year = 0",
             f"UPDATE counter SET value = {leaves} WHERE scope = 'ledger' AND year = 0",
             f"机构日志计数器（counter ledger/0）为 {leaves - 1}，日志共有 {leaves} 条", case=None)
    # After the undo, the next registration still numbers on.
    assert register(fast, "2026-09-25", "王五") and verify(fast)[0] == 0


def test_letter_rows_and_files_against_their_rendering(ogi):
    """Real PDFs and DOCX copies."""
    a = register(ogi, "2026-09-24")
    answer(ogi, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    letters = {l["kind"]: l for l in ogi.json("case", "show", str(a))["letters"]}
    reply = letters["reply"]
    pdf, docx = Path(reply["path"]), Path(reply["path"]).with_suffix(".docx")
    assert pdf.is_file() and docx.is_file()
    assert verify(ogi)[0] == 0

    # The DOCX working copy edited: its hash is in the letter_rendered event.
    original = docx.read_bytes()
    docx.write_bytes(original + b"\0")
    code, r = verify(ogi)
    assert code == 1 and [b["kind"] for b in r["broken"]] == ["letter"]
    assert "Word 文件内容与办理记录中的 SHA-256 不符" in r["broken"][0]["problem"] and r["broken"][0]["case"] == "2026-0001"
    docx.unlink()
    code, r = verify(ogi)
    assert code == 1 and "Word 文件" in r["broken"][0]["problem"] and "不存在" in r["broken"][0]["problem"]
    docx.write_bytes(original)
    assert verify(ogi)[0] == 0

    # A forged PDF with the letter row's sha256 rewritten to match it: the event's hash differs.
    pdf_bytes = pdf.read_bytes()
    pdf.write_bytes(pdf_bytes.replace(b"%%EOF", b"%%EOF\n% forged"))
    forged = hashlib.sha256(pdf.read_bytes()).hexdigest()
    sql(ogi, "UPDATE letter SET sha256 = :h WHERE id = :i", params={"h": forged, "i": reply["id"]})
    code, r = verify(ogi)
    assert code == 1 and [b["kind"] for b in r["broken"]] == ["letter"]
    assert "办理记录中的不符" in r["broken"][0]["problem"]
    sql(ogi, "UPDATE letter SET sha256 = :h WHERE id = :i", params={"h": reply["sha256"], "i": reply["id"]})
    pdf.write_bytes(pdf_bytes)
    assert verify(ogi)[0] == 0

    # The row pointed at a copy of the file elsewhere (same bytes): the path is the event's.
    copy = pdf.with_name("copy.pdf")
    copy.write_bytes(pdf_bytes)
    sql(ogi, "UPDATE letter SET path = :p WHERE id = :i", params={"p": str(copy), "i": reply["id"]})
    code, r = verify(ogi)
    assert code == 1 and "文件路径（path）" in r["broken"][0]["problem"] and "文书表被改动" in r["broken"][0]["problem"]
    sql(ogi, "UPDATE letter SET path = :p WHERE id = :i", params={"p": str(pdf), "i": reply["id"]})
    sql(ogi, "UPDATE letter SET rendered_version = 7 WHERE id = :i", params={"i": reply["id"]})
    code, r = verify(ogi)
    assert code == 1 and "版本（rendered_version）为 7" in r["broken"][0]["problem"]
    sql(ogi, "UPDATE letter SET rendered_version = 1 WHERE id = :i", params={"i": reply["id"]})
    assert verify(ogi)[0] == 0
    text = ogi("audit", "verify", user="zhao").stdout
    assert "记录完好" in text


def test_a_letter_marked_rendered_without_a_rendering(fast):
    a = register(fast, "2026-09-24")
    assert verify(fast)[0] == 0
    sql(fast, f"UPDATE letter SET status = 'rendered' WHERE case_id = {a}")
    code, r = verify(fast)
    assert code == 1 and [b["kind"] for b in r["broken"]] == ["letter"]
    assert "标为已生成" in r["broken"][0]["problem"]


def test_with_a_checkpoint_too(fast, tmp_path):
    a = register(fast, "2026-09-24")
    step(fast, a, "accept", "2026-09-25")
    fast.ok("audit", "key", user="admin")
    path = tmp_path / "cp.txt"
    fast.ok("audit", "checkpoint", "--out", str(path), user="zhao")
    assert verify(fast, "--checkpoint", path)[0] == 0
    sql(fast, f"UPDATE cases SET next_due = '2027-06-30' WHERE id = {a}")
    code, r = verify(fast, "--checkpoint", path)
    assert code == 1 and [b["kind"] for b in r["broken"]] == ["derived"] and "next_due" in r["broken"][0]["problem"]


def test_derived_functions_are_pure():
    from ogi.engine.ledger import derived as d

    assert d.counter_findings({("case", 2026): 3, ("ledger", 0): 5}, {2026: 3}, {}, 5) == []
    assert d.counter_findings({}, {2026: 1}, {("reply", 2026): 2}, 0)[0].startswith("2026 年案件编号计数器")
    assert d.expected_applicant({"applicant": "张三", "applicant_type": "natural"},
                                [("register", {}), ("correct_contact", {"phone": "1"}), ("consent", {}),
                                 ("correct_contact", {"phone": "2", "address": ""})]) == {
        "name": "张三", "kind": "natural", "phone": "2", "electronic_consent": True}


def test_verify_stays_fast_on_200_cases(fast):
    for i in range(200):
        cid = register(fast, "2026-09-24", f"申请人{i}")
        if i % 2:
            step(fast, cid, "accept", "2026-09-25")
    t0 = time.perf_counter()
    code, r = verify(fast)
    took = time.perf_counter() - t0
    assert code == 0 and r["cases"] == 200
    print(f"\naudit verify, 200 cases: {took:.2f} s")
    assert took < 10


def test_letter_numbering_columns_against_the_step(fast):
    """family, year, seq and issued_on of a letter row: what the step that made it due gives."""
    a = register(fast, "2026-09-24")
    assert verify(fast)[0] == 0
    lid, number = sql(fast, f"SELECT id, number FROM letter WHERE case_id = {a}")[0]
    for statement, undo, expect in (
            (f"UPDATE letter SET issued_on = '2026-10-30' WHERE id = {lid}",
             f"UPDATE letter SET issued_on = '2026-09-24' WHERE id = {lid}",
             "成文日期（issued_on）为 2026-10-30，其办理步骤的日期为 2026-09-24"),
            (f"UPDATE letter SET family = 'reply' WHERE id = {lid}",
             f"UPDATE letter SET family = 'receipt' WHERE id = {lid}", "文号类别（family）为 “reply”"),
            (f"UPDATE letter SET seq = 9 WHERE id = {lid}",
             f"UPDATE letter SET seq = 1 WHERE id = {lid}", "文号与其年份、顺序号（year 2026，seq 9）不符"),
    ):
        sql(fast, statement)
        code, r = verify(fast)
        assert code == 1 and any(expect in b["problem"] and b["case"] == "2026-0001" for b in r["broken"]), r
        sql(fast, undo)
        assert verify(fast)[0] == 0, statement


def test_consultation_rows_against_the_log(fast):
    a = register(fast, "2026-09-24")
    step(fast, a, "accept", "2026-09-25")
    step(fast, a, "consult", "2026-09-28", kind="third_party", party="某建筑公司")
    b = register(fast, "2026-09-24", "李四")
    step(fast, b, "accept", "2026-09-25")
    step(fast, b, "consult", "2026-09-28", kind="agency", party="市规划局")
    show = fast.json("case", "show", str(b))
    step(fast, b, "consultation_reply", "2026-10-09", consultation_id=show["consultations"][0]["id"], opinion="agree")
    assert verify(fast)[0] == 0
    ca, due_a = sql(fast, f"SELECT id, due_on FROM consultation WHERE case_id = {a}")[0]
    cb = sql(fast, f"SELECT id FROM consultation WHERE case_id = {b}")[0][0]
    # A later period end for the third party: the case's clock would wait longer.
    tampered(fast, f"UPDATE consultation SET due_on = '2026-12-30' WHERE id = {ca}",
             f"UPDATE consultation SET due_on = '{due_a}' WHERE id = {ca}",
             "征求意见 “某建筑公司” 的答复期限（due_on）为 2026-12-30", "征求意见表被改动")
    tampered(fast, f"UPDATE consultation SET opinion = 'object' WHERE id = {cb}",
             f"UPDATE consultation SET opinion = 'agree' WHERE id = {cb}",
             "征求意见 “市规划局” 的意见（opinion）为 “object”，办理记录为 “agree”", case="2026-0002")
    tampered(fast, f"UPDATE consultation SET replied_on = '2026-10-01' WHERE id = {ca}",
             f"UPDATE consultation SET replied_on = NULL WHERE id = {ca}",
             "征求意见 “某建筑公司” 的答复日期（replied_on）为 2026-10-01，办理记录为 （空）")
    tampered(fast, f"UPDATE consultation SET party = '另一家公司' WHERE id = {ca}",
             f"UPDATE consultation SET party = '某建筑公司' WHERE id = {ca}",
             "征求意见 “某建筑公司” 的被征求意见方（party）为 “另一家公司”")
    # A forged consultation row, and a deleted one.
    sql(fast, f"INSERT INTO consultation (case_id, kind, party, sent_on, due_on, reason) "
              f"VALUES ({a}, 'agency', '虚构单位', '2026-09-28', '2026-10-30', '')")
    code, r = verify(fast)
    assert code == 1 and any("“虚构单位”）在办理记录中没有对应的征求意见步骤" in b["problem"] for b in r["broken"])
    sql(fast, "DELETE FROM consultation WHERE party = '虚构单位'")
    sql(fast, f"DELETE FROM consultation WHERE id = {cb}")
    code, r = verify(fast)
    assert code == 1 and any("“市规划局”" in b["problem"] and "在征求意见表中不存在" in b["problem"] for b in r["broken"])
