"""Letters: median time to render each letter kind (context -> HTML -> PDF) against WeasyPrint
rendering a one-line page with the same fonts and stylesheets in the same process.

    .venv/bin/python bench/bench_letters.py [--repeats 7]

Each letter and its baseline run interleaved (baseline, letter, baseline, letter, ...) so they
share the machine's load; ratios use CPU time, which a busy machine disturbs less than wall time.
Two baselines:
  warm  the process's cached FontConfiguration, as to_pdf uses it (the engine's steady state);
  cold  a fresh FontConfiguration per page, as a caller without the cache would pay it (copying
        and scanning the two CJK .ttc files dominates).
Target: ratio <= 2.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header  # noqa: E402

import pypdf  # noqa: E402

from ogi.letters import render_pdf, to_pdf  # noqa: E402
from ogi.letters.render import STYLESHEET, font_face_css  # noqa: E402
from ogi.letters.samples import SAMPLES  # noqa: E402

ONE_LINE = '<!DOCTYPE html><html lang="zh-CN"><body><p>政府信息公开</p></body></html>'


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def cold_one_line() -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fc = FontConfiguration()
    sheets = [CSS(string=font_face_css(), font_config=fc), CSS(filename=str(STYLESHEET), font_config=fc)]
    return HTML(string=ONE_LINE).write_pdf(stylesheets=sheets, font_config=fc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    header("bench_letters", f"render_pdf per letter kind vs a one-line page, median of {repeats}")

    start = time.perf_counter()
    to_pdf(ONE_LINE)
    print(f"   first to_pdf in the process (import weasyprint, load fonts): {time.perf_counter() - start:.2f} s wall")
    cold = statistics.median(cpu(cold_one_line) for _ in range(3))
    print(f"   cold one-line page: {cold * 1000:.0f} ms cpu\n")
    print(f"{'letter':30} {'pages':>5} {'KB':>5} {'letter ms':>9} {'warm ms':>8} {'/warm':>6} {'/cold':>6}")
    worst = []
    for name, ctx in SAMPLES.items():
        pdf = render_pdf(ctx)
        pairs = [(cpu(lambda: to_pdf(ONE_LINE)), cpu(lambda: render_pdf(ctx))) for _ in range(repeats)]
        warm = statistics.median(p[0] for p in pairs)
        letter = statistics.median(p[1] for p in pairs)
        worst.append((letter / warm, letter / cold))
        pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        print(f"{name:30} {pages:5} {len(pdf) // 1024:5} "
              f"{letter * 1000:9.0f} {warm * 1000:8.0f} {letter / warm:6.2f} {letter / cold:6.2f}")
    print(f"\nworst ratio: {max(w[0] for w in worst):.2f} vs the warm one-line page, "
          f"{max(w[1] for w in worst):.2f} vs the cold one (target <= 2)")


if __name__ == "__main__":
    main()
