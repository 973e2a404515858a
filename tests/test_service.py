"""`ogi serve` and its clients as an office runs them (DESIGN.md, Trust; issue 14 item 4): real
OS accounts, an instance given to a service account by `ogi init --service-user` (a production
instance: allow_declared = false), the service running as that account, clerks running `ogi`
as their own accounts. What a clerk reads (stdout, stderr, exit codes, --json) is what is checked.

Accounts (service_support.Accounts): ...svc runs the service and owns the data, ...li and ...chen
are clerks, ...wang reviewer and head, ...zhao the legal office, ...out is in no configuration.

One service per backend for the whole module (SQLite file; PostgreSQL schema given to the service
by OGI_DATABASE_URL in its own environment); every test makes its own cases. Root only.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time
from pathlib import Path

import pytest

from conftest import require_postgres
from reliability_support import has_cjk

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates OS accounts and runs as them")

if os.geteuid() == 0:
    from service_support import Accounts, Deployment, Runtime, as_account, holders_of_pipe, service_children

RECEIVED = "2026-12-01"


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def accounts():
    acc = Accounts.create()
    yield acc
    acc.delete()


@pytest.fixture(scope="module")
def runtime(accounts):
    rt = Runtime.find(accounts["out"])
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def deployments(accounts, runtime):
    """deployments(backend): the module's instance and running service on that backend, made on
    first use. At the end each service gets SIGTERM and must exit 0 promptly, removing its socket."""
    made: dict[str, Deployment] = {}

    def get(backend: str) -> Deployment:
        if backend not in made:
            made[backend] = Deployment.create(backend, accounts, runtime)
        dep = made[backend]
        assert dep.proc is not None and dep.proc.poll() is None, f"the service has exited:\n{dep.log_text()}"
        return dep

    yield get
    problems = []
    for backend, dep in made.items():
        log = dep.log_text()
        code, socket_gone = dep.close()
        if code != 0:
            problems.append(f"{backend}: ogi serve ended with {code} after SIGTERM (None: killed after 10 s)\n{log}")
        if not socket_gone:
            problems.append(f"{backend}: ogi serve left its socket behind")
        if "Traceback" in log or "请求失败" in log:
            problems.append(f"{backend}: the service log has a failure:\n{log}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def dep(backend, deployments) -> Deployment:
    """The service on SQLite and on PostgreSQL."""
    return deployments(backend)


@pytest.fixture
def lite(deployments) -> Deployment:
    """The service on SQLite (tests about the service and the files, not the storage)."""
    return deployments("sqlite")


def refused(r, *, code: int = 1, says: str = "", what: str = "") -> None:
    """One clear Chinese line on stderr, the exit code, no traceback, nothing on stdout."""
    out = r.stdout + r.stderr
    assert r.exit_code == code, f"{what}: exit {r.exit_code}, expected {code}\n{out}"
    assert "Traceback" not in out and "内部错误" not in out, f"{what}: {out}"
    assert has_cjk(r.stderr) and r.stderr.startswith("错误："), f"{what}: {r.stderr!r}"
    assert says in r.stderr, f"{what}: {says!r} not in {r.stderr!r}"


def by_action(history: list[dict], action: str) -> list[tuple[str, str]]:
    return [(e["actor"], e["actor_auth"]) for e in history if e["action"] == action]


def _accepted_case(dep: Deployment, who: str = "li") -> str:
    case = str(dep.register(who)["id"])
    dep.ok(who, "case", "accept", case, "--date", "2026-12-02")
    return case


# --------------------------------------------------------------------------- 1. who acts

def test_clerk_acts_through_service_as_own_account(dep):
    case = dep.register("li")
    assert case["state"] == "registered"
    r = dep.run("li", "case", "accept", case["id"], "--date", "2026-12-02")
    assert r.exit_code == 0 and "已受理" in r.stdout, r.stderr + r.stdout
    history = dep.history("li", case["id"])
    assert by_action(history, "register") == [("li", "peer")]
    assert by_action(history, "accept") == [("li", "peer")]
    assert dep.state("chen", case["id"]) == "processing"  # another clerk reads the same case


# --------------------------------------------------------------------------- 2. impersonation

def test_impersonation_is_refused(lite, accounts):
    case = str(lite.register("li")["id"])
    before = lite.history("li", case)

    for as_ in ("wang", accounts["wang"]):
        r = lite.run("li", "case", "accept", case, "--date", "2026-12-02", "--as", as_)
        refused(r, says=f"不能用 --as 以 {as_} 的身份办理", what=f"--as {as_}")
        assert accounts["li"] in r.stderr, r.stderr  # it says who the caller is
    assert lite.history("li", case) == before and lite.state("li", case) == "registered"

    # A crafted configuration (li is admin and head, declared identities allowed) is not read.
    crafted = lite.root / "crafted.toml"
    crafted.write_text(lite.config.read_text("utf-8").replace("allow_declared = false", "allow_declared = true")
                       .replace('roles = ["clerk"]\nos_account = "' + accounts["li"],
                                'roles = ["admin", "head", "reviewer", "clerk"]\nos_account = "' + accounts["li"]),
                       "utf-8")
    os.chmod(crafted, 0o644)
    assert 'roles = ["admin", "head"' in crafted.read_text("utf-8")
    sneaky = {"OGI_CONFIG": str(crafted), "OGI_USER": "wang", "OGI_DATABASE_URL": f"sqlite:///{lite.root}/other.db"}
    r = lite.run("li", "case", "extend", case, "--workdays", "5", "--date", "2026-12-02", env=sneaky)
    refused(r, says="用户 li 没有", what="extend with a crafted OGI_CONFIG")
    r = lite.run("li", "case", "accept", case, "--date", "2026-12-02", "--as", "wang", env=sneaky)
    refused(r, says="不能用 --as", what="--as with a crafted OGI_CONFIG")
    assert lite.history("li", case) == before
    assert not (lite.root / "other.db").exists()

    # OGI_USER names nobody through the service: li acts as li.
    r = lite.run("li", "case", "accept", case, "--date", "2026-12-02", env={"OGI_USER": "wang"})
    assert r.exit_code == 0, r.stderr
    assert by_action(lite.history("wang", case), "accept") == [("li", "peer")]


# --------------------------------------------------------------------------- 3. four eyes

def test_four_eyes(dep, accounts):
    case = _accepted_case(dep)
    dep.ok("li", "case", "propose", case, "--outcome", "予以公开", "--date", "2026-12-03")
    dep.ok("li", "case", "decide", case, "--date", "2026-12-03")
    assert dep.state("li", case) == "awaiting_approval"
    before = dep.history("li", case)

    attempts = {"li approves": dep.run("li", "case", "approve", case, "--date", "2026-12-04"),
                "li --as wang": dep.run("li", "case", "approve", case, "--date", "2026-12-04", "--as", "wang"),
                "li OGI_USER=wang": dep.run("li", "case", "approve", case, "--date", "2026-12-04",
                                            env={"OGI_USER": "wang"})}
    for what, r in attempts.items():
        refused(r, what=what)
    assert "不能用 --as" in attempts["li --as wang"].stderr
    assert dep.history("li", case) == before and dep.state("wang", case) == "awaiting_approval"

    r = dep.run("wang", "case", "approve", case, "--date", "2026-12-04")
    assert r.exit_code == 0, r.stderr + r.stdout
    history = dep.history("wang", case)
    assert by_action(history, "approve") == [("wang", "peer")]
    assert by_action(history, "propose") == [("li", "peer")]
    assert dep.state("li", case) == "approved"


# --------------------------------------------------------------------------- 4. legal office

def test_legal_office_reads_but_cannot_write(lite):
    case = str(lite.register("li")["id"])
    r = lite.run("zhao", "case", "register", "--applicant", "钱五", "--applicant-type", "natural", "--channel",
                 "in_person", "--received", RECEIVED, "--description", "某文件")
    refused(r, says="用户 zhao 没有", what="zhao registers")
    assert "角色" in r.stderr
    refused(lite.run("zhao", "case", "accept", case, "--date", "2026-12-02"), says="用户 zhao 没有",
            what="zhao accepts")
    assert lite.state("li", case) == "registered"
    r = lite.run("zhao", "case", "show", case)
    assert r.exit_code == 0 and "张三" in r.stdout, r.stderr
    r = lite.run("zhao", "audit", "verify", "--json")
    assert r.exit_code == 0, r.stderr + r.stdout


# --------------------------------------------------------------------------- 5. unknown account

def test_unknown_account_is_refused(lite, accounts):
    stranger = accounts["out"]
    for argv in (("case", "list"), ("case", "show", "1"), ("audit", "verify")):
        r = lite.run("out", *argv)
        refused(r, says=stranger, what=f"{stranger} {' '.join(argv)}")
        assert "未对应配置文件" in r.stderr, r.stderr
        assert r.stdout == ""


# --------------------------------------------------------------------------- 6. the files

PROBE = """
import json, os, sys
home = sys.argv[1]
ops = {
    "read db": lambda: open(os.path.join(home, "ogi.db"), "rb").read(1),
    "write db": lambda: open(os.path.join(home, "ogi.db"), "r+b"),
    "list home": lambda: os.listdir(home),
    "list letters": lambda: os.listdir(os.path.join(home, "letters")),
    "read letter": lambda: open(sys.argv[2], "rb"),
    "read config": lambda: open(os.path.join(home, "ogi.toml"), "rb"),
    "list keys": lambda: os.listdir(os.path.join(home, "keys")),
    "replace config": lambda: os.rename(os.path.join(home, "ogi.toml"), os.path.join(home, "x")),
}
out = {}
for name, op in ops.items():
    try:
        op()
        out[name] = "opened"
    except OSError as exc:
        out[name] = type(exc).__name__
print(json.dumps(out))
"""


def test_clerk_cannot_open_the_data(lite):
    case = lite.register("li")
    letter = _wait_for_letter(case)
    r = lite.python("li", PROBE, str(lite.home), letter)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    assert seen == {k: "PermissionError" for k in seen}, seen

    # Every file of the instance is the service account's, and only its own (umask 077).
    svc = os.stat(lite.home).st_uid
    assert os.stat(lite.home).st_mode & 0o777 == 0o711
    loose = []
    for folder, dirs, files in os.walk(lite.home):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            if path == str(lite.socket):
                continue
            if st.st_uid != svc or st.st_mode & 0o077:
                loose.append((path, st.st_uid, oct(st.st_mode)))
    assert not loose, loose

    # Without the service the CLI runs in-process as li, who cannot read the instance.
    r = lite.in_process("li", "case", "list")
    refused(r, says="没有访问权限", what="li in-process")
    r = lite.in_process("li", "case", "show", str(case["id"]))
    refused(r, what="li in-process case show")


def _wait_for_letter(case: dict, deadline: float = 10.0) -> str:
    """The path of the case's first letter once its file exists (rendered after the reply)."""
    path = case["letters_rendered"][0]["path"]
    end = time.monotonic() + deadline
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.02)
    assert os.path.exists(path), f"{path} not rendered within {deadline} s"
    return path


# --------------------------------------------------------------------------- 7. clients that die

def _raw(dep: Deployment) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(dep.socket))
    return sock


def test_service_survives_clients_that_die(lite):
    from ogi.service import REQUEST_TIMEOUT

    case = str(lite.register("li")["id"])
    for _ in range(12 - len(lite.json("li", "case", "list", "--all")["cases"])):  # `case list --json` > 4 KiB
        lite.register("chen", name="钱六", settle=False)

    # A client that connects and says nothing holds one worker, nobody else; so does one that
    # sends its request a byte every 2 s. Both are dropped REQUEST_TIMEOUT after connecting.
    silent = _raw(lite)
    connected = time.monotonic()
    dropped: list[float] = []
    dribbler = threading.Thread(target=_dribble, args=(lite, REQUEST_TIMEOUT, dropped))
    dribbler.start()
    t0 = time.monotonic()
    r = lite.run("li", "case", "show", case)
    assert r.exit_code == 0 and time.monotonic() - t0 < REQUEST_TIMEOUT, r.stderr
    silent.setblocking(False)
    with pytest.raises(BlockingIOError):  # still connected: the service waits for its request
        silent.recv(1)
    silent.setblocking(True)

    # (a) half a request, then gone; also half a request with the three descriptors attached.
    with _raw(lite) as sock:
        body = json.dumps({"argv": ["case", "list"], "cwd": "/", "env": {}}).encode()
        sock.sendall(b"OGI1" + struct.pack("!I", len(body)) + body[:len(body) // 2])
    with _raw(lite) as sock, open(os.devnull, "rb") as null:
        socket.send_fds(sock, [b"OGI1" + struct.pack("!I", 1000) + b"{\"argv\""], [null.fileno()] * 3)
    with _raw(lite) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")

    # (b) a client killed right away
    p = lite.popen("li", "case", "show", case, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.send_signal(signal.SIGKILL)
    assert p.wait(10) == -signal.SIGKILL

    # (c) a client killed while its command writes: the output pipe is made one page small and
    # not read, so the command blocks writing; the client dies, then the reader goes (EPIPE).
    r_fd, w_fd = os.pipe()
    fcntl.fcntl(w_fd, fcntl.F_SETPIPE_SZ, 4096)
    inode = os.fstat(r_fd).st_ino
    p = lite.popen("li", "case", "list", "--json", stdout=w_fd, stderr=subprocess.DEVNULL)
    os.close(w_fd)
    try:
        end = time.monotonic() + 30
        while _pending(r_fd) < 4096 and time.monotonic() < end:
            assert p.poll() is None, f"client ended with {p.returncode} before filling the pipe"
            time.sleep(0.01)
        assert _pending(r_fd) == 4096, "the command never filled its output pipe"
        writers = holders_of_pipe(inode, service_children(lite.proc.pid))
        assert len(writers) == 1, writers  # one worker of the service is blocked on our pipe
        p.send_signal(signal.SIGKILL)
        assert p.wait(10) == -signal.SIGKILL
        head = os.read(r_fd, 4096).decode("utf-8", "replace")
        assert head.startswith('{\n  "as_of"'), head[:200]
    finally:
        os.close(r_fd)
    end = time.monotonic() + 10
    while holders_of_pipe(inode, writers) and time.monotonic() < end:
        time.sleep(0.02)
    assert not holders_of_pipe(inode, writers), "the worker still holds the dead client's pipe"
    end = time.monotonic() + 10
    while (writers & service_children(lite.proc.pid)) and time.monotonic() < end:
        time.sleep(0.02)
    assert not writers & service_children(lite.proc.pid), "the worker did not exit"

    # The service is alive and serves, and the case is as it was.
    assert lite.proc.poll() is None, lite.log_text()
    r = lite.run("li", "case", "show", case, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["state"] == "registered", r.stderr
    assert lite.run("li", "case", "list").exit_code == 0

    # The silent and the slow clients are dropped once their time is up.
    dribbler.join(REQUEST_TIMEOUT + 30)
    assert dropped and dropped[0] < REQUEST_TIMEOUT + 2, f"a slow client held its worker: {dropped}"
    silent.settimeout(REQUEST_TIMEOUT + 10 - (time.monotonic() - connected))
    try:
        assert silent.recv(1) == b""
    finally:
        silent.close()


def _dribble(dep: Deployment, limit: float, dropped: list[float]) -> None:
    """Send a request one byte every 2 s; note when the service hangs up (seconds after connecting)."""
    data = b"OGI1" + struct.pack("!I", 1000) + b"x" * 1000
    with _raw(dep) as sock:
        start = time.monotonic()
        sock.settimeout(2.0)
        for i in range(len(data)):
            if time.monotonic() - start > limit + 10:
                return
            try:
                sock.send(data[i:i + 1])
                if sock.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:  # EPIPE, ECONNRESET: hung up
                break
        dropped.append(time.monotonic() - start)


def _pending(fd: int) -> int:
    buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


# --------------------------------------------------------------------------- 8. concurrency

def test_parallel_clerks_get_unique_gap_free_numbers(lite):
    results: dict[tuple[str, int], object] = {}

    def clerk(who: str, slot: int) -> None:
        for i in range(5):
            results[(f"{who}#{slot}", i)] = lite.run(who, "case", "register", "--applicant", f"并发{slot}-{i}",
                                                      "--applicant-type", "natural", "--channel", "in_person",
                                                      "--received", RECEIVED, "--description", "并发登记", "--json")

    threads = [threading.Thread(target=clerk, args=(who, n)) for n, who in enumerate(("li", "chen", "svc", "li"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 20
    bad = {k: r.stderr for k, r in results.items() if r.exit_code != 0}
    assert not bad, bad
    mine = [json.loads(r.stdout) for r in results.values()]
    assert len({c["number"] for c in mine}) == 20
    cases = lite.json("li", "case", "list", "--all", "--limit", "100000")["cases"]
    numbers = sorted(int(c["number"].split("-")[1]) for c in cases)
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert {c["number"] for c in mine} <= {c["number"] for c in cases}
    r = lite.run("zhao", "audit", "verify")
    assert r.exit_code == 0, r.stderr + r.stdout


# --------------------------------------------------------------------------- 9. same output

def test_same_output_as_in_process(lite):
    """The service prints what the in-process CLI prints, to the byte: both run as the service
    account (user sun), the one through the socket, the other with OGI_NO_SERVICE=1."""
    case = _accepted_case(lite, "svc")
    before = lite.history("li", case)
    assert by_action(before, "accept") == [("sun", "peer")]
    commands = [
        ("case", "show", case),
        ("case", "show", case, "--json"),
        ("case", "list"),
        ("case", "history", case),
        ("calendar", "add", "2026-09-24", "20"),
        ("case", "accept", case, "--date", "2026-12-03"),  # refused: already accepted
        ("case", "approve", case),  # refused: the clerk's role
        ("case", "accept"),  # usage error
        ("case", "acept", case),  # usage error: no such command
        ("case", "register", "-h"),
        ("--version",),
    ]
    codes = set()
    for argv in commands:
        served = lite.run("svc", *argv)
        local = lite.in_process("svc", *argv)
        assert (served.exit_code, served.stdout, served.stderr) == (local.exit_code, local.stdout, local.stderr), argv
        codes.add(served.exit_code)
    assert codes == {0, 1, 2}
    assert lite.proc.poll() is None and lite.run("svc", "case", "show", case).exit_code == 0  # it was served
    assert lite.history("li", case) == before  # the refused steps recorded nothing, either way


# --------------------------------------------------------------------------- 10. letters

def test_letters_are_the_service_accounts(lite, accounts):
    r = lite.run("li", "case", "register", "--applicant", "孙七", "--applicant-type", "natural", "--channel",
                 "in_person", "--received", RECEIVED, "--description", "某批复")
    assert r.exit_code == 0, r.stderr
    paths = [line.strip() for line in r.stdout.splitlines() if line.strip().endswith(".pdf")]
    assert len(paths) == 1, r.stdout
    path = paths[0]
    end = time.monotonic() + 2.0
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.02)
    assert os.path.exists(path), f"{path} not rendered within 2 s after the reply"
    svc = accounts.uid("svc")
    for p in (path, os.path.dirname(path)):
        st = os.stat(p)
        assert st.st_uid == svc and st.st_gid == os.stat(lite.home).st_gid, (p, st)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o700
    end = time.monotonic() + 5.0  # the DOCX working copy is written too, just as private
    docx = path[:-4] + ".docx"
    while not os.path.exists(docx) and time.monotonic() < end:
        time.sleep(0.02)
    if os.path.exists(docx):
        assert os.stat(docx).st_mode & 0o777 == 0o600 and os.stat(docx).st_uid == svc
    r = lite.run("li", "letter", "verify", path)
    assert r.exit_code == 0, r.stderr + r.stdout


# --------------------------------------------------------------------------- 11. who may serve

def test_only_the_service_account_serves_and_only_once(lite, accounts):
    svc = accounts["svc"]
    owners = {p: os.stat(p).st_uid for p in lite.home.iterdir()}
    r = subprocess.run([lite.rt.ogi, "serve"], env=lite.service_env(), capture_output=True, text=True, cwd="/",
                       timeout=60)
    assert r.returncode == 1, r.stderr + r.stdout
    assert svc in r.stderr and "ogi serve" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert {p: os.stat(p).st_uid for p in lite.home.iterdir()} == owners  # root left nothing of its own

    r = subprocess.run([lite.rt.ogi, "serve"], env=lite.service_env(), capture_output=True, text=True, cwd="/",
                       timeout=60, **as_account(svc))
    assert r.returncode == 1, r.stderr + r.stdout
    assert "已有 ogi 服务" in r.stderr and str(lite.socket) in r.stderr, r.stderr

    assert lite.proc.poll() is None
    assert lite.run("li", "case", "list").exit_code == 0  # the first service still answers


# --------------------------------------------------------------------------- 12. a broken configuration

def test_broken_configuration_is_told_to_the_clerk(lite):
    """The configuration is read for each request: one that does not load is reported to the
    clerk in Chinese (not only to the service log), and the service goes on once it is fixed."""
    good = lite.config.read_bytes()
    try:
        with open(lite.config, "wb") as f:  # in place: owner and mode stay
            f.write(b"<svg>not a configuration</svg>\n")
        r = lite.run("li", "case", "list")
        refused(r, says="格式错误", what="case list on a broken configuration")
        assert str(lite.config) in r.stderr, r.stderr
    finally:
        with open(lite.config, "wb") as f:
            f.write(good)
    assert lite.run("li", "case", "list").exit_code == 0
    assert "请求失败" not in lite.log_text()


# --------------------------------------------------------------------------- 13. output files

def test_output_files_cannot_touch_the_services_data(lite, accounts):
    """An --out path is written by the service account: it must never land on the service's own
    files, whoever asks (here the read-only legal office and a clerk), absolute or relative."""
    case = str(lite.register("li")["id"])
    precious = lite.home / "backups" / "precious.db"  # a file of the service in one of its folders
    planted = lite.home / "letters" / "planted.mmd"
    precious.write_bytes(b"the service's data\n")
    os.chown(precious, accounts.uid("svc"), os.stat(lite.home).st_gid)
    os.chmod(precious, 0o600)
    kept = {p: p.read_bytes() for p in (lite.config, precious)}  # (the database may checkpoint meanwhile)
    attempts = [
        ("zhao", "audit", "export", case, "--format", "csv", "--out", str(lite.db)),
        ("zhao", "states", "diagram", "--format", "svg", "--out", str(lite.config)),
        ("zhao", "states", "diagram", "--format", "svg", "--out", os.path.relpath(lite.config, "/tmp")),
        ("zhao", "audit", "export", case, "--format", "csv", "--out", str(precious)),
        ("li", "states", "diagram", "--format", "mermaid", "--out", str(planted)),
    ]
    try:
        for who, *argv in attempts:
            r = lite.run(who, *argv)
            refused(r, says="不能写入", what=f"{who} {' '.join(argv)}")
        assert {p: p.read_bytes() for p in kept} == kept
        assert lite.db.read_bytes()[:16] == b"SQLite format 3\0"
        assert not planted.exists()
    finally:
        precious.unlink(missing_ok=True)
        planted.unlink(missing_ok=True)
    assert lite.run("li", "case", "show", case).exit_code == 0


def test_report_files_belong_to_whoever_asked(lite, accounts):
    """Through the service a report's --out file is opened by the client, with the asker's own
    rights: the legal office gets its dossier in its own folder, as its own file (not the service
    account's), relative paths included; a failed command leaves no empty file behind."""
    case = str(lite.register("li")["id"])
    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="ogt-zhao-"))
    try:
        os.chown(folder, accounts.uid("zhao"), accounts.gid("zhao"))
        os.chmod(folder, 0o700)  # the service account cannot even enter it
        target = folder / "案卷.csv"
        r = lite.run("zhao", "audit", "export", case, "--format", "csv", "--out", str(target))
        assert r.exit_code == 0, r.stderr
        st = target.stat()
        assert (st.st_uid, st.st_gid) == (accounts.uid("zhao"), accounts.gid("zhao"))
        assert "办理经过" in target.read_text("utf-8") or case in target.read_text("utf-8")
        assert str(target) in r.stdout
        r = lite.run("zhao", "states", "diagram", "--format", "mermaid", "--out=流程图.mmd", env={}, cwd=str(folder))
        assert r.exit_code == 0, r.stderr
        assert (folder / "流程图.mmd").stat().st_uid == accounts.uid("zhao")
        assert "stateDiagram" in (folder / "流程图.mmd").read_text("utf-8")
        r = lite.run("zhao", "audit", "export", "999999", "--format", "csv", "--out", str(folder / "none.csv"))
        assert r.exit_code == 1 and not (folder / "none.csv").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_clerk_copies_a_letter_to_print(lite, accounts):
    """The letters folder is the service account's alone; `ogi letter copy` is how a clerk gets a
    letter through the service: the copy is the clerk's own file, byte for byte the recorded PDF."""
    case = lite.register("li")
    path = _wait_for_letter(case)
    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="ogt-li-"))
    try:
        os.chown(folder, accounts.uid("li"), accounts.gid("li"))
        os.chmod(folder, 0o700)
        target = folder / "回执.pdf"
        end = time.monotonic() + 10  # the file exists a moment before its row says "rendered"
        while True:
            r = lite.run("li", "letter", "copy", str(case["id"]), "登记回执", "--out", str(target))
            if r.exit_code == 0 or "尚未生成" not in r.stderr or time.monotonic() > end:
                break
            time.sleep(0.05)
        assert r.exit_code == 0, r.stderr
        assert "已另存" in r.stdout and str(target) in r.stdout
        assert target.stat().st_uid == accounts.uid("li")
        assert target.read_bytes() == Path(path).read_bytes()
        r = lite.run("li", "letter", "copy", str(case["id"]), "答复书", "--out", str(folder / "none.pdf"))
        assert r.exit_code == 1 and "没有" in r.stderr and not (folder / "none.pdf").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
