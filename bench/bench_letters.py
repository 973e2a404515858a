"""Letters: (a) CPU time to render one letter (context -> HTML -> PDF) against WeasyPrint
rendering a one-line page with the same fonts and stylesheets in the same process; (b) a batch of
letters rendered by `render_letters` on one worker per core against the same batch in one process.

    .venv/bin/python bench/bench_letters.py [--repeats 7] [--batch 200] [--backend sqlite|postgres]

(a) Each sample letter (one per kind and reply family) and the baseline run interleaved
    (baseline, letter, baseline, letter, ...) so they share the machine's load; ratios use CPU
    time, which a busy machine disturbs less than wall time. The baseline is `to_pdf` of a
    one-line page ("政府信息公开") with the process's cached FontConfiguration, as letters use it
    (warm). Target: the median letter <= 2x. Then a breakdown of where a letter's time goes
    (WeasyPrint's layout, loading the font files into PDF font objects, subsetting them with
    HarfBuzz, writing and compressing the PDF) against the same for one-line pages, with the
    glyphs each face embeds: WeasyPrint subsets with retained glyph ids, so a face costs what its
    highest glyph id costs (every glyph below it is written, empty).
(b) Two identical SQLite (or PostgreSQL) instances with `--batch` letters allocated by real
    steps (receipts, replies, service receipts, extension notices), left unrendered. One is
    rendered in this process (workers=1), the other by the worker pool (os.cpu_count() workers),
    both through engine.cases.documents.render_letters, files written and each letter recorded in
    its own transaction. Printed: wall time of each, the pool's speed-up, and the parallelism it
    achieved: CPU of the workers (getrusage of the reaped children: start-up included) plus this
    process's CPU, over the wall time. The two instances' SHA-256s are asserted identical. On a
    shared machine the kernel's autogroup scheduling gives each session one share of the CPUs,
    however many processes it runs: with other sessions busy, two processes of ours may get no
    more than one. So the CPU that one and `os.cpu_count()` busy processes get is probed just
    before each batch (and after the pooled one), and the parallelism is also given as a share
    of what two busy processes could get at the time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import create_pg_schema, drop_pg_schema, header  # noqa: E402

ONE_LINE = '<!DOCTYPE html><html lang="zh-CN"><body><p>政府信息公开</p></body></html>'
# The same line with the full-width punctuation every letter has: in Noto CJK's glyph order the
# simplified-Chinese forms of ，：；（）“” sit at glyph ids 58956..63163.
ONE_LINE_PUNCT = '<!DOCTYPE html><html lang="zh-CN"><body><p>“政府信息公开”，</p></body></html>'


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


# --------------------------------------------------------------------------- (a) one letter

class Probe:
    """Times the parts of a render by wrapping WeasyPrint's and pydyf's entry points (only while
    the breakdown runs: the ratios above are measured without it)."""

    PARTS = ("layout", "font_load", "subset", "pdf_write")

    def __init__(self):
        import pydyf
        from weasyprint.pdf import fonts

        from ogi.letters.render import _Renderer

        self.acc: dict[str, float] = {}
        self.layouts = 0
        self.faces: list[tuple[str, int, int]] = []  # (family weight, glyphs, highest glyph id)
        self._undo = []
        probe = self

        def wrap(owner, name, key, on_call=None):
            original = getattr(owner, name)

            def timed(*args, **kwargs):
                if on_call:
                    on_call(*args)
                start = time.process_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    probe.acc[key] = probe.acc.get(key, 0.0) + time.process_time() - start

            setattr(owner, name, timed)
            self._undo.append((owner, name, original))

        def count_layout(*_):
            probe.layouts += 1

        def face(font, to_unicode, *_):
            if to_unicode:
                probe.faces.append((f"{font.family} {font.weight}", len(to_unicode), max(to_unicode)))

        wrap(_Renderer, "layout", "layout", count_layout)
        wrap(fonts.Font, "__init__", "font_load")
        wrap(fonts.Font, "clean", "subset", face)
        wrap(pydyf.PDF, "write", "pdf_write")

    def run(self, fn) -> dict:
        self.acc, self.layouts, self.faces = {}, 0, []
        total = cpu(fn)
        out = {k: self.acc.get(k, 0.0) for k in self.PARTS}
        out["rest"] = total - sum(out.values())
        out["total"] = total
        out["layouts"], out["faces"] = self.layouts, list(self.faces)
        return out

    def close(self):
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


def bench_single(repeats: int) -> tuple[float, float]:
    import pypdf

    from ogi.letters import render_pdf, to_pdf
    from ogi.letters.samples import SAMPLES

    start = time.perf_counter()
    to_pdf(ONE_LINE)
    print(f"   first to_pdf in the process (import weasyprint, load fonts): {time.perf_counter() - start:.2f} s wall\n")
    print("(a) one letter, CPU ms, median of", repeats)
    print(f"{'letter':30} {'pages':>5} {'KB':>5} {'letter':>7} {'1-line':>7} {'ratio':>6}")
    ratios = []
    for name, ctx in SAMPLES.items():
        pdf = render_pdf(ctx)
        pairs = [(cpu(lambda: to_pdf(ONE_LINE)), cpu(lambda: render_pdf(ctx))) for _ in range(repeats)]
        warm = statistics.median(p[0] for p in pairs)
        letter = statistics.median(p[1] for p in pairs)
        ratios.append(letter / warm)
        pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        print(f"{name:30} {pages:5} {len(pdf) // 1024:5} {letter * 1000:7.0f} {warm * 1000:7.0f} {letter / warm:6.2f}")
    median, worst = statistics.median(ratios), max(ratios)
    print(f"\nmedian letter {median:.2f}x the warm one-line page, worst {worst:.2f}x (target <= 2)\n")
    breakdown(repeats)
    return median, worst


def breakdown(repeats: int) -> None:
    from ogi.letters import render_pdf, to_pdf
    from ogi.letters.samples import SAMPLES

    probe = Probe()
    try:
        rows = {"one line": [probe.run(lambda: to_pdf(ONE_LINE)) for _ in range(repeats)],
                "one line ，“”": [probe.run(lambda: to_pdf(ONE_LINE_PUNCT)) for _ in range(repeats)]}
        letters = []
        for ctx in SAMPLES.values():
            runs = [probe.run(lambda: render_pdf(ctx)) for _ in range(max(3, repeats // 2))]
            letters.append({k: statistics.median(r[k] for r in runs) for k in (*Probe.PARTS, "rest", "total")}
                           | {"layouts": runs[0]["layouts"], "faces": runs[0]["faces"]})
    finally:
        probe.close()
    print("where the time goes (CPU ms; letters: median over the kinds of each kind's median)")
    print(f"{'':16} {'total':>6} {'layout':>7} {'font load':>9} {'subset':>7} {'pdf write':>9} {'rest':>6}  "
          f"{'layouts':>7}  faces embedded (glyphs, highest glyph id)")

    def line(label, parts, layouts, faces):
        shown = "; ".join(f"{f} ({n}, {g})" for f, n, g in faces)
        print(f"{label:16} {parts['total'] * 1000:6.0f} {parts['layout'] * 1000:7.0f} {parts['font_load'] * 1000:9.0f} "
              f"{parts['subset'] * 1000:7.0f} {parts['pdf_write'] * 1000:9.0f} {parts['rest'] * 1000:6.0f}  "
              f"{layouts:>7}  {shown}")

    for label, runs in rows.items():
        med = {k: statistics.median(r[k] for r in runs) for k in (*Probe.PARTS, "rest", "total")}
        line(label, med, runs[0]["layouts"], runs[0]["faces"])
    med = {k: statistics.median(l[k] for l in letters) for k in (*Probe.PARTS, "rest", "total")}
    layouts = statistics.median(l["layouts"] for l in letters)
    glyphs = statistics.median(sum(n for _, n, _ in l["faces"]) for l in letters)
    top = statistics.median(max(g for _, _, g in l["faces"]) for l in letters)
    line("letter (median)", med, f"{layouts:g}", [("2 faces", int(glyphs), int(top))])
    print(f"   layouts per letter over the kinds: {sorted(l['layouts'] for l in letters)}\n")


# --------------------------------------------------------------------------- (b) a batch

def _lifecycles():
    from ogi.states.machine import Trigger as T

    d = dt.date
    answer = [("li", T.ACCEPT, d(2026, 3, 3), {}, ""), ("li", T.PROPOSE, d(2026, 3, 10), {"outcome": "disclose"}, ""),
              ("li", T.DECIDE, d(2026, 3, 10), {}, ""), ("wang", T.APPROVE, d(2026, 3, 11), {}, ""),
              ("li", T.DELIVER, d(2026, 3, 12), {"method": "post"}, "")]
    withhold = [*answer[:1], ("li", T.PROPOSE, d(2026, 3, 10), {"outcome": "withhold_process"},
                              "该信息属于行政机关在履行行政管理职能过程中形成的讨论记录、过程稿，依法不予公开。"), *answer[2:]]
    extend = [answer[0], ("wang", T.EXTEND, d(2026, 3, 20), {"workdays": 15}, "需要调取多个部门保存的档案并逐件审查")]
    return [answer, withhold, extend]


def make_instance(backend: str, letters: int) -> tuple[dict, str | None]:
    """A fresh instance with at least `letters` letters allocated by steps and not rendered."""
    home = Path(tempfile.mkdtemp(prefix="ogi-bench-letters-"))
    env = {"OGI_HOME": str(home), "OGI_TODAY": "2026-12-31", "OGI_USER": "li"}
    schema = None
    if backend == "postgres":
        schema, env["OGI_DATABASE_URL"] = create_pg_schema()
    use(env)
    from ogi.engine import api
    from ogi.engine.cases.steps import Registration
    from ogi.engine.config import TRAINING_CONFIG, config_path
    from ogi.engine.store.db import database_url
    from ogi.engine.cases.documents import letter_ids
    from ogi.engine.store.schema import upgrade

    config_path().parent.mkdir(parents=True, exist_ok=True)
    # what `ogi init --training` writes: the bench's users are declared (OGI_USER, --as)
    config_path().write_text(TRAINING_CONFIG, encoding="utf-8")
    upgrade(database_url())
    real, api.after_commit = api.after_commit, (lambda case_id: [])
    try:
        plans, i = _lifecycles(), 0
        while len(letter_ids()) < letters:
            reg = Registration(applicant=f"申请人{i:03d}", applicant_type="natural", channel="in_person",
                               received=dt.date(2026, 3, 2), phone="13800000000",
                               description="2025年度本市国有建设用地供应计划及其编制说明" * (1 + i % 4))
            ref = str(api.register_case("li", reg)["id"])
            for login, trigger, day, params, reason in plans[i % len(plans)]:
                api.step(login, ref, trigger, day, params, reason)
            i += 1
    finally:
        api.after_commit = real
    env["home"] = str(home)
    return env, schema


def use(env: dict) -> None:
    for key in ("OGI_HOME", "OGI_TODAY", "OGI_USER", "OGI_DATABASE_URL"):
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
    os.environ.pop("OGI_CONFIG", None)
    os.environ.pop("OGI_LETTERS_DIR", None)


def drop(env: dict, schema: str | None) -> None:
    from ogi.engine.store.db import dispose_engines

    dispose_engines()
    if schema:
        drop_pg_schema(schema)
    shutil.rmtree(env["home"], ignore_errors=True)


def run_batch(env: dict, n: int, workers: int) -> dict:
    from ogi.engine.cases import documents as letters_service
    from ogi.engine.cases.documents import letter_ids, render_letters

    use(env)
    ids = letter_ids()[:n]
    per_letter = []
    record = letters_service._record

    def recording(prep, out, actor):
        per_letter.append((out.pid, out.cpu, out.wall))
        return record(prep, out, actor)

    letters_service._record = recording
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        results = render_letters(ids, workers=workers)
    finally:
        letters_service._record = record
    wall, parent = time.perf_counter() - wall0, time.process_time() - cpu0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    kids = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    assert len(results) == len(ids) and not any("error" in r for r in results), [r for r in results if "error" in r][:3]
    pids = {p for p, _, _ in per_letter}
    return {"wall": wall, "parent": parent, "children": kids, "pids": len(pids),
            "render_cpu": sum(c for _, c, _ in per_letter), "sha": [r["sha256"] for r in results],
            # the share of the batch's wall time the workers spent on letters (the rest: starting,
            # or waiting for this process to hand out the next letter)
            "busy": sum(w for _, _, w in per_letter) / (wall * len(pids))}


def _spin(seconds: float) -> float:
    start, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        pass
    return time.process_time() - cpu0


def ceiling(processes: int, seconds: float = 3.0) -> float:
    """CPU / wall that `processes` busy processes of this session get right now. On a shared
    machine the scheduler (autogroup: one share per session) can give a whole session as little
    as one core however many processes it runs: the batch cannot do better than this."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(abs, range(processes), chunksize=1)  # started
        start = time.perf_counter()
        spent = sum(pool.map(_spin, [seconds] * processes, chunksize=1))
        return spent / (time.perf_counter() - start)


def bench_batch(n: int, backend: str) -> tuple[float, float, float]:
    workers = os.cpu_count() or 1
    print(f"(b) a batch of {n} letters on {backend}: render_letters in one process vs {workers} worker processes")
    envs = []
    try:
        start = time.perf_counter()
        for _ in range(2):
            envs.append(make_instance(backend, n))
        print(f"   two instances with {n} unrendered letters each made in {time.perf_counter() - start:.0f} s")
        room1 = ceiling(1)
        serial = run_batch(envs[0][0], n, 1)
        room = ceiling(workers)
        pooled = run_batch(envs[1][0], n, workers)
        room = (room + ceiling(workers)) / 2
    finally:
        for env, schema in envs:
            drop(env, schema)
    assert serial["sha"] == pooled["sha"], "the pool rendered different bytes"
    par = (pooled["children"] + pooled["parent"]) / pooled["wall"]
    speedup = serial["wall"] / pooled["wall"]
    print(f"   the machine gives this session now: {room1:.2f} CPU to one busy process, {room:.2f} to {workers} "
          f"(load {os.getloadavg()[0]:.2f})")
    print(f"   one process:  {serial['wall']:6.1f} s wall, {serial['parent']:6.1f} s CPU "
          f"({serial['render_cpu'] / n * 1000:.0f} ms CPU a letter rendering, the rest reading and recording; "
          f"CPU / wall {serial['parent'] / serial['wall']:.2f})")
    print(f"   {workers} workers:    {pooled['wall']:6.1f} s wall; CPU: workers {pooled['children']:.1f} s "
          f"(rendering {pooled['render_cpu']:.1f} s, {pooled['render_cpu'] / n * 1000:.0f} ms a letter; the rest "
          f"start-up), this process {pooled['parent']:.1f} s; {pooled['pids']} worker pids seen, each busy "
          f"with a letter {pooled['busy']:.0%} of the wall time (the rest: start-up, or waiting for work)")
    print(f"   parallelism (all CPU / wall) {par:.2f} on {workers} cores, {par / room:.0%} of the {room:.2f} the "
          f"machine gives {workers} busy processes now; workers alone {pooled['children'] / pooled['wall']:.2f}; "
          f"speed-up over one process {speedup:.2f}x; SHA-256 identical for all {n}\n")
    return par, speedup, room


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200, help="letters in the batch (0: skip part b)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--skip-single", action="store_true", help="part b only")
    args = parser.parse_args()
    header("bench_letters", f"render_pdf per letter kind vs a one-line page (median of {args.repeats}); "
                            f"a batch of {args.batch} on {os.cpu_count()} workers")
    median = worst = float("nan")
    if not args.skip_single:
        median, worst = bench_single(args.repeats)
    par = speedup = room = float("nan")
    if args.batch:
        par, speedup, room = bench_batch(args.batch, args.backend)
    print(f"RESULT bench_letters median_ratio={median:.2f}x worst_ratio={worst:.2f}x target=2x "
          f"{'OK' if median <= 2 else 'MISSED' if median == median else 'SKIPPED'} batch_parallelism={par:.2f} (of {room:.2f} available) batch_speedup={speedup:.2f}x")


if __name__ == "__main__":
    main()
