"""letters: the Word copy (letters/docx.py) read back with python-docx: the same text as the
HTML/PDF, A4 with the GB/T 9704 margins, the GB fonts by name, page numbers, deterministic bytes."""
from __future__ import annotations

import dataclasses
import io
import re
import zipfile

import pytest

docx = pytest.importorskip("docx")

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING  # noqa: E402
from docx.shared import Pt  # noqa: E402

from ogi.letters import render_html  # noqa: E402
from ogi.letters.docx import BODY_FONT, TITLE_FONT, parse_letter_html, render_docx  # noqa: E402
from ogi.letters.samples import KIND_SAMPLES, REPLY_SAMPLES, SAMPLES  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def flat(text: str) -> str:
    return "".join(text.split())


def html_text(html: str) -> str:
    body = re.sub(r"(?s)<head>.*?</head>", "", html)
    return flat(re.sub(r"<[^>]+>", "", body))


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {name: render_docx(ctx) for name, ctx in SAMPLES.items()}


def read(data: bytes):
    return docx.Document(io.BytesIO(data))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            seen = set()
            for cell in row.cells:
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    parts.append(cell.text)
    return flat("".join(parts))


def test_text_has_title_number_article_and_remedy(files):
    for name, ctx in SAMPLES.items():
        text = all_text(read(files[name]))
        assert flat(ctx.kind.title) in text and ctx.number in text and ctx.case_number in text, name
        assert ctx.agency.name in text, name
        if ctx.outcome_info:
            assert flat(ctx.outcome_info.article) in text, name
        assert ("申请行政复议" in text) == ctx.kind.needs_remedy, name
    assert "第二十三条第一款第（四）项" in all_text(read(files["reply-withhold"]))


def test_same_text_as_the_html(files):
    for name, ctx in SAMPLES.items():
        assert all_text(read(files[name])) == html_text(render_html(ctx)), name


def test_paragraph_order_and_roles(files):
    d = read(files["reply-partial"])
    texts = [p.text for p in d.paragraphs]
    assert texts[:4] == ["示例市自然资源和规划局", "政府信息公开申请答复书", "示自然资规公开〔2026〕12号", "王镕堃："]
    closing = texts.index("特此告知。")
    assert texts[closing + 1].startswith("附件：1．") and texts[closing + 2] == "2．编制说明（已作区分处理）"
    assert texts[closing + 3:closing + 5] == ["示例市自然资源和规划局", "2026年3月27日"]
    assert texts[-1].startswith("（联系人：李明")
    # the closing formula, the 附件 lines and the signature keep with what follows them
    assert all(d.paragraphs[i].paragraph_format.keep_with_next for i in range(closing, closing + 5))
    assert not d.paragraphs[-1].paragraph_format.keep_with_next
    sign = d.paragraphs[closing + 3]
    assert sign.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    date = d.paragraphs[closing + 4]
    # as letter.css: the block four characters in from the right, the lines centred in it
    assert sign.paragraph_format.right_indent == Pt(4 * 16)
    assert date.paragraph_format.right_indent == Pt(16 * (4 + (11 - 6.5) / 2))  # 11 vs 6.5 characters


def test_a4_margins_fonts_and_grid(files):
    d = read(files["receipt"])
    s = d.sections[0]
    mm = [round(x.mm, 1) for x in (s.page_width, s.page_height, s.top_margin, s.bottom_margin,
                                   s.left_margin, s.right_margin)]
    assert mm == [210, 297, 37, 35, 28, 26]  # stored in twips: 210 mm = 11906 twips
    normal = d.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(W + "eastAsia") == BODY_FONT
    fmt = normal.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY and abs(fmt.line_spacing.pt - 28.95) < 0.05
    title = d.paragraphs[0]
    assert title.style.name == "Letter Title" and title.style.font.size == Pt(22)
    assert title.style.element.rPr.rFonts.get(W + "eastAsia") == TITLE_FONT
    assert title.paragraph_format.alignment or title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    with zipfile.ZipFile(io.BytesIO(files["receipt"])) as z:
        fonts = z.read("word/fontTable.xml").decode()
    for name, alt in ((BODY_FONT, "仿宋"), (TITLE_FONT, "宋体")):  # what Word falls back to
        assert re.search(rf'w:name="{name}".*?w:altName w:val="{alt}".*?w:charset w:val="86"', fonts, re.S), name


def test_page_numbers_odd_right_even_left(files):
    d = read(files["reply-withhold"])
    s = d.sections[0]
    assert d.settings.odd_and_even_pages_header_footer
    for footer, align in ((s.footer, WD_ALIGN_PARAGRAPH.RIGHT), (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        xml = p._p.xml
        assert "PAGE" in "".join(t.text for t in p._p.iter(W + "instrText")) and "fldChar" in xml
        assert p.text.startswith("— ") and p.text.endswith(" —") and p.alignment == align


def test_service_receipt_table(files):
    d = read(files["service-receipt"])
    assert len(d.tables) == 1
    table = d.tables[0]
    labels = [flat(row.cells[0].text) for row in table.rows]
    assert labels == ["受送达人", "送达文书名称及文号", "送达机关", "送达方式", "送达地点", "送达人", "受送达人签收", "备注"]
    method = table.rows[3]
    assert [c.text for c in method.cells] == ["送达方式", "直接送达", "送达日期", "年　　月　　日"]
    assert "示自然资规公开〔2026〕12号" in table.rows[1].cells[1].text
    assert table.rows[2].cells[1].paragraphs[-1].alignment == WD_ALIGN_PARAGRAPH.RIGHT  # the date


def test_deterministic_bytes(files):
    assert render_docx(KIND_SAMPLES["fee-notice"]) == files["fee-notice"]
    with zipfile.ZipFile(io.BytesIO(files["fee-notice"])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = read(files["fee-notice"]).core_properties
    assert props.title == "政府信息公开信息处理费收费通知书（示自然资规告〔2026〕9号）"
    assert props.author == "示例市自然资源和规划局" and props.created.date().isoformat() == "2026-03-12"


def test_user_text_is_text_not_markup():
    ctx = dataclasses.replace(REPLY_SAMPLES["reply-withhold"], reasons="第一行 <b>不是标签</b> & “引号”\n第二段")
    d = read(render_docx(ctx))
    texts = [p.text for p in d.paragraphs]
    # each clerk's paragraph ends as a sentence (letters.render.sentence)
    assert "不予公开的理由：第一行 <b>不是标签</b> & “引号”。" in texts and "第二段。" in texts


def test_parser_roles():
    roles = [b.role for b in parse_letter_html(render_html(REPLY_SAMPLES["reply-disclose"]))]
    assert roles[:3] == ["title", "docnum", "addressee"]
    assert roles[-5:] == ["closing", "attachment", "sign", "sign", "note"]


# --- the engine writes the Word copy next to the PDF --------------------------------------

def _rendered_events(home) -> list[dict]:
    import json
    import sqlite3

    with sqlite3.connect(home / "ogi.db") as c:
        return [json.loads(d) for (d,) in c.execute(
            "SELECT data FROM history_event WHERE action = 'letter_rendered' ORDER BY id")]


def test_engine_writes_docx_next_to_the_pdf(ogi_sqlite):
    import hashlib
    from pathlib import Path

    ogi_sqlite.register()
    ogi_sqlite.ok("letter", "render", "1", "receipt")
    (event,) = _rendered_events(ogi_sqlite.home)
    pdf, copy = Path(event["path"]), Path(event["path"]).with_suffix(".docx")
    assert pdf.read_bytes().startswith(b"%PDF-") and hashlib.sha256(pdf.read_bytes()).hexdigest() == event["sha256"]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == event["docx_sha256"]
    text = all_text(read(copy.read_bytes()))
    assert "政府信息公开申请登记回执" in text and "张三" in text
    assert not list(pdf.parent.glob(".*.tmp-*"))
    # unchanged letter: nothing rewritten, nothing recorded
    ogi_sqlite.ok("letter", "render", "1", "receipt")
    assert len(_rendered_events(ogi_sqlite.home)) == 1


def test_engine_docx_can_be_turned_off(ogi_sqlite):
    from pathlib import Path

    config = ogi_sqlite.home / "ogi.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[letters]\ndocx = false\n", encoding="utf-8")
    ogi_sqlite.register()
    ogi_sqlite.ok("letter", "render", "1", "receipt")
    (event,) = _rendered_events(ogi_sqlite.home)
    assert "docx_sha256" not in event and not Path(event["path"]).with_suffix(".docx").exists()
