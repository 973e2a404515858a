"""Median time to render each letter kind (context -> HTML -> PDF) against WeasyPrint rendering
a one-line page with the same fonts and stylesheets in the same process. Target: ratio <= 2.

Two baselines: "warm" reuses the process's FontConfiguration, as to_pdf does; "cold" builds a
fresh FontConfiguration per page, as a naive caller would (loading the CJK faces dominates).

    .venv/bin/python bench/bench_letters.py [repeats]
"""
from __future__ import annotations

import statistics
import sys
import time

from ogi.letters import render_html, render_pdf, to_pdf
from ogi.letters.render import STYLESHEET, font_face_css
from ogi.letters.samples import SAMPLES

ONE_LINE = '<!DOCTYPE html><html lang="zh-CN"><body><p>政府信息公开</p></body></html>'


def median(fn, repeats: int) -> tuple[float, float]:
    """(wall, cpu) medians in seconds; cpu is steadier on a busy machine."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def cold_one_line() -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fc = FontConfiguration()
    sheets = [CSS(string=font_face_css(), font_config=fc), CSS(filename=str(STYLESHEET), font_config=fc)]
    return HTML(string=ONE_LINE).write_pdf(stylesheets=sheets, font_config=fc)


def main(repeats: int = 7) -> None:
    start = time.perf_counter()
    to_pdf(ONE_LINE)
    print(f"first to_pdf in this process (import weasyprint, load fonts): {time.perf_counter() - start:.2f} s")
    warm = median(lambda: to_pdf(ONE_LINE), repeats)
    cold = median(cold_one_line, max(3, repeats // 2))
    print(f"baseline one-line page, warm: {warm[0] * 1000:6.1f} ms wall {warm[1] * 1000:6.1f} ms cpu")
    print(f"baseline one-line page, cold: {cold[0] * 1000:6.1f} ms wall {cold[1] * 1000:6.1f} ms cpu\n")
    print(f"{'letter':30} {'html':>6} {'wall':>7} {'cpu':>7} {'/warm':>6} {'/cold':>6}   (ms; ratios of cpu)")
    ratios = []
    for name, ctx in SAMPLES.items():
        html = median(lambda: render_html(ctx), repeats)
        pdf = median(lambda: render_pdf(ctx), repeats)
        ratios.append((pdf[1] / warm[1], pdf[1] / cold[1]))
        print(f"{name:30} {html[1] * 1000:6.2f} {pdf[0] * 1000:7.1f} {pdf[1] * 1000:7.1f} "
              f"{ratios[-1][0]:6.2f} {ratios[-1][1]:6.2f}")
    worst_warm, worst_cold = max(r[0] for r in ratios), max(r[1] for r in ratios)
    print(f"\nworst ratio vs warm one-line page: {worst_warm:.2f}; vs cold: {worst_cold:.2f} (target <= 2)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
