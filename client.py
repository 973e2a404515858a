"""The thin client: `ogi ...` run by the instance's service (`ogi serve`, service.py).

Imports only the standard library, so a clerk's command costs about one interpreter start.

The client connects to the service's Unix socket and hands it the command line, its working
directory, a few display variables and its own stdin, stdout and stderr (SCM_RIGHTS). The
service runs the command in a process forked from its warm parent, with those three descriptors
as its own: what the clerk sees (text, colours, width, prompts) is what the in-process CLI
prints, from the same code. The service answers with the exit code alone.

Who acts is what the kernel says about the socket's peer (SO_PEERCRED), checked by the
service; nothing the client sends names a user.

    no socket file               -> None: the caller runs the command in-process
    socket answers               -> the command's exit code
    socket file, nobody answers  -> None for the socket's owner (a stale socket of one's own
                                    instance); for anyone else exit 1 with one Chinese line
"""
from __future__ import annotations

import errno
import json
import os
import socket
import struct
import sys

PROTOCOL = b"OGI1"
# Commands that never go through the service: the service itself, setting an instance up, the
# self-contained demo, and shell completion (it edits the clerk's own shell files).
LOCAL_COMMANDS = frozenset({"serve", "init", "demo", "completion"})
# What the service takes from the client's environment: display only. Identity (OGI_USER),
# configuration (OGI_CONFIG, OGI_HOME) and the database (OGI_DATABASE_URL) are the service's.
FORWARDED_ENV = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "OGI_TODAY")
EXIT_FRAME = struct.Struct("!ci")  # b"X", exit code
MAX_REQUEST = 1 << 20
# Commands whose `--out FILE` the client opens itself (they write through letters/pdf.write_output);
# with `report`, every report command.
REPORTS = frozenset({("audit", "export"), ("states", "diagram"), ("letter", "copy")})


def socket_path() -> str:
    """OGI_SOCKET, else ogi.sock in the instance directory (the rule of engine/config.home_dir)."""
    env = os.environ.get
    if env("OGI_SOCKET"):
        return os.path.expanduser(env("OGI_SOCKET"))
    if env("OGI_HOME"):
        home = os.path.expanduser(env("OGI_HOME"))
    else:
        base = os.path.expanduser(env("XDG_DATA_HOME")) if env("XDG_DATA_HOME") else os.path.expanduser("~/.local/share")
        home = os.path.join(base, "ogi")
    return os.path.join(home, "ogi.sock")


def encode_request(argv: list[str], cwd: str, env: dict[str, str], **extra: str) -> bytes:
    body = json.dumps({"argv": argv, "cwd": cwd, "env": env, **extra}, ensure_ascii=False).encode("utf-8")
    return PROTOCOL + struct.pack("!I", len(body)) + body


def connect(path: str, timeout: float | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


def ping(path: str | None = None, timeout: float = 2.0) -> bool:
    """Does a service answer on `path`? (`ogi serve --check`, tests)"""
    try:
        with connect(path or socket_path(), timeout) as sock:
            sock.sendall(PROTOCOL + struct.pack("!I", 0))
            return sock.recv(1) == b"P"
    except OSError:
        return False


def _std_fds() -> tuple[list[int], list[int]]:
    """The client's stdin, stdout and stderr; /dev/null for any that is closed."""
    fds, opened = [], []
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            null = os.open(os.devnull, mode)
            fds.append(null)
            opened.append(null)
    return fds, opened


def _say(message: str) -> int:
    try:
        sys.stderr.write(f"错误：{message}\n")
        sys.stderr.flush()
    except OSError:
        pass
    return 1


def try_service(argv: list[str]) -> int | None:
    """Run `ogi argv` through the service; None where the command is to run in-process."""
    if os.environ.get("OGI_NO_SERVICE") or (argv and argv[0] in LOCAL_COMMANDS) or os.environ.get("_OGI_COMPLETE"):
        return None
    path = socket_path()
    try:
        sock = connect(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreachable(path, exc)
    with sock:
        return _run(sock, argv, path)


def _unreachable(path: str, exc: OSError) -> int | None:
    try:
        owner = os.stat(path).st_uid
    except OSError:
        return None  # gone meanwhile: no service
    if exc.errno == errno.ECONNREFUSED and owner == os.geteuid():
        return None  # the socket of one's own instance, left by a service that was killed
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _say(f"无权连接 ogi 服务（{path}）：请管理员检查套接字的权限（ogi serve --check）")
    if exc.errno == errno.ENOTSOCK:
        return _say(f"{path} 不是 ogi 服务的套接字：请管理员检查实例目录（ogi serve --check）")
    return _say(f"ogi 服务没有应答（{path}）：请管理员启动服务（systemctl start ogi 或 ogi serve），"
                "或用 ogi serve --check 检查部署")


def _run(sock: socket.socket, argv: list[str], path: str) -> int:
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "/"
    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    fds, opened = _std_fds()
    argv, out = _own_output(argv, cwd)
    extra = {}
    if out is not None:
        fds, extra = [*fds, out.fd], {"out": out.path}
    try:
        socket.send_fds(sock, [encode_request(argv, cwd, env, **extra)], fds)
    except OSError:
        if out is not None:
            out.close(1)
        return _say(f"无法把命令交给 ogi 服务（{path}）：服务可能正在重启，请稍后再试")
    finally:
        for fd in opened:
            os.close(fd)
    code = _exit_code(sock)
    if out is not None:
        out.close(code)
    return code


def _exit_code(sock: socket.socket) -> int:
    try:
        frame = _recv_exactly(sock, EXIT_FRAME.size)
    except KeyboardInterrupt:
        return 130
    except OSError:
        frame = b""
    if len(frame) != EXIT_FRAME.size or frame[:1] != b"X":
        return _say("ogi 服务在办理本命令时中断：步骤是否已保存，请用 ogi case show 查看；"
                    "请管理员查看服务日志（journalctl -u ogi）")
    return EXIT_FRAME.unpack(frame)[1]


class _Output:
    """The file a report command writes (`--out FILE`), opened by the client with the clerk's own
    rights and handed to the service: the file is the clerk's, wherever the clerk may write, and
    the service can write nothing else through it."""

    def __init__(self, path: str, fd: int, existed: bool) -> None:
        self.path, self.fd, self.existed = path, fd, existed

    def close(self, code: int) -> None:
        try:
            empty = os.fstat(self.fd).st_size == 0
        except OSError:
            empty = False
        os.close(self.fd)
        if code != 0 and empty and not self.existed:
            try:
                os.unlink(self.path)  # the command failed: leave no empty file behind
            except OSError:
                pass


def _own_output(argv: list[str], cwd: str) -> tuple[list[str], _Output | None]:
    """For the report commands (REPORTS): open `--out FILE` here and name it by its absolute path."""
    if tuple(argv[:2]) not in REPORTS and argv[:1] != ["report"]:
        return argv, None
    for i, tok in enumerate(argv):
        if tok == "--":
            break
        if tok == "--out" and i + 1 < len(argv):
            at, value = i + 1, argv[i + 1]
        elif tok.startswith("--out="):
            at, value = i, tok[len("--out="):]
        else:
            continue
        if not value or value == "-":
            return argv, None
        target = os.path.join(cwd, os.path.expanduser(value))
        existed = os.path.lexists(target)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
        except OSError:
            return argv, None  # the service words the refusal (or writes where only it may)
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return argv, None  # a device or FIFO: the service refuses it
        shown = target if tok == "--out" else f"--out={target}"
        return [*argv[:at], shown, *argv[at + 1:]], _Output(target, fd, existed)
    return argv, None


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf
