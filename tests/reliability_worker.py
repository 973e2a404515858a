"""A worker OS process for the concurrency and crash suites (not a test module).

Reads a JSON plan on stdin, runs `ogi` commands in this process through the same `main()` as
the console script, and prints one JSON line per command (flushed at once, so a parent that
kills this process still sees every line written before the kill).

Plans:
  {"mode": "commands", "go_file": PATH, "commands": [{"argv": [...], "user": "li"}, ...]}
  {"mode": "lifecycle", "go_file": PATH, "cases": M, "clerk": "li", "reviewer": "wang"}
      (register M cases, then take each from acceptance to delivery)
  {"mode": "drive", "register": N}   (crash suite: register N cases, then push every open case
      one step at a time towards delivery until all are answered and all letters rendered)
Every mode first prints {"ready": true} and then waits for the go file (if any).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time


def run(argv: list[str], user: str) -> dict:
    from ogi.cli import main

    os.environ["OGI_USER"] = user
    out, err = io.StringIO(), io.StringIO()
    t0 = time.time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # pragma: no cover - main() returns, never exits
            code = exc.code if isinstance(exc.code, int) else 1
    t1 = time.time()
    stdout = out.getvalue()
    try:
        parsed = json.loads(stdout) if stdout.strip().startswith(("{", "[")) else None
    except ValueError:
        parsed = None
    return {"argv": argv, "user": user, "rc": code, "json": parsed, "stderr": err.getvalue(),
            "raw": "" if parsed is not None else stdout[-2000:], "t0": t0, "t1": t1, "pid": os.getpid()}


def emit(rec: dict) -> None:
    sys.stdout.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def wait_for_go(plan: dict) -> None:
    """Block until the parent creates the go file: all workers then start within milliseconds."""
    go = plan.get("go_file")
    if not go:
        return
    limit = time.time() + 60
    while not os.path.exists(go):
        if time.time() > limit:
            raise SystemExit("no go signal within 60 s")
        time.sleep(0.002)


def next_command(case: dict) -> tuple[list[str], str] | None:
    """The next step of the standard path for a case, from its `case show --json` summary."""
    cid, state = str(case["id"]), case["state"]
    pending = [l for l in case["letters"] if l["status"] != "rendered"]
    if state == "registered":
        return ["case", "accept", cid, "--json"], "li"
    if state == "processing":
        if case["id"] % 2 == 0 and not case["consultations"]:
            return ["case", "consult", cid, "--party", "某建设公司", "--kind", "third_party", "--json"], "li"
        return ["case", "propose", cid, "--outcome", "disclose", "--json"], "li"
    if state == "consulting":
        return ["case", "consultation-reply", cid, "--opinion", "agree", "--json"], "li"
    if state == "proposed":
        return ["case", "decide", cid, "--json"], "li"
    if state == "awaiting_approval":
        return ["case", "approve", cid, "--json"], "wang"
    if state == "approved":
        return ["case", "deliver", cid, "--method", "direct", "--json"], "li"
    if pending:  # closed, but a letter was left unrendered by a crash: finish it
        return ["letter", "render", cid, "--json"], "li"
    return None


def drive(plan: dict) -> None:
    # Warm up the imports (engine, jinja2, WeasyPrint) before telling the parent we are ready,
    # so its random kill delay falls on real work.
    from ogi.cli import main  # noqa: F401
    from ogi.letters import render_pdf
    from ogi.letters.samples import REPLY_SAMPLES

    render_pdf(REPLY_SAMPLES["reply-disclose"])  # fonts and layout engine loaded: the first real letter costs no more than the next
    emit({"ready": True, "pid": os.getpid()})
    wait_for_go(plan)
    for _ in range(plan.get("register", 0)):
        emit(run(["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel",
                  "in_person", "--received", "2026-09-24", "--description", "某道路改造工程立项批复",
                  "--json"], "li"))
    while True:
        listing = run(["case", "list", "--all", "--json"], "li")
        if listing["rc"] != 0:
            emit(listing)
            raise SystemExit(3)
        todo = []
        for row in listing["json"]["cases"]:
            shown = run(["case", "show", str(row["id"]), "--json"], "li")
            nxt = next_command(shown["json"])
            if nxt:
                todo.append(nxt)
        if not todo:
            emit({"done": True})
            return
        for argv, user in todo:
            emit(run(argv, user))


def lifecycle(plan: dict) -> None:
    clerk, reviewer = plan.get("clerk", "li"), plan.get("reviewer", "wang")
    ids = []
    for _ in range(plan["cases"]):
        rec = run(["case", "register", "--applicant", f"申请人{os.getpid()}", "--applicant-type", "natural",
                   "--channel", "in_person", "--received", "2026-09-24", "--description", "并发登记", "--json"], clerk)
        emit(rec)
        if rec["rc"] == 0:
            ids.append(str(rec["json"]["id"]))
    for cid in ids:
        for argv, user in ((["case", "accept", cid], clerk), (["case", "propose", cid, "--outcome", "disclose"], clerk),
                           (["case", "decide", cid], clerk), (["case", "approve", cid], reviewer),
                           (["case", "deliver", cid, "--method", "direct"], clerk)):
            emit(run([*argv, "--json"], user))


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm_kill_point(where: str) -> None:
    """SIGKILL this process at a named point (fault injection for the crash suite):
    in_step          inside the 2nd step's transaction: event appended, 文号 allocated, not committed
    letter_half      half of a PDF written to the temporary file, no rename, nothing recorded
    letter_renamed   the PDF renamed into place, its SHA-256 not yet recorded in the history
    """
    from ogi.engine.cases import steps as cases, documents as letters_service

    if where == "in_step":  # the second step's transaction (the first, a registration, commits)
        original = cases.allocate_letters
        calls = [0]

        def allocate_then_die(*a, **kw):
            out = original(*a, **kw)
            calls[0] += 1
            if calls[0] == 2:  # the step's statements have run (plain SQL: nothing left to flush)
                _die()
            return out

        cases.allocate_letters = allocate_then_die
    elif where == "letter_half":
        def half_write(path, data):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            with open(tmp, "wb") as fh:
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.fsync(fh.fileno())
            _die()

        letters_service._atomic_write = half_write
    elif where == "letter_renamed":
        original_write = letters_service._atomic_write

        def write_then_die(path, data):
            original_write(path, data)
            _die()

        letters_service._atomic_write = write_then_die
    else:
        raise SystemExit(f"unknown kill point {where}")


def main() -> None:
    plan = json.loads(sys.stdin.read())
    if plan.get("kill_at"):
        arm_kill_point(plan["kill_at"])
    if plan.get("render") is False:
        # Letters stay pending (their 文号 is still allocated inside the step): this worker
        # measures database contention, not PDF rendering.
        from ogi.engine import api

        api.after_commit = lambda case_id: []
    if plan.get("mode") == "drive":
        drive(plan)
        return
    if plan.get("mode") == "lifecycle":
        from ogi.cli import main as _warm  # noqa: F401
        from ogi.letters import render_pdf  # noqa: F401

        emit({"ready": True, "pid": os.getpid()})
        wait_for_go(plan)
        lifecycle(plan)
        return
    from ogi.cli import main as _warm  # noqa: F401 - import before the start line

    if plan.get("warm_letters"):
        from ogi.letters import render_pdf  # noqa: F401
    emit({"ready": True, "pid": os.getpid()})
    wait_for_go(plan)
    for cmd in plan["commands"]:
        emit(run(cmd["argv"], cmd.get("user", "li")))


if __name__ == "__main__":
    main()
