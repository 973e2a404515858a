"""Smaller holes from the adversarial review (issue 15, item 6), each driven the way a user meets it:

- `--out` (audit export, reports, the diagram, letter copies) never overwrites the instance's own
  files: the database and its -wal/-shm, the configuration, letters, keys, any file already in
  the instance folder but a previous export; symbolic links, `..` and hard links do not get
  round it; directories, devices and FIFOs are refused;
- `ogi letter verify` refuses directories, devices, FIFOs and files over its size limit unread;
- dates at the edge of the calendar (9999-12-31, 0001-01-01, results past 2099, huge counts) get
  one Chinese line, not an internal error;
- a mail or robot server that drips bytes cannot hold `ogi warnings send` beyond the configured
  timeout (real dripping servers on loopback), and SIGTERM stops the daemon within seconds while
  it is stuck in such a delivery (a real subprocess of the console script).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from warnings_support import SmtpServer, received_for, shift, write_config

REPO = Path(__file__).resolve().parent.parent
OGI = REPO / ".venv" / "bin" / "ogi"
AS_OF = dt.date(2026, 11, 16)
T0 = dt.datetime(2026, 11, 16, 9, 0)  # Asia/Shanghai


def has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def one_chinese_line(r, *, code: int = 1) -> str:
    """The refusal a user sees: exit `code`, one Chinese line on stderr, no traceback."""
    assert r.exit_code == code, f"exit {r.exit_code}: {r.stdout}{r.stderr}"
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "内部错误" not in out, out
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and has_cjk(lines[0]), r.stderr
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# =========================================================================== --out


@pytest.fixture
def instance(ogi_sqlite):
    """One registered case (its 登记回执 rendered into letters/) and a key file in keys/."""
    ogi = ogi_sqlite
    ogi.register()
    keys = ogi.home / "keys"
    keys.mkdir(exist_ok=True)
    (keys / "signing.key").write_bytes(b"secret key material")
    return ogi


def _letter_file(ogi) -> Path:
    rows = ogi.json("letter", "list", "1")
    return Path(next(r["path"] for r in rows if r.get("path")))


def _instance_files(ogi) -> dict[Path, str]:
    home = ogi.home
    files = [home / "ogi.db", home / "ogi.toml", home / "keys" / "signing.key", _letter_file(ogi)]
    files += [p for p in (home / "ogi.db-wal", home / "ogi.db-shm") if p.exists()]
    return {p: digest(p) for p in files}


def test_audit_export_never_overwrites_the_instance(instance, tmp_path):
    ogi = instance
    home = ogi.home
    before = _instance_files(ogi)
    letter = _letter_file(ogi)
    (home / "notes.txt").write_text("别的文件", encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "to-db.csv").symlink_to(home / "ogi.db")
    (tmp_path / "to-letters").symlink_to(letter.parent)
    os.link(home / "ogi.db", tmp_path / "hard-db.csv")
    os.link(home / "keys" / "signing.key", tmp_path / "hard-key.json")
    refused = {
        home / "ogi.db": "数据库",
        home / "ogi.db-wal": "数据库附属文件",
        home / "ogi.db-journal": "数据库附属文件",  # not there now: refused by name all the same
        home / "ogi.toml": "配置文件",
        letter: "文书目录",
        letter.parent / "new.csv": "文书目录",  # nothing new inside letters/ or keys/ either
        home / "keys" / "signing.key": "密钥目录",
        home / "keys" / "other.csv": "密钥目录",
        home / "notes.txt": "实例目录",
        tmp_path / "to-db.csv": "数据库",  # a symbolic link leads to it
        tmp_path / "to-letters" / letter.name: "文书目录",
        tmp_path / "d" / ".." / home.name / "ogi.toml": "配置文件",  # .. resolved
        tmp_path / "hard-db.csv": "硬链接",  # the same file under another name
        tmp_path / "hard-key.json": "signing.key 是同一个文件（硬链接）",
    }
    for target, why in refused.items():
        fmt = "json" if target.suffix == ".json" else "csv"
        line = one_chinese_line(ogi("audit", "export", "1", "--format", fmt, "--out", str(target), user="zhao"))
        assert why in line and "导出文件不得覆盖" in line, (target, line)
    assert _instance_files(ogi) == before
    assert (home / "notes.txt").read_text(encoding="utf-8") == "别的文件"
    assert not (home / "ogi.db-journal").exists() and not (home / "keys" / "other.csv").exists()
    assert not (letter.parent / "new.csv").exists()
    assert ogi.json("case", "show", "1")["number"] == "2026-0001"  # the database still answers

    # Not regular files: a directory, a FIFO (no hang), a device.
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for target, why in ((tmp_path / "d", "这是一个目录，不是文件"), (fifo, "不是普通文件"),
                        (Path("/dev/null"), "不是普通文件")):
        line = one_chinese_line(ogi("audit", "export", "1", "--format", "csv", "--out", str(target), user="zhao"))
        assert why in line, line


def test_exports_and_files_outside_the_instance_are_written(instance, tmp_path):
    ogi = instance
    home = ogi.home
    # exports/: new, then a previous export written again
    out = home / "exports" / "案卷-1.csv"
    for _ in range(2):
        r = ogi.ok("audit", "export", "1", "--format", "csv", "--out", str(out), user="zhao")
        assert str(out) in r.stdout and "2026-0001" in out.read_text(encoding="utf-8-sig")
    # outside the instance, an existing file is replaced, never written through: its hard link
    # elsewhere keeps what it had
    mine = tmp_path / "mine.json"
    mine.write_text("旧内容", encoding="utf-8")
    os.link(mine, tmp_path / "twin.json")
    ogi.ok("audit", "export", "1", "--format", "json", "--out", str(mine), user="zhao")
    assert json.loads(mine.read_text(encoding="utf-8"))["case"]["number"] == "2026-0001"
    assert (tmp_path / "twin.json").read_text(encoding="utf-8") == "旧内容"
    # through a symbolic link to a file outside: the file it points to gets the export
    real = tmp_path / "real.csv"
    real.write_text("x", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(real)
    ogi.ok("audit", "export", "1", "--format", "csv", "--out", str(tmp_path / "link.csv"), user="zhao")
    assert (tmp_path / "link.csv").is_symlink() and "2026-0001" in real.read_text(encoding="utf-8-sig")


def test_every_out_shares_the_guard(instance, tmp_path):
    ogi = instance
    home = ogi.home
    before = _instance_files(ogi)
    letter = _letter_file(ogi)
    line = one_chinese_line(ogi("report", "dashboard", "--out", str(home / "ogi.db"), "--as-of", "2026-12-31",
                                user="zhao"))
    assert "数据库" in line
    line = one_chinese_line(ogi("report", "annual", "--year", "2026", "--csv", "--out", str(home / "ogi.toml"),
                                user="zhao"))
    assert "配置文件" in line
    line = one_chinese_line(ogi("states", "diagram", "--out", str(home / "keys" / "signing.key")))
    assert "密钥目录" in line
    # `letter render --out DIR` copies each letter into DIR: not onto the letters themselves
    line = one_chinese_line(ogi("letter", "render", "1", "--out", str(letter.parent)))
    assert "文书目录" in line
    assert _instance_files(ogi) == before
    copies = tmp_path / "copies"
    r = ogi.ok("letter", "render", "1", "--out", str(copies))
    assert str(copies / letter.name) in r.stdout and digest(copies / letter.name) == digest(letter)


def test_a_folder_swapped_after_the_check_is_caught(instance, tmp_path):
    """The race a clerk could run against the service: --out names a new file in a folder of
    theirs, which they swap for a link into the instance between the check and the write. No
    command can hit that window on cue, so the check itself does the swap here."""
    from ogi.engine.store.files import output_target
    from ogi.errors import InputError
    from ogi.letters.pdf import write_output

    home = instance.home
    before = _instance_files(instance)
    mine = tmp_path / "mine"
    mine.mkdir()

    def racing_check(path):
        target = output_target(path)  # a new file outside the instance: allowed
        mine.rename(tmp_path / "moved")
        mine.symlink_to(home)
        return target

    with pytest.raises(InputError) as exc:
        write_output(b"not a database", mine / "ogi.db", check=racing_check)
    assert "被替换" in exc.value.message
    assert _instance_files(instance) == before
    assert not list(home.glob(".ogi.db.*.tmp"))


# =========================================================================== letter verify


def test_letter_verify_refuses_what_is_not_a_letter_unread(instance, tmp_path):
    from ogi.engine.cases.documents import MAX_VERIFY_BYTES

    ogi = instance
    letter = _letter_file(ogi)
    assert ogi.json("letter", "verify", str(letter))["ok"] is True  # a genuine letter still verifies

    assert "这是一个目录" in one_chinese_line(ogi("letter", "verify", str(tmp_path)))
    assert "设备" in one_chinese_line(ogi("letter", "verify", "/dev/null"))

    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_VERIFY_BYTES + 1)
    line = one_chinese_line(ogi("letter", "verify", str(big)))
    assert f"{MAX_VERIFY_BYTES // (1024 * 1024)} MB" in line and "上限" in line
    r = ogi("letter", "verify", str(big), "--json")
    assert r.exit_code == 1 and r.json["error"] == "bad_input"

    # A FIFO nobody writes to: refused at once. Should verify ever open it for reading and wait,
    # the watchdog plays the writer after 5 s so the test fails instead of hanging.
    fifo = tmp_path / "letter.pdf"
    os.mkfifo(fifo)

    def unblock():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # nobody is reading: nothing to unblock

    watchdog = threading.Timer(5, unblock)
    watchdog.start()
    started = time.monotonic()
    try:
        line = one_chinese_line(ogi("letter", "verify", str(fifo)))
    finally:
        watchdog.cancel()
    assert time.monotonic() - started < 2
    assert "管道" in line


# =========================================================================== calendar edges


@pytest.mark.parametrize("argv", [
    ["add", "9999-12-31", "20"],
    ["add", "9999-12-31", "20", "--allow-provisional"],
    ["add", "9999-12-31", "0"],
    ["add", "0001-01-01", "5", "--allow-provisional"],
    ["add", "2099-12-01", "2000", "--allow-provisional"],  # the result is past 2099
    ["count", "0001-01-01", "9999-12-31"],
    ["count", "9999-12-31", "0001-01-01", "--allow-provisional"],
    ["count", "2026-01-01", "9999-12-31", "--allow-provisional"],
    ["explain", "9999-12-31", "20", "--allow-provisional"],
    ["explain", "0001-01-01", "3"],
    ["explain", "2099-12-30", "3", "--allow-provisional"],
])
def test_calendar_edges_get_one_chinese_line(ogi_sqlite, argv):
    line = one_chinese_line(ogi_sqlite("calendar", *argv))
    assert "超出可计算的范围" in line and len(line) < 200, line
    r = ogi_sqlite("calendar", *argv, "--json")
    assert r.exit_code == 1 and r.json["error"] == "calendar_range"


@pytest.mark.parametrize("workdays", [str(10 ** 9), str(10 ** 30), "-1"])
def test_huge_or_negative_day_counts_are_usage_errors(ogi_sqlite, workdays):
    line = one_chinese_line(ogi_sqlite("calendar", "add", "2026-01-01", workdays), code=2)
    assert "用法错误" in line


def test_edge_dates_elsewhere(ogi_sqlite):
    ogi = ogi_sqlite
    ogi.register()
    for d in ("9999-12-31", "0001-01-01"):
        assert "办理日期" in one_chinese_line(ogi("case", "accept", "1", "--date", d))
        assert "超出可计算的范围" in one_chinese_line(ogi("warnings", "sweep", "--as-of", d))
    assert "无法识别" in one_chinese_line(ogi("calendar", "add", "10000-01-01", "3"))
    # the range itself still answers, to its last day
    assert ogi.ok("calendar", "add", "1989-12-31", "1", "--allow-provisional").stdout.startswith("1990-01-02")
    assert ogi.ok("calendar", "count", "2099-12-01", "2099-12-31", "--allow-provisional").stdout.strip()[0].isdigit()


def test_work_calendar_edges(calendar):
    from ogi.errors import CalendarHorizonError, CalendarRangeError

    for call in (lambda: calendar.add(dt.date.max, 1, allow_provisional=True),
                 lambda: calendar.add(dt.date.min, 1, allow_provisional=True),
                 lambda: calendar.add(dt.date(2025, 3, 3), 10 ** 9, allow_provisional=True),
                 lambda: calendar.add(dt.date(2025, 3, 3), 10 ** 30, allow_provisional=True),
                 lambda: calendar.count(dt.date.min, dt.date.max, allow_provisional=True),
                 lambda: calendar.is_workday(dt.date.max, allow_provisional=True),
                 lambda: calendar.explain(dt.date(9999, 12, 30), 1, allow_provisional=True)):
        with pytest.raises(CalendarRangeError):
            call()
    # inside the range, a missing year is still the notice to import
    with pytest.raises(CalendarHorizonError) as exc:
        calendar.add(dt.date(2025, 3, 3), 10 ** 9)
    assert exc.value.missing_years == (2027,)


# =========================================================================== dripping servers


class DripServer:
    """Accepts connections and then sends one byte every `every` seconds, never a whole line:
    every read completes within any per-operation timeout, the answer never does. `prefix` is
    sent first (b"220-" for a mail server; an HTTP status line's start for a robot). After
    `give_up` seconds it hangs up, so that a client without a deadline makes a test fail late
    instead of hanging it."""

    def __init__(self, prefix: bytes, every: float = 0.2, give_up: float = 12):
        self.prefix, self.every, self.give_up = prefix, every, give_up
        self.stop_event = threading.Event()
        self.accepted = 0
        self.bytes_sent = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []

    def start(self) -> "DripServer":
        t = threading.Thread(target=self._serve, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def _serve(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            t = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _drip(self, conn: socket.socket) -> None:
        try:
            conn.sendall(self.prefix)
            end = time.monotonic() + self.give_up
            while not self.stop_event.wait(self.every) and time.monotonic() < end:
                conn.sendall(b"x")
                self.bytes_sent += 1
        except OSError:
            pass  # the client hung up: what we want
        finally:
            conn.close()

    def close(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(5)
        self.sock.close()


@pytest.fixture
def no_letters(monkeypatch):
    monkeypatch.setattr("ogi.engine.api.after_commit", lambda case_id: [])


def _config(ogi, monkeypatch, *, smtp_port: int | None = None, webhook: str | None = None,
            timeout: float = 1) -> Path:
    path = write_config(ogi, monkeypatch, smtp_port=smtp_port, webhook=webhook)
    text = path.read_text(encoding="utf-8").replace("timeout_seconds = 5\n", f"timeout_seconds = {timeout:g}\n")
    text = text.replace("retry_cap_seconds = 3600\n",
                        f"retry_cap_seconds = 3600\nwebhook_timeout_seconds = {timeout:g}\n")
    path.write_text(text, encoding="utf-8")
    return path


def _due_case(ogi, cal) -> str:
    """A case whose answer is due in 5 working days as of AS_OF: one warning, the clerk's."""
    r = received_for(cal, shift(cal, AS_OF, 4))
    n = ogi.register(r.isoformat())["number"]
    ogi.ok("case", "accept", n, "--date", r.isoformat())
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    return n


@pytest.mark.parametrize("channel", ["email", "webhook"])
def test_a_dripping_server_cannot_hold_warnings_send(ogi_sqlite, calendar, monkeypatch, no_letters, channel):
    from ogi.engine.notify.delivery import send_round

    ogi = ogi_sqlite
    prefix = b"220-" if channel == "email" else b"HTTP/1.1 200 OK\r\nX-Drip: "
    drip = DripServer(prefix).start()
    try:
        if channel == "email":
            _config(ogi, monkeypatch, smtp_port=drip.port, timeout=1)
        else:
            _config(ogi, monkeypatch, webhook=f"http://127.0.0.1:{drip.port}/robot", timeout=1)
        n = _due_case(ogi, calendar)
        started = time.monotonic()
        r = ogi("warnings", "send", "--now", T0.isoformat())
        took = time.monotonic() - started
    finally:
        drip.close()
    # it waited for the deadline (the server kept talking) and not much longer
    assert drip.accepted == 1 and drip.bytes_sent >= 3
    assert 0.9 <= took < 2.5, took
    line = one_chinese_line(r)
    assert "在 1 秒内未完成" in line and "已中断" in line and "自动重试" in line, line
    assert "失败 1 条" in r.stdout

    # the warning stays in the outbox, failed, with its next try ...
    w = next(x for x in ogi.json("warnings", "list") if x["case"] == n)
    d = next(x for x in w["recipients"] if x["channel"] == channel)
    assert w["status"] == "failed" and d["status"] == "failed" and d["attempts"] == 1
    assert d["next_attempt_at"] == "2026-11-16T09:01:00+08:00" and "未完成" in d["last_error"]

    # ... and goes out once the server answers
    if channel == "email":
        smtp = SmtpServer().start()
        try:
            _config(ogi, monkeypatch, smtp_port=smtp.port, timeout=5)
            assert send_round(T0 + dt.timedelta(minutes=2))["sent"] == 1
            assert [m["to"] for m in smtp.messages] == [["li@example.gov.cn"]]
        finally:
            smtp.stop()
    else:
        from warnings_support import Robot

        robot = Robot().start()
        try:
            _config(ogi, monkeypatch, webhook=robot.url("/group"), timeout=5)
            assert send_round(T0 + dt.timedelta(minutes=2))["sent"] == 1
            assert len(robot.on("/group")) == 1
        finally:
            robot.stop()


def test_stopping_cuts_a_delivery_short(ogi_sqlite):
    """The daemon's stop event ends a send stuck on a dripping server at once, whatever the
    timeout (here 30 s)."""
    from ogi.engine.notify.policy import Message
    from ogi.engine.notify.settings import SmtpSettings
    from ogi.engine.notify.transports import SmtpTransport, WebhookTransport
    from ogi.errors import DeliveryError

    for channel in ("email", "webhook"):
        drip = DripServer(b"220-" if channel == "email" else b"HTTP/1.1 200 OK\r\nX-Drip: ").start()
        stop = threading.Event()
        if channel == "email":
            t = SmtpTransport(SmtpSettings("127.0.0.1", drip.port, "ogi@example.gov.cn", timeout=30), stop)
            address = "li@example.gov.cn"
        else:
            t = WebhookTransport(timeout=30, cancel=stop)
            address = f"http://127.0.0.1:{drip.port}/robot"
        timer = threading.Timer(0.5, stop.set)
        timer.start()
        started = time.monotonic()
        try:
            with pytest.raises(DeliveryError) as exc:
                t.send(address, Message("主题", "正文", "正文"))
            t.close()
        finally:
            timer.cancel()
            drip.close()
        assert time.monotonic() - started < 1.5
        assert "守护进程正在停止" in exc.value.message and exc.value.connection


def test_sigterm_stops_the_daemon_during_a_dripping_delivery(ogi_sqlite, calendar, monkeypatch, no_letters, tmp_path):
    ogi = ogi_sqlite
    drip = DripServer(b"220-").start()
    proc = None
    try:
        _config(ogi, monkeypatch, smtp_port=drip.port, timeout=60)  # only the stop can end it in time
        n = _due_case(ogi, calendar)
        env = {**os.environ, "OGI_NO_SERVICE": "1"}
        out, err = tmp_path / "daemon.out", tmp_path / "daemon.err"
        proc = subprocess.Popen([str(OGI), "scheduler", "run", "--interval", "60"], env=env, cwd=str(tmp_path),
                                stdout=out.open("w"), stderr=err.open("w"))
        end = time.monotonic() + 60  # bounded wait for a real process: start-up, sweep, connect
        while time.monotonic() < end and drip.bytes_sent < 3 and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, err.read_text("utf-8")
        assert drip.bytes_sent >= 3, "the daemon never reached the mail server"
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = proc.wait(timeout=10)
        took = time.monotonic() - started
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        drip.close()
    assert code == 0 and took < 5, (code, took)
    log = out.read_text("utf-8")
    assert "提醒守护进程已停止" in log and "收到停止信号" in log, log
    assert "Traceback" not in err.read_text("utf-8")
    # the interrupted delivery is failed, to be retried, not lost
    # the interrupted delivery is failed, to be retried; what was not tried yet stays pending
    ds = [d for w in ogi.json("warnings", "list") if w["case"] == n for d in w["recipients"]]
    failed = [d for d in ds if d["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["next_attempt_at"] and "守护进程正在停止" in failed[0]["last_error"]
    assert all(d["status"] == "pending" for d in ds if d not in failed)
