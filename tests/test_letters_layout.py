"""letters: pagination (GB/T 9704-2012 7.3.5.4). A letter that spills a few lines onto a page of
their own is laid out again with tighter line and character spacing; the signature page always
carries body text; long letters stay multi-page on the 22 x 28 grid. Renders are shared."""
from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys

import pytest

pypdf = pytest.importorskip("pypdf")
if not shutil.which("pdftotext"):
    pytest.skip("poppler-utils (pdftotext) is not installed", allow_module_level=True)

from ogi.letters import render_html, render_pdf  # noqa: E402
from ogi.letters.render import FIT_STEPS, GRID, PITCH_PT, Layout, _Renderer, layout_of  # noqa: E402
from ogi.letters.samples import AGENCY, REPLY_SAMPLES, SAMPLES  # noqa: E402

MM = 72 / 25.4
A4_HEIGHT, BOTTOM = 297 * MM, 35 * MM
BLOCK = 225 * MM
# Samples whose content is longer than one page even at the tightest step (25 lines of 30
# characters): the 第三方告知书 (decision, reasons and the third party's remedy: 29 lines on the
# grid), the 收费通知书 (five numbered fee items with the standard, the computation and the
# remedy clause), the 延迟答复告知书 (the facts, the reasons, the later date and the remedy
# clause), the partial reply (withheld parts, reasons, two-part remedy, two attachments: 38), the
# withhold reply (refusal reasons and the review-first clause: 27), the not-responsible reply (the
# responsible agency's contact: 27).
TWO_PAGES = {"third-party-notice", "fee-notice", "delay-notice", "reply-partial", "reply-withhold",
             "reply-not-responsible"}
SENTENCE = "本机关经认真检索，该信息涉及的相关档案分散保存于多个内设机构。"
# 3 pages on the grid, the third holding the last lines and the signature: pulled back to 2.
SPILL = dataclasses.replace(REPLY_SAMPLES["reply-withhold"], reasons="\n".join([SENTENCE * 3] * 4 + [SENTENCE] * 2))
# Far more than a page's worth of reasons: stays on the grid, four pages.
LONG = dataclasses.replace(
    REPLY_SAMPLES["reply-withhold"],
    reasons="经审查，本机关认为该信息涉及多个部门在履行职责过程中形成的内部讨论记录，依法不予公开。" * 40)
EXTRA = {"spill": SPILL, "long": LONG}


@pytest.fixture(scope="module")
def letters() -> dict[str, tuple[Layout, bytes]]:
    out = {}
    for name, ctx in {**SAMPLES, **EXTRA}.items():
        out[name] = (layout_of(render_html(ctx)), render_pdf(ctx))
    return out


def page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def page_lines(pdf: bytes) -> list[list[tuple[float, str]]]:
    """Per page: (top, text) of each printed line above the page number, top to bottom."""
    xml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = []
    for page in re.findall(r"<page .*?</page>", xml, re.S):
        rows: dict[float, list[tuple[float, str]]] = {}
        for x, y, y2, text in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>', page):
            if float(y) > A4_HEIGHT - BOTTOM:
                continue  # the page number
            key = next((k for k in rows if abs(k - float(y2)) < 3), float(y2))  # same baseline
            rows.setdefault(key, []).append((float(x), text))
        pages.append([(top, "".join(t for _, t in sorted(words))) for top, words in sorted(rows.items())])
    return pages


def body_lines_above_signature(pdf: bytes) -> list[str]:
    """The lines of running text on the signature page above the signature (not the closing
    formula, not the 附件 lines)."""
    last = page_lines(pdf)[-1]
    sign = max(i for i, (_, text) in enumerate(last) if text == AGENCY.name)
    return [text for _, text in last[:sign]
            if not text.startswith(("特此", "附件")) and not re.match(r"^\d．", text) and text != AGENCY.name]


def pitch(pdf: bytes, page: int = 0) -> float:
    tops = [top for top, _ in page_lines(pdf)[page]][3:]  # below the title (22 pt: other descent)
    return min(b - a for a, b in zip(tops, tops[1:]))


def test_each_kind_fits_one_page_unless_it_cannot(letters):
    counts = {name: page_count(pdf) for name, (_, pdf) in letters.items() if name in SAMPLES}
    assert {n for n, c in counts.items() if c > 1} == TWO_PAGES, counts
    assert all(c <= 2 for c in counts.values()), counts
    for name, (layout, pdf) in letters.items():
        assert layout.pages == page_count(pdf), name
    renderer = _Renderer.get()
    for name in TWO_PAGES:  # why: even the tightest step leaves them on two pages
        document = renderer.layout(render_html(SAMPLES[name]), FIT_STEPS[-1][:2])
        assert len(document.pages) == 2, name
        assert letters[name][0][1:] == GRID, name  # so they keep the standard grid


def test_tightened_only_as_far_as_needed(letters):
    steps = [GRID] + [s[:2] for s in FIT_STEPS]
    renderer = _Renderer.get()
    tightened = {n: lay for n, (lay, _) in letters.items() if (lay.lines, lay.chars) != GRID}
    assert len(tightened) >= 5 and "spill" in tightened
    for name, layout in tightened.items():
        looser = steps[steps.index((layout.lines, layout.chars)) - 1]
        html = render_html({**SAMPLES, **EXTRA}[name])
        assert len(renderer.layout(html, looser).pages) > layout.pages, name
        assert len(renderer.layout(html).pages) == layout.pages + 1, name  # one page saved, no more


def test_line_pitch_in_the_pdf(letters):
    for name, (layout, pdf) in letters.items():
        if name == "service-receipt":
            continue  # a table
        # the body lines sit on the chosen pitch (blank lines are whole pitches)
        assert abs(pitch(pdf) - float(PITCH_PT[layout.lines].removesuffix("pt"))) < 0.05, name


def test_steps_stay_readable():
    assert FIT_STEPS[0][:2] == (23, 28)
    for (lines, chars, pitch_, spacing), (lines2, chars2, *_) in zip(FIT_STEPS, FIT_STEPS[1:]):
        assert (lines, chars) < (lines2, chars2) and lines <= lines2 and chars <= chars2
    for lines, chars, pitch_, spacing in FIT_STEPS:
        line, space = float(pitch_.removesuffix("pt")), float(spacing.removesuffix("pt"))
        assert line * lines <= BLOCK and line >= 1.55 * 16             # the block holds them; 1.6x type
        assert (16 + space) * chars <= 156 * MM and 16 + space >= 0.92 * 16  # glyphs 0.92 em apart


def test_signature_page_carries_body_text(letters):
    for name, (layout, pdf) in letters.items():
        if name == "service-receipt":
            continue  # a form: the seal sits in its own row
        body = body_lines_above_signature(pdf)
        assert body, name
        if layout.pages > 1:
            assert len(body) >= 2, (name, body)  # widows: the paragraph's last two lines at least


def test_spill_is_pulled_back_with_page_numbers(letters):
    layout, pdf = letters["spill"]
    assert len(_Renderer.get().layout(render_html(SPILL)).pages) == 3  # on the grid
    assert layout.pages == page_count(pdf) == 2 and (layout.lines, layout.chars) != GRID
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = text.split("\f")
    assert "— 1 —" in pages[0] and "— 2 —" in pages[1]
    # the second page is full of text, not just the tail of the letter
    assert len(page_lines(pdf)[1]) >= 10


def test_long_letter_stays_on_the_grid(letters):
    layout, pdf = letters["long"]
    assert layout == Layout(page_count(pdf), *GRID) and layout.pages >= 3
    lines = page_lines(pdf)
    assert len(lines[1]) == GRID[0]  # a full page of body text: 22 lines
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for number, page in enumerate(text.split("\f")[:layout.pages], start=1):
        assert f"— {number} —" in page


def test_tightened_letter_same_bytes(letters):
    name = next(n for n, (lay, _) in letters.items() if n in SAMPLES and lay.chars > GRID[1])
    assert render_pdf(SAMPLES[name]) == letters[name][1]
    code = ("import sys; from ogi.letters import render_pdf; from ogi.letters.samples import SAMPLES; "
            f"sys.stdout.buffer.write(render_pdf(SAMPLES[{name!r}]))")
    env = {**os.environ, "PYTHONHASHSEED": "54321"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env).stdout
    assert out == letters[name][1]
