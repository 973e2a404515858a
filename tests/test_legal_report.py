"""`ogi report annual|repeated|dashboard` and the 重复申请 warning at registration.

The annual report of a seeded year must match counts computed independently here from the
seed's own description of each case (who applied, when received, when closed, which row)."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest

from legal_support import answer, no_letters, register, sql, step

KINDS = ("natural", "commercial", "research", "public_interest", "legal_service", "other")


@dataclass
class Spec:
    kind: str
    received: str
    closed: str | None
    row: str | None


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def seed_year(ogi) -> tuple[list[Spec], dict]:
    specs: list[Spec] = []
    ids: dict[str, int] = {}

    def reg(key, kind, received, name=None):
        ids[key] = register(ogi, received, name or f"申请人{key}", kind, f"所需信息{key}")
        return ids[key]

    # Received in 2025.
    c = reg("P1", "natural", "2025-03-03")  # closed in 2025: not carried over into 2026
    answer(ogi, c, accept="2025-03-04", propose="2025-03-18", deliver="2025-03-20")
    specs.append(Spec("natural", "2025-03-03", "2025-03-20", "三(一)"))
    c = reg("P2", "commercial", "2025-12-15")  # carried over, answered in January 2026
    answer(ogi, c, accept="2025-12-16", propose="2026-01-05", deliver="2026-01-06")
    specs.append(Spec("commercial", "2025-12-15", "2026-01-06", "三(一)"))
    c = reg("P3", "research", "2025-12-22")  # carried over, still open at the end of 2026
    step(ogi, c, "accept", "2025-12-23")
    specs.append(Spec("research", "2025-12-22", None, None))
    c = reg("P4", "natural", "2025-11-03")  # carried over, withdrawn in 2026 after a proposal
    step(ogi, c, "accept", "2025-11-04")
    step(ogi, c, "propose", "2025-11-20", outcome="disclose")
    step(ogi, c, "withdraw", "2026-01-05")
    specs.append(Spec("natural", "2025-11-03", "2026-01-05", "三(六)3"))
    # Received in 2026, answered with every kind of outcome.
    plain = [
        ("N1", "natural", "disclose", "", {}, "三(一)"),
        ("N2", "natural", "partial", "个人隐私", {"withheld": "身份证号码"}, "三(二)"),
        ("N3", "commercial", "withhold_state_secret", "", {}, "三(三)1"),
        ("N5", "legal_service", "unable_not_held", "", {}, "三(四)1"),
        ("N6", "other", "not_responsible", "", {"responsible_agency": "示例市自然资源局"}, "三(四)1"),
        ("N8", "natural", "not_handled_repeat", "", {}, "三(五)2"),
        ("N13", "natural", "special_rules", "", {}, "三(六)3"),
        ("N16", "commercial", "unable_needs_creation", "", {}, "三(四)2"),
    ]
    for key, kind, outcome, reason, extra, row in plain:
        c = reg(key, kind, "2026-03-02")
        answer(ogi, c, accept="2026-03-03", propose="2026-03-20", deliver="2026-03-24", outcome=outcome,
               reason=reason, **extra)
        specs.append(Spec(kind, "2026-03-02", "2026-03-24", row))
    c = reg("N4", "public_interest", "2026-04-01")
    step(ogi, c, "accept", "2026-04-02")
    con = step(ogi, c, "consult", "2026-04-03", party="某公司", kind="third_party")["step"]["consultation_id"]
    step(ogi, c, "consultation_reply", "2026-04-10", reason="商业秘密", consultation_id=con, opinion="object")
    answer(ogi, c, accept=None, propose="2026-04-13", deliver="2026-04-15", outcome="withhold_third_party", reason="第三方反对")
    specs.append(Spec("public_interest", "2026-04-01", "2026-04-15", "三(三)4"))
    c = reg("N7", "natural", "2026-05-06")
    # 条例第三十九条: proposed, approved like a reply, served: closed (and counted) on the delivery
    step(ogi, c, "propose", "2026-05-07", reason="申请内容系投诉", outcome="not_handled_petition")
    step(ogi, c, "decide", "2026-05-07")
    step(ogi, c, "approve", "2026-05-08", user="wang")
    step(ogi, c, "deliver", "2026-05-08", method="direct")
    specs.append(Spec("natural", "2026-05-06", "2026-05-08", "三(五)1"))
    c = reg("N9", "commercial", "2026-03-02")
    step(ogi, c, "request_correction", "2026-03-04", items="请写明文号")
    step(ogi, c, "correction_lapse", "2026-04-20")
    specs.append(Spec("commercial", "2026-03-02", "2026-04-20", "三(六)1"))
    c = reg("N10", "research", "2026-03-02")
    step(ogi, c, "accept", "2026-03-03")
    step(ogi, c, "fee_notice", "2026-03-05", basis="per_page", quantity=40)  # 10 pages x 10 元 = 100 元
    step(ogi, c, "fee_lapse", "2026-04-20")
    specs.append(Spec("research", "2026-03-02", "2026-04-20", "三(六)2"))
    c = reg("N11", "natural", "2026-06-01")
    step(ogi, c, "accept", "2026-06-02")
    step(ogi, c, "fee_notice", "2026-06-03", basis="per_page", quantity=40)
    step(ogi, c, "fee_paid", "2026-06-08")
    answer(ogi, c, accept=None, propose="2026-06-15", deliver="2026-06-17")
    specs.append(Spec("natural", "2026-06-01", "2026-06-17", "三(一)"))
    c = reg("N12", "legal_service", "2026-11-02")  # paid, still open at the end of the year
    step(ogi, c, "accept", "2026-11-03")
    step(ogi, c, "fee_notice", "2026-11-04", basis="per_page", quantity=40)
    step(ogi, c, "fee_paid", "2026-11-09")
    specs.append(Spec("legal_service", "2026-11-02", None, None))
    c = reg("N14", "other", "2026-07-01")  # withdrawn after a proposal: 三(六)3, not 三(一)
    step(ogi, c, "accept", "2026-07-02")
    step(ogi, c, "propose", "2026-07-10", outcome="disclose")
    step(ogi, c, "withdraw", "2026-07-13")
    specs.append(Spec("other", "2026-07-01", "2026-07-13", "三(六)3"))
    c = reg("N15", "natural", "2026-12-28")  # open at the end of the year
    specs.append(Spec("natural", "2026-12-28", None, None))
    # Reviews and lawsuits.
    chal = [("P1", "review", "2025-04-10", "upheld", "2025-06-01"),
            ("P1", "lawsuit_after_review", "2025-07-01", "corrected", "2026-03-01"),
            ("N1", "review", "2026-04-01", "upheld", "2026-05-20"),
            ("N3", "review", "2026-05-01", None, None),
            ("N2", "lawsuit_direct", "2026-06-01", "other", "2026-11-30")]
    for key, kind, filed, result, on in chal:
        r = ogi.json("case", "review", str(ids[key]), "--kind", kind, "--filed", filed, user="zhao")
        if result:
            ogi.ok("case", "review-result", str(ids[key]), "--challenge", str(r["challenge"]["id"]),
                   "--result", result, "--date", on, user="zhao")
    return specs, ids


def expected_table3(specs: list[Spec], year: int) -> dict[str, Counter]:
    """Independent count, straight from the definitions in RULES.md and the module docstring."""
    t: dict[str, Counter] = defaultdict(Counter)
    for s in specs:
        rec = dt.date.fromisoformat(s.received)
        closed = dt.date.fromisoformat(s.closed) if s.closed else None
        if rec.year > year:
            continue
        if rec.year == year:
            t["一"][s.kind] += 1
        elif closed is None or closed.year >= year:
            t["二"][s.kind] += 1
        if closed and closed.year == year:
            t[s.row][s.kind] += 1
            t["三(七)"][s.kind] += 1
        if closed is None or closed.year > year:
            t["四"][s.kind] += 1
    return t


def test_annual_report_matches_independent_counts(fast):
    specs, _ = seed_year(fast)
    for year in (2025, 2026):
        r = fast.json("report", "annual", "--year", str(year), user="zhao")
        assert r["balanced"] is True and r["problems"] == []
        want = expected_table3(specs, year)
        for row in r["table3"]["rows"]:
            for kind in KINDS:
                assert row["counts"][kind] == want[row["key"]][kind], (year, row["key"], kind)
            assert row["counts"]["total"] == sum(want[row["key"]].values()), (year, row["key"])
        for col, b in r["balance"].items():
            assert b["ok"] and b["in"] == b["out"], (year, col)
    r26 = fast.json("report", "annual", "--year", "2026")
    rows = {x["key"]: x["counts"] for x in r26["table3"]["rows"]}
    # Spot checks by hand: 16 received in 2026 (14 answered or closed + N12 + N15), 3 carried over.
    assert rows["一"]["total"] == 16 and rows["二"]["total"] == 3
    assert rows["三(七)"]["total"] == 16 and rows["四"]["total"] == 3  # P3, N12, N15
    assert rows["三(六)3"] == {**{k: 0 for k in KINDS}, "natural": 2, "other": 1, "total": 3}  # P4, N13, N14
    assert rows["三(四)1"]["total"] == 2 and rows["三(一)"]["total"] == 3  # P2, N1, N11
    t4 = {g["key"]: g["counts"] for g in r26["table4"]["groups"]}
    assert t4["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2}
    assert t4["lawsuit_direct"] == {"upheld": 0, "corrected": 0, "other": 1, "pending": 0, "total": 1}
    assert t4["lawsuit_after_review"] == {"upheld": 0, "corrected": 1, "other": 0, "pending": 0, "total": 1}
    assert r26["fees"] == {"count": 2, "amount": 200}
    r25 = fast.json("report", "annual", "--year", "2025")
    t4 = {g["key"]: g["counts"] for g in r25["table4"]["groups"]}
    assert t4["review"]["upheld"] == 1 and t4["lawsuit_after_review"]["pending"] == 1
    assert r25["fees"] == {"count": 0, "amount": 0}
    text = fast.ok("report", "annual", "--year", "2026").stdout
    assert "勾稽关系成立" in text and "三(六)3" in text


def test_annual_report_refuses_when_the_check_fails(fast):
    a = register(fast, "2026-03-02")
    answer(fast, a, accept="2026-03-03", propose="2026-03-20", deliver="2026-03-24")
    register(fast, "2026-03-02", "李四")
    sql(fast, f"UPDATE cases SET closed_on = NULL WHERE id = {a}")  # a closed case without its closing date
    r = fast("report", "annual", "--year", "2026", "--json")
    assert r.exit_code == 1
    assert r.json["balanced"] is False and r.json["problems"][0]["case"] == "2026-0001"
    assert r.json["balance"]["natural"] == {"label": "自然人", "in": 2, "out": 1, "ok": False}
    r = fast("report", "annual", "--year", "2026", "--html")
    assert r.exit_code == 1 and "勾稽关系不成立" in r.stderr and "2026-0001" in r.stderr and r.stdout == ""


def test_annual_report_formats(ogi_sqlite, monkeypatch, tmp_path):
    no_letters(monkeypatch)
    ogi = ogi_sqlite
    a = register(ogi, "2026-03-02", "某公司", "commercial")
    answer(ogi, a, accept="2026-03-03", propose="2026-03-20", deliver="2026-03-24", outcome="withhold_process",
           reason="属于过程性信息")
    html = ogi.ok("report", "annual", "--year", "2026", "--html").stdout
    assert "<script" not in html and html.count("<table") == 2
    assert '<th colspan="7">申请人情况</th>' in html and '<th colspan="5">法人或其他组织</th>' in html
    assert 'rowspan="22">三、本年度办理结果' in html and 'rowspan="8">（三）不予公开' in html
    assert '<th colspan="10">行政诉讼</th>' in html and "结果维持" in html
    csv_text = ogi.ok("report", "annual", "--year", "2026", "--csv").stdout
    assert "三、本年度办理结果,（三）不予公开,6.属于四类过程性信息,0,1,0,0,0,0,1" in csv_text
    pdf = tmp_path / "annual.pdf"
    ogi.ok("report", "annual", "--year", "2026", "--pdf", "--out", str(pdf))
    import pypdf

    text = "".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)
    assert "收到和处理政府信息公开申请情况" in text.replace("\n", "")
    assert ogi("report", "annual", "--year", "2026", "--csv", "--html").exit_code == 1


# --------------------------------------------------------------------------- repeated requests

def test_repeated_requests_and_the_registration_warning(ogi_sqlite, monkeypatch):
    no_letters(monkeypatch)
    ogi = ogi_sqlite
    a = register(ogi, "2026-03-02", "张三", "natural", "人民路改造工程立项批复")
    answer(ogi, a, accept="2026-03-03", propose="2026-03-20", deliver="2026-03-24")
    register(ogi, "2026-04-01", "某公司", "commercial", "人民路 改造工程立项批复。")
    register(ogi, "2026-05-06", "李四", "natural", "“人民路改造工程”立项批复！")
    register(ogi, "2026-05-06", "王五", "natural", "2025年财政预算")
    register(ogi, "2026-05-07", "王五", "natural", "2025年 财政预算")  # the same person twice: one applicant
    r = ogi.json("report", "repeated", user="zhao")
    assert [(x["applicants"], x["requests"]) for x in r["items"]] == [(3, 3)]
    item = r["items"][0]
    assert item["cases"] == ["2026-0001", "2026-0002", "2026-0003"] and item["disclosed"] == 1
    assert "第四十四条" in r["article"]
    assert len(ogi.json("report", "repeated", "--min-applicants", "1")["items"]) == 2
    assert ogi.json("report", "repeated", "--since", "2026-04-01")["items"][0]["applicants"] == 2
    # 张三 asks again for what was answered: the clerk is warned (条例第三十六条第（六）项).
    r = ogi.json("case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
                 "--received", "2026-06-01", "--description", "人民路改造工程 立项批复")
    assert len(r["warnings"]) == 1 and "2026-0001" in r["warnings"][0] and "第三十六条第（六）项" in r["warnings"][0]
    text = ogi.ok("case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
                  "--received", "2026-06-02", "--description", "人民路改造工程立项批复").stdout
    assert "重复处理" in text
    # Not a repeat: another applicant, or an earlier application not yet answered.
    r = ogi.json("case", "register", "--applicant", "赵六", "--applicant-type", "natural", "--channel", "in_person",
                 "--received", "2026-06-01", "--description", "人民路改造工程立项批复")
    assert r["warnings"] == []
    r = ogi.json("case", "register", "--applicant", "王五", "--applicant-type", "natural", "--channel", "in_person",
                 "--received", "2026-06-01", "--description", "2025年财政预算")
    assert r["warnings"] == []


def test_normalisation():
    from ogi.engine.store.keys import normalise

    assert normalise(" 某道路改造工程\t立项批复。") == normalise("某道路改造工程立项批复") == "某道路改造工程立项批复"
    assert normalise("《关于ＡＢＣ的通知》（2025）") == normalise("关于abc的通知2025")


# --------------------------------------------------------------------------- dashboard

def test_dashboard_is_one_self_contained_file(ogi_sqlite, monkeypatch, tmp_path):
    no_letters(monkeypatch)
    ogi = ogi_sqlite
    a = register(ogi, "2026-09-24")
    answer(ogi, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")  # on time (due 10-29)
    b = register(ogi, "2026-09-24", "李四")
    answer(ogi, b, accept="2026-09-25", propose="2026-10-28", deliver="2026-10-30")  # late
    c = register(ogi, "2026-09-24", "王五")
    step(ogi, c, "accept", "2026-09-25")  # overdue as of 2026-12-31
    register(ogi, "2026-12-28", "赵六")  # correction notice due 2027-01-07 (provisional): later than 5 WD
    d = register(ogi, "2026-12-21", "钱七")
    step(ogi, d, "accept", "2026-12-22")
    step(ogi, d, "consult", "2026-12-23", party="某公司", kind="third_party")  # paused
    out = tmp_path / "看板.html"
    r = ogi.json("report", "dashboard", "--out", str(out), "--as-of", "2026-12-31", user="zhao")
    assert r["open"] == 3 and r["closed"] == 2
    assert r["urgency"]["overdue"] == 1 and r["urgency"]["paused"] == 1
    assert r["outcomes"] == {"予以公开": 2}
    oct_ = next(m for m in r["monthly"] if m["month"] == "2026-10")
    assert oct_ == {"month": "2026-10", "timely": 1, "late": 1} and r["on_time_rate"] == 0.5
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "<script" not in html.lower()
    assert not re.search(r"(src|href)\s*=", html) and "@import" not in html
    assert [u for u in re.findall(r"https?://[^\"' )]+", html) if u != "http://www.w3.org/2000/svg"] == []
    assert "2026-0003" in html and "已逾期" in html
    # A day in the past: the cases received later do not exist yet.
    r = json.loads(ogi.ok("report", "dashboard", "--out", str(tmp_path / "b.html"), "--as-of", "2026-10-01", "--json").stdout)
    assert r["open"] == 3 and r["closed"] == 0
