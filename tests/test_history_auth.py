"""The legal office sees, for every history event, how its actor was authenticated: in
`ogi case history` (text and --json), `ogi case show` (--json rows, a note under the text
timeline) and the dossier (`ogi audit export` as CSV, PDF and JSON).

The test instance (`ogi init --training`) accepts declared users, so steps done as OGI_USER or
`--as` are recorded as declared ("声明身份"); letters rendered after a step are the system's own
work ("系统"); an event recorded before the authentication was kept has none ("未记录")."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.cells import cell_len

DECLARED = "声明身份（未经认证）"


def _case(ogi) -> str:
    """Registered (its receipt rendered by the system), accepted, proposed and decided by li,
    approved by wang (`--as`), its answer rendered by the system."""
    cid = str(ogi.register("2026-09-24")["id"])
    ogi.ok("case", "accept", cid, "--date", "2026-09-25")
    ogi.ok("case", "propose", cid, "--outcome", "disclose", "--date", "2026-10-09")
    ogi.ok("case", "decide", cid, "--date", "2026-10-09")
    ogi.ok("case", "approve", cid, "--date", "2026-10-10", "--as", "wang")
    return cid


def _blocks(text: str) -> dict[int, str]:
    """The rows of the `case history` table, by their #: the lines between two rules."""
    out: dict[int, str] = {}
    block: list[str] = []
    for line in text.splitlines() + ["├"]:
        if line.startswith(("├", "└")):
            if block:
                seq = re.match(r"│ *(\d+) *│", block[0])
                if seq:
                    out[int(seq.group(1))] = "\n".join(block)
            block = []
        elif line.startswith("│"):
            block.append(line)
    return out


def _old_event(case_id: int) -> int:
    """Append an event as it was recorded before migration 0006: no actor_auth, its hash over the
    fields of that time (an INSERT; the history refuses only UPDATE and DELETE)."""
    from ogi.engine.cases.history import GENESIS, event_hash
    from ogi.engine.identity import now_shanghai
    from ogi.engine.store import rows
    from ogi.engine.store.db import write_session

    with write_session() as s:
        db = rows.of_session(s)
        rows.lock_case(db, case_id)
        seq, prev = rows.chain_tip(db, case_id) or (0, GENESIS)
        seq += 1
        at = now_shanghai().isoformat()
        ev = rows.EventRow(0, case_id, seq, at, "li", "warning_sent", None, "", "{}", prev,
                           event_hash(case_id, seq, at, "li", "warning_sent", None, "", "{}", prev), "")
        rows.insert_event(db, ev)
        # Migration 0007 gave every event of that time its leaf in the agency's log.
        from ogi.engine.ledger import store as ledger

        ledger.append_leaf(db, "event", ev.id, ledger.event_body(ev, rows.case_number(db, case_id)))
    return seq


def test_history_names_how_each_actor_was_authenticated(ogi, monkeypatch):
    cid = _case(ogi)
    entries = ogi.json("case", "history", cid)["entries"]
    by_action = {}
    for e in entries:
        by_action.setdefault(e["action"], []).append(e)
    # --json: the code and its Chinese on every entry
    for action in ("register", "accept", "propose", "decide", "approve"):
        (e,) = by_action[action]
        assert (e["actor_auth"], e["actor_auth_label"]) == ("declared", DECLARED), e
    assert by_action["approve"][0]["actor"] == "wang"
    rendered = by_action["letter_rendered"]
    assert len(rendered) == 2  # the receipt and the answer
    assert {(e["actor"], e["actor_auth"], e["actor_auth_label"]) for e in rendered} == {("system", "system", "系统")}

    # text: each row names its actor and how, and a line says what 声明身份 means
    monkeypatch.setenv("COLUMNS", "200")
    text = ogi.ok("case", "history", cid).stdout
    blocks = _blocks(text)
    assert sorted(blocks) == [e["seq"] for e in entries]
    for e in entries:
        row = blocks[e["seq"]]
        if e["actor_auth"] == "declared":
            assert "声明身份" in row and ("李明（li）" in row or "王强（wang）" in row), row
        else:
            assert "系统" in row and "声明身份" not in row, row
    flat = re.sub(r"\s+", "", text)
    assert "认证方式：声明身份＝由命令行（--as或OGI_USER）声明，未经操作系统认证" in flat

    # case show: every history row carries it; the text says which entries were declared
    shown = ogi.json("case", "show", cid)["history"]
    assert [(h["seq"], h["actor_auth"], h["actor_auth_label"]) for h in shown] == \
        [(e["seq"], e["actor_auth"], e["actor_auth_label"]) for e in entries]
    declared = [e["seq"] for e in entries if e["actor_auth"] == "declared"]
    assert declared == [1, 3, 4, 5, 6]
    show = re.sub(r"\s+", "", ogi.ok("case", "show", cid).stdout)
    assert f"注：第1、3至6条记录的办理人认证方式为“{DECLARED}”" in show


def test_dossier_shows_the_authentication(ogi, tmp_path):
    cid = _case(ogi)
    entries = {e["seq"]: e for e in ogi.json("case", "history", cid)["entries"]}

    # JSON: the timeline entries, and who generated the dossier
    d = json.loads(ogi.ok("audit", "export", cid, "--format", "json", user="zhao").stdout)
    assert [(e["seq"], e["actor_auth"], e["actor_auth_label"]) for e in d["timeline"]] == \
        [(s, e["actor_auth"], e["actor_auth_label"]) for s, e in entries.items()]
    assert (d["generated_by"], d["generated_by_auth"], d["generated_by_auth_label"]) == ("zhao", "declared", DECLARED)

    # CSV: a column 认证方式 beside 办理人, and the note on the declared entries
    text = ogi.ok("audit", "export", cid, "--format", "csv", user="zhao").stdout
    table = list(csv.reader(io.StringIO(text)))
    head = table[0]
    assert head[4:6] == ["办理人", "认证方式"]
    assert all(len(row) == len(head) for row in table)
    events = {int(row[1]): row for row in table if row[0] == "办理记录"}
    assert sorted(events) == sorted(entries)
    for seq, e in entries.items():
        who, how = events[seq][4], events[seq][5]
        if e["actor_auth"] == "declared":
            assert how == DECLARED and who in ("李明（li）", "王强（wang）"), events[seq]
        else:
            assert (who, how) == ("系统", "系统"), events[seq]
    notes = [row[6] for row in table if row[0] == "认证说明"]
    assert notes == [f"注：第 1、3 至 6 条记录的办理人认证方式为“{DECLARED}”：由命令行（--as 或 OGI_USER）声明，"
                     "未经操作系统认证（供演示、培训或测试）。"]

    # PDF: under each actor, how it was authenticated; the note under the table; who generated it
    import pypdf

    pdf = tmp_path / "案卷.pdf"
    ogi.ok("audit", "export", cid, "--format", "pdf", "--out", str(pdf), user="zhao")
    flat = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages))
    assert "办理人（认证方式）" in flat
    assert flat.count(DECLARED) >= 5 + 1 + 1  # five entries, the note, the generator
    assert "李明（li）声明身份（未经认证）" in flat and "王强（wang）声明身份（未经认证）" in flat
    assert f"（zhao，{DECLARED}）" in flat
    assert "注：第1、3至6条记录的办理人认证方式为" in flat


def test_an_old_event_without_authentication_says_so(ogi_sqlite, monkeypatch):
    ogi = ogi_sqlite
    cid = ogi.register("2026-09-24")["id"]
    seq = _old_event(cid)
    assert ogi.json("audit", "verify", user="zhao")["ok"] is True  # its hash is as it was made
    e = ogi.json("case", "history", str(cid))["entries"][-1]
    assert (e["seq"], e["actor_auth"], e["actor_auth_label"]) == (seq, "", "未记录（旧记录）")
    monkeypatch.setenv("COLUMNS", "200")
    text = ogi.ok("case", "history", str(cid)).stdout
    assert "未记录" in _blocks(text)[seq]
    assert "未记录＝记录时系统尚未记载认证方式" in re.sub(r"\s+", "", text)
    show = re.sub(r"\s+", "", ogi.ok("case", "show", str(cid)).stdout)
    assert f"注：第{seq}条记录的办理人认证方式为“未记录（旧记录）”" in show
    row = next(r for r in csv.reader(io.StringIO(ogi.ok("audit", "export", str(cid), "--format", "csv").stdout))
               if r[0] == "办理记录" and r[1] == str(seq))
    assert row[5] == "未记录（旧记录）"


def test_the_labels():
    from ogi.states.vocabulary import auth_label, auth_legend, auth_notes, auth_short

    assert [auth_label(c) for c in ("peer", "os_login", "declared", "system", "", None)] == \
        ["服务认证（操作系统账户）", "本机登录（操作系统账户）", DECLARED, "系统", "未记录（旧记录）", "未记录（旧记录）"]
    assert [auth_short(c) for c in ("peer", "os_login", "declared", "system", "")] == \
        ["服务认证", "本机登录", "声明身份", "系统", "未记录"]
    assert auth_notes([(1, "peer"), (2, "system"), (3, "os_login")]) == []  # proven, or the system's own
    notes = auth_notes([(1, ""), (2, ""), (3, "declared"), (4, "system"), (5, "declared"), (6, "declared"), (7, "")])
    assert notes[0].startswith(f"注：第 3、5 至 6 条记录的办理人认证方式为“{DECLARED}”")
    assert notes[1].startswith("注：第 1 至 2、7 条记录的办理人认证方式为“未记录（旧记录）”")
    assert auth_legend(["system"]) == ""
    assert auth_legend(["peer", "system", "peer"]) == "认证方式：服务认证＝经 ogi 服务由操作系统账户认证。"


@pytest.mark.parametrize("width", [60, 80, 120])
def test_case_history_fits_the_terminal(ogi_sqlite, monkeypatch, width):
    """Every line within the width; dates, times and case numbers whole; a column left out on a
    narrow terminal is named."""
    cid = _case(ogi_sqlite)
    monkeypatch.setenv("COLUMNS", str(width))
    text = ogi_sqlite.ok("case", "history", cid).stdout
    for line in text.splitlines():
        assert cell_len(line) <= width, f"{cell_len(line)} > {width}: {line!r}"
        for token in re.findall(r"20\d\d-[\d-]*", line):
            assert re.fullmatch(r"20\d\d-\d{4}|20\d\d-\d\d-\d\d", token), f"cut: {token!r} in {line!r}"
    if width >= 80:
        assert "记录时间" in text and "未显示" not in text
        if width >= 120:
            assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text)  # the recording time on one line
    else:
        assert "未显示：记录时间" in re.sub(r"\s+", "", text)
    assert "声明身份" in text and "系统" in text
