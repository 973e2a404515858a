"""`ogi check`: the compliance check finds each planted defect in a seeded data set, and
nothing in a clean one, on SQLite and PostgreSQL. Defects the guards refuse are planted the way
old or imported data arrives: events appended with a valid hash chain but no guard."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from legal_support import answer, import_event, no_letters, register, rule_map, sql, step


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def seed_clean(ogi) -> None:
    # received Thu 2026-09-24: correction notice due 10-12, answer due 10-29 (see test_engine_cases).
    c = register(ogi, "2026-09-24")
    answer(ogi, c, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    c = register(ogi, "2026-09-24", "某律师事务所", "legal_service")
    answer(ogi, c, accept="2026-09-25", propose="2026-10-20", deliver="2026-10-22", outcome="partial",
           reason="其中公民身份号码属于个人隐私", method="post", withheld="公民身份号码")
    c = register(ogi, "2026-09-24", "某科技公司", "commercial")
    step(ogi, c, "accept", "2026-09-25")
    con = step(ogi, c, "consult", "2026-09-28", party="某建设公司", kind="third_party")["step"]["consultation_id"]
    step(ogi, c, "consultation_reply", "2026-10-09", reason="涉及商业秘密", consultation_id=con, opinion="object")
    answer(ogi, c, accept=None, propose="2026-10-12", approve="2026-10-13", deliver="2026-10-14",
           outcome="withhold_third_party", reason="第三方有合理理由不同意公开", method="delegated")
    c = register(ogi, "2026-09-24")  # correction in time, answer clock restarts on 10-09
    step(ogi, c, "request_correction", "2026-09-28", items="请写明文号")
    step(ogi, c, "receive_correction", "2026-10-09")
    answer(ogi, c, accept=None, propose="2026-10-20", deliver="2026-10-22")
    c = register(ogi, "2026-09-24")  # extension approved by the head before the due date
    step(ogi, c, "accept", "2026-09-25")
    step(ogi, c, "extend", "2026-10-20", user="wang", reason="需调取档案", workdays=10)
    answer(ogi, c, accept=None, propose="2026-11-05", deliver="2026-11-06", outcome="unable_not_held")
    c = register(ogi, "2026-09-24", "王五", consent=True)
    answer(ogi, c, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12", method="electronic")
    c = register(ogi, "2026-09-24")
    # 条例第三十九条: proposed with its reason, approved like a reply, served: closed as not handled
    step(ogi, c, "propose", "2026-09-28", reason="申请内容系投诉", outcome="not_handled_petition")
    step(ogi, c, "decide", "2026-09-28")
    step(ogi, c, "approve", "2026-09-28", user="wang")
    step(ogi, c, "deliver", "2026-09-29", method="direct")
    c = register(ogi, "2026-09-24")
    step(ogi, c, "accept", "2026-09-25")
    step(ogi, c, "withdraw", "2026-10-09")
    c = register(ogi, "2026-09-24", "某公益组织", "public_interest")  # public interest over an objection
    step(ogi, c, "accept", "2026-09-25")
    con = step(ogi, c, "consult", "2026-09-28", party="某化工厂", kind="third_party")["step"]["consultation_id"]
    step(ogi, c, "consultation_reply", "2026-10-09", reason="影响经营", consultation_id=con, opinion="object")
    answer(ogi, c, accept=None, propose="2026-10-12", deliver="2026-10-14", reason="不公开可能对公共利益造成重大影响",
           third_party_content="该厂污染物排放监测数据", public_interest="不公开可能对公共利益造成重大影响")
    c = register(ogi, "2026-09-24")  # fee notice and payment (the clock pauses)
    step(ogi, c, "accept", "2026-09-25")
    step(ogi, c, "fee_notice", "2026-10-09", basis="per_page", quantity=40)  # 100 元
    step(ogi, c, "fee_paid", "2026-10-15")
    answer(ogi, c, accept=None, propose="2026-10-28", deliver="2026-10-30")
    c = register(ogi, "2026-12-21")  # still open, due in 2027
    step(ogi, c, "accept", "2026-12-22")


def test_clean_data_set_has_no_findings(fast):
    seed_clean(fast)
    r = fast("check", "--all", "--json")
    assert r.exit_code == 0
    out = r.json
    assert out["cases_checked"] == 11
    assert out["findings"] == [], out["findings"]
    assert out["ok"] is True
    assert fast("check", "--strict").exit_code == 0
    assert "未发现问题" in fast.ok("check").stdout


def _reply_letter_id(ogi, cid: int) -> tuple[int, str]:
    rows = sql(ogi, f"SELECT id, number FROM letter WHERE case_id = {cid} AND kind = 'reply'")
    return rows[0][0], rows[0][1]


def seed_defects(ogi) -> dict[int, set[str]]:
    """Each case carries one planted defect; returns case id -> the rules that must fire."""
    expected: dict[int, set[str]] = {}
    c = register(ogi, "2026-09-24")  # correction notice on 10-13, due 10-12 (the guard only warns)
    step(ogi, c, "request_correction", "2026-10-13", items="请写明文号")
    expected[c] = {"correction_notice_late"}
    c = register(ogi, "2026-09-24")  # delivered 10-30, due 10-29
    answer(ogi, c, accept="2026-09-25", propose="2026-10-28", deliver="2026-10-30")
    expected[c] = {"answer_late"}
    c = register(ogi, "2026-09-24")  # extension by a clerk (no head), no extension notice
    step(ogi, c, "accept", "2026-09-25")
    import_event(c, "extend", "2026-10-20", actor="li", reason="需调取档案", data={"workdays": 10})
    answer(ogi, c, accept=None, propose="2026-11-05", deliver="2026-11-06")
    expected[c] = {"extension_unapproved"}
    c = register(ogi, "2026-09-24")  # extension by the head, but after the due date (imported)
    step(ogi, c, "accept", "2026-09-25")
    import_event(c, "extend", "2026-10-30", actor="wang", reason="需调取档案", data={"workdays": 10})
    answer(ogi, c, accept=None, propose="2026-11-05", deliver="2026-11-06")
    expected[c] = {"extension_unapproved"}
    c = register(ogi, "2026-09-24")  # 不予公开 without any reason (imported proposal)
    step(ogi, c, "accept", "2026-09-25")
    import_event(c, "propose", "2026-10-09", data={"outcome": "withhold_internal"})
    step(ogi, c, "decide", "2026-10-09")
    step(ogi, c, "approve", "2026-10-09", user="wang")
    step(ogi, c, "deliver", "2026-10-12", method="direct")
    expected[c] = {"refusal_without_ground"}
    c = register(ogi, "2026-09-24")  # the reply letter record is gone
    answer(ogi, c, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    sql(ogi, f"DELETE FROM letter WHERE case_id = {c} AND kind = 'reply'")
    expected[c] = {"remedy_clause_missing"}
    c = register(ogi, "2026-09-24")  # a reply rendered without the remedy clause (imported letter)
    answer(ogi, c, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    lid, number = _reply_letter_id(ogi, c)
    import_event(c, "letter_rendered", "2026-10-09", actor="system",
                 data={"letter_id": lid, "kind": "reply", "number": number, "sha256": "0" * 64, "remedy_clause": False})
    expected[c] = {"remedy_clause_missing"}
    c = register(ogi, "2026-09-24", "某科技公司", "commercial")  # third party never consulted
    answer(ogi, c, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12", outcome="withhold_third_party",
           reason="涉及第三方商业秘密")
    expected[c] = {"third_party_not_consulted"}
    for data in ({"method": "electronic"}, {"method": "post", "carrier": "顺丰速运"}, {"method": "post", "cash_on_delivery": True}):
        c = register(ogi, "2026-09-24")  # no consent to electronic delivery / a courier / cash on delivery
        step(ogi, c, "accept", "2026-09-25")
        step(ogi, c, "propose", "2026-10-09", outcome="disclose")
        step(ogi, c, "decide", "2026-10-09")
        step(ogi, c, "approve", "2026-10-09", user="wang")
        import_event(c, "deliver", "2026-10-12", data=data)
        expected[c] = {"delivery_method_not_allowed"}
    c = register(ogi, "2026-09-24")  # delivered, no delivery date
    step(ogi, c, "accept", "2026-09-25")
    step(ogi, c, "propose", "2026-10-09", outcome="disclose")
    step(ogi, c, "decide", "2026-10-09")
    step(ogi, c, "approve", "2026-10-09", user="wang")
    import_event(c, "deliver", None, data={"method": "direct"})
    expected[c] = {"delivered_without_date"}
    c = register(ogi, "2026-09-24")  # accepted, never answered: overdue as of 2026-12-31
    step(ogi, c, "accept", "2026-09-25")
    expected[c] = {"answer_overdue"}
    c = register(ogi, "2026-09-24")  # a second correction notice (imported), late as well
    step(ogi, c, "request_correction", "2026-09-28", items="请写明文号")
    step(ogi, c, "receive_correction", "2026-10-09")
    import_event(c, "request_correction", "2026-10-20", data={"items": "请写明年份"})
    expected[c] = {"correction_not_once", "correction_notice_late"}
    c = register(ogi, "2026-12-21")  # a delivery straight from registration cannot be replayed
    import_event(c, "deliver", "2026-12-22", data={"method": "direct"})
    expected[c] = {"history_not_replayable"}
    return expected


def test_each_planted_defect_is_found(fast):
    expected = seed_defects(fast)
    r = fast("check", "--all", "--json")
    assert r.exit_code == 0  # a report: findings do not make it fail
    out = r.json
    numbers = {c["id"]: c["number"] for c in fast.json("case", "list", "--all")["cases"]}
    found = rule_map(out["findings"])
    assert {numbers[cid]: rules for cid, rules in expected.items()} == found
    for f in out["findings"]:
        assert f["article"] and f["title"] and f["message"]
    by_rule = {f["rule"]: f for f in out["findings"]}
    assert by_rule["correction_notice_late"]["article"] == "条例第三十条"
    assert "2026-10-12" in by_rule["correction_notice_late"]["message"]
    assert by_rule["answer_late"]["article"] == "条例第三十三条"
    assert "2026-10-30" in by_rule["answer_late"]["message"] and "2026-10-29" in by_rule["answer_late"]["message"]
    assert by_rule["extension_unapproved"]["article"] == "条例第三十三条第二款"
    assert by_rule["third_party_not_consulted"]["article"] == "条例第三十二条"
    assert by_rule["refusal_without_ground"]["article"].startswith("条例第三十六条第（三）项")
    assert by_rule["delivery_method_not_allowed"]["article"] == "国办公开办函〔2016〕235号"
    ext = [f["message"] for f in out["findings"] if f["rule"] == "extension_unapproved"]
    assert any("不是政府信息公开工作机构负责人" in m for m in ext)
    assert any("晚于当时的答复期限 2026-10-29" in m for m in ext)
    assert any("没有延期答复告知书" in m for m in ext)
    strict = fast("check", "--all", "--strict")
    assert strict.exit_code == 1 and "逾期答复" in strict.stdout
    one = fast("check", next(iter(expected)), "--json").json
    assert one["cases_checked"] == 1 and {f["rule"] for f in one["findings"]} == {"correction_notice_late"}


def test_check_usage_and_unknown_case(ogi_sqlite, monkeypatch):
    no_letters(monkeypatch)
    r = ogi_sqlite("check", "99", "--json")
    assert r.exit_code == 1 and "没有找到案件" in r.stderr
    r = ogi_sqlite("check", "1", "--all")
    assert r.exit_code == 1 and "不能同时使用" in r.stderr


def test_rules_module_does_no_io():
    """The rules are pure: engine/legal/compliance.py imports neither the database nor the files."""
    src = Path(__import__("ogi.engine.legal.compliance", fromlist=["x"]).__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[-1])
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert not imported & {"db", "tables", "rows", "store", "sqlmodel", "sqlalchemy", "pathlib", "os", "check", "identity"}
    assert "open(" not in src
