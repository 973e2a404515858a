"""Click's and Typer's own words in Chinese: one catalogue, one translator, one hook.

Typer (>= 0.20) bundles its own copy of click as `typer._click`, and that copy has no gettext:
its English ("Usage:", "Missing option", "Got unexpected extra argument(s)", "[default: …]") is
written as plain literals and f-strings, so there is no `_` to rebind and no message catalogue
to bind. What a clerk sees of it leaves click through two doors only, and both go through `zh()`:

- help pages and usage lines: click writes every one into a HelpFormatter, made by
  `Context.make_formatter()` from the class attribute `Context.formatter_class`. `install()` sets
  that attribute to `ZhHelpFormatter` (once, before the command tree is used), which passes each
  piece through `zh()` as it is written: the usage prefix and its `[OPTIONS]`, the section
  headings, each option row (metavars `<str>`, the help of `-h`, the trailing
  `[default: 20; 1<=x<=20]`) and lays it out by display width (a Chinese character takes two
  columns) with line breaks between Chinese characters;
- errors: click raises `UsageError` and its kin; cli.main words them with `message(exc)`, which
  is `zh(exc.format_message())`.

Positional arguments are shown by a Chinese name taken from their help (`name_arguments`, run by
cli._command on each tree it builds): `{case}` and "Missing argument 'case'" read `{案件}` and
"缺少参数“案件”"; the parameters keep their names.

CATALOGUE maps click's English, written as click writes it with `{name}` for what varies, to the
Chinese. `zh(text)` finds the entry whose template matches the whole text and fills in the
Chinese; a `{msg}` part is itself translated (a pydantic reason inside "Invalid value for"), a
`{name}`/`{names}` part is a command, option or value as typed (shown in “”, never translated),
anything else is copied as is. Text that matches no entry is returned unchanged: the clerk's own
help texts, codes, option names and paths pass through untouched.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .cells import NO_BREAK_AFTER, NO_BREAK_BEFORE, is_wide
from .cells import text_width as width  # columns on a terminal, counted as the case output counts them

# English as click/Typer write it (source: typer/_click/*.py, typer/core.py, typer/_coercion.py,
# typer/_param_types.py, typer/_adapters.py and pydantic's messages) -> Chinese.
CATALOGUE: dict[str, str] = {
    # help pages (formatting.py, core.py, decorators.py)
    "Usage:": "用法：",
    "Options": "选项",
    "Arguments": "参数",
    "Commands": "命令",
    "[OPTIONS]": "[选项]",
    "COMMAND [ARGS]...": "命令 [参数]...",
    "Show this message and exit.": "显示本帮助并退出。",
    "default: {value}": "默认：{value}",
    "required": "必填",
    "env var: {value}": "环境变量：{value}",
    "{low}<=x<={high}": "范围 {low}–{high}",
    "x>={low}": "不小于 {low}",
    "x<={high}": "不大于 {high}",
    "(dynamic)": "（动态）",
    "(DEPRECATED)": "（已停用）",
    "(DEPRECATED: {msg})": "（已停用：{msg}）",
    "Try '{name} {option}' for help.": "用“{name} {option}”查看用法。",
    "Error: {msg}": "错误：{msg}",
    "Aborted!": "已取消。",
    "Aborted.": "已取消。",
    # usage errors (core.py, parser.py, exceptions.py)
    "Missing command.": "缺少命令",
    "No such command {name}.": "没有命令{name}",
    "No such command {name}. Did you mean {names}?": "没有命令{name}（是否要输入{names}？）",
    "No such option: {name}": "没有选项{name}",
    "No such option: {name} (Possible options: {names})": "没有选项{name}（是否要输入{names}？）",
    "Option {name} requires an argument.": "选项{name}后面需要一个值",
    "Option {name} requires {count} arguments.": "选项{name}后面需要 {count} 个值",
    "Option {name} does not take a value.": "选项{name}不带值",
    "Got unexpected extra argument(s) ({args})": "多余的参数：{args}",
    "Got unexpected extra argument ({args})": "多余的参数：{args}",
    "Got unexpected extra arguments ({args})": "多余的参数：{args}",
    "Missing argument {name}.": "缺少参数{name}",
    "Missing option {name}.": "缺少选项{name}",
    "Missing parameter {name}.": "缺少参数{name}",
    "Missing argument {name}. {msg}": "缺少参数{name}：{msg}",
    "Missing option {name}. {msg}": "缺少选项{name}：{msg}",
    "Missing parameter: {name}": "缺少参数{name}",
    "Choose from:\n\t{names}": "可选值：{names}",
    "Invalid value for {name}: {msg}": "{name}的值无效：{msg}",
    "Invalid value: {msg}": "值无效：{msg}",
    "Could not open file {name}: {msg}": "无法打开文件{name}：{msg}",
    "unknown error": "未知错误",
    # values (_coercion.py, _param_types.py, _adapters.py)
    "Value must be an iterable.": "应为多个值",
    "Value {name} is not a valid {kind}.": "{name}不是有效的{kind}",
    "{name} is not one of {names}.": "{name}不是可选值（可选：{names}）",
    "file {name} does not exist.": "文件{name}不存在",
    "dir {name} does not exist.": "目录{name}不存在",
    "path {name} does not exist.": "路径{name}不存在",
    "file {name} is a directory.": "{name}是目录，不是文件",
    "path {name} is a directory.": "{name}是目录，不是文件",
    "dir {name} is a file.": "{name}是文件，不是目录",
    "path {name} is a file.": "{name}是文件，不是目录",
    "{kind} {name} is not readable.": "{name}不可读（没有读取权限）",
    "{kind} {name} is not writable.": "{name}不可写（没有写入权限）",
    "{count} values are required, but {given} given.": "需要 {count} 个值，实际给了 {given} 个",
    "{name} does not match the formats {names}.": "{name}不符合格式 {names}",
    "None is not a valid string": "缺少文本",
    "value is not a valid tuple": "值的个数不对",
    # pydantic's reasons, as Typer passes them on (_display.get_error_msg)
    "Value error, {msg}": "{msg}",
    "Input should be a valid integer, unable to parse string as an integer": "应为整数",
    "Input should be a valid integer, got a number with a fractional part": "应为整数（不能带小数）",
    "Input should be a valid integer": "应为整数",
    "Input should be a valid number, unable to parse string as a number": "应为数字",
    "Input should be a valid number": "应为数字",
    "Input should be a finite number": "应为有限的数字",
    "Input should be greater than or equal to {low}": "应大于或等于 {low}",
    "Input should be greater than {low}": "应大于 {low}",
    "Input should be less than or equal to {high}": "应小于或等于 {high}",
    "Input should be less than {high}": "应小于 {high}",
    "Input should be a valid boolean, unable to interpret input": "应为是或否（true/false）",
    "Input should be a valid boolean": "应为是或否（true/false）",
    "Input should be a valid string": "应为文本",
    "String should have at least {count} characters": "至少应有 {count} 个字符",
    "String should have at most {count} characters": "至多 {count} 个字符",
    "Input should be {names}": "应为 {names} 之一",
}

# What a value is, in the help's metavars (`<str>`, `<int range>`, `<path>`; typer/core.py
# display_type) and in "Value … is not a valid {kind}."
TYPE_NAMES: dict[str, str] = {
    "str": "文本", "int": "整数", "float": "数值", "bool": "是/否", "path": "路径", "file": "文件",
    "dir": "目录", "datetime": "日期时间", "date": "日期", "Path": "路径", "UUID": "标识符",
    "int range": "整数", "float range": "数值", "integer": "整数", "number": "数字",
}


def click(module: str):
    """click's `module` as Typer runs it: `typer._click.<module>` (the copy Typer bundles since
    0.20), else the `click` package (older Typer)."""
    import importlib

    try:
        return importlib.import_module(f"typer._click.{module}")
    except ImportError:  # pragma: no cover - older Typer on plain click
        return importlib.import_module(f"click.{module}")


def install() -> None:
    """Route every help page and usage line click writes through ZhHelpFormatter (idempotent,
    cheap: one class attribute)."""
    click("core").Context.formatter_class = ZhHelpFormatter


def message(exc) -> str:
    """A click exception (UsageError, BadParameter, NoSuchOption, …) in Chinese, one line; a
    missing option says what it is for ("缺少选项“--received”：收到日期")."""
    text = zh(exc.format_message())
    param = getattr(exc, "param", None)
    if type(exc).__name__ == "MissingParameter" and getattr(param, "param_type_name", "") == "option":
        what = label(getattr(param, "help", "") or "")
        if what and text == zh(f"Missing option '{param.opts[0]}'."):
            text += f"：{what}"
    return " ".join(text.split()) if "\n" in text else text


def label(help: str) -> str:
    """What a parameter is, from its help: the words before the first clause mark
    ("收到日期（当面提交之日、签收之日）" -> "收到日期")."""
    return re.split(r"[：:；;，,（(。]", help, maxsplit=1)[0].strip()


def name_arguments(command) -> None:
    """Give each positional argument of the tree a Chinese display name (its metavar), taken
    from its help: `{case}` / "缺少参数“case”" become `{案件}` / "缺少参数“案件”". Only what
    is shown changes (usage line, help row, error hint); the parameter keeps its name."""
    for param in getattr(command, "params", ()):
        if param.param_type_name == "argument" and param.metavar is None:
            runs = re.findall(r"[\u3400-\u9fff]{2,}", label(getattr(param, "help", "") or ""))
            if runs:
                param.metavar = runs[0]
    for sub in getattr(command, "commands", {}).values():
        name_arguments(sub)


# --- the translator ----------------------------------------------------------------------------

_FIELD = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern, str]]:
    """The entries with `{…}` parts as regular expressions, the most specific first: those that
    begin with fixed text before those that begin with a part ("Value error, {msg}" before
    "{name} is not one of {names}."), then the most fixed text first ("No such option: X
    (Possible options: …)" before "No such option: X")."""
    out = []
    for english, chinese in CATALOGUE.items():
        if not _FIELD.search(english):
            continue
        pattern, pos = "", 0
        for m in _FIELD.finditer(english):
            pattern += re.escape(english[pos:m.start()]) + f"(?P<{m.group(1)}>.+?)"
            pos = m.end()
        pattern += re.escape(english[pos:])
        fixed = len(_FIELD.sub("", english))
        out.append(((english.startswith("{"), -fixed), re.compile(pattern, re.DOTALL), chinese))
    out.sort(key=lambda t: t[0])
    return [(p, c) for _, p, c in out]


def zh(text: str) -> str:
    """`text` in Chinese if the catalogue knows it, else `text` unchanged."""
    if not text:
        return text
    exact = CATALOGUE.get(text)
    if exact is not None:
        return exact
    stripped = text.strip()
    if stripped != text:
        inner = zh(stripped)
        return text if inner == stripped else inner
    for pattern, chinese in _templates():
        m = pattern.fullmatch(text)
        if m:
            return _FIELD.sub(lambda f: _fill(f.group(1), m.group(f.group(1))), chinese)
    return text


def _fill(field: str, value: str) -> str:
    if field == "msg":
        return zh(value)
    if field == "kind":
        return TYPE_NAMES.get(value, value)
    if field == "name":
        return _quoted(value)
    if field == "names":
        parts = [p for p in re.split(r",\s*|\s+or\s+|\s*/\s*", value.strip()) if p]
        return "、".join(_quoted(p) for p in parts)
    return value


def _quoted(name: str) -> str:
    """A name as typed, in Chinese quotes: '--limit' -> “--limit”, 'a' / 'b' -> “a”/“b”."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1]
    name = re.sub(r"'([^']*)'", r"\1", name)
    return f"“{name}”"


def metavar(text: str) -> str:
    """`--limit <int range>` -> `--limit 〈整数〉`: click's type hints, in Chinese brackets."""
    return re.sub(r"<([^<>]+)>", lambda m: "〈" + TYPE_NAMES.get(m.group(1), m.group(1)) + "〉", text)


_EXTRAS = re.compile(r"(?:^|(?<=\s))\[([^\[\]]+)\]\s*$")


def help_text(text: str) -> str:
    """An option's help in Chinese: the help option's own text and the `[default: …; …]` that
    Typer appends (each part must be one click writes; otherwise the brackets are left alone)."""
    text = CATALOGUE.get(text, text)  # whole help texts: exact entries only (a template could
    m = _EXTRAS.search(text)          # swallow the clerk's own words into one of its {parts})
    if m:
        parts = [p.strip() for p in m.group(1).split(";")]
        done = [zh(p) for p in parts]
        if all(d != p for d, p in zip(done, parts)):
            text = text[:m.start()].rstrip() + ("  " if m.start() else "") + "〔" + "；".join(done) + "〕"
    return text


# --- layout by display width -------------------------------------------------------------------

def _atoms(text: str) -> list[tuple[str, str]]:
    """(separator before, unbreakable piece): breaks at spaces and between Chinese characters,
    never before a closing or after an opening punctuation mark, never inside 〔默认：20〕."""
    out: list[tuple[str, str]] = []
    cur, sep, prev, glued = "", "", "", False
    for c in text:
        if glued:
            cur += c
            glued = c != "〕"
            prev = c
            continue
        if c.isspace():
            if cur:
                out.append((sep, cur))
                cur = ""
            sep, prev = " ", " "
            continue
        if cur and (is_wide(prev) or is_wide(c)) and c not in NO_BREAK_BEFORE and prev not in NO_BREAK_AFTER:
            out.append((sep, cur))
            cur, sep = "", ""
        cur += c
        prev = c
        glued = c == "〔"
    if cur:
        out.append((sep, cur))
    return out


def wrap(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    """`text` filled into lines of at most `columns` display columns (indents included)."""
    lines: list[str] = []
    line, used, empty = first, width(first), True
    for sep, atom in _atoms(text):
        need = width(atom) + (0 if empty else width(sep))
        if not empty and used + need > columns:
            lines.append(line)
            line, used, empty = rest, width(rest), True
            need = width(atom)
        while empty and used + need > columns and len(atom) > 1:  # longer than a line: cut it
            cut = 1
            while cut < len(atom) and used + width(atom[:cut + 1]) <= columns:
                cut += 1
            lines.append(line + atom[:cut])
            atom = atom[cut:]
            line, used = rest, width(rest)
            need = width(atom)
        line += ("" if empty else sep) + atom
        used += need
        empty = False
    if not empty or not lines:
        lines.append(line)
    return [ln.rstrip() for ln in lines]


def _paragraphs(text: str) -> list[tuple[bool, str]]:
    """(verbatim, text) per paragraph; click's "\\b" line keeps a block as written."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = block.splitlines()
        if lines and lines[0].strip() == "\b":
            out.append((True, "\n".join(lines[1:])))
        else:
            joined = ""
            for ln in (ln.strip() for ln in lines):
                if joined and ln and not (is_wide(joined[-1]) and is_wide(ln[0])):
                    joined += " "
                joined += ln
            out.append((False, joined))
    return out


def _fill_text(text: str, columns: int, first: str, rest: str) -> str:
    blocks = []
    for verbatim, para in _paragraphs(text):
        if verbatim:
            blocks.append("\n".join(rest + ln for ln in para.splitlines()))
        else:
            blocks.append("\n".join(wrap(para, columns, first, rest)))
        first = rest
    return "\n\n".join(blocks)


def _one_line(text: str, columns: int) -> str:
    """A command's short help on one line: click cut it by characters ("..."); cut by columns."""
    text = " ".join(text.split())
    if text.endswith("..."):
        text = text[:-3].rstrip() + "…"
    if width(text) <= columns:
        return text
    out = ""
    for c in text:
        if width(out + c) > columns - 1:
            break
        out += c
    clause = max(out.rfind(p) for p in "，；：、,;")  # end at a clause if one ends late enough
    if clause > 0 and width(out[:clause]) >= columns * 0.6:
        out = out[:clause]
    return out.rstrip("，、；：,;: ") + "…"


class ZhHelpFormatter(click("formatting").HelpFormatter):
    """click's HelpFormatter with Chinese scaffolding and layout by display width."""

    _section = ""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = zh("Usage:") if prefix is None else zh(prefix.strip())
        pieces = re.split(r"(\[OPTIONS\]|COMMAND \[ARGS\]\.\.\.)", args or "")
        args = " ".join(zh(p.strip()) for p in pieces if p.strip())
        head = f"{'':>{self.current_indent}}{prefix}{prog} "
        if width(head) + 20 <= self.width:
            lines = wrap(args, self.width, head, " " * width(head))
        else:
            lines = [head.rstrip(), *wrap(args, self.width, " " * (self.current_indent + 4),
                                          " " * (self.current_indent + 4))]
        self.write("\n".join(lines) + "\n")

    def write_heading(self, heading: str) -> None:
        self._section = heading
        self.write(f"{'':>{self.current_indent}}{zh(heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(_fill_text(text, self.width, indent, indent) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(metavar(a), help_text(b or "")) for a, b in rows]
        if not rows:
            return
        first_col = min(max(width(a) for a, _ in rows), col_max) + col_spacing
        columns = max(self.width - first_col - 2, 10)
        pad = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + pad)
            if self._section == "Commands":
                self.write(_one_line(second, columns) + "\n")
                continue
            text = _fill_text(second, columns, "", "")
            self.write(text.replace("\n", "\n" + pad).replace(pad + "\n", "\n") + "\n")
