"""letters: the PDF read back (pypdf, poppler's pdftotext): text, A4, fonts, GB/T 9704 margins,
grid, page numbers, rare characters, byte-identical output. Renders are shared per module."""
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

from ogi.errors import LetterError  # noqa: E402
from ogi.letters import LetterKind, render_html, render_pdf, to_pdf  # noqa: E402
from ogi.letters.context import Applicant  # noqa: E402
from ogi.letters.samples import KIND_SAMPLES, REPLY_SAMPLES, SAMPLES  # noqa: E402

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
TOP, BOTTOM, LEFT, RIGHT = 37 * MM, 35 * MM, 28 * MM, 26 * MM
LINE = 225 * MM / 22  # 28.95 pt: 22 lines in the 225 mm text block
RARE = "镕堃喆赟昇玥珺犇垚"
# One long paragraph of CJK only (no Latin digits), so that every full line has 28 characters.
LONG = "经审查，本机关认为该信息涉及多个部门在履行职责过程中形成的内部讨论记录，依法不予公开。" * 40


def pdftotext(pdf: bytes, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def flat(text: str) -> str:
    return "".join(text.split())


def words(pdf: bytes) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page: (xMin, yMin, xMax, yMax, text) of each word, in points from the top left."""
    pages = []
    for page in re.findall(r"<page .*?</page>", pdftotext(pdf, "-bbox"), re.S):
        pages.append([(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)])
    return pages


def is_page_number(word) -> bool:
    return word[1] > A4[1] - BOTTOM


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    out = {name: render_pdf(ctx) for name, ctx in SAMPLES.items()}
    out["long"] = render_pdf(dataclasses.replace(REPLY_SAMPLES["reply-withhold"], reasons=LONG))
    out["rare"] = render_pdf(dataclasses.replace(
        REPLY_SAMPLES["reply-unable"], applicant=Applicant(name="王" + RARE),
        reasons=f"申请人姓名中的生僻字：{RARE}鿫。"))  # 鿫 (U+9FEB): only in the fallback face
    return out


def test_text_has_title_number_article_and_remedy(pdfs):
    for name, ctx in SAMPLES.items():
        text = flat(pdftotext(pdfs[name]))
        assert flat(ctx.kind.title) in text and ctx.number in text and ctx.case_number in text, name
        if ctx.outcome_info:
            assert flat(ctx.outcome_info.article) in text, name
        assert ("申请行政复议" in text) == ctx.kind.needs_remedy, name
    assert "第二十三条第一款第（四）项" in flat(pdftotext(pdfs["reply-withhold"]))


def test_a4_and_metadata(pdfs):
    for name, pdf in pdfs.items():
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        for page in reader.pages:
            box = page.mediabox
            assert abs(float(box.width) - A4[0]) < 1 and abs(float(box.height) - A4[1]) < 1, name
    meta = pypdf.PdfReader(io.BytesIO(pdfs["reply-disclose"])).metadata
    assert meta.title == "政府信息公开申请答复书（示自然资规公开〔2026〕12号）"
    assert meta["/CreationDate"].startswith("D:20260327")  # the issue date, not the clock


def test_fonts_embedded_subset_with_a_real_bold(pdfs):
    reader = pypdf.PdfReader(io.BytesIO(pdfs["reply-partial"]))
    names = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            names.add(str(font["/BaseFont"]))
            for desc in font.get("/DescendantFonts", [font]):
                descriptor = desc.get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
    assert names and all(re.match(r"^/[A-Z]{6}\+", n) for n in names), names
    assert any(n.endswith("OGI-Serif-Bold") for n in names), names   # title: the Bold face
    assert any(n.endswith("OGI-Serif") for n in names), names


def test_gbt9704_margins_and_grid(pdfs):
    pages = words(pdfs["long"])
    assert len(pages) >= 3
    first = [w for w in pages[0] if not is_page_number(w)]
    assert abs(min(w[0] for w in first) - LEFT) < 0.5 * MM                     # left 28 mm
    assert abs(min(w[1] for w in first) - TOP) < 1.5 * MM                      # top 37 mm (title)
    full = [w for page in pages for w in page if not is_page_number(w)]
    assert abs(A4[0] - max(w[2] for w in full) - RIGHT) < 0.5 * MM             # right 26 mm
    assert max(w[3] for w in full) <= A4[1] - BOTTOM + 0.5                     # bottom 35 mm
    body = [w for w in pages[1] if not is_page_number(w)]                      # a page of body text
    assert len(body) == 22                                                     # 22 lines
    tops = sorted(w[1] for w in body)
    assert all(abs((b - a) - LINE) < 0.05 for a, b in zip(tops, tops[1:]))
    assert abs(tops[0] - TOP - (LINE - (body[0][3] - body[0][1])) / 2) < 0.5  # first line at 37 mm
    full_lines = [w[4] for w in body if abs(w[2] - (A4[0] - RIGHT)) < 1 and w[0] < LEFT + 1]
    assert full_lines and all(len(t) == 28 for t in full_lines), full_lines    # 28 characters


def test_page_numbers(pdfs):
    pages = words(pdfs["long"])
    for number, page in enumerate(pages, start=1):
        marks = sorted((w for w in page if is_page_number(w)), key=lambda w: w[0])
        assert " ".join(w[4] for w in marks) == f"— {number} —"
        centre = (marks[0][1] + marks[0][3]) / 2
        assert abs(centre - (A4[1] - BOTTOM + 7 * MM + 7)) < 1 * MM  # 4号 line 7 mm below the block
        if number % 2:  # odd pages right, even pages left, one character in (7.5)
            assert abs(A4[0] - RIGHT - 14 - marks[-1][2]) < 2
        else:
            assert abs(marks[0][0] - LEFT - 14) < 2
    assert "— 1 —" in pdftotext(pdfs["receipt"])


def test_rare_characters_render_from_a_real_face(pdfs):
    pdf = pdfs["rare"]
    text = flat(pdftotext(pdf))
    assert "王" + RARE in text and RARE + "鿫" in text
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    faces = {}

    def visit(chunk, cm, tm, font, size):
        for ch in chunk:
            if font is not None:
                faces.setdefault(ch, set()).add(str(font["/BaseFont"]).split("+")[-1])

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
        data = page.get_contents().get_data().decode("latin-1")
        for show in re.findall(r"\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj", data):
            for hexes in re.findall(r"<([0-9a-fA-F]*)>", show[0]) + [show[1]]:
                assert "0000" not in re.findall("....", hexes), "a .notdef glyph was drawn"
    assert all(faces.get(ch) == {"OGI-Serif"} for ch in RARE), {ch: faces.get(ch) for ch in RARE}
    assert faces.get("鿫") == {"Noto-Sans-CJK-SC"}, faces.get("鿫")  # the fallback named in letter.css


def test_unprintable_character_is_refused():
    html = render_html(dataclasses.replace(REPLY_SAMPLES["reply-unable"], applicant=Applicant(name="王𡒄")))
    with pytest.raises(LetterError, match="U\\+21484"):
        to_pdf(html)


def test_same_context_same_bytes(pdfs):
    ctx = KIND_SAMPLES["fee-notice"]
    assert render_pdf(ctx) == pdfs["fee-notice"]
    # another process, another hash seed
    code = ("import sys; from ogi.letters import render_pdf; from ogi.letters.samples import SAMPLES; "
            "sys.stdout.buffer.write(render_pdf(SAMPLES['fee-notice']))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env).stdout
    assert out == pdfs["fee-notice"]


def test_service_receipt_fits_one_page(pdfs):
    assert len(pypdf.PdfReader(io.BytesIO(pdfs["service-receipt"])).pages) == 1
    text = flat(pdftotext(pdfs["service-receipt"]))
    for label in ("受送达人", "送达文书", "名称及文号", "送达方式", "送达地点", "送达人", "签收", "备注"):
        assert label in text, label
    assert LetterKind.SERVICE_RECEIPT.title in text


def test_simplified_glyph_forms():
    """The .ttc holds the JP/KR/SC/TC/HK faces of one glyph set; lang="zh-CN" (locl) must pick the
    simplified forms. Glyph ids survive WeasyPrint's subsetting, so compare them with the SC cmap."""
    from fontTools.ttLib import TTCollection

    from ogi.letters.pdf import font_files

    chars = "骨直角"  # forms differ between the Chinese and Japanese faces
    pdf = to_pdf(f'<!DOCTYPE html><html lang="zh-CN"><body><p>{chars}</p></body></html>')
    data = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    used = [int(h, 16) for s in re.findall(r"<([0-9a-f]{4,})>", data) for h in re.findall("....", s)]
    faces = {f["name"].getDebugName(1): f for f in TTCollection(str(font_files()[0][1]), lazy=True).fonts}

    def gids(family):
        face = faces[family]
        return [face.getGlyphID(face.getBestCmap()[ord(c)]) for c in chars]

    assert used[:3] == gids("Noto Serif CJK SC")  # then the page number
    assert used[:3] != gids("Noto Serif CJK JP")
