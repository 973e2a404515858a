"""Text output on an 80-column terminal (and wider): nothing a clerk copies or compares is cut
(case numbers, dates, paths), every symbol has its legend, and every due date says in words
where it stands today (已逾期 N 个工作日、今日到期、还剩 N 个工作日), in `case show`, `case list`,
`case explain` and after every step. OGI_TODAY is 2026-12-31 (conftest): a case received on
2026-09-24 had its answer due on 2026-10-29 and is 45 working days late."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from rich.cells import cell_len

from ogi.commands.render import wrap_line

LONG_NAME = "某某市某某区某某街道某某社区居民委员会（代表张三丰）"
ANSI = "\x1b["


@pytest.fixture
def overdue(ogi_sqlite, monkeypatch):
    """Case 2026-0001: received 2026-09-24, accepted, never answered (due 2026-10-29)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    ogi_sqlite.register("2026-09-24", LONG_NAME)
    ogi_sqlite.ok("case", "accept", "1", "--date", "2026-09-25")
    return ogi_sqlite


def _is_path(line: str) -> bool:
    return line.strip().startswith("/")


def _check_layout(out: str, width: int) -> list[str]:
    """Every line within `width` cells except a path (whole on its own line); every case number
    and date whole; nothing cut with an ellipsis; no colour off a terminal."""
    lines = out.splitlines()
    assert ANSI not in out
    for line in lines:
        if _is_path(line):
            continue
        assert cell_len(line) <= width, f"{cell_len(line)} cells > {width}: {line!r}"
        for token in re.findall(r"20\d\d-[\d-]*", line):
            assert re.fullmatch(r"20\d\d-\d{4}|20\d\d-\d\d-\d\d", token), f"cut: {token!r} in {line!r}"
        assert "…" not in line, line
    return lines


def _legends(out: str) -> None:
    """A legend wherever a symbol is used (a legend wrapped over lines counts)."""
    flat = re.sub(r"\n\s*", "", out)
    if "⏰" in out:
        assert "⏰ 正在计算的期限" in flat
    if any(s in out for s in "░▲◆├"):
        assert "├──┤ 期限起止，░ 暂停计算，▲ 办理步骤，◆ 同日多个步骤" in flat
    if "✓" in out:
        assert "✓ 已保存" in flat
    assert "（—）" not in out and "⚠" not in out


# --------------------------------------------------------------------------- case show

def test_case_show_at_80_columns_says_overdue_and_keeps_paths_whole(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = overdue.ok("case", "show", "1").stdout
    lines = _check_layout(out, 80)
    _legends(out)
    assert "2026-0001" in out
    deadline = next(line for line in lines if line.startswith("  ⏰"))
    # the ⏰ never stands alone: it is on the line with its clock, its date and the words
    assert "答复期限" in deadline and "2026-10-29" in deadline and "已逾期 45 个工作日" in deadline
    assert not any(line.strip() == "⏰" for line in lines)
    # the chart says 已逾期, not 进行中, for the overdue answer period
    chart = next(line for line in lines if line.startswith("答复期限"))
    assert "已逾期" in chart and "进行中" not in chart
    # the letters' folder whole on a line of its own
    folder = str(overdue.home / "letters" / "2026-0001")
    assert any(line.strip() == folder for line in lines)
    # the long applicant name wrapped, none of it lost
    assert LONG_NAME in "".join(line.strip() for line in lines)


def test_case_show_json_carries_the_standing(overdue):
    shown = overdue.json("case", "show", "1")
    answer = next(c for c in shown["clocks"] if c["key"] == "answer")
    assert answer["standing"] == {"kind": "overdue", "workdays": 45, "text": "已逾期 45 个工作日"}
    assert shown["as_of"] == "2026-12-31"


def test_fast_path_prints_the_same_overdue_words(overdue, monkeypatch, capsys):
    from ogi import cli, cli_fast

    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    assert cli_fast.try_fast(["case", "show", "1"]) == 0
    fast = capsys.readouterr().out
    assert cli.main(["case", "show", "1"]) == 0
    assert capsys.readouterr().out == fast and "已逾期 45 个工作日" in fast


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_case_show_fits_any_width(overdue, monkeypatch, width):
    overdue.ok("case", "consult", "1", "--party", "某某市自然资源和规划局（不动产登记中心）", "--kind", "agency",
               "--date", "2026-10-12")
    monkeypatch.setenv("COLUMNS", str(width))
    out = overdue.ok("case", "show", "1").stdout
    _check_layout(out, width)
    _legends(out)
    assert "暂停计算" in out  # the answer clock paused by the consultation, in words


# --------------------------------------------------------------------------- case list

def test_case_list_at_80_columns_keeps_numbers_and_dates_whole(overdue, monkeypatch):
    overdue.register("2026-12-28", "李四")
    monkeypatch.setenv("COLUMNS", "80")
    out = overdue.ok("case", "list").stdout
    lines = _check_layout(out, 80)
    for whole in ("2026-0001", "2026-0002", "2026-10-29", "2027-01-07"):
        assert whole in out
    assert "已逾期 45 个工作日" in out and "还剩 4 个工作日" in out
    # the applicant went first; the list says so
    assert "申请人" not in lines[2] and any("未显示" in line and "申请人" in line for line in lines)


def test_case_list_at_120_columns_shows_more(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    narrow = overdue.ok("case", "list").stdout
    monkeypatch.setenv("COLUMNS", "120")
    wide = overdue.ok("case", "list").stdout
    _check_layout(wide, 120)
    head = lambda out: next(line for line in out.splitlines() if line.startswith("┃"))  # noqa: E731
    assert head(wide).count("┃") > head(narrow).count("┃")
    for col in ("申请人", "经办人", "答复期限"):
        assert col in head(wide) and col not in head(narrow)
    assert "未显示" not in wide


def test_case_list_says_due_today(ogi_sqlite, calendar, monkeypatch):
    # received on the day whose 20th working day after is today (2026-12-31)
    day = dt.date(2026, 12, 31)
    received = next(day - dt.timedelta(days=k) for k in range(20, 60)
                    if calendar.add(day - dt.timedelta(days=k), 20, allow_provisional=True) == day)
    ogi_sqlite.register(received.isoformat())
    ogi_sqlite.ok("case", "accept", "1", "--date", received.isoformat())
    monkeypatch.setenv("COLUMNS", "80")
    assert "今日到期" in ogi_sqlite.ok("case", "list").stdout
    assert "今日到期" in ogi_sqlite.ok("case", "show", "1").stdout
    assert "今日到期" in ogi_sqlite.ok("case", "explain", "1").stdout
    listed = ogi_sqlite.json("case", "list")["cases"][0]
    assert listed["standing"] == {"kind": "due_today", "workdays": 0, "text": "今日到期"}


# --------------------------------------------------------------------------- case explain

def test_case_explain_says_in_words_where_each_clock_stands(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = overdue.ok("case", "explain", "1").stdout
    _check_layout(out, 80)
    _legends(out)
    assert "（截至 2026-12-31）" in out
    assert re.search(r"答复期限（条例第三十三条）：2026-10-29　已逾期 45 个工作日", out)
    assert re.search(r"补正告知期限.*：2026-10-12　已结束", out.replace("\n", ""))
    assert "进行中" not in out
    # an explanation line is indented, and its continuation more: no line starts flush with text
    # that belongs to the line above
    assert not any(line.startswith("收到申请") for line in out.splitlines())


def test_case_explain_of_a_fresh_case_says_what_is_left(ogi_sqlite, monkeypatch):
    ogi_sqlite.register("2026-12-28")
    monkeypatch.setenv("COLUMNS", "80")
    out = ogi_sqlite.ok("case", "explain", "1").stdout
    assert "还剩 4 个工作日" in out  # the correction notice (7 WD after 12-28: 2027-01-07)


# --------------------------------------------------------------------------- every step

STEPS = [
    (("case", "propose", "1", "--outcome", "disclose"), "li"),
    (("case", "decide", "1"), "li"),
    (("case", "approve", "1"), "wang"),
    (("case", "deliver", "1", "--method", "direct"), "li"),
]


def test_every_step_on_an_overdue_case_warns_once(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for argv, user in STEPS:
        r = overdue.json(*argv, user=user)
        late = [w for w in r["step"]["warnings"] if "届满" in w]
        assert late == [w for w in r["step"]["warnings"] if "逾期" in w], argv
        assert len(late) == 1 and "2026-10-29" in late[0] and "已逾期 45 个工作日" in late[0], (argv, late)
    assert "逾期答复" in late[0]  # the delivery says what it is


def test_the_warning_is_printed_in_words(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = overdue.ok("case", "propose", "1", "--outcome", "disclose").stdout
    _check_layout(out, 80)
    _legends(out)
    assert out.count("注意：答复期限已于 2026-10-29 届满，本案已逾期 45 个工作日") == 1
    assert "已逾期 45 个工作日" in next(line for line in out.splitlines() if line.startswith("  ⏰"))


def test_a_step_dated_back_counts_to_its_date(overdue):
    r = overdue.json("case", "propose", "1", "--outcome", "disclose", "--date", "2026-11-03")
    # 10/30, 11/2, 11/3: three working days late on the step's date
    assert r["step"]["warnings"] == ["注意：答复期限已于 2026-10-29 届满，本案已逾期 3 个工作日（按办理日期 2026-11-03 计）"]


def test_a_timely_step_does_not_warn(ogi_sqlite):
    ogi_sqlite.register("2026-09-24")
    r = ogi_sqlite.json("case", "accept", "1", "--date", "2026-09-25")
    assert r["step"]["warnings"] == []
    r = ogi_sqlite.json("case", "propose", "1", "--outcome", "disclose", "--date", "2026-10-29")
    assert r["step"]["warnings"] == []  # the last day is still in time


def test_consultation_after_expiry_warns_once(overdue):
    r = overdue.json("case", "consult", "1", "--party", "某公司", "--kind", "third_party")
    assert len(r["step"]["warnings"]) == 1
    assert "已逾期 45 个工作日" in r["step"]["warnings"][0] and "不再扣除" in r["step"]["warnings"][0]


# --------------------------------------------------------------------------- letter list

def test_letter_list_is_a_table_with_whole_paths(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = overdue.ok("letter", "list", "1").stdout
    lines = _check_layout(out, 80)
    frame = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert frame and len({cell_len(line) for line in frame}) == 1  # CJK columns aligned
    letters = overdue.json("letter", "list", "1")
    assert any(line.strip() == letters[0]["path"] for line in lines)
    assert letters[0]["number"] in out and "登记回执" in out and "已生成" in out


# --------------------------------------------------------------------------- colour

def test_colour_only_on_a_terminal(overdue, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert ANSI not in overdue.ok("case", "list").stdout  # captured: not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")  # as on a terminal
    assert ANSI in overdue.ok("case", "list").stdout
    assert ANSI not in overdue.ok("case", "list", "--json").stdout
    assert ANSI not in overdue.ok("case", "explain", "1", "--json").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    for argv in (("case", "list"), ("case", "explain", "1"), ("case", "show", "1"), ("letter", "list", "1")):
        assert ANSI not in overdue.ok(*argv).stdout, argv
    assert ANSI not in overdue.ok("case", "propose", "1", "--outcome", "disclose").stdout


# --------------------------------------------------------------------------- the line breaker

@pytest.mark.parametrize("width", range(15, 40))  # the indent (5) and a date (10) fit
def test_wrap_line_never_breaks_a_date_or_a_number(width):
    text = "  ⏰ 征求意见答复期限（条例第三十二条、第三十四条：15个工作日）：2026-11-20　还剩 12 个工作日"
    lines = wrap_line(text, width, "     ")
    assert all(cell_len(line) <= width for line in lines)
    squeeze = lambda s: s.replace(" ", "").replace("\u3000", "")  # noqa: E731
    assert squeeze("".join(lines)) == squeeze(text)  # nothing lost
    assert any("2026-11-20" in line for line in lines)
    assert not any(line.strip() in ("⏰", "") for line in lines)
    assert not any(line.lstrip().startswith(("，", "、", "）", "：")) for line in lines[1:])
