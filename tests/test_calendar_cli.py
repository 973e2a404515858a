"""`ogi calendar ...` through the CLI: add / count / show / explain / years / import, the horizon
messages, bad input, and importing a year (admin only, validated, recomputing open cases in one
transaction). Storage-touching tests run on SQLite and PostgreSQL (`ogi` fixture)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from calendar_support import FAKE_2027, fake_2028  # fictitious, test-only data (never shipped)


def write(tmp_path, name: str, content: str):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    return p


@pytest.fixture
def bare(tmp_path, monkeypatch, capsys):
    """`ogi` on a fresh home without a database: the calendar commands need none (fast)."""
    from conftest import FIXED_TODAY, Ogi

    home = tmp_path / "no-db"
    monkeypatch.setenv("OGI_HOME", str(home))
    monkeypatch.setenv("OGI_TODAY", FIXED_TODAY)
    monkeypatch.delenv("OGI_DATABASE_URL", raising=False)
    monkeypatch.delenv("OGI_CONFIG", raising=False)
    yield Ogi(capsys, home, "")
    assert not (home / "ogi.db").exists()  # read-only commands never create a database


def snapshot(ogi) -> dict:
    eng = create_engine(ogi.url)
    with eng.connect() as c:
        out = {
            "calendar": c.execute(text("SELECT year, sha256, imported_at, imported_by FROM calendar_year ORDER BY year")).all(),
            "cases": c.execute(text("SELECT id, version, answer_due, next_due, provisional FROM cases ORDER BY id")).all(),
            "events": c.execute(text("SELECT COUNT(*), MAX(id) FROM history_event")).one(),
        }
    eng.dispose()
    return out


# --------------------------------------------------------------------------- add / count

def test_add_prints_the_due_date(bare):
    # 9/28–30 = 1–3; 10/8, 9 = 4, 5; 10/10 (make-up Sat) = 6; 10/12–16 = 7–11; 10/19–23 = 12–16;
    # 10/26–29 = 17–20.
    r = bare.ok("calendar", "add", "2026-09-24", "20")
    assert r.stdout == "2026-10-29\n"
    assert bare.json("calendar", "add", "2026-09-24", "20") == {
        "start": "2026-09-24", "workdays": 20, "due": "2026-10-29", "provisional": False}
    assert bare.json("calendar", "count", "2026-09-24", "2026-10-29")["workdays"] == 20


@pytest.mark.parametrize("start, n, due", [
    ("2026-02-14", "20", "2026-03-20"),  # receipt on the make-up Saturday (hand computation in test_calendar_core)
    ("2026-09-20", "20", "2026-10-23"),  # receipt on the make-up Sunday
    ("2026-10-01", "20", "2026-11-03"),  # receipt on a holiday
    ("2026-02-06", "20", "2026-03-12"),  # across 春节
    ("2025-12-25", "10", "2026-01-09"),  # across the year boundary
    ("2026/9/24", "20", "2026-10-29"),   # other accepted date forms
    ("2026年9月24日", "20", "2026-10-29"),
])
def test_add_examples(bare, start, n, due):
    assert bare.json("calendar", "add", start, n)["due"] == due


def test_a_2027_date_is_refused_unless_provisional_is_allowed(bare):
    for args in (("add", "2026-12-20", "10"), ("add", "2027-01-05", "3"), ("count", "2026-12-01", "2027-01-10"),
                 ("explain", "2026-12-28", "5"), ("show", "2027")):
        r = bare("calendar", *args)
        assert r.exit_code == 1, args
        assert "2027 年" in r.stderr and "ogi calendar import" in r.stderr, args
        assert "Traceback" not in r.stderr + r.stdout
    r = bare("calendar", "add", "2026-12-20", "10", "--json")
    assert r.exit_code == 1
    assert r.json["error"] == "calendar_missing" and r.json["details"]["missing_years"] == [2027]
    # Provisional (放假办法 2024, no make-up days): 12/21–25 = 1–5; 12/28–31 = 6–9; 2027-01-01 off
    # (元旦), 1/2–3 weekend; 1/4 = 10.
    assert bare.json("calendar", "add", "2026-12-20", "10", "--allow-provisional") == {
        "start": "2026-12-20", "workdays": 10, "due": "2027-01-04", "provisional": True}
    r = bare.ok("calendar", "add", "2026-12-20", "10", "--allow-provisional")
    assert r.stdout.startswith("2027-01-04") and "暂定" in r.stdout
    assert bare.json("calendar", "add", "2026-09-24", "20", "--allow-provisional")["provisional"] is False


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "abc", "", "2026-9"])
def test_malformed_dates_exit_1_in_chinese(bare, bad):
    for args in (("add", bad, "5"), ("count", bad, "2026-10-01"), ("count", "2026-10-01", bad), ("explain", bad, "5")):
        r = bare("calendar", *args)
        assert r.exit_code == 1, args
        assert r.stderr.startswith("错误：") and ("无法识别" in r.stderr or "不存在" in r.stderr)
        assert "Traceback" not in r.stderr
    r = bare("calendar", "add", "2026-02-30", "5")
    assert "2026-02-30" in r.stderr and "不存在" in r.stderr


@pytest.mark.parametrize("args", [
    ("add", "2026-09-24", "-3"),
    ("add", "2026-09-24", "--", "-3"),
    ("explain", "2026-09-24", "--", "-1"),
    ("add", "2026-09-24", "twenty"),
    ("add", "2026-09-24"),
    ("show", "abc"),
    ("show", "1800"),
])
def test_usage_errors_exit_2(bare, args):
    r = bare("calendar", *args)
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr


# --------------------------------------------------------------------------- show / explain / years

def test_show_draws_the_year_and_names_the_notice(bare):
    out = bare.ok("calendar", "show", "2026").stdout
    assert "国务院办公厅关于2026年部分节假日安排的通知" in out
    for month in range(1, 13):
        assert f"{month}月" in out
    assert "14班" in out and "20班" in out and "10班" in out  # make-up days 2/14, 9/20, 10/10
    assert " 1休" in out and "23休" in out  # e.g. 10/1, 2/23
    for name in ("春节放假", "国庆节放假", "中秋节调休上班", "元旦", "清明节", "劳动节", "端午节"):
        assert name in out
    assert "全年工作日 248 天" in out


def test_show_json(bare):
    v = bare.json("calendar", "show", "2026")
    assert v["year"] == 2026 and v["provisional"] is False and v["source"] == "shipped"
    assert v["notice"] == "国务院办公厅关于2026年部分节假日安排的通知" and v["published"] == "2025-11-04"
    off = {x["date"]: x["name"] for x in v["days_off"]}
    assert off["2026-10-01"] == "国庆节" and off["2026-02-15"] == "春节" and len(off) == 33
    assert [x["date"] for x in v["makeup_workdays"]] == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                                         "2026-09-20", "2026-10-10"]
    assert v["workdays_total"] == 248  # 261 weekdays - 19 weekdays off + 6 make-up days
    old = bare.json("calendar", "show", "2024")
    assert old["number"] == "国办发明电〔2023〕7号" and old["workdays_total"] == 251


def test_show_provisional_year(bare):
    v = bare.json("calendar", "show", "2027", "--allow-provisional")
    assert v["provisional"] is True and v["notice"] is None and v["makeup_workdays"] == []
    assert {x["date"] for x in v["days_off"]} >= {"2027-01-01", "2027-02-05", "2027-10-03"}
    out = bare.ok("calendar", "show", "2027", "--allow-provisional").stdout
    assert "暂定" in out and "ogi calendar import" in out


def test_explain_lists_counted_and_skipped_days(bare):
    r = bare.json("calendar", "explain", "2026-09-24", "20")
    assert r["due"] == "2026-10-29" and r["provisional"] is False
    assert r["calendar_days"] == 35 and r["skipped"] == 15
    assert r["skipped_holiday"] == 10 and r["skipped_weekend"] == 5
    days = {d["date"]: d for d in r["days"]}
    assert len(days) == 35
    assert days["2026-09-25"]["counted"] is None and days["2026-09-25"]["reason"] == "中秋节放假"
    assert days["2026-10-01"]["reason"] == "国庆节放假"
    assert days["2026-10-10"]["counted"] == 6 and days["2026-10-10"]["reason"] == "国庆节调休上班"
    assert days["2026-10-11"]["reason"] == "周日" and days["2026-10-11"]["weekday"] == "星期日"
    assert days["2026-10-29"]["counted"] == 20
    assert r["notices"] == [{"year": 2026, "notice": "国务院办公厅关于2026年部分节假日安排的通知", "provisional": False}]
    out = bare.ok("calendar", "explain", "2026-09-24", "20").stdout
    assert "民法典第二百零一条" in out and "第 20 个工作日为 2026-10-29" in out
    assert "国庆节放假" in out and "不计入" in out and "国庆节调休上班" in out


def test_explain_across_years_marks_provisional_days(bare):
    r = bare.json("calendar", "explain", "2026-12-30", "3", "--allow-provisional")
    assert r["due"] == "2027-01-05" and r["provisional"] is True
    assert [(d["date"], d["counted"], d["provisional"]) for d in r["days"]] == [
        ("2026-12-31", 1, False), ("2027-01-01", None, True), ("2027-01-02", None, True),
        ("2027-01-03", None, True), ("2027-01-04", 2, True), ("2027-01-05", 3, True)]
    assert [n["provisional"] for n in r["notices"]] == [False, True]


def test_years_before_init(bare, tmp_path):
    r = bare.json("calendar", "years")
    assert [(y["year"], y["source"]) for y in r["years"]] == [(2024, "shipped"), (2025, "shipped"), (2026, "shipped")]
    r = bare("calendar", "import", str(write(tmp_path, "2027.toml", FAKE_2027)), user="admin")
    assert r.exit_code == 1 and "ogi init" in r.stderr


def test_years(ogi_sqlite):
    r = ogi_sqlite.json("calendar", "years")
    assert [(y["year"], y["source"]) for y in r["years"]] == [(2024, "shipped"), (2025, "shipped"), (2026, "shipped")]
    assert r["horizon"] == {"first": "2024-01-01", "last": "2026-12-31"} and r["gaps"] == []
    assert r["years"][1]["number"] == "国办发明电〔2024〕12号"
    out = ogi_sqlite.ok("calendar", "years").stdout
    assert "随软件提供" in out and "2026-12-31" in out and "ogi calendar import" in out


# --------------------------------------------------------------------------- import

def test_import_recomputes_provisional_cases(ogi, tmp_path):
    # Registered Thu 2026-12-10: 12/11 = 1; 12/14–18 = 2–6; 12/21–25 = 7–11; 12/28–31 = 12–15;
    # provisional 2027: 1/1 off, 1/4–8 = 16–20 -> 2027-01-08 (provisional).
    case = ogi.register("2026-12-10")
    assert case["deadlines"]["answer_due"] == "2027-01-08" and case["provisional"]["answer"] is True
    other_case = ogi.register("2026-09-24")  # an open case that needs no change
    before = snapshot(ogi)

    path = write(tmp_path, "2027.toml", FAKE_2027)
    r = ogi.json("calendar", "import", str(path), user="admin")
    assert r["year"] == 2027 and r["replaced"] is False and r["previous"] is None and r["unchanged"] is False
    assert r["imported_by"] == "admin" and len(r["sha256"]) == 64
    # Fictitious 2027: 1/1–1/4 off, so 1/5–8 = 16–19 and 1/11 = 20.
    assert r["changed_cases"] == [{"case": case["number"],
                                   "before": {"answer_due": "2027-01-08", "next_due": "2026-12-21", "provisional": True},
                                   "after": {"answer_due": "2027-01-11", "next_due": "2026-12-21", "provisional": False}}]
    shown = ogi.json("case", "show", case["number"])
    assert shown["deadlines"]["answer_due"] == "2027-01-11" and shown["provisional"]["answer"] is False
    event = shown["history"][-1]
    assert event["action"] == "recompute" and event["actor"] == "admin"
    assert "2027" in event["reason"] and "测试用虚构通知" in event["reason"]
    assert event["data"]["before"]["provisional"] is True and event["data"]["after"]["provisional"] is False
    other = ogi.json("case", "show", other_case["number"])
    assert "recompute" not in [e["action"] for e in other["history"]]  # unchanged case: no event

    after = snapshot(ogi)
    assert [row[0] for row in after["calendar"]] == [2027]
    assert after["events"][0] == before["events"][0] + 1

    # the calendar now answers 2027 officially, for everyone on this database
    assert ogi.json("calendar", "add", "2026-12-20", "10") == {
        "start": "2026-12-20", "workdays": 10, "due": "2027-01-05", "provisional": False}
    years = ogi.json("calendar", "years")
    assert [(y["year"], y["source"]) for y in years["years"]][-1] == (2027, "imported")
    assert years["horizon"]["last"] == "2027-12-31"
    shown = ogi.json("calendar", "show", "2027")
    assert shown["source"] == "imported" and shown["imported_by"] == "admin"

    # the same file again: nothing to do; another file needs --replace
    again = ogi.json("calendar", "import", str(path), user="admin")
    assert again["unchanged"] is True and again["changed_cases"] == []
    changed = write(tmp_path, "2027b.toml", FAKE_2027.replace("workdays = [2027-10-09]", "workdays = [2027-10-10]"))
    refused = ogi("calendar", "import", str(changed), user="admin")
    assert refused.exit_code == 1 and "--replace" in refused.stderr and "2027 年" in refused.stderr
    assert snapshot(ogi) == after
    replaced = ogi.json("calendar", "import", str(changed), "--replace", user="admin")
    assert replaced["replaced"] is True and replaced["previous"]["sha256"] == r["sha256"]
    assert replaced["changed_cases"] == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda t: t.replace("workdays = [2027-10-09]", "workdays = [2027-10-11]"), "调休上班日只能是周六或周日"),
    (lambda t: t.replace("off = [2027-10-01, 2027-10-07]", "off = [2027-10-01, 2027-10-02]"), "遗漏了法定节假日 2027-10-03"),
    (lambda t: t.replace("off = [2027-06-09, 2027-06-09]", "off = [2027-06-09, 2027-06-09]\nworkdays = [2027-05-01]"), "重复出现"),
    (lambda t: t.replace("workdays = [2027-10-09]", "workdays = [2028-01-08]"), "不在 2027 年"),
    (lambda t: "not = toml = at all", "格式错误（TOML）"),
    (lambda t: t.replace('notice = "测试用虚构通知（并非国务院办公厅通知）"\n', ""), "未写明所依据的国务院办公厅通知"),
])
def test_a_bad_file_is_refused_and_changes_nothing(ogi_sqlite, tmp_path, mutate, expected):
    ogi = ogi_sqlite
    before = snapshot(ogi)
    path = write(tmp_path, "next.toml", mutate(FAKE_2027))
    r = ogi("calendar", "import", str(path), user="admin")
    assert r.exit_code == 1 and expected in r.stderr and r.stderr.startswith("错误：")
    assert snapshot(ogi) == before
    r = ogi("calendar", "import", str(path), "--json", user="admin")
    assert r.json["error"] == "bad_year_file" and expected in r.json["message"]


def test_bad_import_changes_nothing_on_both_backends(ogi, tmp_path):
    ogi.register("2026-12-10")
    before = snapshot(ogi)
    path = write(tmp_path, "2027.toml", FAKE_2027.replace("off = [2027-10-01, 2027-10-07]", "off = [2027-10-04, 2027-10-07]"))
    r = ogi("calendar", "import", str(path), user="admin")
    assert r.exit_code == 1 and "遗漏了法定节假日 2027-10-01" in r.stderr
    assert snapshot(ogi) == before
    assert ogi.json("case", "show", "1")["provisional"]["answer"] is True


def test_import_is_for_admins_only(ogi_sqlite, tmp_path):
    path = write(tmp_path, "2027.toml", FAKE_2027)
    before = snapshot(ogi_sqlite)
    for user in ("li", "wang", "zhao"):
        r = ogi_sqlite("calendar", "import", str(path), user=user)
        assert r.exit_code == 1 and "系统管理员" in r.stderr
    r = ogi_sqlite("calendar", "import", str(path), "--json", user="li")
    assert r.json["error"] == "permission_denied"
    assert snapshot(ogi_sqlite) == before
    assert ogi_sqlite.json("calendar", "import", str(path), "--as", "admin", user="li")["year"] == 2027


def test_import_refusals_about_the_file_itself(ogi_sqlite, tmp_path):
    ogi = ogi_sqlite
    r = ogi("calendar", "import", str(tmp_path / "missing.toml"), user="admin")
    assert r.exit_code == 1 and "找不到文件" in r.stderr
    r = ogi("calendar", "import", str(tmp_path), user="admin")
    assert r.exit_code == 1 and "目录" in r.stderr
    latin = tmp_path / "gbk.toml"
    latin.write_bytes(FAKE_2027.encode("gbk"))
    r = ogi("calendar", "import", str(latin), user="admin")
    assert r.exit_code == 1 and "UTF-8" in r.stderr
    named = write(tmp_path, "2028.toml", FAKE_2027)
    r = ogi("calendar", "import", str(named), user="admin")
    assert r.exit_code == 1 and "文件名表示 2028 年，但文件内容为 2027 年" in r.stderr
    assert snapshot(ogi)["calendar"] == []


def test_replacing_a_shipped_year_needs_replace(ogi_sqlite, tmp_path):
    from ogi.calendars import bundled_years

    ogi = ogi_sqlite
    shipped = next(y for y in bundled_years() if y.year == 2026).source_text
    same = write(tmp_path, "2026.toml", shipped)
    assert ogi.json("calendar", "import", str(same), user="admin")["unchanged"] is True
    edited = write(tmp_path, "2026b.toml", shipped.replace('number = ""', 'number = "国办发明电〔2025〕7号"'))
    r = ogi("calendar", "import", str(edited), user="admin")
    assert r.exit_code == 1 and "随软件提供" in r.stderr and "--replace" in r.stderr
    r = ogi.json("calendar", "import", str(edited), "--replace", user="admin")
    assert r["replaced"] is True and r["previous"]["source"] == "shipped"
    y2026 = ogi.json("calendar", "years")["years"][2]
    assert y2026["source"] == "imported" and y2026["supersedes_shipped"] is True
    assert y2026["number"] == "国办发明电〔2025〕7号"


def test_conflicting_notices_for_the_same_december_day_are_refused(ogi_sqlite, tmp_path):
    # A notice may put a make-up day into the previous December, but not onto a day the previous
    # year's notice already arranges: import (fictitious) 2027 with Saturday 2027-12-25 off, then a
    # (fictitious) 2028 file making that day a make-up working day.
    ogi = ogi_sqlite
    text27 = FAKE_2027 + '\n[[holiday]]\nname = "岁末"\noff = [2027-12-25, 2027-12-25]\n'
    ogi.ok("calendar", "import", str(write(tmp_path, "a.toml", text27)), user="admin")
    before = snapshot(ogi)
    text28 = fake_2028().replace("workdays = []", "workdays = [2027-12-25]", 1)
    r = ogi("calendar", "import", str(write(tmp_path, "b.toml", text28)), user="admin")
    assert r.exit_code == 1 and "2027-12-25" in r.stderr and "冲突" in r.stderr
    assert snapshot(ogi) == before
    ok = fake_2028().replace("workdays = []", "workdays = [2027-12-26]", 1)  # a free Sunday: fine
    assert ogi.json("calendar", "import", str(write(tmp_path, "c.toml", ok)), user="admin")["year"] == 2028
    assert ogi.json("calendar", "add", "2027-12-24", "1")["due"] == "2027-12-26"
