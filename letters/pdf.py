"""HTML -> PDF for the legal office's documents (case dossier, annual report, dashboard).

WeasyPrint is imported inside `html_to_pdf` only (~0.4 s of start-up other commands must not
pay). Text is set in Noto Sans CJK SC through fontconfig; without it WeasyPrint would print
tofu, so a missing font is a `LetterError` that names the package to install.
"""
from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from ..errors import LetterError

FONT_FAMILY = "Noto Sans CJK SC"
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk",
             "/usr/share/fonts/google-noto-cjk", "/usr/share/fonts/opentype/noto-cjk")
MISSING_FONT = ("找不到中文字体“Noto Sans CJK SC”，无法生成{what}。"
                "请安装 Noto CJK 字体：apt-get install fonts-noto-cjk")

BASE_CSS = f"""
@page {{ size: A4; margin: 16mm 14mm 16mm 14mm;
        @bottom-center {{ content: "— " counter(page) " —"; font-family: "{FONT_FAMILY}"; font-size: 9pt; }} }}
body {{ font-family: "{FONT_FAMILY}", sans-serif; font-size: 10pt; line-height: 1.45; color: #000; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 4mm 0; font-weight: bold; }}
h2 {{ font-size: 12pt; margin: 5mm 0 2mm 0; font-weight: bold; }}
p.meta {{ text-align: center; margin: 0 0 4mm 0; }}
table {{ border-collapse: collapse; width: 100%; margin: 0 0 4mm 0; }}
th, td {{ border: 0.8pt solid #000; padding: 1.2mm 1.5mm; text-align: center; vertical-align: middle; }}
th {{ font-weight: bold; background: #f2f2f2; }}
td.l, th.l {{ text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.small {{ font-size: 8.5pt; }}
.bad {{ color: #b00020; font-weight: bold; }}
.ok {{ color: #1b5e20; font-weight: bold; }}
"""


def _font_in_dirs() -> bool:
    return all(any((Path(d) / f).is_file() for d in FONT_DIRS) for f in FONT_FILES)


def _font_known_to_fontconfig() -> bool:
    if not shutil.which("fc-list"):
        return False
    try:
        out = subprocess.run(["fc-list", ":family", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return FONT_FAMILY in out


@lru_cache(maxsize=1)
def font_available() -> bool:
    return _font_in_dirs() or _font_known_to_fontconfig()


def ensure_font(what: str = " PDF") -> None:
    if not font_available():
        raise LetterError(MISSING_FONT.format(what=what))


def html_to_pdf(html: str) -> bytes:
    """A complete HTML document (CSS inline) -> PDF bytes."""
    ensure_font()
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise LetterError(f"无法加载 PDF 组件 WeasyPrint：{exc}。请检查 weasyprint 及其系统库"
                          "（libpango、libharfbuzz-subset0）是否已安装。") from exc
    try:
        return HTML(string=html).write_pdf()
    except Exception as exc:  # noqa: BLE001 - WeasyPrint has no error hierarchy of its own
        raise LetterError(f"PDF 生成失败：{type(exc).__name__}: {exc}") from exc


def write_output(data: bytes | str, out: str | Path) -> Path:
    """Write a report file (parent directories created); LetterError when it cannot."""
    path = Path(out).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise LetterError(f"无法写入文件 {path}：{exc.strerror}；请检查目录权限或磁盘空间") from None
    return path
