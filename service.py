"""`ogi serve`: the instance's resident service (DESIGN.md, Trust; the client is client.py).

One process per instance holds everything warm (the command tree, SQLAlchemy, WeasyPrint and its
fonts) and listens on a Unix socket. Each connection is served by a process forked from it:

- the kernel names the client's OS account (SO_PEERCRED); mapped to a user of the configuration,
  it is who acts (engine/identity.authenticate_peer): --as and OGI_USER cannot change it, the
  client's environment gives display settings only, and its configuration is not read;
- the client's stdin, stdout and stderr arrive with the request (SCM_RIGHTS) and become the
  child's own, so the command prints what the in-process CLI prints, from the same code
  (cli.main), on the clerk's own terminal; a report's `--out FILE` comes opened by the client
  (client._own_output), so the file is the clerk's, written where the clerk may write;
- the exit code goes back and the clerk has the prompt; then the same child renders the step's
  letters (engine/deferred.py) and exits.

A child that fails, or whose client is killed, takes nothing with it: the parent only accepts and
forks. The deadline warnings run in a second child (`ogi scheduler run`), restarted if it dies.
"""
from __future__ import annotations

import gc
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import time
from typing import Callable

from .client import EXIT_FRAME, FORWARDED_ENV, MAX_REQUEST, PROTOCOL

REQUEST_TIMEOUT = 10.0  # seconds a client has to send its request once connected
MAX_CHILDREN = 32  # requests served at once; further clients wait in the listen backlog
IDLE_WORKERS = 4  # workers waiting for a request (forked ahead, so no clerk waits for a fork)
SCHEDULER_RESTART_AFTER = 5.0  # seconds between restarts of a scheduler that keeps failing
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


def serve(path: str, *, scheduler: bool = True, log: Callable[[str], None] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; return the exit code."""
    log = log or _log
    cfg = _check_account()
    os.umask(0o077)  # every file the service writes is the service account's alone
    warm_up()
    listener = _listen(path)
    stop: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: stop.append(signum))
    pool = _Pool(listener, log, cfg)
    sched = _Scheduler(log) if scheduler else None
    log(f"ogi 服务已启动：{path}（进程 {os.getpid()}；" + (
        "培训实例，办理人仍以操作系统账户认证，可用客户端的 OGI_TODAY" if cfg.identity.allow_declared
        else "办理人以操作系统账户认证") + "）")
    try:
        while not stop:
            pool.tend()
            if sched is not None:
                sched.keep_alive()
            pool.wait_for_news(0.5)
    finally:
        _unlink_own(listener, path)
        if sched is not None:
            sched.stop()
        pool.close(10.0)
    log("ogi 服务已停止")
    return 0


def _log(line: str) -> None:
    from .engine import api

    sys.stderr.write(f"{api.now().isoformat()} {line}\n")
    sys.stderr.flush()


def _check_account():
    """The configuration's service account, if it names one, is the only one that may serve."""
    from .engine import api
    from .engine.identity import os_account
    from .errors import PermissionDenied

    cfg = api.load_config()
    me = os_account()
    if cfg.identity.service_user and me != cfg.identity.service_user:
        raise PermissionDenied(f"本实例的服务账户是 {cfg.identity.service_user}（配置 [service] user），"
                               f"当前账户 {me} 不能运行 ogi serve：请以该账户运行（systemd 的 User=）")
    return cfg


def warm_up() -> None:
    """Import and build what commands use, once, before any fork: the command tree, the storage
    layer, the letters and WeasyPrint with its fonts. Nothing stays open: no connection, no
    thread (a fork copies one thread only)."""
    from . import cli

    app = cli._app()
    cli._command([])
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            cli._command([group.name, cli._command_name(command)])
    from .engine import api
    from .engine.cases import documents, steps, summary, timeline  # noqa: F401 - imported to be warm
    from .engine.store import db

    with db.read_session() as s:
        from .engine.store.calendar_store import load_calendar

        load_calendar(s)
    _warm_letters()
    _warm_commands(api.load_config())
    db.dispose_engines()
    gc.collect()
    gc.freeze()  # the warm objects stay out of the collector: children do not copy their pages


def _warm_commands(cfg, *, light: bool = False) -> None:
    """Run the read commands clerks use most once, output discarded: their first run in a process
    costs 10-30 times the next (query compilation, rich's tables, lazy imports), and every
    request's process starts from this one. Read-only; any failure is left for a real request.
    light: the few a waiting worker runs again (_Pool._worker) to touch, before its request
    arrives, the memory every command touches: a forked process copies each page it writes to
    (reference counts), which otherwise costs the request itself ~10 ms."""
    from . import cli
    from .engine import api
    from .engine.identity import authenticate_peer, forget_peer

    user = next(iter(cfg.users.values()), None)
    if user is None:
        return
    authenticate_peer(user.os_account or user.login)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    try:
        first = _first_case()
        runs = [["calendar", "add", api.today().isoformat(), "20"]]
        if not light:
            runs += [["case", "list"], ["case", "list", "--json"]]
        if first:
            runs += [["case", "show", first], ["case", "show", first, "--json"]]
            if not light:
                runs += [[*cmd, first] for cmd in (["case", "explain"], ["case", "history"])]
        for argv in runs:
            cli.main(argv)
        if first:  # the query a step runs after its commit (api.after_commit), compiled once here
            from .engine.cases.documents import planned_letters

            planned_letters(int(first))
    except Exception:  # noqa: BLE001 - warming only
        pass
    finally:
        sys.stdout, sys.stderr = saved
        forget_peer()


def _first_case() -> str | None:
    from .engine.store import db

    try:
        with db.read_session() as s:
            from sqlalchemy import text

            row = s.exec(text("SELECT id FROM cases ORDER BY id LIMIT 1")).first()
            return str(row[0]) if row else None
    except Exception:  # noqa: BLE001
        return None


def _warm_letters() -> None:
    try:
        from .letters import context, kinds  # noqa: F401
        from .letters.pdf import _codepoints
        from .letters.render import to_pdf

        to_pdf('<!DOCTYPE html><html lang="zh-CN"><body><p>文书</p></body></html>')
        _codepoints()
    except Exception:  # noqa: BLE001 - no font: the first letter reports it, as in-process
        pass


def _listen(path: str) -> socket.socket:
    from .client import ping
    from .errors import AlreadyRunning, StorageError, os_reason

    if os.path.exists(path) or os.path.islink(path):
        if ping(path, 1.0):
            raise AlreadyRunning(f"已有 ogi 服务在 {path} 上运行：同一实例只运行一个服务")
        os.unlink(path)  # a socket left by a service that was killed
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        # Anyone may connect: who they are is what the kernel says, and only the accounts of
        # the configuration's users get any work done.
        os.chmod(path, 0o666)
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise StorageError(f"无法在 {path} 上建立服务套接字：{os_reason(exc)}") from None
    sock.set_inheritable(False)
    return sock


def _unlink_own(listener: socket.socket, path: str) -> None:
    try:
        listener.close()
        os.unlink(path)
    except OSError:
        pass


class _Pool:
    """Workers forked ahead of time, each waiting in accept() for one request: a clerk's command
    never waits for a fork. A worker that takes a connection tells the parent (its pid on a
    pipe), which forks the next one; every worker serves one request and exits."""

    def __init__(self, listener: socket.socket, log, cfg=None) -> None:
        self.listener, self.log, self.cfg = listener, log, cfg
        self.taken_r, self.taken_w = os.pipe()
        self.idle: set[int] = set()
        self.busy: set[int] = set()

    def tend(self) -> None:
        self._reap()
        # A fork copies the page tables of a large process: while requests run, fork only when
        # the spare workers are about to run out, so that the fork does not compete with them.
        want = IDLE_WORKERS if not self.busy else 2
        while len(self.idle) < want and len(self.busy) < MAX_CHILDREN:
            try:
                pid = os.fork()
            except OSError as exc:
                self.log(f"无法创建服务进程：{exc}")
                return
            if pid == 0:
                self._worker()
            self.idle.add(pid)

    def _worker(self) -> None:
        code = 70
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            _die_with_parent()
            os.close(self.taken_r)
            if self.cfg is not None:
                _warm_commands(self.cfg, light=True)
            conn, _ = self.listener.accept()
            os.write(self.taken_w, _PID.pack(os.getpid()))
            os.close(self.taken_w)
            self.listener.close()
            code = _child(conn)
        except BaseException:  # noqa: BLE001 - SIGTERM while idle, or a failed accept
            pass
        finally:
            os._exit(code)

    def wait_for_news(self, timeout: float) -> None:
        """Until a worker takes a connection (or `timeout`): then move it from idle to busy."""
        ready, _, _ = select.select([self.taken_r], [], [], timeout)
        if ready:
            data = os.read(self.taken_r, _PID.size * 64)
            for i in range(0, len(data) - len(data) % _PID.size, _PID.size):
                (pid,) = _PID.unpack_from(data, i)
                self.idle.discard(pid)
                self.busy.add(pid)

    def _reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid not in self.idle and pid not in self.busy:
                _EXITED.add(pid)  # the scheduler: its keeper restarts it
            self.idle.discard(pid)
            self.busy.discard(pid)

    def close(self, seconds: float) -> None:
        for pid in self.idle:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + seconds
        while (self.idle or self.busy) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        for pid in self.busy:
            _signal(pid, signal.SIGTERM)


def _die_with_parent() -> None:
    """An idle worker of a service that was killed (SIGKILL, a crash) must not go on accepting
    requests on its own: Linux sends it SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: systemd's control group still ends the workers with the service


_PID = struct.Struct("i")
_EXITED: set[int] = set()  # children reaped by the pool that were not its workers


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


class _Scheduler:
    """The deadline warnings (`ogi scheduler run`) in a child of the service, restarted when it
    exits, after a pause that doubles while it keeps exiting (e.g. another scheduler holds the
    database's lock: its own message says so, once per attempt)."""

    def __init__(self, log) -> None:
        self.log, self.pause, self.retry_at = log, SCHEDULER_RESTART_AFTER, 0.0
        self.pid: int | None = self._start()

    @staticmethod
    def _start() -> int:
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                from . import cli

                code = cli.main(["scheduler", "run"])
            finally:
                os._exit(code)
        return pid

    def keep_alive(self) -> None:
        now = time.monotonic()
        if self.pid is None:
            if now >= self.retry_at:
                self.log("重新启动提醒守护进程")
                self.pid = self._start()
            return
        if self.pid in _EXITED:  # the pool reaps every child of the service
            _EXITED.discard(self.pid)
            self.pid, self.retry_at = None, now + self.pause
            self.pause = min(self.pause * 2, 600.0)

    def stop(self) -> None:
        if self.pid is None:
            return
        _signal(self.pid, signal.SIGTERM)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


# --------------------------------------------------------------------------- one request

def _child(conn: socket.socket) -> int:
    """Serve one connection in a forked child; the code is this process's exit status."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    conn.settimeout(REQUEST_TIMEOUT)
    uid = _PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))[1]
    try:
        request, fds = _read_request(conn)
    except (OSError, ValueError):
        return 0  # a client that went away or spoke nonsense: nothing was done
    if request is None:  # a ping (client.ping)
        conn.sendall(b"P")
        return 0
    service_err = os.dup(2)
    try:
        code = _run_command(request, fds, _account(uid))
    except SystemExit as exc:  # click ends a command whose output pipe closed this way (EPIPE)
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - e.g. output to a pipe whose reader left
        code = 1
        _log_to(service_err, f"请求失败：{type(exc).__name__}: {exc}")
    try:
        conn.sendall(EXIT_FRAME.pack(b"X", code))
    except OSError:
        pass  # the client is gone; the command's work stands
    conn.close()
    _detach(service_err)
    try:
        os.nice(5)  # the letters after the answer: clerks' commands come first for the CPU
    except OSError:
        pass
    from .engine import deferred

    deferred.run(lambda exc: _log(f"请求之后的工作失败：{type(exc).__name__}: {exc}"))
    return 0


def _read_request(conn: socket.socket) -> tuple[dict | None, list[int]]:
    """The request and its descriptors, all within REQUEST_TIMEOUT of the first read (a timeout
    per read would let a client that sends a byte now and then hold a worker for ever)."""
    deadline = time.monotonic() + REQUEST_TIMEOUT
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 4)
    try:
        while len(data) < 8:
            more = _recv_before(conn, 8 - len(data), deadline)
            if not more:
                raise ValueError("short header")
            data += more
        if data[:4] != PROTOCOL:
            raise ValueError("not ogi")
        (length,) = struct.unpack("!I", data[4:8])
        if length == 0:
            return None, fds
        if length > MAX_REQUEST:
            raise ValueError("too long")
        body = data[8:]
        while len(body) < length:
            more = _recv_before(conn, min(65536, length - len(body)), deadline)
            if not more:
                raise ValueError("short body")
            body += more
        request = json.loads(body[:length].decode("utf-8"))
        _validate(request, fds)
        return request, fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _recv_before(conn: socket.socket, size: int, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the request was not sent in time")
    conn.settimeout(left)
    return conn.recv(size)


def _validate(request, fds: list[int]) -> None:
    ok = (isinstance(request, dict) and len(fds) == (4 if isinstance(request.get("out"), str) else 3)
          and isinstance(request.get("argv"), list) and all(isinstance(a, str) for a in request["argv"])
          and isinstance(request.get("cwd"), str)
          and isinstance(request.get("env"), dict)
          and all(isinstance(k, str) and isinstance(v, str) for k, v in request["env"].items()))
    if not ok:
        raise ValueError("malformed request")


def _account(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


def _run_command(request: dict, fds: list[int], account: str) -> int:
    """cli.main(argv) as `account`, on the client's descriptors, in its working directory."""
    from . import cli
    from .engine import deferred
    from .engine.config import load_config
    from .engine.identity import authenticate_peer

    if len(fds) == 4:  # the clerk's own --out file, opened by the client (client._own_output)
        from .engine.store.files import adopt_client_file

        adopt_client_file(request["out"], fds.pop())
    _adopt_streams(fds)
    authenticate_peer(account)
    try:
        training = load_config().identity.allow_declared
    except Exception:  # noqa: BLE001 - a configuration that does not load: the command reports it (cli.main)
        training = False
    _adopt_env(request["env"], training)
    try:
        os.chdir(request["cwd"])
    except OSError:
        os.chdir("/")  # a folder the service may not enter: relative paths then fail clearly
    deferred.enable()
    code = cli.main(list(request["argv"]))
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    return code


def _adopt_streams(fds: list[int]) -> None:
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=os.isatty(1))
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True)


def _adopt_env(client_env: dict[str, str], training: bool) -> None:
    """Display settings from the client; the date (OGI_TODAY) only on a training instance; never
    an identity, a configuration or a database."""
    for key in (*FORWARDED_ENV, "OGI_USER"):
        if key != "OGI_TODAY":
            os.environ.pop(key, None)
    for key, value in client_env.items():
        if key in FORWARDED_ENV and (key != "OGI_TODAY" or training):
            os.environ[key] = value


def _log_to(fd: int, line: str) -> None:
    try:
        os.write(fd, f"{line}\n".encode("utf-8", "backslashreplace"))
    except OSError:
        pass


def _detach(service_err: int) -> None:
    """After the answer: nothing more reaches the clerk's terminal; errors go to the service log."""
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(service_err, 2)
    os.close(null)
    os.close(service_err)
