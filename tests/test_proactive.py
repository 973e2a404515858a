"""From repeated requests to 主动公开 (条例第四十四条; issue 17), driven through the CLI as clerks,
a reviewer and the legal office would, on SQLite and PostgreSQL: the candidate report groups
requests however worded, a clerk proposes, a reviewer other than the proposer approves or
rejects, the decision is a leaf of the agency's log, approved items make the yearly list (PDF and
CSV) and the annual report's narrative, and a new request for a converted item is told so."""
from __future__ import annotations

import io

import pypdf

from legal_support import no_letters, register, sql

PARAPHRASES = [("张三", "请公开人民路改造工程（2025年）的立项批复文件"),
               ("李四", "2025年人民路改造工程立项批复"),
               ("某公司", "申请获取人民路道路改造工程2025年立项批复复印件")]


def seeded(ogi, monkeypatch) -> list[int]:
    no_letters(monkeypatch)
    ids = [register(ogi, "2026-09-2" + str(i + 1), name, "commercial" if name == "某公司" else "natural", text)
           for i, (name, text) in enumerate(PARAPHRASES)]
    register(ogi, "2026-09-25", "王五", "natural", "2024年人民路改造工程立项批复")   # another year
    register(ogi, "2026-09-25", "赵六", "natural", "2025年解放路改造工程立项批复")   # another road
    return ids


def pdf_text(path) -> str:
    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(open(path, "rb").read())).pages).replace("\n", "")


def test_the_conversion_workflow_end_to_end(ogi, monkeypatch, tmp_path):
    seeded(ogi, monkeypatch)
    r = ogi.json("report", "repeated", user="zhao")
    [group] = r["items"]
    assert group["cases"] == ["2026-0001", "2026-0002", "2026-0003"] and group["applicants"] == 3
    assert "人民路" in group["why"] and "2025" in group["why"] and group["proactive"] is None
    text = ogi.ok("report", "repeated", user="zhao").stdout
    assert "视为相同的理由" in text and "ogi proactive propose" in text and "2026-0004" not in text

    proposed = ogi.json("proactive", "propose", "--title", "人民路改造工程立项批复", "--number", "某发改[2025]12号",
                        "--issuer", "某市发展和改革委员会", "--case", "2026-0001", "--case", "2026-0002",
                        "--case", "3", "--reason", "2026年有3个申请人申请")
    assert proposed["number"] == "2026-001" and proposed["state"] == "proposed" and proposed["applicants"] == 3
    assert proposed["doc_number"] == "某发改〔2025〕12号"  # brackets as GB/T 9704 prints them
    again = ogi("proactive", "propose", "--title", "人民路改造工程立项批复", "--number", "某发改〔2025〕12号",
                "--reason", "再提")
    assert again.exit_code != 0 and "已有转主动公开事项 2026-001" in again.stderr + again.stdout
    # Four eyes, and a reviewer's role: the clerk cannot approve; a reviewer can.
    refused = ogi("proactive", "approve", "2026-001", "--location", "门户网站", user="li")
    assert refused.exit_code != 0 and "没有审核转为主动公开的权限" in refused.stderr + refused.stdout
    approved = ogi.ok("proactive", "approve", "2026-001", "--location", "本机关门户网站—法定主动公开内容",
                      "--reason", "同意", user="wang").stdout
    assert "已转为主动公开" in approved and "ogi report proactive --year 2026" in approved
    twice = ogi("proactive", "reject", "2026-001", "--reason", "不同意", user="zhou")
    assert twice.exit_code != 0 and "不能再次审核" in twice.stderr + twice.stdout

    # In the log, with its article; verify names any edit of the row.
    body = sql(ogi, "SELECT body FROM ledger_leaf WHERE kind = 'proactive' ORDER BY idx")
    assert len(body) == 2 and "第四十四条" in body[-1][0] and '"approve"' in body[-1][0]
    assert ogi("audit", "verify", user="zhao").exit_code == 0
    sql(ogi, "UPDATE proactive_item SET location = '别处' WHERE number = '2026-001'")
    bad = ogi("audit", "verify", "--json", user="zhao")
    assert bad.exit_code == 1 and [b["problem"] for b in bad.json["broken"]] == [
        "转主动公开事项 2026-001 的 location 与日志第 %d 条记录的不符：事项表被改动" % (
            sql(ogi, "SELECT MAX(idx) FROM ledger_leaf WHERE kind = 'proactive'")[0][0])]
    sql(ogi, "UPDATE proactive_item SET location = '本机关门户网站—法定主动公开内容' WHERE number = '2026-001'")
    assert ogi("audit", "verify", user="zhao").exit_code == 0

    # The yearly list: PDF and CSV, with the checkpoint line.
    out = tmp_path / "目录.pdf"
    ogi.ok("report", "proactive", "--year", "2026", "--pdf", "--out", str(out), user="zhao")
    text = pdf_text(out)
    assert "2026年度依申请公开转为主动公开的政府信息目录" in text and "人民路改造工程立项批复" in text
    assert "本机关门户网站" in text and "第四十四条" in text and "日志检查点" in text
    csv_out = tmp_path / "目录.csv"
    ogi.ok("report", "proactive", "--year", "2026", "--csv", "--out", str(csv_out), user="zhao")
    lines = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("序号,事项编号,信息名称") and "2026-001" in lines[1] and len(lines) == 2
    assert ogi.json("report", "proactive", "--year", "2025", user="zhao")["items"] == []

    # The annual report's narrative section.
    annual = tmp_path / "年报.pdf"
    ogi.ok("report", "annual", "--year", "2026", "--pdf", "--out", str(annual), user="zhao")
    text = pdf_text(annual)
    assert "六、其他需要报告的事项" in text and "转为主动公开的政府信息 1 项" in text

    # The report shows the group converted; a new request is told where the item is published.
    assert ogi.json("report", "repeated", user="zhao")["items"][0]["proactive"]["number"] == "2026-001"
    new = ogi.json("case", "register", "--applicant", "孙七", "--applicant-type", "natural", "--channel", "in_person",
                   "--received", "2026-12-01", "--description", "人民路改造工程2025年立项批复文件")
    [hint] = new["warnings"]
    assert "事项 2026-001" in hint and "本机关门户网站—法定主动公开内容" in hint
    assert f"ogi case propose {new['number']} --outcome disclose_already_public" in hint
    other = ogi.json("case", "register", "--applicant", "周八", "--applicant-type", "natural", "--channel", "in_person",
                     "--received", "2026-12-01", "--description", "2024年人民路改造工程立项批复")
    assert other["warnings"] == []


def test_rejection_and_bad_input(ogi, monkeypatch):
    seeded(ogi, monkeypatch)
    ogi.ok("proactive", "propose", "--title", "2025年部门预算", "--reason", "多人申请", user="chen")
    r = ogi("proactive", "reject", "2026-001", "--reason", "", user="wang")
    assert r.exit_code != 0 and "请填写审核意见" in r.stderr + r.stdout
    own = ogi("proactive", "approve", "2026-001", "--location", "x", user="chen")
    assert own.exit_code != 0
    rejected = ogi.json("proactive", "reject", "2026-001", "--reason", "涉及内部事务，不宜主动公开", user="wang")
    assert rejected["state"] == "rejected" and rejected["decision_reason"] == "涉及内部事务，不宜主动公开"
    for args in (("propose", "--title", "", "--reason", "x"), ("propose", "--title", "x", "--reason", "y", "--case", "9999"),
                 ("propose", "--title", "x", "--reason", "y", "--date", "2027-05-01"), ("approve", "2026-777", "--location", "x"),
                 ("propose", "--title", "a\x07b", "--reason", "y")):
        before = sql(ogi, "SELECT COUNT(*) FROM proactive_item")[0][0]
        bad = ogi("proactive", *args, user="wang" if args[0] == "approve" else "li")
        assert bad.exit_code != 0 and "Traceback" not in bad.stderr + bad.stdout, args
        assert sql(ogi, "SELECT COUNT(*) FROM proactive_item")[0][0] == before
    listed = ogi.json("proactive", "list", "--state", "rejected", user="zhao")["items"]
    assert [x["number"] for x in listed] == ["2026-001"]
    assert "不予转化" in ogi.ok("proactive", "list", user="zhao").stdout
    assert ogi("proactive", "list", "--state", "nope", user="zhao").exit_code != 0
    # A rejected item may be proposed again later (a new number).
    again = ogi.json("proactive", "propose", "--title", "2025年部门预算", "--reason", "又有申请")
    assert again["number"] == "2026-002"


def test_withheld_information_is_not_converted(ogi, monkeypatch):
    from legal_support import answer

    no_letters(monkeypatch)
    a = register(ogi, "2026-09-21", "张三", "natural", "某会议纪要")
    answer(ogi, a, accept="2026-09-22", propose="2026-09-28", deliver="2026-09-30", outcome="withhold_internal",
           reason="属于内部事务信息")
    r = ogi("proactive", "propose", "--title", "某会议纪要", "--reason", "多人申请", "--case", str(a))
    assert r.exit_code == 1 and "不属于可以公开的政府信息" in r.stderr + r.stdout and "第四十四条" in r.stderr + r.stdout
    assert sql(ogi, "SELECT COUNT(*) FROM proactive_item")[0][0] == 0


def test_thresholds_are_configuration(ogi_sqlite, monkeypatch):
    ogi = ogi_sqlite
    seeded(ogi, monkeypatch)
    assert len(ogi.json("report", "repeated", user="zhao")["items"]) == 1
    cfg = ogi.home / "ogi.toml"
    # A threshold low enough to take 解放路 for 人民路 (score ~0.26): the setting is what decides.
    cfg.write_text(cfg.read_text(encoding="utf-8") + "\n[repeated]\nscore = 0.2\n", encoding="utf-8")
    [group] = ogi.json("report", "repeated", user="zhao")["items"]
    assert "2026-0005" in group["cases"] and "2026-0004" not in group["cases"]  # years still must agree
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("score = 0.2", "scor = 1"), encoding="utf-8")
    bad = ogi("report", "repeated", user="zhao")
    assert bad.exit_code != 0 and "[repeated]" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr


def test_recorded_items_match_first(ogi, monkeypatch):
    """Two requests worded too differently for the similarity, answered with the same recorded
    item (case propose --item): the report groups them on the item and shows it."""
    no_letters(monkeypatch)
    a = register(ogi, "2026-09-21", "张三", "natural", "人民路那个项目当年的批准文件")
    b = register(ogi, "2026-09-22", "李四", "natural", "发改委给旧城改造下的文")
    for cid, title in ((a, "人民路改造工程立项批复"), (b, "关于人民路改造工程立项的批复")):  # one 文号, two titles
        ogi.ok("case", "accept", str(cid), "--date", "2026-09-23")
        ogi.ok("case", "propose", str(cid), "--outcome", "disclose", "--date", "2026-09-28",
               "--item", f"{title}｜某发改[2025]12号｜某市发展和改革委员会")
    assert ogi.json("report", "repeated", "--min-applicants", "2", user="zhao")["items"][0]["cases"] == [
        "2026-0001", "2026-0002"]
    [group] = ogi.json("report", "repeated", user="zhao")["items"]
    assert group["items"] == [{"title": "人民路改造工程立项批复", "number": "某发改〔2025〕12号", "body": "某市发展和改革委员会"}]
    text = ogi.ok("report", "repeated", user="zhao").stdout
    assert "1. 人民路改造工程立项批复（某发改〔2025〕12号）\n" in text
    assert "ogi proactive propose --title \"…\" --reason \"…\" --case 2026-0001 --case 2026-0002\n" in text


def test_a_proposal_sent_back_no_longer_counts_its_items(ogi_sqlite, monkeypatch):
    ogi = ogi_sqlite
    no_letters(monkeypatch)
    a = register(ogi, "2026-09-21", "张三", "natural", "人民路那个项目当年的批准文件")
    b = register(ogi, "2026-09-22", "李四", "natural", "发改委给旧城改造下的文")
    for cid in (a, b):
        ogi.ok("case", "accept", str(cid), "--date", "2026-09-23")
        ogi.ok("case", "propose", str(cid), "--outcome", "disclose", "--date", "2026-09-28",
               "--item", "人民路改造工程立项批复｜某发改〔2025〕12号")
    assert len(ogi.json("report", "repeated", user="zhao")["items"]) == 1
    ogi.ok("case", "decide", str(b), "--date", "2026-09-28")
    ogi.ok("case", "send-back", str(b), "--reason", "请核实所需信息", "--date", "2026-09-29", user="wang")
    ogi.ok("case", "propose", str(b), "--outcome", "unable_not_held", "--date", "2026-09-30")
    assert ogi.json("report", "repeated", user="zhao")["items"] == []
