"""LetterContext -> HTML (jinja2, autoescaped, StrictUndefined) -> PDF (WeasyPrint).

WeasyPrint and the fonts come from letters/pdf.py, the one PDF and font seam: it imports
weasyprint on first use (~0.4 s that other commands must not pay) and embeds the system's Noto
Serif CJK files under a private family name.

GB/T 9704-2012 7.3.5.4: when the space left cannot hold the seal and the date, adjust the line
and character spacing; never a page with only the signature. letter.css keeps the signature
with the last body lines; `to_pdf` lays the letter out on the 22 x 28 grid and, when it spills
a few lines onto a last page, lays it out again at 23, 24, 25 lines a page, then 29 and 30
characters a line (FIT_STEPS: the CSS variable --line and letter-spacing) and keeps the first
layout that needs one page fewer. The spill is measured on the first layout so that only
promising steps are tried (1-3 layouts, median 2 over the samples); the HTML is parsed once and
the PDF written once. Same HTML, same bytes.

Where a letter's CPU goes (layouts, font subsetting, PDF writing) and why punctuation makes
subsetting expensive: bench/README.md, "Letters".
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import jinja2
from markupsafe import Markup, escape

from ..errors import LetterError
from ..states.outcomes import Family
from ..states.vocabulary import DELIVERY_METHODS, FEE_BASES
from .context import LetterContext, problems
from .kinds import LetterKind
from .pdf import font_face_css, font_files, unprintable, weasyprint, weasyprint_errors

HERE = Path(__file__).resolve().parent
STYLESHEET = HERE / "static" / "letter.css"

# GB/T 9704's grid is 22 lines of 28 characters. 7.3.5.4 lets a letter whose seal and date do
# not fit tighten its line and character spacing instead; these steps are tried loosest first:
# (lines a page, characters a line, letter.css --line, letter-spacing). The last one is the
# readable minimum: 16 pt type on a 25.5 pt pitch (1.6 times), glyphs 0.92 em apart.
GRID = (22, 28)
FIT_STEPS = (
    (23, 28, "27.72pt", "-0.22pt"),
    (24, 28, "26.57pt", "-0.22pt"),
    (25, 28, "25.51pt", "-0.22pt"),
    (25, 29, "25.51pt", "-0.76pt"),
    (25, 30, "25.51pt", "-1.27pt"),
)
PITCH_PT = {GRID[0]: "28.95pt", **{lines: pitch for lines, _, pitch, _ in FIT_STEPS}}  # as in letter.css
MAX_SPILL_LINES = 6  # a longer spill (in lines of the 22-line grid) keeps its own page

_CN_DIGITS = "〇一二三四五六七八九"


def cn_date(d: dt.date | None) -> str:
    """GB/T 9704-2012 7.3.5: Arabic numerals, year in full, no leading zeros."""
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def cn_num(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十 (ordinals of listed items, 1..99)."""
    tens, ones = divmod(int(n), 10)
    if not 0 < n < 100:
        return str(n)
    head = ("" if tens == 1 else _CN_DIGITS[tens]) + "十" if tens else ""
    return head + (_CN_DIGITS[ones] if ones else "")


def due_by(d: dt.date | None) -> str:
    """The last day of a period, clearly included (民法典第二百零一条、第一千二百五十九条: "X日前"
    alone is ambiguous): every letter says "2026年11月12日（含当日）前" through this filter."""
    return "" if d is None else f"{cn_date(d)}（含当日）前"


def yuan(amount) -> str:
    """An amount in 元 as official letters write it: no thousands separator (6700, 1200.50)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return f"{value:.0f}" if value == value.to_integral() else f"{value:.2f}"


_SENTENCE_END = "。！？!?…"
_CLOSERS = "”’」』）)》〉】"
_WEAK_END = re.compile(r"[，,、；;：:．.\s]+$")


def sentence(text: str | None) -> str:
    """Clerk text as a whole sentence: it ends with 。！？ (also before a closing quote or
    bracket) and never with two of them. A trailing comma, semicolon or ASCII full stop
    becomes 。; "需调取档案" -> "需调取档案。"; "是否存在？" stays as it is."""
    t = _WEAK_END.sub("", (text or "").strip())
    if not t:
        return ""
    core = t.rstrip(_CLOSERS)
    return t if core and core[-1] in _SENTENCE_END else t + "。"


def paras(text: str | None) -> list[str]:
    """Free text -> paragraphs, one per non-blank line, each a whole sentence (`sentence`): the
    one way every template prints a clerk's paragraphs (reasons, notes)."""
    return [sentence(line) for line in (text or "").splitlines() if line.strip()]


def clause(text: str | None) -> str:
    """Free text used inside a sentence: no trailing full stop."""
    return re.sub(r"[。．.；;，,\s]+$", "", (text or "").strip())


def nl2br(text: str | None) -> Markup:
    return Markup("<br>").join(escape(p) for p in paras(text))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every field is user data: names, descriptions, reasons
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(cn_date=cn_date, cn_num=cn_num, yuan=yuan, paras=paras, sentence=sentence,
                       clause=clause, nl2br=nl2br, due_by=due_by)
    env.globals.update(Family=Family, LetterKind=LetterKind, FEE_BASES=FEE_BASES,
                       DELIVERY_METHODS=DELIVERY_METHODS)
    return env


def template_name(ctx: LetterContext) -> str:
    if ctx.kind is LetterKind.REPLY:
        return f"reply_{ctx.outcome_info.family.value}.html"
    return ctx.kind.value.replace("-", "_") + ".html"


def render_html(ctx: LetterContext) -> str:
    found = problems(ctx)
    if found:
        raise LetterError(f"无法生成{ctx.kind.short}（{ctx.number or ctx.case_number}）："
                          + "；".join(found) + "。", details={"problems": found})
    name = template_name(ctx)
    try:
        return environment().get_template(name).render(
            ctx=ctx, kind=ctx.kind, outcome=ctx.outcome_info, agency=ctx.agency)
    except jinja2.TemplateError as exc:
        raise LetterError(f"文书模板 {name} 出错：{exc}") from exc


# --- PDF -------------------------------------------------------------------------------

class _Renderer:
    """One FontConfiguration per process: loading the CJK faces costs ~0.2 s per letter."""

    _lock = threading.Lock()
    _instance = None

    def __init__(self):
        HTML, CSS, FontConfiguration = weasyprint()
        self.HTML = HTML
        self.font_config = FontConfiguration()
        self.stylesheets = [CSS(string=font_face_css(), font_config=self.font_config),
                            CSS(filename=str(STYLESHEET), font_config=self.font_config)]
        self.step_sheets = {step[:2]: CSS(string=f":root {{ --line: {step[2]}; letter-spacing: {step[3]}; }}",
                                          font_config=self.font_config) for step in FIT_STEPS}

    @classmethod
    def get(cls) -> _Renderer:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def layout(self, html, step: tuple[int, int] = GRID):
        """Lay `html` (a string, or a weasyprint.HTML parsed once for several layouts) out."""
        sheets = self.stylesheets + ([self.step_sheets[step]] if step != GRID else [])
        if isinstance(html, str):
            html = self.HTML(string=html, base_url=str(HERE))
        return html.render(stylesheets=sheets, font_config=self.font_config)

    def fit(self, html: str) -> tuple[object, tuple[int, int]]:
        """(document, (lines, chars)): the layout on the 22 x 28 grid, or the first tighter
        step that saves a page (7.3.5.4). The HTML is parsed once for all the layouts tried."""
        parsed = self.HTML(string=html, base_url=str(HERE))
        document = self.layout(parsed)
        pages = len(document.pages)
        for step in steps_to_try(document):
            tighter = self.layout(parsed, step)
            if len(tighter.pages) < pages:
                return tighter, step
        return document, GRID

    def pdf(self, html: str) -> bytes:
        # No /CreationDate unless the HTML names one; the file ID is a hash of the content.
        return self.fit(html)[0].write_pdf(pdf_identifier=True)


def _used_height(page) -> float:
    """How far down its text block a laid-out page is filled (CSS px): the last line or cell."""
    box = page._page_box  # WeasyPrint's layout tree; split boxes extend to the page bottom,
    bottom = top = box.content_box_y()  # so only lines and table cells are measured
    stack = list(box.children[:1])      # the root box; the rest are margin boxes (page numbers)
    while stack:
        b = stack.pop()
        kind = type(b).__name__
        if kind == "LineBox":
            bottom = max(bottom, b.position_y + b.height)
            continue
        if kind == "TableCellBox":
            bottom = max(bottom, b.border_box_y() + b.border_height())
        stack.extend(getattr(b, "children", ()))
    return bottom - top


def _shrink(step: tuple[int, int]) -> float:
    """Roughly how much of its 22 x 28 height a letter takes at `step`: every vertical space
    scales with the pitch, and running text gets shorter with more characters a line. Taking
    90 % of it as running text errs on the hopeful side (the fit is always checked): a step
    that would fit is never skipped in the samples and 70 variants of them."""
    lines, chars = step
    return GRID[0] / lines * (0.1 + 0.9 * GRID[1] / chars)


def steps_to_try(document) -> list[tuple[int, int]]:
    """The tighter steps worth laying out for a letter that spills a little onto its last page.

    The content is measured as the filled height of every page (the blank a page break leaves
    is not content). From the first step whose estimate fits on one page fewer, every further
    step is tried; the caller keeps the first that really saves the page."""
    pages = len(document.pages)
    if pages < 2:
        return []
    steps = [step[:2] for step in FIT_STEPS]
    try:
        block = document.pages[0]._page_box.height
        used = sum(_used_height(p) for p in document.pages)
    except (AttributeError, IndexError, TypeError):  # WeasyPrint's internals changed: try all
        return steps if pages == 2 else []
    line = block / GRID[0]
    room = block * (pages - 1)
    if used - room > MAX_SPILL_LINES * line:
        return []
    tolerance = line / 2
    first = next((i for i, step in enumerate(steps) if used * _shrink(step) <= room + tolerance), None)
    return [] if first is None else steps[first:]


class Layout(NamedTuple):
    pages: int
    lines: int  # lines a page: 22 on GB/T 9704's grid, up to 25 when tightened
    chars: int  # characters a full line: 28, up to 30


def layout_of(html: str) -> Layout:
    """The page count and grid `to_pdf` lays this HTML out on (for tests and previews)."""
    font_files()
    with _Renderer._lock, weasyprint_errors("排版"):
        document, (lines, chars) = _Renderer.get().fit(html)
    return Layout(len(document.pages), lines, chars)


def to_pdf(html: str) -> bytes:
    """HTML from render_html -> PDF bytes; the same HTML gives the same bytes."""
    font_files()  # the font error reads better than WeasyPrint's fallback to tofu
    missing = unprintable(html)
    if missing:
        chars = "、".join(f"“{c}”（U+{ord(c):04X}）" for c in missing)
        raise LetterError(f"文书中的字符{chars}在已安装的字体中都没有字形，打印出来会是空白方框。"
                          "请改用通用规范汉字或者以文字说明后重新生成。", details={"chars": missing})
    with _Renderer._lock:
        renderer = _Renderer.get()
        with weasyprint_errors():
            return renderer.pdf(html)


def render_pdf(ctx: LetterContext) -> bytes:
    return to_pdf(render_html(ctx))
