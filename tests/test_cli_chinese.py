"""The CLI speaks Chinese through and through, click's own words included (commands/zh_click.py):
every help page of the whole command tree, the bare groups, `--version`, Tab completion through
the console script, click's usage errors, and the operating system's reasons for a failed file
operation (errors.os_reason / os_text)."""
from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ogi import cli
from ogi.commands import zh_click

# click's and Typer's English scaffolding: none of it may reach a clerk (option names such as
# --help and --default-x are names, not scaffolding: `(?<![-\w])` keeps them out).
SCAFFOLDING = re.compile(
    r"(?<![-\w])(Usage|Options|Arguments|Commands|Show|message|required|default|range|Error|Try|help|Missing|"
    r"Did you mean|Possible|Invalid|unexpected|extra|argument|option|Input should|COMMAND|ARGS|OPTIONS|env var|"
    r"Aborted)(?![-\w])|<(str|int|float|path|file|dir|int range|float range)>|x[<>]=|<=x")

OGI = Path(sys.executable).with_name("ogi")  # the console script of this venv


def _tree():
    import typer.main

    root = typer.main.get_command(cli._app())

    def walk(cmd, path=()):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, (*path, name))

    return list(walk(root))


TREE = _tree()
PATHS = [path for path, _ in TREE]
GROUPS = [path for path, cmd in TREE if getattr(cmd, "commands", None)]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _no_scaffolding(text: str) -> list[str]:
    return [f"{m.group(0)!r} in: {line.strip()}" for line in text.splitlines() for m in SCAFFOLDING.finditer(line)]


# --- help ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(("ogi", *p)))
def test_every_help_page_is_chinese(capsys, path):
    code, out, err = run(capsys, *path, "-h")
    assert (code, err) == (0, ""), err
    assert out.startswith(f"用法：ogi{''.join(' ' + p for p in path)} ")
    assert "选项：" in out and "-h, --help" in out and "显示本帮助并退出。" in out
    assert _no_scaffolding(out) == [], "\n".join(_no_scaffolding(out))
    too_wide = [ln for ln in out.splitlines() if zh_click.width(ln) > 80]
    assert too_wide == [], "lines wider than 80 columns:\n" + "\n".join(too_wide)


def test_help_shows_types_defaults_ranges_and_required_in_chinese(capsys):
    _, out, _ = run(capsys, "case", "list", "--help")
    assert "--limit 〈整数〉" in out
    assert "〔默认：200；范围 1–100000〕" in out
    assert "〔范围 0–400〕" in out
    _, out, _ = run(capsys, "case", "accept", "-h")
    assert "用法：ogi case accept [选项] {案件}" in out
    assert re.search(r"参数：\n  案件 〈文本〉 +案件 ID 或编号（如 2026-0008，也可写 2026-8） ?\n? *〔必填〕", out)
    _, out, _ = run(capsys, "-h")
    assert "用法：ogi [选项] 命令 [参数]..." in out and "命令：" in out and "--version" in out


def test_the_command_list_keeps_one_line_per_command(capsys):
    _, out, _ = run(capsys, "case", "-h")
    listing = out.split("命令：\n", 1)[1].splitlines()
    assert all(re.match(r"  [a-z][a-z-]* +\S", ln) for ln in listing), listing


# --- bare groups, --version ----------------------------------------------------------------------

@pytest.mark.parametrize("path", GROUPS, ids=lambda p: " ".join(("ogi", *p)))
def test_a_bare_group_prints_its_help_on_stdout(capsys, path):
    code, out, err = run(capsys, *path)
    assert (code, err) == (0, "")
    assert out.startswith("用法：") and "命令：" in out and "??" not in out  # not an error line, '?' for '\n'
    assert out.count("\n") > 5


def test_version(capsys):
    from importlib.metadata import version

    assert run(capsys, "--version") == (0, f"ogi {version('ogi')}\n", "")


@pytest.mark.skipif(not OGI.exists(), reason="the console script is not installed")
def test_version_through_the_console_script(tmp_path):
    from importlib.metadata import version

    r = subprocess.run([str(OGI), "--version"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "OGI_HOME": str(tmp_path)})
    assert (r.returncode, r.stdout, r.stderr) == (0, f"ogi {version('ogi')}\n", "")


# --- usage errors --------------------------------------------------------------------------------

USAGE_ERRORS = [
    (["case", "register", "--applicant", "张三"], "缺少选项“--applicant-type”：{label}", "ogi case register -h"),
    (["case", "accept"], "缺少参数“案件”", "ogi case accept -h"),
    (["case", "list", "--limt", "3"], "没有选项“--limt”（是否要输入“--limit”？）", "ogi case list -h"),
    (["case", "list", "--limit", "abc"], "“--limit”的值无效：应为整数", "ogi case list -h"),
    (["case", "list", "--limit", "0"], "“--limit”的值无效：应大于或等于 1", "ogi case list -h"),
    (["calendar", "add", "2026-09-24", "x"], "“工作日数”的值无效：应为整数", "ogi calendar add -h"),
    (["case", "show", "1", "2", "3"], "多余的参数：2 3", "ogi case show -h"),
    (["case", "lst"], "没有命令“lst”（是否要输入“list”？）", "ogi case -h"),
    (["cas"], "没有命令“cas”（是否要输入“case”？）", "ogi -h"),
    (["case", "list", "--limit"], "选项“--limit”后面需要一个值", "ogi case list -h"),
    (["case", "list", "--json=yes"], "选项“--json”不带值", "ogi case list -h"),
]


@pytest.mark.parametrize("argv, reason, hint", USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_usage_errors_are_chinese(ogi_sqlite, argv, reason, hint):
    if "{label}" in reason:  # a missing option is named with what it is for: its help up to the first clause
        option = next(p for path, cmd in TREE if path == tuple(argv[:2]) for p in cmd.params
                      if "--applicant-type" in getattr(p, "opts", ()))
        reason = reason.format(label=zh_click.label(option.help))
        assert not reason.endswith("：")
    r = ogi_sqlite(*argv)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == f"错误：用法错误：{reason}（用“{hint}”查看用法）\n"


def test_usage_error_with_json(ogi_sqlite):
    r = ogi_sqlite("case", "list", "--json", "--limit", "x")
    assert r.exit_code == 2
    assert r.json == {"ok": False, "error": "usage",
                      "message": "用法错误：“--limit”的值无效：应为整数（用“ogi case list -h”查看用法）"}


def test_the_catalogue_words_click_and_pydantic():
    zh = zh_click.zh
    assert zh("Missing option '--as'.") == "缺少选项“--as”"
    assert zh("No such option: --x (Possible options: --xa, --xb)") == "没有选项“--x”（是否要输入“--xa”、“--xb”？）"
    assert zh("Invalid value for '-n' / '--num': Input should be less than or equal to 20") == \
        "“-n / --num”的值无效：应小于或等于 20"
    assert zh("Invalid value for 'x': Value error, 'b' is not one of 'a', 'c'.") == \
        "“x”的值无效：“b”不是可选值（可选：“a”、“c”）"
    assert zh("Got unexpected extra argument(s) (required)") == "多余的参数：required"  # values stay as typed
    assert zh("某个中文帮助 [default: x]") == "某个中文帮助 [default: x]"  # whole texts: exact entries only
    assert zh_click.help_text("最多 N 件  [default: 20; 1<=x<=20]") == "最多 N 件  〔默认：20；范围 1–20〕"
    assert zh_click.help_text("说明 [见附件]") == "说明 [见附件]"
    assert zh_click.metavar("--n <int range>") == "--n 〈整数〉"


def test_wrapping_by_display_width():
    lines = zh_click.wrap("答复期限（条例第三十三条）自收到申请之日起计算，" * 4, 40, "  ", "  ")
    assert all(zh_click.width(ln) <= 40 for ln in lines)
    assert not any(ln.strip().startswith(("，", "）")) for ln in lines)
    assert "".join(ln.strip() for ln in lines) == "答复期限（条例第三十三条）自收到申请之日起计算，" * 4


# --- completion ----------------------------------------------------------------------------------

def _complete(tmp_path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(OGI)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OGI_HOME": str(tmp_path), **env})


@pytest.mark.skipif(not OGI.exists(), reason="the console script is not installed")
def test_completion_protocol_through_the_console_script(tmp_path):
    r = _complete(tmp_path, _OGI_COMPLETE="complete_bash", COMP_WORDS="ogi ca", COMP_CWORD="1")
    assert r.returncode == 0 and "case" in r.stdout.split() and "calendar" in r.stdout.split(), r.stderr
    r = _complete(tmp_path, _OGI_COMPLETE="bash_complete", COMP_WORDS="ogi case acc", COMP_CWORD="2")
    assert (r.returncode, r.stdout.split()) == (0, ["accept"]), r.stderr
    r = _complete(tmp_path, _OGI_COMPLETE="complete_bash", COMP_WORDS="ogi case accept --da", COMP_CWORD="3")
    assert r.stdout.split() == ["--date"]
    r = _complete(tmp_path, _OGI_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="ogi cas")
    assert '"case":"申请办理' in r.stdout
    r = _complete(tmp_path, _OGI_COMPLETE="complete_tcsh")
    assert r.returncode == 1 and r.stderr.startswith("错误：不支持的补全请求")


@pytest.mark.skipif(not OGI.exists() or shutil.which("bash") is None, reason="needs bash and the console script")
def test_the_bash_script_completes_in_a_real_bash(tmp_path):
    script = subprocess.run([str(OGI), "completion", "bash"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "OGI_HOME": str(tmp_path)}).stdout
    assert "complete -o default -F _ogi_completion ogi" in script
    (tmp_path / "ogi.bash").write_text(script, encoding="utf-8")
    probe = (f"source {tmp_path / 'ogi.bash'}; COMP_WORDS=(ogi ca); COMP_CWORD=1; _ogi_completion ogi ca ogi; "
             'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "OGI_HOME": str(tmp_path), "PATH": f"{OGI.parent}:{os.environ['PATH']}"})
    assert "case" in r.stdout.split(), r.stderr


def test_completion_scripts_and_install(capsys, tmp_path, monkeypatch):
    code, out, _ = run(capsys, "completion", "zsh")
    assert code == 0 and out.startswith("#compdef ogi") and "_OGI_COMPLETE=complete_zsh" in out
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("SHELL", "/bin/bash")
    for _ in range(2):  # twice: the rc file gets its line once
        code, out, err = run(capsys, "completion", "install")
        assert (code, err) == (0, "") and out.startswith("已安装 bash 补全脚本：")
    script = tmp_path / "share" / "bash-completion" / "completions" / "ogi"
    assert "_ogi_completion" in script.read_text(encoding="utf-8")
    assert (tmp_path / ".bashrc").read_text(encoding="utf-8").count(str(script)) == 2  # one line: [ -f x ] && . x
    code, out, err = run(capsys, "completion", "install", "zsh")
    assert code == 0 and (tmp_path / ".zfunc" / "_ogi").is_file() and "compinit" in (tmp_path / ".zshrc").read_text()
    code, out, err = run(capsys, "completion", "install", "fish")
    assert code == 1 and err == "错误：不支持为“fish”生成补全脚本：可选 bash 或 zsh\n"


# --- OS errors -----------------------------------------------------------------------------------

def test_os_reasons_by_errno():
    from ogi.errors import os_reason, os_text

    assert os_reason(FileNotFoundError(errno.ENOENT, "No such file or directory", "/x")) == "文件或目录不存在"
    assert os_reason(IsADirectoryError(errno.EISDIR, "Is a directory")) == "这是一个目录，不是文件"
    assert os_reason(PermissionError(errno.EACCES, "Permission denied")) == "没有访问权限"
    assert os_reason(errno.ENOSPC) == "磁盘空间不足"
    assert os_reason(OSError(errno.EEXIST, "File exists")) == "文件已存在"
    assert os_reason(NotADirectoryError(errno.ENOTDIR, "Not a directory")) == "路径中有一段不是目录"
    assert os_text("运行 dot 失败：[Errno 2] No such file or directory: 'dot'") == "运行 dot 失败：文件或目录不存在（dot）"
    assert os_text(f"无法写入：{os.strerror(errno.ENOSPC)}") == "无法写入：磁盘空间不足"
    assert os_text("已送达") == "已送达"


def test_a_missing_year_file(ogi_sqlite, tmp_path):
    r = ogi_sqlite("calendar", "import", str(tmp_path / "nonexistent.toml"), user="admin")
    assert r.exit_code == 1 and "找不到文件" in r.stderr and not re.search(r"[A-Za-z]{4,}", r.stderr.split("”")[-1])


def test_out_to_a_directory_says_why_in_chinese(ogi_sqlite, tmp_path):
    r = ogi_sqlite("states", "diagram", "--out", str(tmp_path))
    assert r.exit_code == 1
    assert "这是一个目录，不是文件" in r.stderr and "Is a directory" not in r.stderr


def test_an_os_error_nobody_worded_reaches_the_clerk_in_chinese(capsys, tmp_path, monkeypatch):
    from ogi.commands import errors_out

    monkeypatch.setenv("OGI_HOME", str(tmp_path))
    code = errors_out.handle(PermissionError(errno.EACCES, "Permission denied", "/srv/x.pdf"), ["letter", "render"])
    err = capsys.readouterr().err
    assert code == 1 and err == "错误：无法访问 “/srv/x.pdf”：没有访问权限，本次操作未完成\n"
    errors_out.report("备份失败（[Errno 28] No space left on device）", "storage", [])
    assert capsys.readouterr().err == "错误：备份失败（磁盘空间不足）\n"
