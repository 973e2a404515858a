"""Access and privacy: the role rules on every command, per role, and personal data masked
wherever a role may not see it.

Roles (engine/config.py DEFAULT_CONFIG, plus `sun` = clerk + reviewer for the four-eyes rule):
clerk (li, chen) runs the case steps; reviewer (wang, zhou) approves or sends back; head (wang)
extends and delays; legal (zhao) reads; admin runs init (on an existing database), calendar
import, backup and restore; an unknown user is refused everywhere. A refusal is one clear
Chinese line, exit 1, and changes nothing.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reliability_support import EXTRA_USERS, has_cjk, snapshot

from ogi.states.machine import TRANSITIONS, Trigger

ID = "110101199003071234"
PHONE = "13812345678"
ID_MASKED = "110101********1234"
PHONE_MASKED = "138****5678"
ROLES = {"li": {"clerk"}, "chen": {"clerk"}, "wang": {"reviewer", "head"}, "zhou": {"reviewer"}, "zhao": {"legal"},
         "admin": {"admin"}, "sun": {"clerk", "reviewer"}}
T = Trigger


def _with_sun(ogi):
    cfg = ogi.home / "ogi.toml"
    cfg.write_text(cfg.read_text("utf-8") + EXTRA_USERS, "utf-8")
    os.utime(cfg, None)
    return ogi


@pytest.fixture
def office(ogi):
    """The default users plus `sun` (clerk and reviewer), on SQLite and PostgreSQL."""
    return _with_sun(ogi)


@pytest.fixture
def office_sqlite(ogi_sqlite):
    """The same on SQLite only: role rules do not depend on the storage."""
    return _with_sun(ogi_sqlite)


def refused(ogi, argv, user, *, why: str | None = None):
    before = snapshot(ogi.url)
    r = ogi(*argv, user=user)
    out = r.stdout + r.stderr
    assert r.exit_code == 1, f"{user} {' '.join(argv)}: exit {r.exit_code}\n{out[-800:]}"
    assert "Traceback" not in out and len(r.stderr.strip().splitlines()) == 1 and has_cjk(r.stderr), out
    if why:
        assert why in r.stderr, f"{user} {' '.join(argv)}: {r.stderr}"
    assert snapshot(ogi.url) == before, f"{user} {' '.join(argv)} changed the database"
    return r


def new_case(ogi, *, name="张三", extra=()) -> str:
    return str(ogi.json("case", "register", "--applicant", name, "--applicant-type", "natural", "--channel",
                        "in_person", "--received", "2026-09-24", "--description", "某道路改造工程立项批复",
                        "--id-number", ID, "--phone", PHONE, *extra)["id"])


# For each step: how to bring a fresh case to a state where the step is allowed, and its argv.
SETUP = {
    "processing": [("accept", "--date", "2026-09-25")],
    "awaiting_correction": [("request-correction", "--items", "补充文号", "--date", "2026-09-25")],
    "consulting": [("accept", "--date", "2026-09-25"),
                   ("consult", "--party", "某公司", "--kind", "agency", "--date", "2026-09-28")],
    "awaiting_payment": [("accept", "--date", "2026-09-25"),
                         ("fee-notice", "--basis", "per_page", "--quantity", "50", "--date", "2026-09-28")],
    "proposed": [("accept", "--date", "2026-09-25"), ("propose", "--outcome", "disclose", "--date", "2026-09-28")],
    "awaiting_approval": [("accept", "--date", "2026-09-25"), ("propose", "--outcome", "disclose", "--date", "2026-09-28"),
                          ("decide", "--date", "2026-09-28")],
}
SETUP["approved"] = SETUP["awaiting_approval"] + [("approve", "--date", "2026-09-29", "@wang")]
SETUP["registered+consent"] = [("consent", "--date", "2026-09-24")]  # registered, the applicant consenting
STEPS = {  # trigger: (state to start from, argv after the case id)
    T.ACCEPT: ("registered", ["--date", "2026-09-25"]),
    T.REQUEST_CORRECTION: ("registered", ["--items", "补充文号", "--date", "2026-09-25"]),
    T.RECEIVE_CORRECTION: ("awaiting_correction", ["--date", "2026-09-30"]),
    T.CORRECTION_LAPSE: ("awaiting_correction", ["--date", "2026-11-30"]),
    T.CONSULT: ("processing", ["--party", "某公司", "--kind", "third_party", "--date", "2026-09-28"]),
    T.CONSULTATION_REPLY: ("consulting", ["--opinion", "agree", "--date", "2026-10-09"]),
    T.CONSULTATION_LAPSE: ("consulting", ["--date", "2026-11-30"]),
    T.FEE_NOTICE: ("processing", ["--basis", "per_page", "--quantity", "50", "--date", "2026-09-28"]),
    T.FEE_PAID: ("awaiting_payment", ["--date", "2026-10-09"]),
    T.FEE_LAPSE: ("awaiting_payment", ["--date", "2026-11-30"]),
    T.PROPOSE: ("processing", ["--outcome", "disclose", "--date", "2026-09-28"]),
    T.DECIDE: ("proposed", ["--date", "2026-09-28"]),
    T.APPROVE: ("awaiting_approval", ["--date", "2026-09-29"]),
    T.SEND_BACK: ("awaiting_approval", ["--reason", "理由不充分", "--date", "2026-09-29"]),
    T.DELIVER: ("approved", ["--method", "direct", "--date", "2026-09-30"]),
    T.EXTEND: ("processing", ["--workdays", "5", "--reason", "需调取档案", "--date", "2026-10-09"]),
    T.DELAY: ("processing", ["--until", "2026-12-15", "--reason", "申请内容较多", "--date", "2026-10-09"]),
    T.WITHDRAW: ("registered", ["--reason", "申请人书面撤回", "--date", "2026-09-25"]),
    T.CONSENT: ("registered", ["--date", "2026-09-25"]),
    T.CONSENT_WITHDRAWN: ("registered+consent", ["--withdraw", "--date", "2026-09-25"]),
    T.CORRECT_CONTACT: ("registered", ["--address", "示例市东风路8号", "--reason", "申请人书面告知", "--date", "2026-09-25"]),
}
# `ogi case not-handled` proposes (条例第三十九条): the same step as propose, from registered too.
NOT_HANDLED_ARGV = ("registered", ["--ground", "petition", "--reason", "系投诉", "--date", "2026-09-25"])
COMMAND = {T.ACCEPT: "accept", T.REQUEST_CORRECTION: "request-correction", T.RECEIVE_CORRECTION: "receive-correction",
           T.CORRECTION_LAPSE: "correction-lapsed", T.CONSULT: "consult", T.CONSULTATION_REPLY: "consultation-reply",
           T.CONSULTATION_LAPSE: "consultation-lapsed", T.FEE_NOTICE: "fee-notice", T.FEE_PAID: "fee-paid",
           T.FEE_LAPSE: "fee-lapsed", T.PROPOSE: "propose", T.DECIDE: "decide", T.APPROVE: "approve",
           T.SEND_BACK: "send-back", T.DELIVER: "deliver", T.EXTEND: "extend", T.DELAY: "delay",
           T.WITHDRAW: "withdraw", T.CONSENT: "consent", T.CONSENT_WITHDRAWN: "consent",
           T.CORRECT_CONTACT: "correct-contact"}


def case_in(ogi, state: str) -> str:
    cid = new_case(ogi)
    for cmd, *args in SETUP.get(state, []):
        user = "li"
        if args and args[-1].startswith("@"):
            user, args = args[-1][1:], args[:-1]
        ogi.ok("case", cmd, cid, *args, user=user)
    assert ogi.json("case", "show", cid)["state"] == state.split("+")[0]
    return cid


def test_every_step_per_role(office_sqlite):
    """Each step of the table (the retired one aside) and `not-handled`: every user without the role is refused with a permission message
    (whatever the case's state), then a user with the role succeeds."""
    ogi = office_sqlite
    assert set(STEPS) == {t for t, tr in TRANSITIONS.items() if not tr.retired}
    for trigger, command, (state, args) in [*((t, COMMAND[t], v) for t, v in STEPS.items()),
                                            (T.PROPOSE, "not-handled", NOT_HANDLED_ARGV)]:
        cid = case_in(ogi, state)
        allowed = TRANSITIONS[trigger].roles
        argv = ["case", command, cid, *args]
        for user, roles in ROLES.items():
            if not roles & allowed:
                refused(ogi, argv, user, why="权限")
        refused(ogi, argv, "ghost", why="未在配置文件")
        ok_user = next(u for u, r in ROLES.items() if r & allowed and u != "sun")
        r = ogi(*argv, user=ok_user)
        assert r.exit_code == 0, (trigger, ok_user, r.stderr)


def test_legal_is_read_only_everywhere(office, tmp_path):
    """zhao (法制机构) reads everything and changes nothing."""
    ogi = office
    cid = case_in(ogi, "processing")
    for trigger, (_, args) in STEPS.items():
        if trigger in (T.CONSULTATION_REPLY, T.CONSULTATION_LAPSE):
            args = [*args, "--consultation", "1"]  # else the CLI first looks for the open one
        refused(ogi, ["case", COMMAND[trigger], cid, *args], "zhao", why="权限")
    refused(ogi, ["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
                  "--received", "2026-09-24", "--description", "x"], "zhao", why="权限")
    refused(ogi, ["letter", "render", cid], "zhao", why="权限")
    year = tmp_path / "2026.toml"
    year.write_text((Path(__import__("ogi.calendars", fromlist=["x"]).__file__).parent / "data" / "2026.toml")
                    .read_text("utf-8"), "utf-8")
    refused(ogi, ["calendar", "import", str(year), "--replace"], "zhao", why="权限")
    refused(ogi, ["backup", "--out", str(tmp_path / "b.db")], "zhao", why="权限")
    refused(ogi, ["restore", str(tmp_path / "b.db"), "--yes"], "zhao", why="权限")
    refused(ogi, ["init"], "zhao", why="权限")
    for argv in (["case", "show", cid], ["case", "list"], ["case", "explain", cid], ["case", "history", cid],
                 ["audit", "verify"], ["letter", "list", cid]):
        r = ogi(*argv, "--json", user="zhao")
        assert r.exit_code == 0, (argv, r.stderr)


def test_admin_commands_are_admin_only(office_sqlite, tmp_path):
    ogi = office_sqlite
    new_case(ogi)
    for user in ("li", "wang", "zhou", "zhao", "sun"):
        refused(ogi, ["backup", "--out", str(tmp_path / f"{user}.db")], user, why="系统管理员")
        refused(ogi, ["init"], user, why="系统管理员")
    refused(ogi, ["backup"], "ghost", why="未在配置文件")
    assert ogi("init", user="admin").exit_code == 0
    assert ogi("backup", "--out", str(tmp_path / "ok.db"), user="admin").exit_code == 0
    # the admin runs the system, not the cases
    refused(ogi, ["case", "accept", "1", "--date", "2026-09-25"], "admin", why="权限")
    refused(ogi, ["case", "approve", "1"], "admin", why="权限")


def test_proposer_cannot_approve_own_proposal(office):
    """Four eyes: `sun` is clerk and reviewer, proposes, and may not approve it; zhou may."""
    ogi = office
    cid = new_case(ogi)
    ogi.ok("case", "accept", cid, "--date", "2026-09-25", user="sun")
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-09-28", user="sun")
    ogi.ok("case", "decide", cid, "--date", "2026-09-28", user="sun")
    refused(ogi, ["case", "approve", cid, "--date", "2026-09-29"], "sun", why="不能审批自己的意见")
    ogi.ok("case", "send-back", cid, "--reason", "请补充理由", "--date", "2026-09-29", user="zhou")
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-09-30", user="li")
    ogi.ok("case", "decide", cid, "--date", "2026-09-30", user="li")
    ogi.ok("case", "approve", cid, "--date", "2026-09-30", user="sun")  # li proposed this time
    h = ogi.json("case", "show", cid)["history"]
    assert [e["actor"] for e in h if e["action"] in ("propose", "approve")] == ["sun", "li", "sun"]


def test_unknown_or_missing_user_is_refused(office_sqlite, monkeypatch):
    ogi = office_sqlite
    cid = new_case(ogi)
    for argv in (["case", "show", cid], ["case", "list"], ["case", "accept", cid], ["letter", "list", cid],
                 ["audit", "verify"], ["case", "history", cid]):
        refused(ogi, argv, "ghost", why="未在配置文件")
    monkeypatch.delenv("OGI_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "nobody-here")
    refused(ogi, ["case", "accept", cid], None, why="--as")


# --------------------------------------------------------------------------- privacy

def _no_raw(text: str, where: str) -> None:
    assert ID not in text and PHONE not in text, f"{where}: an ID or phone number in clear"


def test_masking_per_role(office):
    ogi = office
    cid = new_case(ogi)
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    for user in ROLES:
        for argv in (["case", "list"], ["case", "list", "--json"], ["case", "list", "--all", "--json"]):
            _no_raw(ogi.ok(*argv, user=user).stdout, f"{user} {' '.join(argv)}")
    for user in ("li", "chen", "admin", "sun"):  # the clerks who handle the case, and the administrator
        shown = ogi.json("case", "show", cid, user=user)["applicant"]
        assert (shown["id_number"], shown["phone"]) == (ID, PHONE), user
    for user in ("wang", "zhou", "zhao"):
        r = ogi.ok("case", "show", cid, "--json", user=user)
        _no_raw(r.stdout, f"{user} case show --json")
        shown = r.json["applicant"]
        assert (shown["id_number"], shown["phone"]) == (ID_MASKED, PHONE_MASKED), user
        _no_raw(ogi.ok("case", "show", cid, user=user).stdout, f"{user} case show")
    # the legal office's own tools
    for argv in (["case", "history", cid, "--json"], ["audit", "export", cid, "--format", "json"],
                 ["audit", "export", cid, "--format", "csv"], ["check", "--json"]):
        r = ogi(*argv, user="zhao")
        if r.exit_code == 2:  # a command another module may not offer in this shape
            continue
        assert r.exit_code in (0, 1), (argv, r.stderr)
        _no_raw(r.stdout + r.stderr, f"zhao {' '.join(argv)}")


def test_letters_warnings_and_logs_are_masked(office_sqlite, monkeypatch):
    ogi = office_sqlite
    cid = new_case(ogi, extra=("--address", "示例市和平街8号"))
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    # letters: the receipt carries the masked ID number only
    from sqlmodel import Session, select

    from ogi.engine.config import load_config
    from ogi.engine.store.db import get_engine
    from ogi.engine.cases.documents import build_context
    from ogi.engine.store.tables import Letter
    from ogi.letters import render_html

    with Session(get_engine(ogi.url)) as s:
        for letter in s.exec(select(Letter)).all():
            _no_raw(render_html(build_context(s, load_config(), letter)), f"letter {letter.kind}")
    # warnings: sweep writes the outbox; nothing in it or in its listing shows the numbers
    r = ogi("warnings", "sweep", "--json", user="admin")
    if r.exit_code != 2:
        assert r.exit_code == 0, r.stderr
        _no_raw(r.stdout, "warnings sweep")
        for user in ("admin", "zhao", "li"):
            lst = ogi("warnings", "list", "--json", user=user)
            _no_raw(lst.stdout + lst.stderr, f"warnings list as {user}")
        from sqlalchemy import inspect, text

        eng = get_engine(ogi.url)
        with eng.connect() as c:
            for table in inspect(eng).get_table_names():
                if table in ("applicant",):
                    continue  # the one place the numbers are kept
                rows = c.execute(text(f"SELECT * FROM {table}")).all()
                _no_raw(json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False), f"table {table}")
    # the error log: an unexpected failure while registering someone with an ID and a phone
    import ogi.engine.cases.steps as cases

    def boom(reg, cfg, cal):
        raise RuntimeError(f"unexpected failure for {reg.id_number} / {reg.phone}")

    monkeypatch.setattr(cases, "effective_receipt", boom)
    r = ogi("case", "register", "--applicant", "李四", "--applicant-type", "natural", "--channel", "in_person",
            "--received", "2026-09-24", "--description", "x", "--id-number", ID, "--phone", PHONE)
    assert r.exit_code == 1 and "内部错误" in r.stderr and "Traceback" not in r.stdout + r.stderr
    _no_raw(r.stdout + r.stderr, "internal error message")
    log = (ogi.home / "ogi-error.log").read_text("utf-8")
    assert "RuntimeError" in log and ID_MASKED in log and PHONE_MASKED in log
    _no_raw(log, "ogi-error.log")
