"""Hostile input through the CLI: every bad value gets one clear Chinese line on stderr, exit 1
(2 for command-line usage errors), never a traceback, and changes nothing (every row of every
table identical before and after). Legitimate but awkward names are stored verbatim, and letters
escape every user-supplied field."""
from __future__ import annotations

import os

import pytest

from reliability_support import has_cjk, snapshot

BAD_DATES = ["2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "", " ", "２０２６-０９-２４",
             "2026-09-24T10:00", "1900-01-01", "2026-9-24-1", "24/09/2026", "tomorrow", "2026-09-24\x00",
             "\x1b[31m2026-09-24", "2026-09-24" * 2000, "-1", "2026-00-10", "2026-02-29"]
CONTROL = ["\x00", "\x1b[31m红色\x1b[0m", "甲\u202e乙", "\x07", "a\rb", "甲\u2028乙", "\ufeff张三", "\x7f"]
INJECTION = ["'; DROP TABLE cases; --", "1 OR 1=1", "\" OR \"\"=\"", "{{ 7*7 }}", "{% raw %}", "${7*7}",
             "<script>alert(1)</script>", "../../etc/passwd"]
UNKNOWN_IDS = ["0", "-1", "999999", "abc", "2026-9999", "99999999999999999999999", "１", "1; DROP TABLE cases",
               "\x1b[2J", "", " ", "1.0", "0x1", "1e3"]


def expect_refusal(ogi, argv, *, user="li", codes=(1, 2), what=""):
    """Run one hostile command; assert the refusal is clean and nothing changed."""
    before = snapshot(ogi.url)
    r = ogi(*argv, user=user)
    shown = what or " ".join(map(repr, argv))[:200]
    assert r.exit_code in codes, f"{shown}: exit {r.exit_code}\n{r.stdout[-500:]}{r.stderr[-500:]}"
    out = r.stdout + r.stderr
    assert "Traceback" not in out, f"{shown}: traceback\n{out[-2000:]}"
    assert "内部错误" not in out, f"{shown}: reached the last line of defence: {r.stderr}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"{shown}: expected one line on stderr, got {len(lines)}: {r.stderr[:500]!r}"
    assert has_cjk(lines[0]), f"{shown}: not Chinese: {lines[0]!r}"
    assert "\x1b" not in r.stderr and "\x00" not in r.stderr, f"{shown}: control characters echoed: {r.stderr!r}"
    assert len(r.stderr) < 1200, f"{shown}: {len(r.stderr)} characters on stderr"
    assert snapshot(ogi.url) == before, f"{shown}: the refused command changed the database"
    return r


REGISTER = ["case", "register", "--applicant-type", "natural", "--channel", "in_person", "--received", "2026-09-24",
            "--description", "某道路改造工程立项批复"]


@pytest.fixture
def seeded(ogi):
    """Two cases: 1 is accepted, 2 is only registered."""
    ogi.register(name="O'Brien")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    ogi.register(name="张三<script>")
    return ogi


def test_bad_dates_everywhere(seeded):
    ogi = seeded
    for bad in BAD_DATES:
        expect_refusal(ogi, ["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel",
                             "in_person", "--received", bad, "--description", "x"], what=f"register --received {bad[:30]!r}")
        expect_refusal(ogi, ["case", "accept", "2", "--date", bad], what=f"accept --date {bad[:30]!r}")
        expect_refusal(ogi, ["case", "extend", "1", "--workdays", "5", "--reason", "r", "--date", bad],
                       user="wang", what=f"extend --date {bad[:30]!r}")
        expect_refusal(ogi, ["case", "list", "--as-of", bad], what=f"list --as-of {bad[:30]!r}")
    expect_refusal(ogi, ["case", "delay", "1", "--until", "2026-02-30", "--reason", "r"], user="wang")
    expect_refusal(ogi, ["case", "register", *REGISTER[2:6], "--received", "2026-09-24", "--confirmed", "2026-13-01",
                         "--applicant", "张三", "--description", "x"])


def test_control_characters_and_huge_text_are_refused(seeded):
    ogi = seeded
    for bad in CONTROL:
        for field in ("--applicant", "--description", "--address", "--requested-form"):
            argv = ["case", "register", "--applicant", "张三", *REGISTER[2:]]
            if field in argv:
                argv[argv.index(field) + 1] = bad
            else:
                argv += [field, bad]
            expect_refusal(ogi, argv, what=f"register {field} {bad!r}")
        expect_refusal(ogi, ["case", "send-back", "2", "--reason", bad], user="wang", what=f"reason {bad!r}")
        expect_refusal(ogi, ["case", "request-correction", "1", "--items", f"请补充{bad}", "--date", "2026-09-28"],
                       what=f"items {bad!r}")
        expect_refusal(ogi, ["case", "consult", "1", "--party", f"某公司{bad}", "--kind", "third_party",
                             "--date", "2026-09-28"], what=f"party {bad!r}")
    huge = "很" * (1 << 20)  # 1 MB of text
    expect_refusal(ogi, ["case", "register", "--applicant", "张三", *REGISTER[2:-1], huge], what="1 MB description")
    expect_refusal(ogi, ["case", "register", "--applicant", huge, *REGISTER[2:]], what="1 MB name")
    expect_refusal(ogi, ["case", "propose", "1", "--outcome", "partial", "--reason", "r", "--withheld", huge],
                   what="1 MB withheld")
    expect_refusal(ogi, ["case", "request-correction", "1", "--items", huge, "--date", "2026-09-28"], what="1 MB items")
    expect_refusal(ogi, ["case", "withdraw", "1", "--reason", huge], what="1 MB reason")


def test_unknown_values_and_numbers(seeded):
    ogi = seeded
    # Chinese labels are accepted (tests/test_cli_codes_chinese.py): 外星人 is no label of any option.
    for bad in ["bogus", "NATURAL", "外星人", "", "natural; DROP TABLE cases", "\x1b[31mnatural"]:
        expect_refusal(ogi, ["case", "register", "--applicant", "张三", "--applicant-type", bad, *REGISTER[4:]],
                       what=f"applicant type {bad!r}")
        expect_refusal(ogi, ["case", "register", "--applicant", "张三", *REGISTER[2:4], "--channel", bad, *REGISTER[6:]],
                       what=f"channel {bad!r}")
        expect_refusal(ogi, ["case", "propose", "1", "--outcome", bad], what=f"outcome {bad!r}")
        expect_refusal(ogi, ["case", "not-handled", "1", "--ground", bad], what=f"ground {bad!r}")
        expect_refusal(ogi, ["case", "consult", "1", "--party", "某公司", "--kind", bad, "--date", "2026-09-28"])
        expect_refusal(ogi, ["case", "fee-notice", "1", "--basis", bad, "--quantity", "50", "--date", "2026-09-28"])
        if bad:  # an empty filter is no filter
            expect_refusal(ogi, ["case", "list", "--state", bad])
    # an approved case to deliver, a consulting case to answer
    ogi.ok("case", "propose", "1", "--outcome", "disclose", "--date", "2026-09-28")
    ogi.ok("case", "decide", "1", "--date", "2026-09-28")
    ogi.ok("case", "approve", "1", "--date", "2026-09-29", user="wang")
    for bad in ["bogus", "DIRECT", "", "email"]:
        expect_refusal(ogi, ["case", "deliver", "1", "--method", bad, "--date", "2026-09-30"], what=f"method {bad!r}")
    ogi.ok("case", "accept", "2", "--date", "2026-09-25")
    cid = ogi.json("case", "consult", "2", "--party", "某公司", "--kind", "third_party", "--date", "2026-09-28")["step"]["consultation_id"]
    for bad in ["bogus", "yes", "", "AGREE"]:
        expect_refusal(ogi, ["case", "consultation-reply", "2", "--opinion", bad, "--date", "2026-09-30"],
                       what=f"opinion {bad!r}")
    for n in ["-1", "0", "21", "99999999999999999999", "abc", "1.5", "", "１"]:
        expect_refusal(ogi, ["case", "extend", "2", "--workdays", n, "--reason", "r", "--date", "2026-09-30"],
                       user="wang", what=f"workdays {n!r}")
        expect_refusal(ogi, ["case", "consultation-reply", "2", "--consultation", n, "--opinion", "agree",
                             "--date", "2026-09-30"], what=f"consultation {n!r}")
        expect_refusal(ogi, ["case", "fee-notice", "2", "--basis", "per_page", "--quantity", n], what=f"quantity {n!r}")
        if n != "21":  # 21 is a fine limit for a listing
            expect_refusal(ogi, ["case", "list", "--limit", n], what=f"limit {n!r}")
    expect_refusal(ogi, ["case", "consultation-reply", "2", "--consultation", str(cid + 1000), "--opinion", "agree"])
    expect_refusal(ogi, ["case", "frobnicate", "1"], codes=(2,))
    expect_refusal(ogi, ["case", "accept"], codes=(2,))
    expect_refusal(ogi, ["case", "accept", "2", "--bogus-option"], codes=(2,))


def test_unknown_case_ids(seeded):
    ogi = seeded
    for ref in UNKNOWN_IDS:
        for argv in (["case", "show", ref], ["case", "accept", ref], ["case", "explain", ref],
                     ["case", "withdraw", ref, "--reason", "r"]):
            r = expect_refusal(ogi, argv, what=f"{argv[1]} {ref!r}")
            assert r.exit_code == 2 or "没有找到案件" in r.stderr, r.stderr


def test_injection_strings_are_plain_data(ogi):
    """SQL and template injection attempts are names like any other: stored verbatim, harmless."""
    ids = {}
    for text in INJECTION + ["O'Brien", "张三<script>"]:
        out = ogi.json("case", "register", "--applicant", text, *REGISTER[2:-1], text)
        ids[text] = out["id"]
        assert out["applicant"]["name"] == text and out["description"] == text
    for text, cid in ids.items():
        shown = ogi.json("case", "show", str(cid))
        assert shown["applicant"]["name"] == text and shown["description"] == text
        assert shown["history"][0]["data"]["applicant"] == text
    names = {row["applicant"] for row in ogi.json("case", "list")["cases"]}
    assert names == set(ids)
    # filters are parameters, never SQL
    assert ogi.json("case", "list", "--clerk", "' OR 1=1 --")["cases"] == []
    r = ogi("case", "show", "1' OR '1'='1")
    assert r.exit_code == 1 and "没有找到案件" in r.stderr
    from sqlalchemy import inspect

    from ogi.engine.store.db import get_engine

    assert {"cases", "history_event", "letter", "applicant"} <= set(inspect(get_engine(ogi.url)).get_table_names())


def test_broken_config_files(ogi_sqlite, tmp_path):
    ogi = ogi_sqlite
    ogi.register()
    cfg = ogi.home / "ogi.toml"
    good = cfg.read_text("utf-8")
    cases = {
        "wrong type": good.replace("correction_period_workdays = 15", 'correction_period_workdays = "fifteen"'),
        "out of range": good.replace("correction_period_workdays = 15", "correction_period_workdays = 0"),
        "bool as int": good.replace("fee_pauses_answer_clock = true", "fee_pauses_answer_clock = 1"),
        "broken toml": good + "\n[users.li\nname = ",
        "unknown role": good.replace('roles = ["clerk"]\nemail = "li@', 'roles = ["superuser"]\nemail = "li@'),
        "missing agency name": good.replace('name = "示例市人民政府办公室"', 'name = ""', 1),
        "not utf-8": None,
        "unknown rule value": good.replace('receipt_on_non_workday = "calendar_date"', 'receipt_on_non_workday = "whenever"'),
    }
    for label, text in cases.items():
        if text is None:
            cfg.write_bytes(good.encode("gbk", errors="replace") + "\n# 中文注释".encode("gbk"))
        else:
            assert text != good, label
            cfg.write_text(text, "utf-8")
        os.utime(cfg, None)
        for argv in (["case", "accept", "1"], ["case", "list"], ["case", "register", "--applicant", "张三", *REGISTER[2:]]):
            r = expect_refusal(ogi, argv, what=f"{label}: {argv[1]}")
            assert "配置" in r.stderr, (label, r.stderr)
    cfg.write_text(good, "utf-8")
    os.utime(cfg, None)
    ogi.ok("case", "accept", "1")
    missing = tmp_path / "nowhere" / "ogi.toml"
    os.environ["OGI_CONFIG"] = str(missing)  # a missing explicit file: refused, not silently the defaults
    try:
        r = expect_refusal(ogi, ["case", "list"])
        assert "OGI_CONFIG" in r.stderr and str(missing) in r.stderr
    finally:
        os.environ.pop("OGI_CONFIG")
    r = expect_refusal(ogi, ["case", "list"], user="nobody")  # unknown user
    assert "未在配置文件" in r.stderr


def test_letters_escape_every_user_field(ogi_sqlite):
    """jinja2 autoescaping stays on: markup typed by a clerk or an applicant is shown, not obeyed."""
    letters = pytest.importorskip("ogi.letters")
    assert hasattr(letters, "render_html")
    ogi = ogi_sqlite
    evil = "<b>X</b>&{{ 7*7 }}{% raw %}"
    ogi.json("case", "register", "--applicant", f"张三{evil}", "--applicant-type", "natural", "--channel", "in_person",
             "--received", "2026-09-24", "--description", f"描述{evil}", "--requested-form", f"纸质{evil}",
             "--address", f"地址{evil}")
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    ogi.ok("case", "request-correction", "1", "--items", f"补正{evil}", "--date", "2026-09-28")
    ogi.ok("case", "receive-correction", "1", "--date", "2026-09-29")
    ogi.ok("case", "consult", "1", "--party", f"公司{evil}", "--kind", "third_party", "--information", f"信息{evil}",
           "--date", "2026-09-30")
    ogi.ok("case", "consultation-reply", "1", "--opinion", "object", "--reason", f"反对{evil}", "--date", "2026-10-09")
    ogi.ok("case", "extend", "1", "--workdays", "5", "--reason", f"延长{evil}", "--date", "2026-10-09", user="wang")
    ogi.ok("case", "propose", "1", "--outcome", "partial", "--reason", f"理由{evil}", "--withheld", f"不予公开{evil}",
           "--disclose-to-third-party", f"公开内容{evil}", "--public-interest", f"公共利益{evil}", "--date", "2026-10-10")
    ogi.ok("case", "decide", "1", "--date", "2026-10-12")
    ogi.ok("case", "approve", "1", "--date", "2026-10-12", user="wang")
    ogi.ok("case", "deliver", "1", "--method", "delegated", "--recipient", f"受托人{evil}", "--date", "2026-10-13")
    from sqlmodel import Session, select

    from ogi.engine.config import load_config
    from ogi.engine.store.db import get_engine
    from ogi.engine.cases.documents import build_context
    from ogi.engine.store.tables import Letter

    with Session(get_engine(ogi.url)) as s:
        rows = s.exec(select(Letter).order_by(Letter.id)).all()
        kinds = [l.kind for l in rows]
        assert {"receipt", "correction-notice", "third-party-consultation", "extension-notice", "reply",
                "service-receipt"} <= set(kinds), kinds
        for l in rows:
            html = letters.render_html(build_context(s, load_config(), l))
            assert "<b>X</b>" not in html, f"{l.kind}: raw markup from user data"
            assert "&lt;b&gt;X&lt;/b&gt;" in html, f"{l.kind}: the applicant's name should appear, escaped"
            assert "{{ 7*7 }}" in html and "{% raw %}" in html, f"{l.kind}: template syntax in data must stay literal"
