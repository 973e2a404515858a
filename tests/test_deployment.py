"""Deployment for an office (DESIGN.md, Trust; docs/deployment.md): only the service account opens
the data, and on PostgreSQL the service's role can append history but never rewrite it.

- `ogi init --service-user`, on real OS accounts (useradd, removed afterwards; root only): a
  clerk's login can neither read nor write the database, the configuration or the letters, only
  pass through the instance folder; re-running fixes what drifted and says what it changed.
- `ogi serve --check` (commands/serve_check.run_check, engine/deployment.check): ✓ for a good
  deployment, ✗ with the command to run when the database is readable by others or the
  configuration belongs to a clerk; the pure checks on os.stat results, directly.
- `ogi init --writer-role/--reader-role` on PostgreSQL: the writer runs a whole case but cannot
  UPDATE/DELETE/TRUNCATE the history, disable its triggers or SET session_replication_role;
  the reader cannot write.

The clerk's and the service account's probes run /usr/bin/python3 (the standard library only:
the venv's interpreter may sit under root's home, which other accounts cannot enter); each
probe has a positive control, so "refused" never means "the probe could not run".
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import FIXED_TODAY, PG_BASE, Ogi, require_postgres

from ogi.commands.serve_check import report_lines, run_check
from ogi.engine import deployment as dep
from ogi.engine.deployment import Account

SYSTEM_PYTHON = "/usr/bin/python3"
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="creates OS accounts and chowns files: root only")


# --------------------------------------------------------------------------- the pure checks

SVC = Account("ogisvc", 54321, 54321)
NOBODY_UID = 54999  # no passwd entry: shown as "uid 54999"


def st(mode: int, uid: int = SVC.uid, gid: int = SVC.gid) -> os.stat_result:
    return os.stat_result((mode, 0, 0, 1, uid, gid, 0, 0, 0, 0))


FILE, DIR, SOCK = stat.S_IFREG, stat.S_IFDIR, stat.S_IFSOCK


def test_private_file_of_the_service_account():
    ok = dep.private_finding("数据库", Path("/srv/ogi/ogi.db"), st(FILE | 0o600), SVC, is_dir=False)
    assert ok == {"ok": True, "item": "数据库 /srv/ogi/ogi.db", "detail": "", "note": "属于服务账户 ogisvc，仅其可读写"}
    loose = dep.private_finding("数据库", Path("/srv/ogi/ogi.db"), st(FILE | 0o644), SVC, is_dir=False)
    assert not loose["ok"]
    assert loose["detail"] == "同组用户可读、其他用户可读；请运行 chmod 600 /srv/ogi/ogi.db"
    theirs = dep.private_finding("数据库", Path("/srv/ogi/ogi.db"), st(FILE | 0o600, uid=NOBODY_UID), SVC, is_dir=False)
    assert theirs["detail"] == f"属于 uid {NOBODY_UID} 而非服务账户 ogisvc；请运行 chown ogisvc: /srv/ogi/ogi.db"
    missing = dep.private_finding("数据库", Path("/srv/ogi/ogi.db"), None, SVC, is_dir=False)
    assert missing["detail"] == "不存在；请运行 ogi init --service-user ogisvc"
    not_a_file = dep.private_finding("数据库", Path("/srv/ogi/ogi.db"), st(DIR | 0o700), SVC, is_dir=False)
    assert "不是普通文件" in not_a_file["detail"]


def test_private_folder_of_the_service_account():
    ok = dep.private_finding("文书目录", Path("/srv/ogi/letters"), st(DIR | 0o700), SVC, is_dir=True)
    assert ok["ok"] and ok["note"] == "属于服务账户 ogisvc，仅其可访问"
    open_dir = dep.private_finding("文书目录", Path("/srv/ogi/letters"), st(DIR | 0o755, uid=0), SVC, is_dir=True)
    assert open_dir["detail"] == ("属于 root 而非服务账户 ogisvc、同组用户可读、同组用户可进入、其他用户可读、其他用户可进入；"
                                  "请运行 chown -R ogisvc: /srv/ogi/letters && chmod -R go-rwx /srv/ogi/letters")
    drift = dep.private_finding("文书目录", Path("/srv/ogi/letters"), st(DIR | 0o700), SVC, is_dir=True, inside=(3, 1))
    assert drift["detail"] == ("其中 3 个文件或目录不属于服务账户，服务无法改写、其中 1 个文件或目录对同组或其他用户开放；"
                               "请运行 ogi init --service-user ogisvc")
    later = dep.private_finding("密钥目录", Path("/srv/ogi/keys"), None, SVC, is_dir=True, optional=True)
    assert later["ok"] and "尚未创建" in later["note"]


def test_config_owned_by_the_service_or_by_root_readable_by_the_service():
    path = Path("/srv/ogi/ogi.toml")
    assert dep.config_finding(path, st(FILE | 0o600), SVC)["ok"]
    root_group = dep.config_finding(path, st(FILE | 0o640, uid=0, gid=SVC.gid), SVC)
    assert root_group["ok"] and root_group["note"] == "属于root，同组可读，仅其可读写"
    unreadable = dep.config_finding(path, st(FILE | 0o600, uid=0, gid=0), SVC)
    assert unreadable["detail"] == ("服务账户 ogisvc 无法读取；"
                                    "请运行 chown ogisvc: /srv/ogi/ogi.toml && chmod 600 /srv/ogi/ogi.toml")
    others = dep.config_finding(path, st(FILE | 0o664), SVC)
    assert others["detail"].startswith("同组用户可写、其他用户可读；")
    clerk = dep.config_finding(path, st(FILE | 0o600, uid=NOBODY_UID), SVC)
    assert clerk["detail"].startswith(f"属于 uid {NOBODY_UID}，不是服务账户 ogisvc 或 root、服务账户 ogisvc 无法读取；")
    assert "不存在" in dep.config_finding(path, None, SVC)["detail"]


def test_instance_folder_closed_but_passable():
    home = Path("/srv/ogi")
    ok = dep.home_finding(home, st(DIR | 0o711), SVC)
    assert ok["ok"] and ok["note"] == "属于服务账户 ogisvc，其他用户不能写入，不能列出或读取"
    writable = dep.home_finding(home, st(DIR | 0o777), SVC)
    assert writable["detail"] == "同组用户可写、其他用户可写；请运行 chmod 711 /srv/ogi"
    closed = dep.home_finding(home, st(DIR | 0o700), SVC)
    assert closed["detail"] == "其他用户无法进入，职员无法连接服务套接字；请运行 chmod 711 /srv/ogi"
    assert dep.home_finding(home, st(DIR | 0o700, uid=0), None)["ok"]  # a personal instance, no service
    foreign = dep.home_finding(home, st(DIR | 0o711, uid=NOBODY_UID), SVC)
    assert foreign["detail"].startswith(f"属于 uid {NOBODY_UID}，他人可改动其中的文件")


def test_folders_above_the_instance():
    home = Path("/tmp/x/ogi")
    good = [(Path("/tmp/x"), st(DIR | 0o755, uid=0)), (Path("/tmp"), st(DIR | 0o1777, uid=0)), (Path("/"), st(DIR | 0o755, uid=0))]
    assert dep.ancestors_finding(home, good, SVC)["ok"]
    bad = dep.ancestors_finding(home, [(Path("/tmp/x"), st(DIR | 0o777, uid=0)), (Path("/root"), st(DIR | 0o700, uid=0)),
                                       (Path("/home/li"), st(DIR | 0o755, uid=NOBODY_UID))], SVC)
    assert bad["detail"] == (f"/tmp/x 可被他人写入，他人可替换实例目录、/root 其他用户无法进入，服务账户和职员都到不了实例目录、"
                             f"/home/li 属于 uid {NOBODY_UID}，其可替换实例目录；请运行 chmod go-w /tmp/x && chmod o+x /root，"
                             "把实例放在 /srv/ogi 等只有 root 可写的目录下")


def test_who_runs_the_check():
    assert dep.process_finding(0, SVC, "ogisvc")["ok"]
    assert dep.process_finding(SVC.uid, SVC, "ogisvc")["note"] == "以服务账户 ogisvc 运行"
    other = dep.process_finding(NOBODY_UID, SVC, "ogisvc")
    assert other["detail"] == f"当前以 uid {NOBODY_UID} 运行，不是服务账户 ogisvc；请运行 sudo -u ogisvc ogi serve --check"
    assert "未指定服务账户" in dep.process_finding(0, None, "")["detail"]
    assert dep.process_finding(0, None, "ghost")["detail"] == "配置的服务账户 ghost 在本机不存在；请运行 useradd --system ghost"


def test_the_socket():
    path = "/srv/ogi/ogi.sock"
    assert dep.socket_finding(path, st(SOCK | 0o666), True, service=True)["ok"]
    assert dep.socket_finding(path, None, False, service=True)["detail"] == "不存在，服务未运行；请运行 systemctl start ogi"
    assert "不是套接字" in dep.socket_finding(path, st(FILE | 0o644), False, service=True)["detail"]
    assert "其他用户无法连接" in dep.socket_finding(path, st(SOCK | 0o600), True, service=True)["detail"]
    assert dep.socket_finding(path, st(SOCK | 0o600), True, service=False)["ok"]
    assert "服务没有应答" in dep.socket_finding(path, st(SOCK | 0o666), False, service=True)["detail"]


def test_the_postgres_role_may_not_rewrite_history():
    clean = {"role": "ogi_writer", "superuser": False, "owner": "ogi_owner", "update": False, "delete": False, "truncate": False}
    assert dep.history_role_finding(clean)["ok"]
    assert "超级用户" in dep.history_role_finding({**clean, "superuser": True})["detail"]
    assert "所有者" in dep.history_role_finding({**clean, "owner": "ogi_writer"})["detail"]
    assert dep.history_role_finding({**clean, "owner_member": True})["detail"] == (
        "是所有者角色 ogi_owner 的成员（可 SET ROLE），可关闭触发器改写记录；请以超级用户执行 REVOKE ogi_owner FROM ogi_writer")
    rights = dep.history_role_finding({**clean, "update": True, "truncate": True})
    assert rights["detail"] == ("对办理记录表 history_event 有 UPDATE, TRUNCATE 权限；请以表的所有者角色执行 "
                                "REVOKE UPDATE, DELETE, TRUNCATE ON history_event FROM ogi_writer")
    assert "尚未初始化" in dep.history_role_finding({"role": "x", "missing": True})["detail"]


def test_report_lines():
    result = {"ok": False, "service_user": "ogi", "findings": [
        dep.finding("配置文件 /srv/ogi/ogi.toml", note="属于服务账户 ogi，仅其可读写"),
        dep.finding("数据库 /srv/ogi/ogi.db", ["其他用户可读"], ["chmod 600 /srv/ogi/ogi.db"])]}
    assert report_lines(result) == [
        "✓ 配置文件 /srv/ogi/ogi.toml：属于服务账户 ogi，仅其可读写",
        "✗ 数据库 /srv/ogi/ogi.db：其他用户可读；请运行 chmod 600 /srv/ogi/ogi.db",
        "部署检查发现 1 处问题（服务账户 ogi）：请按上面 ✗ 各行的提示处理后重新检查。"]


# --------------------------------------------------------------------------- real accounts, real files

def _useradd(prefix: str) -> str:
    name = f"{prefix}{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    return name


@pytest.fixture
def accounts():
    """A service account and a clerk's account, both real, removed afterwards."""
    made = []
    try:
        made.append(_useradd("ogit_svc_"))
        made.append(_useradd("ogit_clk_"))
        yield dep.account(made[0]), dep.account(made[1])
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def office(monkeypatch):
    """An instance folder outside pytest's 0700 tmp (other accounts must reach it)."""
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="ogit_"))
    os.chmod(base, 0o755)
    home = base / "ogi"
    monkeypatch.setenv("OGI_HOME", str(home))
    monkeypatch.setenv("OGI_NO_SERVICE", "1")
    monkeypatch.setenv("OGI_TODAY", FIXED_TODAY)
    monkeypatch.setenv("OGI_USER", "li")
    for var in ("OGI_DATABASE_URL", "OGI_CONFIG", "OGI_SOCKET", "OGI_LETTERS_DIR"):
        monkeypatch.delenv(var, raising=False)
    yield home
    from ogi.engine.store.db import dispose_engines

    dispose_engines()
    shutil.rmtree(base, ignore_errors=True)


def ogi_cli(capsys, *args: str):
    from ogi.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


PROBE = r"""
import json, os, sys
out = []
for kind, path in json.loads(sys.argv[1]):
    try:
        if kind == "read":
            open(path, "rb").close()
        elif kind == "write":
            open(path, "ab").close()
        elif kind == "list":
            os.listdir(path)
        elif kind == "create":
            open(os.path.join(path, "probe"), "xb").close()
            os.unlink(os.path.join(path, "probe"))
        elif kind == "stat":
            os.stat(path)
        out.append("ok")
    except OSError as exc:
        out.append(os.strerror(exc.errno))
print(json.dumps(out))
"""


def probe(who: Account, attempts: list[tuple[str, Path]]) -> list[str]:
    """What the account `who` gets for each (kind, path): "ok" or the OS error."""
    r = subprocess.run([SYSTEM_PYTHON, "-c", PROBE, json.dumps([(k, str(p)) for k, p in attempts])],
                       user=who.uid, group=who.gid, extra_groups=[], cwd="/", capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


DENIED = os.strerror(13)  # EACCES


@root_only
def test_init_gives_the_data_to_the_service_account_alone(office, accounts, capsys):
    svc, clerk = accounts
    code, out, err = ogi_cli(capsys, "init", "--training", "--service-user", svc.name)
    assert code == 0, err
    assert f"已把实例的数据交给服务账户 {svc.name}" in out
    home = office
    expect = {home: (0o711, True), home / "ogi.toml": (0o600, False), home / "ogi.db": (0o600, False),
              home / "letters": (0o700, True), home / "exports": (0o700, True), home / "keys": (0o700, True),
              home / "backups": (0o700, True)}
    for path, (mode, _is_dir) in expect.items():
        s = os.stat(path)
        assert (s.st_uid, s.st_gid, s.st_mode & 0o7777) == (svc.uid, svc.gid, mode), path
    assert f'[service]\n# ' in (home / "ogi.toml").read_text("utf-8")
    assert f'user = "{svc.name}"' in (home / "ogi.toml").read_text("utf-8")
    assert not list(home.glob("ogi.db-*")) or all(os.stat(p).st_uid == svc.uid for p in home.glob("ogi.db-*"))

    control = home.parent / "public.txt"
    control.write_text("anyone may read this", "utf-8")
    os.chmod(control, 0o644)
    attempts = [("read", control), ("stat", home / "ogi.toml"),  # positive controls
                ("read", home / "ogi.db"), ("write", home / "ogi.db"), ("read", home / "ogi.toml"),
                ("write", home / "ogi.toml"), ("list", home), ("create", home), ("list", home / "letters"),
                ("create", home / "letters"), ("list", home / "exports"), ("list", home / "keys"),
                ("list", home / "backups")]
    assert probe(clerk, attempts) == ["ok", "ok"] + [DENIED] * (len(attempts) - 2)
    # the service account itself opens all of it
    assert probe(svc, [("read", home / "ogi.db"), ("write", home / "ogi.db"), ("read", home / "ogi.toml"),
                       ("list", home / "letters"), ("create", home / "letters"), ("create", home)]) == ["ok"] * 6


@root_only
def test_init_refuses_without_root_or_account(office, accounts, capsys, monkeypatch):
    svc, _clerk = accounts
    ghost = "ogit_ghost_" + secrets.token_hex(4)
    code, out, err = ogi_cli(capsys, "init", "--service-user", ghost)
    assert code == 1 and f"操作系统账户 {ghost} 不存在" in err and f"useradd --system {ghost}" in err
    code, out, err = ogi_cli(capsys, "init", "--service-user", "root")
    assert code == 1 and "不能是 root" in err
    assert not office.exists()  # nothing was set up
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, out, err = ogi_cli(capsys, "init", "--service-user", svc.name)
    assert code == 1 and "须以 root 身份运行" in err and len(err.strip().splitlines()) == 1
    assert not office.exists()


@root_only
def test_rerun_fixes_what_drifted_and_says_so(office, accounts, capsys):
    svc, clerk = accounts
    assert ogi_cli(capsys, "init", "--training", "--service-user", svc.name)[0] == 0
    home = office
    os.chmod(home / "ogi.db", 0o644)
    os.chown(home / "ogi.toml", clerk.uid, clerk.gid)
    case_dir = home / "letters" / "2026-0001"
    case_dir.mkdir()
    (case_dir / "reply.pdf").write_bytes(b"%PDF-1.7")
    os.chmod(case_dir / "reply.pdf", 0o644)
    os.symlink("/etc/passwd", case_dir / "link")  # never followed, never chowned through
    code, out, err = ogi_cli(capsys, "init", "--service-user", svc.name)
    assert code == 0, err
    assert f"{home / 'ogi.db'}：权限 0644 → 0600" in out
    assert f"{home / 'ogi.toml'}：属主 {clerk.name} → {svc.name}" in out
    assert f"{home / 'letters'} 内 2 个文件或目录：改为属于 {svc.name}，仅其可访问" in out
    assert os.stat("/etc/passwd").st_uid == 0
    for path, mode in ((home / "ogi.db", 0o600), (home / "ogi.toml", 0o600), (case_dir, 0o700), (case_dir / "reply.pdf", 0o600)):
        s = os.stat(path)
        assert (s.st_uid, s.st_mode & 0o7777) == (svc.uid, mode), path
    code, out, err = ogi_cli(capsys, "init", "--service-user", svc.name)
    assert code == 0 and "权限正确，无需调整" in out


@root_only
def test_an_existing_instance_gets_its_service_account(office, accounts, capsys):
    svc, clerk = accounts
    assert ogi_cli(capsys, "init", "--training")[0] == 0
    code, out, err = ogi_cli(capsys, "case", "register", "--applicant", "张三", "--applicant-type", "自然人",
                             "--channel", "当面提交", "--received", "2026-09-24", "--description", "某道路改造工程立项批复")
    assert code == 0, err
    code, out, err = ogi_cli(capsys, "init", "--service-user", svc.name, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["service_user"] == svc.name
    assert f"配置文件 {office / 'ogi.toml'}：写入 [service] user = \"{svc.name}\"" in result["changes"]
    assert os.stat(office / "letters").st_uid == svc.uid
    assert all(os.stat(p).st_uid == svc.uid for p in (office / "letters").rglob("*"))
    # another service account is not silently swapped in
    code, out, err = ogi_cli(capsys, "init", "--service-user", clerk.name)
    assert code == 1 and f"已指定服务账户 {svc.name}" in err


FAKE_SERVICE = r"""
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o666)
s.listen(8)
print("ready", flush=True)
while True:
    conn, _ = s.accept()
    if conn.recv(8) == b"OGI1\0\0\0\0":
        conn.sendall(b"P")
    conn.close()
"""


@pytest.fixture
def service_socket(office, accounts):
    """A process of the service account answering the service's ping on $OGI_HOME/ogi.sock (the
    real `ogi serve` needs the venv's interpreter, which the service account may not reach here)."""
    svc, _clerk = accounts
    path = office / "ogi.sock"
    proc = subprocess.Popen([SYSTEM_PYTHON, "-c", FAKE_SERVICE, str(path)], user=svc.uid, group=svc.gid,
                            extra_groups=[], umask=0o077, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read()
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@root_only
def test_check_without_a_running_service(office, accounts, capsys):
    svc, clerk = accounts
    assert ogi_cli(capsys, "init", "--training", "--service-user", svc.name)[0] == 0
    home = office
    assert run_check(False) == 1  # no service yet
    out = capsys.readouterr().out
    assert f"✗ 服务套接字 {home / 'ogi.sock'}：不存在，服务未运行；请运行 systemctl start ogi" in out


@root_only
def test_check_of_a_running_deployment(office, accounts, capsys, request):
    svc, clerk = accounts
    assert ogi_cli(capsys, "init", "--training", "--service-user", svc.name)[0] == 0
    home = office
    sock = request.getfixturevalue("service_socket")
    assert os.stat(sock).st_uid == svc.uid

    assert run_check(False) == 0
    out = capsys.readouterr().out
    assert "✗" not in out, out
    assert f"✓ 配置文件 {home / 'ogi.toml'}：属于服务账户 {svc.name}，仅其可读写" in out
    assert f"✓ 数据库 {home / 'ogi.db'}：属于服务账户 {svc.name}，仅其可读写" in out
    assert f"✓ 服务套接字 {sock}：服务正在应答" in out
    assert out.rstrip().endswith(f"部署检查通过（服务账户 {svc.name}）。")
    assert run_check(True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["service_user"] == svc.name and all(f["ok"] for f in data["findings"])

    os.chmod(home / "ogi.db", 0o644)
    assert run_check(False) == 1
    out = capsys.readouterr().out
    assert (f"✗ 数据库 {home / 'ogi.db'}：同组用户可读、其他用户可读；请运行 chmod 600 {home / 'ogi.db'}") in out
    assert "部署检查发现 1 处问题" in out
    os.chmod(home / "ogi.db", 0o600)

    os.chown(home / "ogi.toml", clerk.uid, clerk.gid)
    assert run_check(True) == 1
    data = json.loads(capsys.readouterr().out)
    bad = [f for f in data["findings"] if not f["ok"]]
    assert [f["item"] for f in bad] == [f"配置文件 {home / 'ogi.toml'}"]
    assert bad[0]["detail"].startswith(f"属于 {clerk.name}，不是服务账户 {svc.name} 或 root、服务账户 {svc.name} 无法读取；请运行 chown {svc.name}:")

    assert ogi_cli(capsys, "init", "--service-user", svc.name)[0] == 0  # the fix
    assert run_check(False) == 0
    capsys.readouterr()

    # root writing into the instance leaves files that the service cannot replace
    case_dir = home / "letters" / "2026-0001"
    case_dir.mkdir()
    (case_dir / "reply.pdf").write_bytes(b"%PDF-1.7")
    assert run_check(True) == 1
    bad = {f["item"]: f["detail"] for f in json.loads(capsys.readouterr().out)["findings"] if not f["ok"]}
    assert bad == {f"文书目录 {home / 'letters'}": "其中 2 个文件或目录不属于服务账户，服务无法改写、"
                                                 "其中 2 个文件或目录对同组或其他用户开放；"
                                                 f"请运行 ogi init --service-user {svc.name}"}
    assert ogi_cli(capsys, "init", "--service-user", svc.name)[0] == 0
    assert run_check(False) == 0
    capsys.readouterr()

    # (SQLite itself gives the -wal/-shm that root's connection creates to the database's owner)
    import sqlite3

    conn = sqlite3.connect(home / "ogi.db")
    try:
        conn.execute("SELECT count(*) FROM cases").fetchone()
        sidecars = [home / "ogi.db-wal", home / "ogi.db-shm"]
        assert all(os.stat(p).st_uid == svc.uid for p in sidecars)
        assert run_check(False) == 0
        assert f"✓ 数据库附属文件 {home / 'ogi.db-wal'}：属于服务账户 {svc.name}，仅其可读写" in capsys.readouterr().out
    finally:
        conn.close()


def test_check_by_an_account_that_cannot_read_the_configuration(tmp_path, monkeypatch):
    import errno

    from ogi.engine import config

    monkeypatch.setenv("OGI_HOME", str(tmp_path / "ogi"))
    monkeypatch.delenv("OGI_DATABASE_URL", raising=False)

    def unreadable():
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(config, "load_config", unreadable)
    result = dep.check(socket=str(tmp_path / "ogi" / "ogi.sock"))
    assert not result["ok"] and result["service_user"] == ""
    assert result["findings"][0] == {"ok": False, "item": f"配置文件 {tmp_path / 'ogi' / 'ogi.toml'}", "note": "",
                                     "detail": "无法读取：没有访问权限；请以服务账户或 root 身份运行 ogi serve --check"}


# --------------------------------------------------------------------------- PostgreSQL roles

def _pg(url: str = PG_BASE):
    from sqlalchemy import create_engine

    return create_engine(url, isolation_level="AUTOCOMMIT")


def _role_url(role: str, schema: str) -> str:
    return f"postgresql+psycopg://{role}@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_office(tmp_path, monkeypatch, capsys):
    """A PostgreSQL schema and unique role names; schemas and roles are dropped afterwards."""
    require_postgres()
    from sqlalchemy import text

    tag = secrets.token_hex(4)
    names = {"schema": f"ogi_t_dep_{tag}", "writer": f"ogit_w_{tag}", "reader": f"ogit_r_{tag}", "owner": f"ogit_o_{tag}"}
    monkeypatch.setenv("OGI_HOME", str(tmp_path / "ogi-home"))
    monkeypatch.setenv("OGI_TODAY", FIXED_TODAY)
    monkeypatch.setenv("OGI_USER", "li")
    monkeypatch.setenv("OGI_NO_SERVICE", "1")
    for var in ("OGI_CONFIG", "OGI_SOCKET", "OGI_LETTERS_DIR"):
        monkeypatch.delenv(var, raising=False)
    yield names
    from ogi.engine.store.db import dispose_engines

    dispose_engines()
    admin = _pg()
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA IF EXISTS "{names["schema"]}" CASCADE'))
        for kind in ("writer", "reader", "owner"):
            role = names[kind]
            if c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                c.execute(text(f'DROP OWNED BY "{role}"'))
                c.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def _refused(url: str, sql: str) -> str:
    """Run `sql` as the URL's role; the database's refusal (it must refuse)."""
    from sqlalchemy.exc import DBAPIError

    engine = _pg(url)
    try:
        with engine.connect() as c:
            with pytest.raises(DBAPIError) as info:
                c.exec_driver_sql(sql)
        return str(info.value.orig)
    finally:
        engine.dispose()


def _count(url: str, table: str) -> int:
    engine = _pg(url)
    try:
        with engine.connect() as c:
            return c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
    finally:
        engine.dispose()


LIFECYCLE = [
    ("case", "register", "--applicant", "张三", "--applicant-type", "自然人", "--channel", "当面提交",
     "--received", "2026-09-24", "--description", "2025年人民路改造工程立项批复", "--address", "示例市东风路8号"),
    ("case", "accept", "1", "--date", "2026-09-25"),
    ("case", "request-correction", "1", "--items", "请写明文件名称或文号", "--date", "2026-09-28"),
    ("case", "receive-correction", "1", "--date", "2026-10-09"),
    ("case", "consult", "1", "--party", "示例建设有限公司", "--kind", "第三方", "--information", "施工合同", "--date", "2026-10-12"),
    ("case", "consultation-reply", "1", "--opinion", "同意", "--date", "2026-10-20"),
    ("case", "propose", "1", "--outcome", "予以公开", "--date", "2026-10-21"),
    ("case", "decide", "1", "--date", "2026-10-21"),
    ("case", "approve", "1", "--date", "2026-10-22", "--as", "wang"),
    ("case", "deliver", "1", "--method", "直接送达", "--date", "2026-10-23"),
    ("letter", "render", "--pending"),
    ("warnings", "sweep"),
    ("scheduler", "run", "--once"),
    ("audit", "verify"),
    ("check", "--all"),
    ("report", "annual", "--year", "2026"),
]


@pytest.mark.postgres
def test_writer_and_reader_roles(pg_office, monkeypatch, capsys, tmp_path):
    from sqlalchemy import text

    schema, writer, reader = pg_office["schema"], pg_office["writer"], pg_office["reader"]
    with _pg().connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    owner_url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("OGI_DATABASE_URL", owner_url)
    ogi = Ogi(capsys, tmp_path / "ogi-home", owner_url)
    out = ogi.ok("init", "--training", "--writer-role", writer, "--reader-role", reader).stdout
    assert f"数据库角色 {writer}：已创建" in out and f"数据库角色 {reader}：已创建" in out
    assert f"写入角色 {writer}：可读写模式 {schema} 中的" in out and f"只读角色 {reader}：可读取模式 {schema}" in out

    # the whole case, as the service's role
    writer_url, reader_url = _role_url(writer, schema), _role_url(reader, schema)
    monkeypatch.setenv("OGI_DATABASE_URL", writer_url)
    for argv in LIFECYCLE:
        ogi.ok(*argv)
    shown = ogi.json("case", "show", "1")
    assert (shown["state"], shown["delivery_method"]) == ("answered", "direct")
    assert shown["letters"] and all(x.get("sha256") for x in shown["letters"])
    events = _count(writer_url, "history_event")
    assert events >= 10

    # ... which can append history and nothing more
    assert "must be owner" in _refused(writer_url, "ALTER TABLE history_event DISABLE TRIGGER ALL")
    for sql in ("UPDATE history_event SET actor = 'x'", "DELETE FROM history_event", "TRUNCATE history_event",
                "UPDATE alembic_version SET version_num = 'x'", "DELETE FROM alembic_version",
                "INSERT INTO alembic_version VALUES ('x')", "CREATE TABLE intruder (id int)"):
        assert "permission denied" in _refused(writer_url, sql), sql
    assert "permission denied to set parameter" in _refused(writer_url, "SET session_replication_role = replica")
    assert _count(owner_url, "history_event") == events

    # the legal office reads everything and writes nothing
    assert _count(reader_url, "history_event") == events
    assert "permission denied" in _refused(reader_url, "INSERT INTO applicant (name, name_key, kind) VALUES ('x', 'x', 'natural')")
    assert "permission denied" in _refused(reader_url, "UPDATE cases SET closed = false")
    monkeypatch.setenv("OGI_DATABASE_URL", reader_url)
    assert ogi.json("case", "list")  # ogi's own reads work with it
    # the deployment check sees a safe role for the writer, and not for the owner (a superuser here)
    monkeypatch.setenv("OGI_DATABASE_URL", writer_url)
    role = [f for f in dep.check(socket=str(tmp_path / "none.sock"))["findings"] if f["item"].startswith("数据库角色")]
    assert role == [{"ok": True, "item": f"数据库角色 {writer}", "detail": "",
                     "note": "只能读取和追加办理记录，不能修改、删除或清空"}]
    monkeypatch.setenv("OGI_DATABASE_URL", owner_url)
    role = [f for f in dep.check(socket=str(tmp_path / "none.sock"))["findings"] if f["item"].startswith("数据库角色")]
    assert not role[0]["ok"] and "超级用户" in role[0]["detail"]


@pytest.mark.postgres
def test_an_owner_that_may_not_create_roles_is_told_the_sql(pg_office, monkeypatch, capsys, tmp_path):
    from sqlalchemy import text

    schema, writer, reader, owner = (pg_office[k] for k in ("schema", "writer", "reader", "owner"))
    with _pg().connect() as c:
        c.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        c.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))
    owner_url = _role_url(owner, schema)
    monkeypatch.setenv("OGI_DATABASE_URL", owner_url)
    ogi = Ogi(capsys, tmp_path / "ogi-home", owner_url)
    r = ogi("init", "--training", "--writer-role", writer, "--reader-role", reader)
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert f'CREATE ROLE "{writer}" LOGIN; CREATE ROLE "{reader}" LOGIN;' in r.stderr and f"当前角色 {owner} 无权创建" in r.stderr
    with _pg().connect() as c:  # the DBA does it
        c.execute(text(f'CREATE ROLE "{writer}" LOGIN'))
        c.execute(text(f'CREATE ROLE "{reader}" LOGIN'))
    with _pg().connect() as c:  # a writer that may become the owner is no writer
        c.execute(text(f'GRANT "{owner}" TO "{writer}"'))
    r = ogi("init", "--writer-role", writer, user="admin")
    assert r.exit_code == 1 and f"是表的所有者角色 {owner} 的成员" in r.stderr
    with _pg().connect() as c:
        c.execute(text(f'REVOKE "{owner}" FROM "{writer}"'))
    out = ogi.ok("init", "--writer-role", writer, "--reader-role", reader, user="admin").stdout
    assert "已创建" not in out and f"写入角色 {writer}" in out
    ogi.ok(*LIFECYCLE[0], user="li")  # the owner still works; now as the writer:
    monkeypatch.setenv("OGI_DATABASE_URL", _role_url(writer, schema))
    ogi.ok("case", "accept", "1", "--date", "2026-09-25")
    assert "permission denied" in _refused(_role_url(writer, schema), "DELETE FROM history_event")
    assert "must be owner" in _refused(_role_url(writer, schema), "ALTER TABLE history_event DISABLE TRIGGER ALL")


def test_roles_are_for_postgresql_only(ogi_sqlite):
    r = ogi_sqlite("init", "--writer-role", "ogi_writer", user="admin")
    assert r.exit_code == 1 and "只用于 PostgreSQL" in r.stderr


def test_role_names_are_checked(ogi_sqlite, monkeypatch):
    r = ogi_sqlite("init", "--writer-role", "Robert'); DROP TABLE cases;--", user="admin")
    assert r.exit_code == 1 and "角色名" in r.stderr and "无效" in r.stderr
    r = ogi_sqlite("init", "--writer-role", "ogi_x", "--reader-role", "ogi_x", user="admin")
    assert r.exit_code == 1 and "不能是同一个角色" in r.stderr


@root_only
@pytest.mark.postgres
def test_service_account_on_postgresql(pg_office, office, accounts, monkeypatch, capsys):
    """No database file to give away; the rest of the instance is the service account's, and the
    check looks at the service's role instead."""
    from sqlalchemy import text

    svc, _clerk = accounts
    schema, writer = pg_office["schema"], pg_office["writer"]
    with _pg().connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("OGI_DATABASE_URL", f"{PG_BASE}?options=-csearch_path%3D{schema}")
    code, out, err = ogi_cli(capsys, "init", "--training", "--service-user", svc.name, "--writer-role", writer, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["service_user"] == svc.name and any(line.startswith(f"写入角色 {writer}") for line in result["roles"])
    assert not (office / "ogi.db").exists()
    assert all(os.stat(p).st_uid == svc.uid for p in (office, office / "ogi.toml", office / "letters", office / "keys"))
    monkeypatch.setenv("OGI_DATABASE_URL", _role_url(writer, schema))
    findings = dep.check(socket=str(office / "ogi.sock"))["findings"]
    assert not [f for f in findings if f["item"].startswith("数据库 ")]
    bad = [f["item"] for f in findings if not f["ok"]]
    assert bad == [f"服务套接字 {office / 'ogi.sock'}"]  # no service running here
