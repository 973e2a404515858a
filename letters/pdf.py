"""The one PDF and font seam, for letters and the legal office's documents alike.

- WeasyPrint is imported here only, inside `weasyprint()`, on first use: the import costs ~0.4 s
  that other commands must not pay. letters/render.py lays letters out with it (GB/T 9704 grid);
  `html_to_pdf` prints the legal office's documents (case dossier, annual report).
- The CJK fonts: FONT_DIRS and the faces below are the only list of them. Letters are set in
  Noto Serif CJK SC, embedded by file under the private family name LETTER_FAMILY (letters/static/
  letter.css names it, and Noto Sans CJK SC as its fallback); the legal office's documents and
  the workflow diagram (engine/legal/diagram.py) in Noto Sans CJK SC, found by fontconfig.
- Without the fonts WeasyPrint would print tofu: a missing font is a `LetterError` that names the
  package to install (`missing_font`).
"""
from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ..errors import InputError, LetterError, os_reason


class Face(NamedTuple):
    family: str  # fontconfig family
    style: str   # fontconfig style
    file: str    # the file's name in Debian's fonts-noto-cjk


SERIF = Face("Noto Serif CJK SC", "Regular", "NotoSerifCJK-Regular.ttc")
SERIF_BOLD = Face("Noto Serif CJK SC", "Bold", "NotoSerifCJK-Bold.ttc")
SANS = Face("Noto Sans CJK SC", "Regular", "NotoSansCJK-Regular.ttc")
SANS_BOLD = Face("Noto Sans CJK SC", "Bold", "NotoSansCJK-Bold.ttc")
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk",
             "/usr/share/fonts/google-noto-cjk", "/usr/share/fonts/opentype/noto-cjk")

# Letters: (css weight, face) under a private family name; the fallback is named in letter.css.
LETTER_FAMILY = "OGI Serif"
LETTER_FACES = (("normal", SERIF), ("bold", SERIF_BOLD))
LETTER_FALLBACK = SANS
# The legal office's documents and the workflow diagram: by family name, through fontconfig.
DOCUMENT_FAMILY = SANS.family
DOCUMENT_FACES = (SANS, SANS_BOLD)

INSTALL_FONTS = "请安装 Noto CJK 字体：apt-get install fonts-noto-cjk"

# The legal office's documents (engine/legal/templates/*.html put it in their <style>).
BASE_CSS = f"""
@page {{ size: A4; margin: 16mm 14mm 16mm 14mm;
        @bottom-center {{ content: "— " counter(page) " —"; font-family: "{DOCUMENT_FAMILY}"; font-size: 9pt; }} }}
body {{ font-family: "{DOCUMENT_FAMILY}", sans-serif; font-size: 10pt; line-height: 1.45; color: #000; }}
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


def missing_font(font: str, what: str) -> LetterError:
    """The error for a font that is not installed: `font` as the reader should look for it,
    `what` the document that cannot be made without it."""
    return LetterError(f"找不到{font}，无法生成{what}。{INSTALL_FONTS}")


# --------------------------------------------------------------------------- finding the fonts

def _in_font_dirs(filename: str) -> Path | None:
    return next((Path(d) / filename for d in FONT_DIRS if (Path(d) / filename).is_file()), None)


def _fc_match(family: str, style: str) -> Path | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}|%{style}|%{file}", f"{family}:style={style}"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, styles, file = (out.split("|") + ["", "", ""])[:3]
    if family in families.split(",") and style in styles.split(",") and Path(file).is_file():
        return Path(file)
    return None


def find_face(face: Face) -> Path | None:
    """The file of one face: in FONT_DIRS, else where fontconfig has it."""
    return _in_font_dirs(face.file) or _fc_match(face.family, face.style)


@lru_cache(maxsize=1)
def font_files() -> tuple[tuple[str, Path], ...]:
    """(css weight, file) of each letter face; LetterError naming the missing font otherwise."""
    found = []
    for weight, face in LETTER_FACES:
        path = find_face(face)
        if path is None:
            raise missing_font(f"字体“{face.family} {face.style}”（{face.file}）", " PDF 文书")
        found.append((weight, path))
    return tuple(found)


def font_face_css() -> str:
    """The @font-face rules of LETTER_FAMILY (the letters' stylesheet uses that name)."""
    return "\n".join(
        f'@font-face {{ font-family: "{LETTER_FAMILY}"; font-weight: {weight}; '
        f'src: url("{path.as_uri()}"); }}' for weight, path in font_files())


def _family_known_to_fontconfig(family: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    try:
        out = subprocess.run(["fc-list", ":family", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return family in out


@lru_cache(maxsize=1)
def font_available() -> bool:
    """The documents' faces: all their files in FONT_DIRS, or their family known to fontconfig."""
    return (all(_in_font_dirs(face.file) for face in DOCUMENT_FACES)
            or _family_known_to_fontconfig(DOCUMENT_FAMILY))


def ensure_font(what: str = " PDF") -> None:
    """LetterError naming the package to install when the documents' font is missing."""
    if not font_available():
        raise missing_font(f"中文字体“{DOCUMENT_FAMILY}”", what)


# --------------------------------------------------------------------------- what the fonts can draw

@lru_cache(maxsize=1)
def _codepoints() -> frozenset[int]:
    """Characters the letters' body face or its fallback can draw (~0.3 s, once per process)."""
    from fontTools.ttLib import TTCollection, TTFont

    codes: set[int] = set()
    faces = [(LETTER_FACES[0][1].family, font_files()[0][1]),
             (LETTER_FALLBACK.family, find_face(LETTER_FALLBACK))]
    for family, path in faces:
        if path is None:
            continue
        fonts = (TTCollection(str(path), lazy=True).fonts if path.suffix.lower() in (".ttc", ".otc")
                 else [TTFont(str(path), lazy=True)])
        for font in fonts:
            if font["name"].getDebugName(1) == family:
                codes.update(font.getBestCmap())
                break
    return frozenset(codes)


def unprintable(text: str) -> list[str]:
    """Characters of `text` that no installed face can draw (they would print as empty boxes)."""
    codes = _codepoints()
    missing = {c for c in text if ord(c) > 0x7F and ord(c) not in codes and not c.isspace()}
    return sorted(c for c in missing if not _fc_has(c))


@lru_cache(maxsize=256)
def _fc_has(char: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    try:
        out = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


# --------------------------------------------------------------------------- WeasyPrint

class WeasyPrint(NamedTuple):
    HTML: type
    CSS: type
    FontConfiguration: type


def weasyprint() -> WeasyPrint:
    """WeasyPrint's entry points, imported on first use; LetterError when it cannot load."""
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    except (ImportError, OSError) as exc:
        raise LetterError(f"无法加载 PDF 组件 WeasyPrint：{exc}。请检查 weasyprint 及其系统库"
                          "（libpango、libharfbuzz-subset0）是否已安装。") from exc
    return WeasyPrint(HTML, CSS, FontConfiguration)


@contextmanager
def weasyprint_errors(doing: str = "生成"):
    """WeasyPrint has no error hierarchy of its own: what it raises becomes a LetterError."""
    try:
        yield
    except LetterError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise LetterError(f"PDF {doing}失败：{type(exc).__name__}: {exc}") from exc


def html_to_pdf(html: str) -> bytes:
    """A complete legal-office document (HTML, CSS inline, set in DOCUMENT_FAMILY) -> PDF bytes."""
    ensure_font()
    HTML = weasyprint().HTML
    with weasyprint_errors():
        return HTML(string=html).write_pdf()


def write_output(data: bytes | str, out: str | Path, *, check=None) -> Path:
    """Write a report file (parent directories created) and return where it went.

    `check(path) -> Path` says where `path` may be written (the instance's rule, engine/store/
    files.py output_target, which raises when it may not); without it only an existing target
    that is not a regular file (a directory, device, FIFO, socket) is refused. The data goes to
    a new file in the checked folder, opened once and confirmed to be the folder that was
    checked (nothing swapped in between), which then takes the target's name (rename): an
    existing file is never written through, so a hard link to it elsewhere keeps its content,
    and a name swapped for a link meanwhile is replaced, not followed. InputError for a refused
    target, LetterError when the file cannot be written."""
    import os
    import stat as st_

    path = Path(out).expanduser()
    target = check(path) if check is not None else plain_output_target(path)
    folder, name = target.parent, target.name
    tmp = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise LetterError(f"无法写入文件 {path}：{os_reason(exc)}；请检查目录权限或磁盘空间") from None
    written = False
    try:
        opened = _folder_of(dfd)
        if opened is not None and opened != folder:
            raise InputError(f"不能写入 {path}：目录 {folder} 在写入时被替换（现指向 {opened}）；请重新执行")
        try:
            old = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            mode = st_.S_IMODE(old.st_mode) if st_.S_ISREG(old.st_mode) else None
        except OSError:
            mode = None
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=dfd)
        written = True
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if mode is not None:
                os.fchmod(fh.fileno(), mode)  # an export written again keeps the permissions it was given
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        written = False
    except OSError as exc:
        raise LetterError(f"无法写入文件 {path}：{os_reason(exc)}；请检查目录权限或磁盘空间") from None
    finally:
        if written:
            try:
                os.unlink(tmp, dir_fd=dfd)
            except OSError:
                pass
        os.close(dfd)
    return path


def _folder_of(dfd: int) -> Path | None:
    """Where an open directory really is (Linux: /proc/self/fd), or None where that is unknown."""
    import os

    try:
        return Path(os.readlink(f"/proc/self/fd/{dfd}"))
    except OSError:
        return None


def plain_output_target(path: Path) -> Path:
    """Where `path` leads (symbolic links followed, `..` resolved); InputError when it is an
    existing directory, device, FIFO or socket."""
    import os
    import stat as st_

    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return target  # a new file (an unwritable place fails at the write, with its reason)
    if st_.S_ISDIR(mode):
        raise InputError(f"不能写入 {path}：这是一个目录，不是文件；请在 --out 中写明文件名")
    if not st_.S_ISREG(mode):
        raise InputError(f"不能写入 {path}：这不是普通文件（是设备、管道或套接字）；请在 --out 中写一个普通文件的路径")
    return target
