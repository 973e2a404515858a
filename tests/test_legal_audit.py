"""`ogi audit verify`, `ogi case history`, `ogi case review`, `ogi audit export`.

Tampering is done the way an attacker with database access would: the append-only triggers
are dropped first, then rows are UPDATEd or DELETEd; letter files are edited on disk. Every
kind of tampering must be named by `verify`, on SQLite and on PostgreSQL."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from legal_support import answer, drop_history_triggers, no_letters, register, sql, step


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def verify(ogi):
    r = ogi("audit", "verify", "--json", user="zhao")
    return r.exit_code, r.json


def test_history_rows_edited_after_dropping_the_triggers(fast, backend):
    a = register(fast, "2026-09-24")
    answer(fast, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    b = register(fast, "2026-09-24", "李四")
    answer(fast, b, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12", method="post")
    code, r = verify(fast)
    assert code == 0 and r["ok"] is True and r["broken"] == [] and r["cases"] == 2 and r["events"] == 12
    # The database itself refuses, as long as its triggers are in place.
    with pytest.raises(Exception):
        sql(fast, f"UPDATE history_event SET reason = 'x' WHERE case_id = {a} AND seq = 2")
    drop_history_triggers(fast, backend)
    # Case a: back-date the delivery (a classic cover-up of a late answer).
    sql(fast, f"UPDATE history_event SET effective_on = '2026-10-09' WHERE case_id = {a} AND seq = 6")
    # Case b: two edits; only the first broken link is named.
    sql(fast, f"UPDATE history_event SET actor = 'wang' WHERE case_id = {b} AND seq = 3",
        f"UPDATE history_event SET reason = '补记' WHERE case_id = {b} AND seq = 5")
    code, r = verify(fast)
    assert code == 1 and r["ok"] is False
    assert [(x["case"], x["kind"], x["seq"]) for x in r["broken"]] == [
        ("2026-0001", "history", 6), ("2026-0002", "history", 3)]
    assert "被篡改" in r["broken"][0]["problem"]
    text = fast("audit", "verify", user="zhao")
    assert text.exit_code == 1 and "案件 2026-0001 第 6 条" in text.stdout and "案件 2026-0002 第 3 条" in text.stdout


def test_history_rows_deleted(fast, backend):
    a = register(fast, "2026-09-24")
    answer(fast, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    b = register(fast, "2026-09-24", "李四")
    answer(fast, b, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12", method="post")
    c = register(fast, "2026-09-24", "王五")
    drop_history_triggers(fast, backend)
    sql(fast, f"DELETE FROM history_event WHERE case_id = {a} AND seq = 2")  # a row in the middle
    sql(fast, f"DELETE FROM history_event WHERE case_id = {b} AND seq = 6")  # the last row (the delivery)
    sql(fast, f"DELETE FROM letter WHERE case_id = {c}", f"DELETE FROM history_event WHERE case_id = {c}")  # all of it
    code, r = verify(fast)
    assert code == 1
    got = {(x["case"], x["kind"]): x for x in r["broken"] if x["case"]}
    assert got[("2026-0001", "history")]["seq"] == 2 and "缺失" in got[("2026-0001", "history")]["problem"]
    proj = got[("2026-0002", "projection")]["problem"]
    assert "已答复送达" in proj and "已批准待送达" in proj and "末尾可能被删除" in proj
    assert "没有任何办理记录" in got[("2026-0003", "history")]["problem"]
    # The deleted receipt letter leaves a gap in the gap-free 文号 series.
    assert any(x["kind"] == "numbering" and "缺失" in x["problem"] for x in r["broken"])


def test_deleted_case_leaves_a_gap_in_case_numbers(fast, backend):
    register(fast, "2026-09-24")
    c = register(fast, "2026-09-24", "李四")
    register(fast, "2026-09-24", "王五")
    drop_history_triggers(fast, backend)
    sql(fast, f"DELETE FROM letter WHERE case_id = {c}", f"DELETE FROM history_event WHERE case_id = {c}",
        f"DELETE FROM cases WHERE id = {c}")
    code, r = verify(fast)
    assert code == 1
    problems = [x["problem"] for x in r["broken"]]
    assert any("案件编号 2026-0002 缺失" in p for p in problems)


def test_letter_files_and_rows(ogi, backend):
    """Real PDFs: edit a file, delete a file, forge the letter row, delete the letter row."""
    a = register(ogi, "2026-09-24")
    answer(ogi, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    letters = {l["kind"]: l for l in ogi.json("case", "show", str(a))["letters"]}
    assert set(letters) == {"receipt", "reply", "service-receipt"}
    assert all(l["status"] == "rendered" and l["sha256"] for l in letters.values())
    code, r = verify(ogi)
    assert code == 0 and r["letter_files"] == 3
    # The compliance check reads the reply's text: the remedy clause is there.
    assert ogi.json("check", str(a))["findings"] == []

    reply = Path(letters["reply"]["path"])
    original = reply.read_bytes()
    reply.write_bytes(original.replace(b"%%EOF", b"%%EOF\n% edited"))
    code, r = verify(ogi)
    assert code == 1
    [b] = r["broken"]
    assert b["kind"] == "letter" and b["letter_id"] == letters["reply"]["id"] and "SHA-256 不符" in b["problem"]
    # An attacker who also rewrites the letter row is caught by the hash in the case history.
    forged = hashlib.sha256(reply.read_bytes()).hexdigest()
    sql(ogi, "UPDATE letter SET sha256 = :h WHERE id = :i", params={"h": forged, "i": letters["reply"]["id"]})
    code, r = verify(ogi)
    assert code == 1 and "办理记录中的不符" in r["broken"][0]["problem"]
    sql(ogi, "UPDATE letter SET sha256 = :h WHERE id = :i", params={"h": letters["reply"]["sha256"], "i": letters["reply"]["id"]})
    reply.write_bytes(original)
    assert verify(ogi)[0] == 0

    Path(letters["service-receipt"]["path"]).unlink()
    code, r = verify(ogi)
    assert code == 1 and "不存在" in r["broken"][0]["problem"] and r["broken"][0]["case"] == "2026-0001"

    sql(ogi, "DELETE FROM letter WHERE id = :i", params={"i": letters["service-receipt"]["id"]})
    code, r = verify(ogi)
    # The gap in the 文号 sequence, and the rendered letter the log names whose row is gone.
    assert code == 1 and [x["kind"] for x in r["broken"]] == ["numbering", "derived"]
    assert "在文书表中不存在：文书表中的记录被删除" in r["broken"][1]["problem"]


def test_case_history_shows_due_dates_before_and_after(fast):
    a = register(fast, "2026-09-24")
    step(fast, a, "request_correction", "2026-09-28", items="请写明文号")
    step(fast, a, "receive_correction", "2026-10-09")
    step(fast, a, "extend", "2026-10-20", user="wang", reason="需调取档案", workdays=10)
    h = fast.json("case", "history", str(a), user="zhao")
    assert h["chain_ok"] is True
    e = {x["action"]: x for x in h["entries"]}
    assert e["register"]["dues_after"] == {"correction_notice": "2026-10-12", "answer": "2026-10-29"}
    # Correction notice: the answer clock stops; the applicant has 15 WD (to 10-23).
    assert e["request_correction"]["dues_before"]["answer"] == "2026-10-29"
    assert "answer" not in e["request_correction"]["dues_after"]
    assert e["request_correction"]["dues_after"]["correction"] == "2026-10-23"
    # 条例第三十条: restart in full from 10-09 -> 2026-11-05.
    assert e["receive_correction"]["dues_after"]["answer"] == "2026-11-05"
    # Extension 10 WD after 11-05: 11/6, 11/9-13, 11/16-19 -> 2026-11-19.
    x = e["extend"]
    assert x["actor"] == "wang" and x["actor_name"] == "王强" and x["reason"] == "需调取档案"
    assert x["dues_before"]["answer"] == "2026-11-05" and x["dues_after"]["answer"] == "2026-11-19"
    assert x["changed"] == ["answer"] and x["effective_on"] == "2026-10-20" and x["recorded_at"]
    text = fast.ok("case", "history", str(a), user="zhao").stdout
    assert "哈希链完好" in text and "→" in text and "2026-11-19" in text and "王强" in text


def test_review_and_result_are_recorded(fast):
    a = register(fast, "2026-09-24")
    answer(fast, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    r = fast.json("case", "review", str(a), "--kind", "review", "--filed", "2026-11-02", "--body", "示例市人民政府", user="zhao")
    cid = r["challenge"]["id"]
    assert r["challenge"]["result"] is None and r["challenge"]["result_label"] == "尚未审结"
    r = fast.json("case", "review-result", str(a), "--challenge", str(cid), "--result", "corrected", "--date", "2026-12-20",
                  "--reason", "示府复决〔2026〕8号", user="li")
    assert r["challenge"]["result"] == "corrected" and r["challenge"]["result_on"] == "2026-12-20"
    h = fast.json("case", "history", str(a))
    actions = [x["action"] for x in h["entries"]]
    assert actions[-2:] == ["review_recorded", "review_result"]
    assert h["entries"][-1]["label"] == "登记行政复议/诉讼结果" and h["entries"][-1]["data"]["result"] == "corrected"
    assert verify(fast)[0] == 0  # the chain stays intact
    # Refusals: a reviewer-only user, a second result, a result before filing, an unknown kind.
    bad = fast("case", "review", str(a), "--kind", "review", "--filed", "2026-11-02", user="zhou")
    assert bad.exit_code == 1 and "权限" in bad.stderr
    bad = fast("case", "review-result", str(a), "--challenge", str(cid), "--result", "upheld", "--date", "2026-12-21", user="zhao")
    assert bad.exit_code == 1 and "不能重复登记" in bad.stderr
    r2 = fast.json("case", "review", str(a), "--kind", "lawsuit_direct", "--filed", "2026-11-10", user="zhao")
    bad = fast("case", "review-result", str(a), "--challenge", str(r2["challenge"]["id"]), "--result", "upheld",
               "--date", "2026-11-01", user="zhao")
    assert bad.exit_code == 1 and "早于提起日期" in bad.stderr
    bad = fast("case", "review", str(a), "--kind", "appeal", "--filed", "2026-11-02", user="zhao")
    assert bad.exit_code == 1 and "lawsuit_after_review" in bad.stderr
    bad = fast("case", "review-result", str(a), "--challenge", "999", "--result", "upheld", "--date", "2026-12-01", user="zhao")
    assert bad.exit_code == 1 and "没有编号为 999" in bad.stderr
    # The legal office stays read-only for case steps.
    assert fast("case", "withdraw", str(a), user="zhao").exit_code == 1


def test_export_dossier(ogi_sqlite, monkeypatch, tmp_path):
    no_letters(monkeypatch)
    ogi = ogi_sqlite
    a = register(ogi, "2026-09-24")
    step(ogi, a, "accept", "2026-09-25")
    step(ogi, a, "extend", "2026-10-20", user="wang", reason="需调取档案", workdays=10)
    answer(ogi, a, accept=None, propose="2026-11-05", deliver="2026-11-06")
    r = ogi.ok("audit", "export", str(a), "--format", "json", user="zhao")
    import json

    d = json.loads(r.stdout)
    assert d["case"]["number"] == "2026-0001" and d["integrity"]["ok"] is True and d["findings"] == []
    answer_clock = next(c for c in d["clocks"] if c["key"] == "answer")
    assert answer_clock["due"] == "2026-11-12"
    assert any("第三十三条第二款" in line for line in answer_clock["explanation"])
    assert [e["action"] for e in d["timeline"]][:2] == ["register", "accept"]
    csv_text = ogi.ok("audit", "export", str(a), "--format", "csv", user="zhao").stdout
    assert csv_text.startswith("类别,序号,日期,事项")
    assert "期限,,2026-11-12,答复期限（条例第三十三条）" in csv_text and "答复期限：2026-10-29 → 2026-11-12" in csv_text
    out = tmp_path / "dossier.csv"
    ogi.ok("audit", "export", str(a), "--format", "csv", "--out", str(out), user="zhao")
    assert out.read_bytes().startswith("\ufeff".encode("utf-8"))
    pdf = tmp_path / "案卷.pdf"
    r = ogi.ok("audit", "export", str(a), "--format", "pdf", "--out", str(pdf), user="zhao")
    assert str(pdf) in r.stdout and pdf.read_bytes()[:5] == b"%PDF-"
    import pypdf

    text = "".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages).replace("\n", "")
    assert "政府信息公开申请办理案卷" in text and "2026-11-12" in text
    bad = ogi("audit", "export", str(a), "--format", "docx", user="zhao")
    assert bad.exit_code == 1 and "pdf" in bad.stderr


def test_pdf_without_the_cjk_font_says_what_to_install(ogi_sqlite, monkeypatch, tmp_path):
    import ogi.letters.pdf as lp

    monkeypatch.setattr(lp, "font_available", lambda: False)
    r = ogi_sqlite("report", "annual", "--year", "2026", "--pdf", "--out", str(tmp_path / "a.pdf"))
    assert r.exit_code == 1
    assert "apt-get install fonts-noto-cjk" in r.stderr and "字体" in r.stderr
    assert not (tmp_path / "a.pdf").exists()
