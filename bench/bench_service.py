"""Clerk commands through `ogi serve` (issue 14), timed against `python -c "import sqlite3"`.

Wall time of each `ogi ...` subprocess, alone and with 4 clerks at once, the delay until a step's
letters are on disk, and the same commands in-process (OGI_NO_SERVICE=1).

    .venv/bin/python bench/bench_service.py [--cases 16] [--clerks 4] [--inproc-cases 2] [--quick]   # ~4-5 min

One run, one fresh SQLite instance in a temporary OGI_HOME (`ogi init --training`, OGI_TODAY
2026-12-31 in the service's environment), one case registered in-process before `ogi serve
--no-scheduler` starts (as on a deployed instance: the service's warm-up runs `case show/explain/
history` once only when a case exists). The configuration maps the OS account running the bench
to the clerk li (`os_account`). Approval needs a second person (the proposer may not approve):
when the bench runs as root and the system has `nobody`, wang is mapped to `nobody` and approve
runs through the service as `nobody`: a wrapper interpreter imports what the console script
imports (ogi.cli, ogi.client), drops to nobody (setgid/setuid) and calls the console entry point
`ogi.cli.run()`, so SO_PEERCRED names nobody -> wang (the interpreter cannot be started as nobody
here: it lives under /root, mode 0700; OGI_HOME is made 0711 so nobody reaches the socket).
Otherwise approve runs in-process as wang (OGI_NO_SERVICE=1 OGI_USER=wang; a training instance
accepts declared users in-process), and its row says so.

Timed: every command as a whole subprocess of the real console script `.venv/bin/ogi` (wall
clock around subprocess.run, stdout to a file that is read afterwards for the letters' paths).

  baseline   `.venv/bin/python -c "import sqlite3"`, sampled at the start and twice per case of
             the "alone" phase (interleaved, so it sees the same load); its p50 is the yardstick.
  alone      --cases lifecycles one after another: register, accept, request-correction,
             receive-correction, consult, consultation-reply, propose, decide, approve, deliver,
             show, list, explain, calendar add. After a step that issues letters, the bench polls
             (every 5 ms) until each new letter's PDF exists (the delay), then until the letter
             is recorded (so the next command runs alone).
  in child   the first --inside-cases of those lifecycles are also run, interleaved, inside a
             warm fork without the socket (`--inside-harness`: service.warm_up(), then per
             command a fork timing service._run_command, i.e. the command as the service's
             worker runs it): alone minus this is the client's start, the socket and the hand-offs.
  4 clerks   --clerks threads, each driving its own --cases/--clerks lifecycles at once, with no
             pause between commands; each clerk waits for its step's PDFs (the delay) before its
             next command, as a clerk who prints the letter would; the recording is not waited for
             (a letter still unrecorded when the next step of its case runs is rendered again by
             that step's worker: counted and printed).
  in-process the same lifecycle with OGI_NO_SERVICE=1 (the letters are rendered before the
             command returns), --inproc-cases lifecycles.
  floors     `ogi --version` through the service (client start + socket + a warm worker +
             nothing) and the client's imports alone (`python -c "import ogi.cli, ogi.client"`).

p50 and p95 are nearest-rank percentiles. Targets (issue 14): p50 and p95 <= 2.0x the baseline
p50, alone and with 4 clerks; a letter's PDF on disk <= 1 s after the command returns. Rows over
target are marked "!". The script always exits 0: a bench reports, it does not gate. Byte code is
compiled first (`compileall`), as a normal install has it (PYTHONDONTWRITEBYTECODE is set on
these machines).
"""
from __future__ import annotations

import argparse
import math
import os
import pwd
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, header  # noqa: E402
from bench_cli import compile_bytecode  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
OGI = str(VENV_BIN / "ogi")
PYTHON = str(VENV_BIN / "python")
TODAY = "2026-12-31"
SECOND_ACCOUNT = "nobody"
# The console script as `nobody`: import what it imports while still root (the interpreter's
# standard library is under /root, unreadable for nobody), then drop to nobody, then run it.
AS_SECOND = ("import os, sys, json, socket, struct, errno, pwd\n"
             "import ogi.cli, ogi.client, ogi.commands.errors_out\n"
             "pw = pwd.getpwnam(sys.argv.pop(1))\n"
             "os.setgroups([]); os.setgid(pw.pw_gid); os.setuid(pw.pw_uid)\n"
             "sys.argv[0] = 'ogi'\n"
             "ogi.cli.run()\n")

# The lifecycle of README.md "Using it", one case; {id} is the case's ID.
LIFECYCLE = [
    ("register", ["case", "register", "--applicant", "{applicant}", "--applicant-type", "自然人", "--channel",
                  "当面提交", "--received", "2026-09-24", "--description", "2025年人民路改造工程立项批复",
                  "--address", "示例市东风路8号"]),
    ("accept", ["case", "accept", "{id}", "--date", "2026-09-25"]),
    ("request-correction", ["case", "request-correction", "{id}", "--items", "请写明文件名称或文号",
                            "--date", "2026-09-28"]),
    ("receive-correction", ["case", "receive-correction", "{id}", "--date", "2026-10-09"]),
    ("consult", ["case", "consult", "{id}", "--party", "示例建设有限公司", "--kind", "第三方", "--information",
                 "施工合同", "--date", "2026-10-12"]),
    ("consultation-reply", ["case", "consultation-reply", "{id}", "--opinion", "同意", "--date", "2026-10-20"]),
    ("propose", ["case", "propose", "{id}", "--outcome", "予以公开", "--date", "2026-10-21"]),
    ("decide", ["case", "decide", "{id}", "--date", "2026-10-21"]),
    ("approve", ["case", "approve", "{id}", "--date", "2026-10-22"]),  # by wang (see the docstring)
    ("deliver", ["case", "deliver", "{id}", "--method", "直接送达", "--date", "2026-10-23"]),
    ("show", ["case", "show", "{id}"]),
    ("list", ["case", "list"]),
    ("explain", ["case", "explain", "{id}"]),
    ("calendar add", ["calendar", "add", "2026-09-24", "20"]),
]
COMMANDS = [name for name, _ in LIFECYCLE]
ID_RE = re.compile(r"（ID (\d+)）")


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


class Instance:
    def __init__(self, home: Path, second: str | None) -> None:
        self.home, self.second = home, second
        self.sock = home / "ogi.sock"
        self.db = home / "ogi.db"
        env = {k: v for k, v in os.environ.items()
               if k not in ("OGI_USER", "OGI_DATABASE_URL", "OGI_CONFIG", "OGI_NO_FAST", "OGI_NO_SERVICE",
                            "OGI_SOCKET", "OGI_PROBE_OUT")}
        self.env = {**env, "OGI_HOME": str(home), "OGI_TODAY": TODAY, "COLUMNS": "100"}
        self.inproc_env = {**self.env, "OGI_NO_SERVICE": "1"}
        self._out = threading.local()

    def out_file(self) -> Path:
        f = getattr(self._out, "path", None)
        if f is None:
            f = self._out.path = self.home / f"out-{threading.get_ident()}.txt"
        return f

    def argv(self, name: str, args: list[str], inproc: bool) -> tuple[list[str], dict]:
        if name == "approve":
            if inproc or not self.second:
                return [OGI, *args], {**self.inproc_env, "OGI_USER": "wang"}
            return [PYTHON, "-c", AS_SECOND, self.second, *args], self.env
        return [OGI, *args], (self.inproc_env if inproc else self.env)

    def run(self, cmd: list[str], env: dict) -> tuple[float, str]:
        """Wall time of the subprocess and its stdout (written to a file: no pipe to drain)."""
        out = self.out_file()
        with open(out, "wb") as f:
            t = time.perf_counter()
            r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.PIPE,
                               cwd=self.home)
            dt = time.perf_counter() - t
        text = out.read_text(encoding="utf-8", errors="replace")
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[-12:])} -> exit {r.returncode}: {r.stderr.decode()[-800:]}{text[-400:]}")
        return dt, text

    def pending(self, case_id: int) -> int:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=15)
        try:
            return conn.execute("SELECT count(*) FROM letter WHERE case_id = ? AND status != 'rendered'",
                                (case_id,)).fetchone()[0]
        finally:
            conn.close()


def baseline_once() -> float:
    t = time.perf_counter()
    subprocess.run([PYTHON, "-c", "import sqlite3"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def wait_for(paths: list[str], start: float, timeout: float = 60.0) -> list[float]:
    """Seconds from `start` (the command's return) until each path exists; polled every 5 ms."""
    delays, left = [], list(paths)
    while left:
        now = time.perf_counter()
        for p in list(left):
            if os.path.exists(p):
                delays.append(now - start)
                left.remove(p)
        if not left:
            break
        if now - start > timeout:
            delays += [float("inf")] * len(left)
            break
        time.sleep(0.005)
    return delays


def lifecycle(inst: Instance, n: int, *, inproc: bool, times: dict, delays: dict, settle: bool,
              relisted: list | None = None) -> None:
    """One case through the whole lifecycle and the read commands. `relisted` counts the letters
    of earlier steps that a step lists again because they were not recorded yet when it ran: its
    child renders them once more (render_pending of the case) before its own."""
    case_id, seen = None, set()
    for name, template in LIFECYCLE:
        args = [a.format(id=case_id, applicant=f"测试申请人{n}") for a in template]
        cmd, env = inst.argv(name, args, inproc)
        dt, text = inst.run(cmd, env)
        returned = time.perf_counter()
        times.setdefault(name, []).append(dt)
        if case_id is None:
            case_id = int(ID_RE.search(text).group(1))
        printed = [ln.strip() for ln in text.splitlines() if ln.strip().endswith(".pdf") and ln.startswith("  /")]
        new = [p for p in printed if p not in seen]
        if relisted is not None and name not in ("show", "list", "explain", "calendar add"):
            relisted.append(len(printed) - len(new))
        seen.update(printed)
        if new and not inproc:
            for p, d in zip(new, wait_for(new, returned)):
                delays.setdefault(name, []).append((d, Path(p).stem.split("-", 3)[-1]))
            if settle:  # the letter recorded: the child is done, the next command runs alone
                while inst.pending(case_id):
                    time.sleep(0.005)


def inside_harness(second: str) -> None:
    """Hidden mode (`--inside-harness ACCOUNT`), a process of its own started by the bench: what a
    request costs inside the service. warm_up() as `ogi serve` does; then for each case number read
    on stdin, the lifecycle, each command in a fork that runs service._run_command (the request's
    streams, peer identity, environment, cli.main), timed from its call to its return: from the
    worker's start on the request until the exit code would go to the client, without the socket.
    The child then renders the step's letters, as the service does, and the next command waits for
    it. Prints one JSON line {command: seconds} per case."""
    import json

    from ogi import service

    service.warm_up()
    me = pwd.getpwuid(os.geteuid()).pw_name
    home = os.environ["OGI_HOME"]
    out = os.path.join(home, "inside-out.txt")
    print("ready", flush=True)
    for line in sys.stdin:
        n, case_id, times = int(line), None, {}
        for name, template in LIFECYCLE:
            argv = [a.format(id=case_id, applicant=f"测试申请人{n}") for a in template]
            fds = [os.open(os.devnull, os.O_RDONLY), os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                   os.open(os.devnull, os.O_WRONLY)]
            r, w = os.pipe()
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                code = 70
                try:
                    os.close(r)
                    t = time.perf_counter()
                    code = service._run_command({"argv": argv, "cwd": home, "env": {"OGI_TODAY": TODAY}}, fds,
                                                second if name == "approve" else me)
                    os.write(w, f"{time.perf_counter() - t} {code}".encode())
                    os.close(w)
                    from ogi.engine import deferred

                    deferred.run(lambda exc: None)
                finally:
                    os._exit(code)
            os.close(w)
            for fd in fds:
                os.close(fd)
            msg = b""
            while chunk := os.read(r, 64):
                msg += chunk
            os.close(r)
            os.waitpid(pid, 0)  # the letters rendered: the next command runs alone
            parts = msg.split()
            if len(parts) != 2 or int(parts[1]) != 0:
                raise SystemExit(f"{name}: {msg!r}: {Path(out).read_text(encoding='utf-8')[-400:]}")
            times[name] = float(parts[0])
            if case_id is None:
                case_id = int(ID_RE.search(Path(out).read_text(encoding="utf-8")).group(1))
        print(json.dumps(times), flush=True)


class Harness:
    def __init__(self, inst: Instance) -> None:
        self.proc = subprocess.Popen([PYTHON, __file__, "--inside-harness", inst.second or "wang"], env=inst.env,
                                     cwd=inst.home, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the inside harness did not start")

    def lifecycle(self, n: int, times: dict) -> None:
        import json

        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the inside harness failed (exit {self.proc.wait()})")
        for name, dt in json.loads(line).items():
            times.setdefault(name, []).append(dt)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_service(inst: Instance) -> tuple[subprocess.Popen, float]:
    from ogi.client import ping

    log = open(inst.home / "serve.log", "wb")
    t = time.perf_counter()
    proc = subprocess.Popen([OGI, "serve", "--no-scheduler"], env=inst.env, cwd=inst.home, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log)
    while not ping(str(inst.sock), 1.0):
        if proc.poll() is not None:
            raise SystemExit(f"ogi serve exited {proc.returncode}: {(inst.home / 'serve.log').read_text()}")
        if time.perf_counter() - t > 120:
            raise SystemExit("ogi serve did not answer within 120 s")
        time.sleep(0.05)
    return proc, time.perf_counter() - t


def stop_service(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def setup(home: Path) -> Instance:
    me = pwd.getpwuid(os.geteuid()).pw_name
    second = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SECOND_ACCOUNT)
            second = SECOND_ACCOUNT
        except KeyError:
            pass
    inst = Instance(home, second)
    subprocess.run([OGI, "init", "--training"], env=inst.env, cwd=home, check=True, stdout=subprocess.DEVNULL)
    cfg = home / "ogi.toml"
    text = cfg.read_text(encoding="utf-8")
    assert "[users.li]\n" in text and "[users.wang]\n" in text, "unexpected training configuration"
    text = text.replace("[users.li]\n", f'[users.li]\nos_account = "{me}"\n')
    if second:
        text = text.replace("[users.wang]\n", f'[users.wang]\nos_account = "{second}"\n')
    cfg.write_text(text, encoding="utf-8")
    if second:
        os.chmod(home, 0o711)  # nobody reaches the socket (0666); the files stay root's
    return inst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=16, help="lifecycles alone, and in all with --clerks at once")
    ap.add_argument("--clerks", type=int, default=4)
    ap.add_argument("--inproc-cases", type=int, default=2, help="lifecycles in-process (~25-30 s each)")
    ap.add_argument("--baseline-runs", type=int, default=20, help="baseline runs at the start (plus 2 per case)")
    ap.add_argument("--quick", action="store_true", help="4 cases (1 per clerk), 1 in-process, 2 inside, 10 baseline runs (~1.5-2 min)")
    ap.add_argument("--inside-cases", type=int, default=4,
                    help="lifecycles timed inside a warm fork (no socket), interleaved with the first alone ones")
    ap.add_argument("--keep", action="store_true", help="keep the temporary instance (its path is printed)")
    ap.add_argument("--inside-harness", metavar="ACCOUNT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside_harness:
        inside_harness(args.inside_harness)
        return
    if args.quick:
        args.cases, args.inproc_cases, args.baseline_runs, args.inside_cases = 4, 1, 10, 2
    per_clerk = max(1, args.cases // args.clerks)
    header("bench_service", f"clerk commands through `ogi serve`: {args.cases} lifecycles alone, {args.clerks} clerks "
                            f"x {per_clerk} at once, {args.inproc_cases} in-process")
    compile_bytecode()
    t_all = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="ogi-bench-service-"))
    proc = harness = None
    try:
        inst = setup(home)
        me = pwd.getpwuid(os.geteuid()).pw_name
        print(f"   instance {home}; OS account {me} -> li; approve: " + (
            f"through the service as OS account {inst.second} -> wang (setuid wrapper around ogi.cli.run)"
            if inst.second else "in-process as wang (OGI_NO_SERVICE=1 OGI_USER=wang): no second OS account"))

        for _ in range(3):
            baseline_once()  # page cache
        base = [baseline_once() for _ in range(args.baseline_runs)]

        # One case before the service starts, as on a deployed instance: warm_up() then also runs
        # `case show/explain/history` once (it skips them on an empty database).
        inst.run([OGI, *(a.format(applicant="预置申请人") for a in LIFECYCLE[0][1])], inst.inproc_env)
        proc, t_start = start_service(inst)
        print(f"   ogi serve answered its first ping after {t_start:.1f} s")

        # Warm-up: one untimed lifecycle (page cache, the service's first SQLite pages).
        lifecycle(inst, 0, inproc=False, times={}, delays={}, settle=True)

        floors: dict[str, list[float]] = {"ogi --version (round trip)": [], "client imports only": []}
        alone: dict[str, list[float]] = {}
        alone_d: dict[str, list] = {}

        def interleave() -> None:
            base.append(baseline_once())
            floors["ogi --version (round trip)"].append(inst.run([OGI, "--version"], inst.env)[0])
            floors["client imports only"].append(inst.run(
                [PYTHON, "-c", "import ogi.cli, ogi.client, ogi.commands.errors_out, os; os._exit(0)"], inst.env)[0])

        inside: dict[str, list[float]] = {}
        harness = Harness(inst)
        harness.lifecycle(7000, {})  # its warm-up, untimed
        t = time.perf_counter()
        for n in range(1, args.cases + 1):
            interleave()
            lifecycle(inst, n, inproc=False, times=alone, delays=alone_d, settle=True)
            if n <= args.inside_cases:
                harness.lifecycle(7000 + n, inside)
            interleave()
        harness.close()
        t_alone = time.perf_counter() - t
        print(f"   alone: {args.cases} lifecycles in {t_alone:.0f} s (and {min(args.cases, args.inside_cases)} inside "
              f"a warm fork, interleaved), load {os.getloadavg()[0]:.2f}")

        # 4 clerks at once, each on its own cases; a light probe of the baseline under that load.
        busy: dict[str, list[float]] = {}
        busy_d: dict[str, list] = {}
        loaded_base: list[float] = []
        errors: list[BaseException] = []
        relisted: list[int] = []
        done = threading.Event()

        def clerk(k: int) -> None:
            try:
                for j in range(per_clerk):
                    lifecycle(inst, 1000 + k * 100 + j, inproc=False, times=busy, delays=busy_d, settle=False,
                              relisted=relisted)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        def probe() -> None:
            while not done.wait(0.5):
                loaded_base.append(baseline_once())

        t = time.perf_counter()
        threads = [threading.Thread(target=clerk, args=(k,)) for k in range(args.clerks)]
        prober = threading.Thread(target=probe)
        for th in threads:
            th.start()
        prober.start()
        for th in threads:
            th.join()
        done.set()
        prober.join()
        t_busy = time.perf_counter() - t
        load_busy = os.getloadavg()[0]
        if errors:
            print(f"   !! {len(errors)} clerk(s) failed: {errors[0]}")
        # Let the last letters land before the in-process runs.
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and sqlite3.connect(f"file:{inst.db}?mode=ro", uri=True).execute(
                "SELECT count(*) FROM letter WHERE status != 'rendered'").fetchone()[0]:
            time.sleep(0.05)
        print(f"   {args.clerks} clerks: {args.clerks * per_clerk} lifecycles in {t_busy:.0f} s, load {load_busy:.2f}; "
              f"{sum(relisted)} letters of an earlier step were not yet recorded when the next step of their case ran "
              f"(listed again and rendered a second time by that step's child; {sum(1 for r in relisted if r)} of "
              f"{len(relisted)} steps)")

        inproc: dict[str, list[float]] = {}
        t = time.perf_counter()
        for n in range(1, args.inproc_cases + 1):
            base.append(baseline_once())
            lifecycle(inst, 5000 + n, inproc=True, times=inproc, delays={}, settle=False)
        t_inproc = time.perf_counter() - t
        print(f"   in-process: {args.inproc_cases} lifecycles in {t_inproc:.0f} s, load {os.getloadavg()[0]:.2f}")

        stop_service(proc)
        failures = [ln for ln in (home / "serve.log").read_text(encoding="utf-8", errors="replace").splitlines()
                    if "失败" in ln]
        report(args, inst, base, loaded_base, floors, alone, busy, alone_d, busy_d, inproc, inside, failures)
        print(f"(total {time.perf_counter() - t_all:.0f} s)")
    finally:
        if harness is not None:
            harness.close()
        if proc is not None:
            stop_service(proc)
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def report(args, inst, base, loaded_base, floors, alone, busy, alone_d, busy_d, inproc, inside, failures) -> None:
    b50, b95 = pct(base, 50), pct(base, 95)
    ms = lambda s: f"{s * 1000:.0f}"  # noqa: E731
    print()
    print(f'baseline `python -c "import sqlite3"`: p50 {ms(b50)} ms, p95 {ms(b95)} ms ({len(base)} runs, '
          f"interleaved); under the {args.clerks} clerks' load: p50 {ms(pct(loaded_base, 50))} ms, "
          f"p95 {ms(pct(loaded_base, 95))} ms ({len(loaded_base)} runs)")
    print("ratios: x the baseline p50 (target <= 2.0 at p50 and p95); '!' = over target")
    print()
    head = (f"{'command':<26}{'alone p50/p95 ms':>18}{'x p50':>8}{'x p95':>8}"
            f"{f'{args.clerks} clerks p50/p95':>22}{'x p50':>8}{'x p95':>8}{'in-proc p50':>13}{'x':>7}{'svc/inp':>9}")
    print(head)
    print("-" * len(head))
    over: list[tuple[str, str]] = []

    def cell(r: float) -> str:
        return f"{r:.1f}{'!' if r > 2.0 else ' '}"

    for name in COMMANDS:
        a, c, i = alone.get(name, []), busy.get(name, []), inproc.get(name, [])
        label = name
        if name == "approve":
            label += " (nobody)" if inst.second else " (in-proc)"
        ra50, ra95, rc50, rc95 = (pct(a, 50) / b50, pct(a, 95) / b50, pct(c, 50) / b50, pct(c, 95) / b50)
        for what, r in (("alone p50", ra50), ("alone p95", ra95), (f"{args.clerks} clerks p50", rc50),
                        (f"{args.clerks} clerks p95", rc95)):
            if r > 2.0:
                over.append((name, f"{name} {what} {r:.1f}x"))
        print(f"{label:<26}{ms(pct(a, 50)):>9}/{ms(pct(a, 95)):<8}{cell(ra50):>8}{cell(ra95):>8}"
              f"{ms(pct(c, 50)):>13}/{ms(pct(c, 95)):<8}{cell(rc50):>8}{cell(rc95):>8}"
              f"{ms(pct(i, 50)):>13}{pct(i, 50) / b50:>6.1f}x{pct(a, 50) / pct(i, 50):>8.2f}")
    for name, v in floors.items():
        print(f"{'  floor: ' + name:<26}{ms(pct(v, 50)):>9}/{ms(pct(v, 95)):<8}{pct(v, 50) / b50:>7.1f} "
              f"{pct(v, 95) / b50:>7.1f}")
    print(f"(samples: alone {len(alone.get('register', []))}, {args.clerks} clerks {len(busy.get('register', []))}, "
          f"in-process {len(inproc.get('register', []))} per command; 'svc/inp' = alone p50 / in-process p50)")

    print()
    imp, rt = pct(floors["client imports only"], 50), pct(floors["ogi --version (round trip)"], 50)
    print(f"where the time goes, alone, p50 ms (x baseline p50): the client's interpreter and imports "
          f"{ms(imp)} ({imp / b50:.1f}x), the round trip of `ogi --version` {ms(rt)} ({rt / b50:.1f}x);")
    print(f"'in child' = the command inside a warm fork (service._run_command, no socket; "
          f"{len(inside.get('register', []))} lifecycles, interleaved with the alone ones)")
    head3 = f"{'command':<22}{'alone':>8}{'in child':>10}{'x base':>8}{'alone - in child':>18}{'x base':>8}"
    print(head3)
    print("-" * len(head3))
    for name in COMMANDS:
        a, ch = pct(alone.get(name, []), 50), pct(inside.get(name, []), 50)
        print(f"{name:<22}{ms(a):>8}{ms(ch):>10}{ch / b50:>7.1f}x{ms(a - ch):>18}{(a - ch) / b50:>7.1f}x")

    print()
    print("letters on disk: delay from the command's return until the PDF exists (target <= 1 s; '!' = over)")
    head2 = f"{'step':<20}{'letter':<30}{'alone p50/p95/max ms':>24}{f'{args.clerks} clerks p50/p95/max ms':>30}"
    print(head2)
    print("-" * len(head2))
    late: list[str] = []
    for name in COMMANDS:
        if name not in alone_d and name not in busy_d:
            continue
        kinds = sorted({k for _, k in alone_d.get(name, []) + busy_d.get(name, [])})
        cells = []
        for what, d in (("alone", alone_d.get(name, [])), (f"{args.clerks} clerks", busy_d.get(name, []))):
            v = [x for x, _ in d]
            parts = []
            for p in (50, 95, 100):
                x = pct(v, p)
                parts.append(f"{ms(x)}{'!' if x > 1.0 else ''}" if x == x else "-")
            cells.append("/".join(parts))
            if v and max(v) > 1.0:
                late.append(f"{name} {what}: p50 {ms(pct(v, 50))} ms, p95 {ms(pct(v, 95))} ms, max {ms(max(v))} ms")
        print(f"{name:<20}{', '.join(kinds):<30}{cells[0]:>24}{cells[1]:>30}")

    print()
    if failures:
        print(f"service log: {len(failures)} failure line(s), e.g. {failures[0]}")
    print(f"over target (2.0x): {'; '.join(o for _, o in over) if over else 'none'}")
    print(f"letters later than 1 s: {'; '.join(late) if late else 'none'}")
    print(f"RESULT bench_service commands_over_2x={len({n for n, _ in over})}/{len(COMMANDS)} "
          f"letters_over_1s={'yes' if late else 'no'} (a report, not a gate: exit 0)")


if __name__ == "__main__":
    main()
