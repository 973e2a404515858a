"""Real OS accounts, an instance that belongs to a service account, and `ogi serve` running as
that account, for tests/test_service.py (root only: useradd, chown, setuid).

    accounts = Accounts.create()               # ogt<hex>svc, ...li, ...chen, ...wang, ...zhao, ...out
    rt = Runtime.find(accounts["out"])         # a python + `ogi` that every account can execute
    dep = Deployment.create("sqlite", accounts, rt)   # ogi init --service-user, users, ogi serve
    dep.run("li", "case", "list")              # `ogi case list` as the OS account ...li
    dep.close()                                # SIGTERM; exit code and socket checked by the caller

Every process runs with the account's own uid, gid and no supplementary groups (subprocess's
user=, group=, extra_groups=[]), as systemd's User= and a clerk's login would.

The runtime: the test venv's interpreter may live where other accounts cannot reach it (pyenv
under /root, mode 0700). Then a venv of a system interpreter of the same version is made in /tmp,
whose .pth adds the test venv's site-packages (the project's dependencies and its editable
install): the same code and the same packages, an interpreter every account may execute.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from conftest import FIXED_TODAY, PG_BASE, _pg_schema_url
from reliability_support import CliResult

PATH = "/usr/local/bin:/usr/bin:/bin"
KEYS = ("svc", "li", "chen", "wang", "zhao", "out")
START_DEADLINE = 60.0  # seconds for `ogi serve` to answer (the first start warms WeasyPrint)
STOP_DEADLINE = 10.0  # seconds for it to exit after SIGTERM

# Users of the test configuration: li and chen clerks, wang reviewer and head, zhao the legal
# office, sun the service account's own user (so that the in-process CLI run as the service
# account reads what the service prints, test_service.py::test_same_output_as_in_process).
USERS = """\
[users.li]
name = "李明"
roles = ["clerk"]
os_account = "{li}"

[users.chen]
name = "陈静"
roles = ["clerk"]
os_account = "{chen}"

[users.wang]
name = "王强"
roles = ["reviewer", "head"]
os_account = "{wang}"

[users.zhao]
name = "赵律"
roles = ["legal"]
os_account = "{zhao}"

[users.sun]
name = "孙运"
roles = ["clerk"]
os_account = "{svc}"
"""


def as_account(name: str) -> dict:
    """subprocess keyword arguments that run a child as the OS account `name`, and only as it."""
    pw = pwd.getpwnam(name)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


# --------------------------------------------------------------------------- accounts

@dataclass
class Accounts:
    prefix: str
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls) -> "Accounts":
        acc = cls("ogt" + secrets.token_hex(3))
        try:
            for key in KEYS:
                name = acc.prefix + key
                r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f"useradd {name} failed: {r.stderr}")
                acc.names[key] = name
        except BaseException:
            acc.delete()
            raise
        return acc

    def __getitem__(self, key: str) -> str:
        return self.names[key]

    def uid(self, key: str) -> int:
        return pwd.getpwnam(self.names[key]).pw_uid

    def gid(self, key: str) -> int:
        return pwd.getpwnam(self.names[key]).pw_gid

    def delete(self) -> None:
        for name in self.names.values():
            subprocess.run(["userdel", name], capture_output=True)
        self.names.clear()


# --------------------------------------------------------------------------- runtime

def _imports_ogi(python: str, account: str) -> bool:
    try:
        r = subprocess.run([python, "-c", "import ogi.cli, ogi.service"], capture_output=True, text=True,
                           env={"PATH": PATH}, cwd="/", timeout=60, **as_account(account))
    except OSError:  # EACCES: the interpreter is out of the account's reach
        return False
    return r.returncode == 0


@dataclass
class Runtime:
    python: str
    ogi: str
    shim: Path | None = None

    @classmethod
    def find(cls, account: str) -> "Runtime":
        """A python and an `ogi` script that `account` (any unprivileged account) can execute."""
        here = Path(sys.executable)
        if (here.parent / "ogi").exists() and _imports_ogi(str(here), account):
            return cls(str(here), str(here.parent / "ogi"))
        site = sysconfig.get_paths()["purelib"]  # the test venv's: dependencies and the editable ogi
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        tried = []
        for base in (f"/usr/bin/{version}", f"/usr/local/bin/{version}", shutil.which(version, path=PATH)):
            if not base or base in tried or not os.path.exists(base):
                continue
            tried.append(base)
            shim = Path(tempfile.mkdtemp(prefix="ogt-python-", dir="/tmp"))
            os.chmod(shim, 0o755)
            venv = shim / "venv"
            r = subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True)
            if r.returncode == 0:
                python = str(venv / "bin" / "python")
                purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                         capture_output=True, text=True, check=True).stdout.strip()
                Path(purelib, "ogi-test-venv.pth").write_text(f"import site; site.addsitedir({site!r})\n")
                script = venv / "bin" / "ogi"  # what the console script of pyproject.toml does
                script.write_text(f"#!{python}\nimport sys\nfrom ogi.cli import run\nsys.exit(run())\n")
                script.chmod(0o755)
                subprocess.run(["chmod", "-R", "a+rX", str(shim)], check=True)
                if _imports_ogi(python, account):
                    return cls(python, str(script), shim)
            shutil.rmtree(shim, ignore_errors=True)
        raise RuntimeError(f"no python that an unprivileged account can run imports ogi ({sys.executable}; "
                           f"tried {tried or 'no ' + version})")

    def close(self) -> None:
        if self.shim is not None:
            shutil.rmtree(self.shim, ignore_errors=True)


# --------------------------------------------------------------------------- the deployment

@dataclass
class Deployment:
    backend: str
    accounts: Accounts
    rt: Runtime
    root: Path  # 0755 folder in /tmp that holds the instance and the test's own files
    home: Path  # OGI_HOME: the service account's
    url: str | None = None  # OGI_DATABASE_URL of the service (PostgreSQL)
    schema: str | None = None
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @classmethod
    def create(cls, backend: str, accounts: Accounts, rt: Runtime) -> "Deployment":
        root = Path(tempfile.mkdtemp(prefix=f"ogt-{backend}-", dir="/tmp"))
        os.chmod(root, 0o755)
        dep = cls(backend, accounts, rt, root, root / "inst", log=root / "service.log")
        try:
            if backend == "postgres":
                from sqlalchemy import create_engine, text

                dep.schema, dep.url = _pg_schema_url()
                admin = create_engine(PG_BASE)
                with admin.begin() as c:
                    c.execute(text(f"CREATE SCHEMA {dep.schema}"))
                admin.dispose()
            dep._init()
            dep.start()
        except BaseException:
            dep.close()
            raise
        return dep

    # ---- paths

    @property
    def socket(self) -> Path:
        return self.home / "ogi.sock"

    @property
    def db(self) -> Path:
        return self.home / "ogi.db"

    @property
    def config(self) -> Path:
        return self.home / "ogi.toml"

    @property
    def svc(self) -> str:
        return self.accounts["svc"]

    # ---- set-up

    def _db_env(self) -> dict:
        return {"OGI_DATABASE_URL": self.url} if self.url else {}

    def _init(self) -> None:
        env = {"OGI_HOME": str(self.home), "OGI_NO_SERVICE": "1", "PATH": PATH, "HOME": "/root", **self._db_env()}
        r = subprocess.run([self.rt.ogi, "init", "--service-user", self.svc], env=env, capture_output=True,
                           text=True, cwd="/", timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"ogi init --service-user failed ({r.returncode}): {r.stderr}{r.stdout}")
        text = self.config.read_text("utf-8")
        assert f'user = "{self.svc}"' in text and "allow_declared = false" in text, text
        head = text[:text.index("[users.")]
        with open(self.config, "w", encoding="utf-8") as f:  # rewritten in place: owner and mode stay
            f.write(head + USERS.format(**self.accounts.names))
        st = os.stat(self.config)
        assert (st.st_uid, st.st_mode & 0o777) == (self.accounts.uid("svc"), 0o600), st

    def service_env(self) -> dict:
        return {"OGI_HOME": str(self.home), "OGI_TODAY": FIXED_TODAY, "PATH": PATH, "HOME": "/tmp", **self._db_env()}

    def start(self) -> None:
        from ogi import client

        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([self.rt.ogi, "serve"], env=self.service_env(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, cwd="/", **as_account(self.svc))
        deadline = time.monotonic() + START_DEADLINE
        while not client.ping(str(self.socket), 1.0):
            if self.proc.poll() is not None:
                raise RuntimeError(f"ogi serve exited {self.proc.returncode}:\n{self.log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"ogi serve did not answer within {START_DEADLINE} s:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self) -> tuple[int | None, bool]:
        """SIGTERM the service: (its exit code, None if it had to be killed; its socket is gone)."""
        if self.proc is None:
            return None, not self.socket.exists()
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return None, not self.socket.exists()
        return proc.returncode, not self.socket.exists()

    def close(self) -> tuple[int | None, bool]:
        try:
            result = self.stop()
        finally:
            if self.schema:
                from sqlalchemy import create_engine, text

                admin = create_engine(PG_BASE)
                with admin.begin() as c:
                    c.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
                admin.dispose()
            shutil.rmtree(self.root, ignore_errors=True)
        return result

    def log_text(self) -> str:
        try:
            return self.log.read_text("utf-8", "replace")
        except OSError:
            return ""

    # ---- running ogi

    def account(self, who: str) -> str:
        return self.accounts.names.get(who, who)

    def client_env(self, env: dict | None = None) -> dict:
        return {"OGI_HOME": str(self.home), "PATH": PATH, **(env or {})}

    def run(self, who: str, *args: str, env: dict | None = None, timeout: float = 60, cwd: str = "/tmp") -> CliResult:
        """`ogi ARGS` as the OS account of `who` (a key of Accounts, or an account name), in `cwd`."""
        r = subprocess.run([self.rt.ogi, *map(str, args)], env=self.client_env(env), capture_output=True, text=True,
                           cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL, **as_account(self.account(who)))
        return CliResult(r.returncode, r.stdout, r.stderr)

    def popen(self, who: str, *args: str, env: dict | None = None, **kw) -> subprocess.Popen:
        return subprocess.Popen([self.rt.ogi, *map(str, args)], env=self.client_env(env), cwd="/tmp",
                                stdin=subprocess.DEVNULL, **as_account(self.account(who)), **kw)

    def in_process(self, who: str, *args: str, env: dict | None = None) -> CliResult:
        """`ogi ARGS` without the service (OGI_NO_SERVICE=1), with the service's date and database."""
        extra = {"OGI_NO_SERVICE": "1", "OGI_TODAY": FIXED_TODAY, **self._db_env(), **(env or {})}
        return self.run(who, *args, env=extra)

    def python(self, who: str, code: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.rt.python, "-c", code, *args], env={"PATH": PATH}, capture_output=True, text=True,
                              cwd="/tmp", timeout=60, **as_account(self.account(who)))

    def ok(self, who: str, *args: str, env: dict | None = None) -> CliResult:
        r = self.run(who, *args, env=env)
        assert r.exit_code == 0, f"{who}: ogi {' '.join(map(str, args))} -> {r.exit_code}\n{r.stderr}{r.stdout[-2000:]}"
        return r

    def json(self, who: str, *args: str, env: dict | None = None):
        return json.loads(self.ok(who, *args, "--json", env=env).stdout)

    def register(self, who: str = "li", name: str = "张三", *, settle: bool = True) -> dict:
        case = self.json(who, "case", "register", "--applicant", name, "--applicant-type", "natural", "--channel",
                         "in_person", "--received", "2026-12-01", "--description", "某道路改造工程立项批复")
        if settle:
            self.settle(who, case["id"])
        return case

    def settle(self, who: str, case_id, deadline: float = 15.0) -> dict:
        """The case once its letters are rendered (after the reply, by the service; the rendering
        adds an event of its own to the history)."""
        end = time.monotonic() + deadline
        while True:
            shown = self.json(who, "case", "show", str(case_id))
            pending = [x for x in shown["letters"] if x["status"] == "pending"]
            if not pending:
                return shown
            assert time.monotonic() < end, f"letters not rendered within {deadline} s: {pending}"
            time.sleep(0.05)

    def history(self, who: str, case_id) -> list[dict]:
        data = self.json(who, "case", "history", str(case_id))
        return data["entries"] if isinstance(data, dict) else data

    def state(self, who: str, case_id) -> str:
        return self.json(who, "case", "show", str(case_id))["state"]


def service_children(pid: int) -> set[int]:
    """The pids whose parent is `pid` (the service's workers and its scheduler)."""
    kids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[1]) == pid:
            kids.add(int(entry))
    return kids


def holders_of_pipe(inode: int, pids: set[int]) -> set[int]:
    """Which of `pids` hold a descriptor of the pipe `inode`."""
    target = f"pipe:[{inode}]"
    found = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    found.add(pid)
                    break
            except OSError:
                continue
    return found
