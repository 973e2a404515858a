"""The case engine end to end through the CLI, on SQLite and PostgreSQL: every path of the
transition table, worked due-date examples computed by hand from RULES.md, refusals that
change nothing, and the database refusing to edit history."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from legal_support import applications, register, step


def deadlines(ogi, case="1"):
    return ogi.json("case", "show", case)["deadlines"]


def snapshot(ogi) -> dict:
    eng = create_engine(ogi.url)
    with eng.connect() as c:
        out = {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
               for t in ("cases", "history_event", "consultation", "letter", "counter", "applicant")}
        out["cases_rows"] = c.execute(text("SELECT id, state, version, answer_due, next_due FROM cases ORDER BY id")).all()
        out["last_hash"] = c.execute(text("SELECT hash FROM history_event ORDER BY id DESC LIMIT 1")).scalar()
    eng.dispose()
    return out


# --- worked examples (hand computations in the comments) -------------------------------

def test_receipt_just_before_national_day(ogi):
    # Received Thu 2026-09-24. Off: 9/25-27 (中秋), 10/1-7 (国庆); make-up working day Sat 10/10.
    # Correction notice (7 WD): 9/28, 9/29, 9/30, 10/8, 10/9, 10/10, 10/12 -> 2026-10-12.
    # Answer (20 WD): ... 10/12 (7), 10/13-16 (11), 10/19-23 (16), 10/26-29 (20) -> 2026-10-29.
    case = ogi.register("2026-09-24")
    assert case["number"] == "2026-0001" and case["state"] == "registered"
    assert case["deadlines"]["correction_notice_due"] == "2026-10-12"
    assert case["deadlines"]["answer_due"] == "2026-10-29"
    assert case["provisional"]["answer"] is False


def test_correction_restarts_the_answer_clock(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    r = ogi.json("case", "request-correction", "1", "--items", "请写明文号", "--date", "2026-09-28")
    assert r["state"] == "awaiting_correction"
    # Correction period: 15 WD after 9/28: 9/29, 9/30, 10/8, 10/9, 10/10, 10/12-16 (10), 10/19-23 (15).
    assert r["deadlines"]["correction_due"] == "2026-10-23"
    assert "answer_due" not in r["deadlines"]  # no answer clock while waiting for the correction
    r = ogi.json("case", "receive-correction", "1", "--date", "2026-10-09")
    # 条例第三十条: restart in full from 10/9 (Fri): 10/10 (1), 10/12-16 (6), 10/19-23 (11),
    # 10/26-30 (16), 11/2-5 (20) -> 2026-11-05.
    assert r["deadlines"]["answer_due"] == "2026-11-05"


def test_two_overlapping_consultations_pause_once(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    ogi.ok("case", "request-correction", "1", "--items", "x", "--date", "2026-09-28")
    ogi.ok("case", "receive-correction", "1", "--date", "2026-10-09")
    a = ogi.json("case", "consult", "1", "--party", "某公司", "--kind", "third_party", "--date", "2026-10-12")
    # 15 WD after 10/12: 10/13-16 (4), 10/19-23 (9), 10/26-30 (14), 11/2 (15).
    assert a["step"]["consultation_due"] == "2026-11-02"
    assert a["clock_paused"] is True
    b = ogi.json("case", "consult", "1", "--party", "市自然资源局", "--kind", "agency", "--date", "2026-10-14")
    assert b["state"] == "consulting"
    cid_a, cid_b = a["step"]["consultation_no"], b["step"]["consultation_no"]  # --consultation: 1, 2 of the case
    r = ogi.json("case", "consultation-reply", "1", "--consultation", cid_a, "--opinion", "agree", "--date", "2026-10-20")
    assert r["state"] == "consulting"  # the other consultation is still open
    r = ogi.json("case", "consultation-reply", "1", "--consultation", cid_b, "--opinion", "none", "--date", "2026-10-26")
    assert r["state"] == "processing" and r["clock_paused"] is False
    # Paused (10/12, 10/20] u (10/14, 10/26] = (10/12, 10/26]: 10/13-16 (4), 10/19-23 (9), 10/26 (10).
    # 20 + 10 = 30 WD after 10/9: 11/5 is the 20th, 11/6 (21), 11/9-13 (26), 11/16-19 (30).
    assert r["deadlines"]["answer_due"] == "2026-11-19"
    explain = ogi.json("case", "explain", "1")
    answer = next(c for c in explain["clocks"] if c["key"] == "answer")
    assert answer["workdays"] == 30 and any("只计一次" in line for line in answer["explanation"])


def test_extension_by_the_head_before_the_due_date(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    refused = ogi("case", "extend", "1", "--workdays", "20", "--reason", "需调档", "--date", "2026-10-28")
    assert refused.exit_code == 1 and "负责人" in refused.stderr  # li is a clerk, not the head
    r = ogi.json("case", "extend", "1", "--workdays", "15", "--reason", "需调取档案", "--date", "2026-10-28", user="wang")
    # 20 + 15 = 35 WD after 9/24: 10/29 (20), 10/30 (21), 11/2-6 (26), 11/9-13 (31), 11/16-19 (35).
    assert r["deadlines"]["answer_due"] == "2026-11-19"
    over = ogi("case", "extend", "1", "--workdays", "6", "--reason", "再延", "--date", "2026-11-02", user="wang")
    assert over.exit_code == 1 and "20个工作日" in over.stderr and "5" in over.stderr
    ogi.json("case", "extend", "1", "--workdays", "5", "--reason", "再延", "--date", "2026-11-02", user="wang")
    # 40 WD: 11/20 (36), 11/23-26 (40).
    assert deadlines(ogi)["answer_due"] == "2026-11-26"


def test_extension_after_the_due_date_is_refused(ogi):
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    r = ogi("case", "extend", "1", "--workdays", "10", "--reason", "x", "--date", "2026-10-30", user="wang")
    assert r.exit_code == 1 and "届满" in r.stderr


def test_year_without_calendar_data_is_provisional(ogi):
    case = ogi.register("2026-12-10")
    # 20 WD after 2026-12-10 reach into 2027, whose State Council notice is not loaded.
    assert case["provisional"]["answer"] is True
    assert case["deadlines"]["answer_due"].startswith("2027-")


def test_receipt_channels_follow_article_31(ogi):
    r = ogi("case", "register", "--applicant", "李四", "--applicant-type", "natural", "--channel", "ordinary_mail",
            "--received", "2026-09-21", "--description", "x")
    assert r.exit_code == 1 and "--confirmed" in r.stderr
    case = ogi.json("case", "register", "--applicant", "李四", "--applicant-type", "natural", "--channel",
                    "ordinary_mail", "--received", "2026-09-21", "--confirmed", "2026-09-22", "--description", "x")
    assert case["received_on"] == "2026-09-22" and case["submitted_on"] == "2026-09-21"
    online = ogi.json("case", "register", "--applicant", "某研究院", "--applicant-type", "research", "--channel",
                      "online", "--received", "2026-02-14", "--description", "y")
    # Received on the make-up Saturday 2026-02-14: day 1 is Mon 2/16? No: 2/15-23 are off, so
    # 20 WD after 2/14: 2/24-27 (4), 2/28 make-up Sat (5), 3/2-6 (10), 3/9-13 (15), 3/16-20 (20).
    assert online["deadlines"]["answer_due"] == "2026-03-20"


# --- every path of the table -----------------------------------------------------------

def _to_processing(ogi, received="2026-09-24"):
    case = ogi.register(received)
    ogi.ok("case", "accept", str(case["id"]), "--date", "2026-09-25")
    return str(case["id"])


def test_full_path_to_delivery_with_send_back(ogi):
    cid = _to_processing(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "withhold_process", "--reason", "讨论记录", "--date", "2026-10-12")
    ogi.ok("case", "decide", cid, "--date", "2026-10-12")
    r = ogi("case", "approve", cid, "--date", "2026-10-13", user="li")
    assert r.exit_code == 1 and "审核人" in r.stderr
    back = ogi.json("case", "send-back", cid, "--reason", "理由不充分", "--date", "2026-10-13", user="zhou")
    assert back["state"] == "processing" and back["outcome"] is None
    ogi.ok("case", "propose", cid, "--outcome", "partial", "--withheld", "个人信息", "--reason", "涉及个人隐私",
           "--date", "2026-10-14")
    ogi.ok("case", "decide", cid, "--date", "2026-10-14")
    ogi.ok("case", "approve", cid, "--date", "2026-10-15", user="zhou")
    r = ogi.json("case", "deliver", cid, "--method", "post", "--date", "2026-10-16")
    assert r["state"] == "answered" and r["outcome"] == "partial" and r["next_due"] is None
    kinds = [l["kind"] for l in r["letters"]]
    assert kinds.count("reply") == 1 and "receipt" in kinds


def test_proposer_cannot_approve_own_proposal(ogi):
    cid = _to_processing(ogi)
    # A user who is both clerk and reviewer proposes; they may not approve their own proposal.
    cfg = ogi.home / "ogi.toml"
    cfg.write_text(cfg.read_text("utf-8") + '\n[users.sun]\nname = "孙"\nroles = ["clerk", "reviewer"]\n', "utf-8")
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-10-12", user="sun")
    ogi.ok("case", "decide", cid, "--date", "2026-10-12", user="sun")
    r = ogi("case", "approve", cid, "--date", "2026-10-13", user="sun")
    assert r.exit_code == 1 and "提出人不能审批" in r.stderr
    ogi.ok("case", "approve", cid, "--date", "2026-10-13", user="wang")


def test_correction_lapse_abandons(ogi):
    case = ogi.register()
    ogi.ok("case", "request-correction", "1", "--items", "x", "--date", "2026-09-28")
    early = ogi("case", "correction-lapsed", "1", "--date", "2026-10-23")
    assert early.exit_code == 1 and "2026-10-23" in early.stderr
    r = ogi.json("case", "correction-lapsed", "1", "--date", "2026-10-26")
    assert r["state"] == "abandoned" and r["outcome"] == "other_correction_lapsed"
    twice = ogi("case", "request-correction", "1", "--items", "y", "--date", "2026-10-27")
    assert twice.exit_code == 1 and "已办结" in twice.stderr or "不能" in twice.stderr


def test_correction_is_one_time(ogi):
    cid = _to_processing(ogi)
    ogi.ok("case", "request-correction", cid, "--items", "x", "--date", "2026-09-28")
    ogi.ok("case", "receive-correction", cid, "--date", "2026-09-30")
    r = ogi("case", "request-correction", cid, "--items", "y", "--date", "2026-10-08")
    assert r.exit_code == 1 and "一次性" in r.stderr


def test_late_correction_notice_is_recorded_with_a_warning(ogi):
    ogi.register("2026-09-24")
    r = ogi.json("case", "request-correction", "1", "--items", "x", "--date", "2026-10-13")
    assert any("7个工作日" in w for w in r["step"]["warnings"])


def test_consultation_lapse_and_agency_silence(ogi):
    cid = _to_processing(ogi)
    ogi.ok("case", "consult", cid, "--party", "市局", "--kind", "agency", "--date", "2026-10-12")
    early = ogi("case", "consultation-lapsed", cid, "--date", "2026-11-02")
    assert early.exit_code == 1
    r = ogi.json("case", "consultation-lapsed", cid, "--date", "2026-11-03")
    assert r["state"] == "processing"
    # Paused (10/12, 11/02]: 15 WD. 20 + 15 = 35 WD after 9/24 -> 2026-11-19.
    assert r["deadlines"]["answer_due"] == "2026-11-19"


def test_fee_notice_paid_and_unpaid(ogi):
    cid = _to_processing(ogi)
    r = ogi.json("case", "fee-notice", cid, "--basis", "per_page", "--quantity", "150", "--date", "2026-10-12")
    assert r["state"] == "awaiting_payment" and r["clock_paused"] is True
    # 30 free, 70 x 10, 50 x 20 = 1700 元; payment due 20 WD after 10/12 = 2026-11-09.
    hist = ogi.json("case", "show", cid)["history"]
    assert next(h for h in hist if h["action"] == "fee_notice")["data"]["amount"] == 1700
    assert r["deadlines"]["payment_due"] == "2026-11-09"
    paid = ogi.json("case", "fee-paid", cid, "--date", "2026-10-15")
    # Paused (10/12, 10/15] = 3 WD (config default) -> 23 WD after 9/24: 10/29 (20), 10/30, 11/2, 11/3.
    assert paid["state"] == "processing" and paid["deadlines"]["answer_due"] == "2026-11-03"
    applications(ogi, "2026-09-24", 9)  # 张三's 2nd-10th applications in September
    cid2 = _to_processing(ogi)  # the 11th: 100 元 按件 (the engine counts)
    ogi.ok("case", "fee-notice", cid2, "--basis", "per_application", "--date", "2026-10-12")
    r = ogi.json("case", "fee-lapsed", cid2, "--date", "2026-11-10")
    assert r["state"] == "abandoned" and r["outcome"] == "other_fee_unpaid"
    free = ogi("case", "fee-notice", _to_processing(ogi), "--basis", "per_page", "--quantity", "30", "--date", "2026-10-12")
    assert free.exit_code == 1 and "0 元" in free.stderr


def _fee_notice_data(ogi, cid) -> dict:
    return next(h for h in ogi.json("case", "show", str(cid))["history"] if h["action"] == "fee_notice")["data"]


def test_per_application_fee_counts_the_applicants_month(ogi):
    """按件 (国办函〔2020〕109号): the engine counts the applicant's applications of the calendar
    month (by 收到申请之日, then id): 1-10 free, the 11th 100 元; a new month starts at 1."""
    from ogi.engine.cases.steps import nth_application_this_month
    from ogi.engine.store import rows
    from ogi.engine.store.db import read_session

    late = register(ogi, "2026-10-30")        # registered first, but received last: the 11th
    tenth = applications(ogi, "2026-10-09", 10)[-1]
    register(ogi, "2026-10-09", "李四")        # another applicant,
    register(ogi, "2026-10-09", "张三", "commercial")  # another kind of applicant: not counted
    register(ogi, "2026-09-30")               # another month: not counted
    ogi.ok("case", "accept", tenth, "--date", "2026-10-12")
    free = ogi("case", "fee-notice", tenth, "--basis", "per_application", "--date", "2026-10-13")
    assert free.exit_code == 1 and "0 元" in free.stderr, free.stderr
    assert ogi.json("case", "show", tenth)["state"] == "processing"
    ogi.ok("case", "accept", late, "--date", "2026-11-02")
    r = ogi.json("case", "fee-notice", late, "--basis", "per_application", "--date", "2026-11-03")
    assert r["state"] == "awaiting_payment"
    data = _fee_notice_data(ogi, late)
    assert (data["basis"], data["quantity"], data["amount"]) == ("per_application", 11, 100)
    assert data["standard"] == "按件计收：本月第 11 件申请"
    november = register(ogi, "2026-11-02")
    ogi.ok("case", "accept", november, "--date", "2026-11-03")
    r = ogi("case", "fee-notice", november, "--basis", "per_application", "--date", "2026-11-04")
    assert r.exit_code == 1 and "0 元" in r.stderr
    with read_session() as s:
        db = rows.of_session(s)
        case = rows.find_case(db, november)
        assert nth_application_this_month(db, case, rows.applicant(db, case.applicant_id)) == 1


def test_fee_amount_is_the_engines(ogi):
    from ogi.errors import InputError

    cid = _to_processing(ogi)
    r = ogi("case", "fee-notice", cid, "--basis", "per_application", "--quantity", "12", "--date", "2026-10-12")
    assert r.exit_code == 1 and "系统统计" in r.stderr, r.stderr
    r = ogi("case", "fee-notice", cid, "--basis", "per_page", "--date", "2026-10-12")
    assert r.exit_code == 1 and "页数" in r.stderr, r.stderr
    for extra in ({"amount": 1}, {"amount": 0}, {"standard": "按件"}, {"amount": 100, "standard": "按件"}):
        with pytest.raises(InputError, match="收费金额由系统按国办函〔2020〕109号计算，不能直接填写"):
            step(ogi, int(cid), "fee_notice", "2026-10-12", basis="per_page", quantity=150, **extra)
    assert ogi.json("case", "show", cid)["state"] == "processing"  # nothing recorded
    step(ogi, int(cid), "fee_notice", "2026-10-12", basis="per_page", quantity=150)
    assert _fee_notice_data(ogi, cid)["amount"] == 1700


def test_consultation_reply_takes_the_only_open_one(ogi):
    cid = _to_processing(ogi)
    r = ogi("case", "consultation-lapsed", cid, "--date", "2026-10-12")
    assert r.exit_code == 1 and "没有未办结的征求意见" in r.stderr, r.stderr
    one = ogi.json("case", "consult", cid, "--party", "某公司", "--kind", "third_party", "--date", "2026-10-12")
    r = ogi.json("case", "consultation-reply", cid, "--opinion", "agree", "--date", "2026-10-20")
    assert r["state"] == "processing"
    shown = ogi.json("case", "show", cid)
    con = next(c for c in shown["consultations"] if c["id"] == one["step"]["consultation_id"])
    assert con["replied_on"] == "2026-10-20" and con["opinion"] == "agree"
    reply = next(h for h in shown["history"] if h["action"] == "consultation_reply")
    assert reply["data"]["consultation_id"] == con["id"] and reply["data"]["consultation_no"] == con["no"] == 1
    a = ogi.json("case", "consult", cid, "--party", "某公司", "--kind", "third_party", "--date", "2026-10-21")
    b = ogi.json("case", "consult", cid, "--party", "市局", "--kind", "agency", "--date", "2026-10-21")
    ids = f"{a['step']['consultation_no']}, {b['step']['consultation_no']}"  # 2, 3: numbers in the case
    assert ids == "2, 3"
    for argv in (["consultation-reply", cid, "--opinion", "agree"], ["consultation-lapsed", cid]):
        r = ogi("case", *argv, "--date", "2026-10-22")
        assert r.exit_code == 1, r.stdout
        assert f"有多份未办结的征求意见（编号 {ids}），请用 --consultation 指明" in r.stderr, r.stderr
    assert ogi.json("case", "show", cid)["state"] == "consulting"


def test_contact_is_a_phone_or_an_address(ogi):
    phone = ogi.register("2026-09-24", "张三", "natural", "in_person", "--contact", "13800000000")
    address = ogi.register("2026-09-24", "张三", "natural", "in_person", "--contact", "人民路1号")
    shown = ogi.json("case", "show", str(phone["id"]))["applicant"]
    assert (shown["phone"], shown["address"]) == ("13800000000", "")
    shown = ogi.json("case", "show", str(address["id"]))["applicant"]
    assert (shown["phone"], shown["address"]) == ("", "人民路1号")


def test_withdraw_not_handled_and_delay(ogi):
    a = _to_processing(ogi)
    assert ogi.json("case", "withdraw", a, "--reason", "申请人书面撤回", "--date", "2026-10-09")["state"] == "withdrawn"
    b = ogi.register()["id"]
    # 条例第三十九条: proposed (with its reason), decided, approved, served: then closed as not handled.
    r = ogi.json("case", "not-handled", str(b), "--ground", "petition", "--reason", "系投诉", "--date", "2026-09-28")
    assert r["state"] == "proposed" and r["outcome"] == "not_handled_petition"
    ogi.ok("case", "decide", str(b), "--date", "2026-09-28")
    ogi.ok("case", "approve", str(b), "--date", "2026-09-29", user="wang")
    r = ogi.json("case", "deliver", str(b), "--method", "direct", "--date", "2026-09-30")
    assert r["state"] == "not_handled" and r["outcome"] == "not_handled_petition" and r["closed_on"] == "2026-09-30"
    c = _to_processing(ogi)
    bad = ogi("case", "delay", c, "--until", "2026-10-20", "--reason", "量大", "--date", "2026-10-09", user="wang")
    assert bad.exit_code == 1
    r = ogi.json("case", "delay", c, "--until", "2026-12-15", "--reason", "申请数量大，理由合理", "--date", "2026-10-09", user="wang")
    assert r["deadlines"]["answer_due"] == "2026-12-15"


def test_electronic_delivery_needs_consent(ogi):
    cid = _to_processing(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-10-12")
    ogi.ok("case", "decide", cid, "--date", "2026-10-12")
    ogi.ok("case", "approve", cid, "--date", "2026-10-13", user="wang")
    r = ogi("case", "deliver", cid, "--method", "electronic", "--date", "2026-10-14")
    assert r.exit_code == 1 and "同意电子送达" in r.stderr


# --- refusals change nothing --------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (("case", "approve", "1", "--date", "2026-09-25", "--as", "wang"), "当前状态"),
    (("case", "accept", "999"), "没有找到案件"),
    (("case", "accept", "2026-9999"), "没有找到案件"),
    (("case", "accept", "1", "--date", "2026-02-30"), "不存在"),
    (("case", "accept", "1", "--date", "next tuesday"), "无法识别"),
    (("case", "accept", "1", "--date", "2027-01-05"), "晚于今天"),
    (("case", "accept", "1", "--date", "2026-09-01"), "早于"),
    (("case", "decide", "1"), "当前状态"),  # an unknown --outcome is refused first: test_cli_codes_chinese.py
])
def test_refused_steps_change_nothing(ogi, args, needle):
    ogi.register()
    before = snapshot(ogi)
    r = ogi(*args)
    assert r.exit_code == 1, r.stdout
    assert needle in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert snapshot(ogi) == before


def test_legal_office_is_read_only(ogi):
    ogi.register()
    before = snapshot(ogi)
    r = ogi("case", "accept", "1", "--date", "2026-09-25", user="zhao")
    assert r.exit_code == 1 and "权限" in r.stderr
    assert snapshot(ogi) == before
    assert ogi.json("case", "show", "1", user="zhao")["state"] == "registered"


def test_json_error_shape(ogi):
    r = ogi("case", "accept", "42", "--json")
    assert r.exit_code == 1 and r.json["ok"] is False and r.json["error"] == "not_found"


def test_database_refuses_to_edit_history(ogi):
    ogi.register()
    eng = create_engine(ogi.url)
    for stmt in ("UPDATE history_event SET actor = 'x'", "DELETE FROM history_event"):
        with pytest.raises(Exception, match="append-only"):
            with eng.begin() as c:
                c.execute(text(stmt))
    eng.dispose()
    assert len(ogi.json("case", "show", "1")["history"]) >= 1


def test_history_chain_links_every_step(ogi):
    from ogi.engine.cases.history import GENESIS, verify_chain

    cid = _to_processing(ogi)
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-10-12")
    hist = ogi.json("case", "show", cid)["history"]
    assert [h["seq"] for h in hist] == list(range(1, len(hist) + 1))
    from ogi.engine.cases.steps import events_of
    from ogi.engine.store.db import read_session

    with read_session(ogi.url) as s:
        events = events_of(s, int(cid))
    assert events[0].prev_hash == GENESIS and verify_chain(events) is None


def test_uninitialised_database_says_what_to_do(tmp_path, monkeypatch, capsys):
    from ogi.cli import main

    monkeypatch.setenv("OGI_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("OGI_USER", "li")
    monkeypatch.delenv("OGI_DATABASE_URL", raising=False)
    assert main(["case", "show", "1"]) == 1
    err = capsys.readouterr().err
    assert "ogi init" in err and not (tmp_path / "empty" / "ogi.db").exists()


def test_postgres_down_is_a_clear_message(tmp_path, monkeypatch, capsys):
    from ogi.cli import main

    from conftest import training_config

    monkeypatch.setenv("OGI_HOME", str(tmp_path))
    monkeypatch.setenv("OGI_USER", "li")
    training_config(tmp_path / "ogi.toml")  # li may be declared: the database is what is missing
    monkeypatch.setenv("OGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    assert main(["case", "show", "1"]) == 1
    err = capsys.readouterr().err
    assert "无法连接数据库" in err and "Traceback" not in err


def test_case_list_filters(ogi):
    a = ogi.register("2026-09-24")              # answer due 2026-10-29
    b = ogi.register("2026-10-20", name="李四")  # answer due 2026-11-17
    ogi.ok("case", "accept", str(a["id"]), "--date", "2026-09-25")
    ogi.ok("case", "accept", str(b["id"]), "--date", "2026-10-21", user="chen")
    over = ogi.json("case", "list", "--overdue", "--as-of", "2026-11-02")["cases"]
    assert [c["number"] for c in over] == [a["number"]] and over[0]["workdays_left"] == -2
    # 3 WD after 2026-10-26 = 10/29: only the first case's answer is due within 3 WD.
    soon = ogi.json("case", "list", "--due-within", "3", "--as-of", "2026-10-26")["cases"]
    assert [c["number"] for c in soon] == [a["number"]] and soon[0]["workdays_left"] == 3
    everything = ogi.json("case", "list", "--as-of", "2026-10-26")["cases"]
    assert [c["number"] for c in everything] == [a["number"], b["number"]]  # ordered by urgency
    assert [c["number"] for c in ogi.json("case", "list", "--clerk", "li")["cases"]] == [a["number"], b["number"]]
    assert ogi.json("case", "list", "--state", "answered")["cases"] == []
    bad = ogi("case", "list", "--state", "lost")
    assert bad.exit_code == 1 and "状态" in bad.stderr


def test_case_show_draws_the_clocks_on_one_axis(ogi_sqlite):
    from ogi.commands.render import clock_chart_lines

    ogi = ogi_sqlite
    ogi.register("2026-09-24")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    shown = ogi.ok("case", "show", "1").stdout
    assert "期限示意图" in shown and "答复期限" in shown
    lines = clock_chart_lines(ogi.json("case", "show", "1"), width=40)
    answer = next(line for line in lines if line.startswith("答复期限"))
    bar = answer[len("答复期限") + 4:][:40]  # 4 CJK characters fill 8 of the 12 label columns
    # received 9/24 is the left edge; the answer due 10/29 is the right edge of the axis.
    assert bar.startswith("├") and bar.rstrip().endswith("┤") and "10-29" in answer
    assert lines[-1].count("▲") + lines[-1].count("◆") >= 1


def test_delay_must_end_on_a_working_day(ogi_sqlite):
    ogi = ogi_sqlite
    ogi.register()
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    r = ogi("case", "delay", "1", "--until", "2026-12-12", "--reason", "量大", "--date", "2026-10-09", user="wang")
    assert r.exit_code == 1 and "不是工作日" in r.stderr and "2026-12-14" in r.stderr
