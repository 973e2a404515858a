"""`ogi completion ...`: Tab completion of commands and options in bash and zsh.

`ogi completion bash|zsh` prints the script, `ogi completion install [bash|zsh]` writes it where
the shell reads it (the shell of $SHELL if none is named) and adds one line to ~/.bashrc or
~/.zshrc. The script runs `ogi` itself to ask for completions: bash sets `_OGI_COMPLETE=complete_bash`
with COMP_WORDS and COMP_CWORD, zsh `_OGI_COMPLETE=complete_zsh` with _TYPER_COMPLETE_ARGS (the
protocol of Typer's completion classes, which do the work); cli.main sees the variable first and
answers through `respond`, with the command tree that the words typed so far need.

Typer's own `--install-completion` is off (cli.py: add_completion=False): its messages are
English. The scripts are Typer's templates, so they match the classes that answer them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

PROG = "ogi"
COMPLETE_VAR = "_OGI_COMPLETE"
SHELLS = ("bash", "zsh")
MARK = "# ogi 命令补全（ogi completion install 写入）"

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="completion", help="命令补全：生成或安装 bash/zsh 的 Tab 补全脚本。")


def script(shell: str) -> str:
    """The completion script for `shell` (bash or zsh)."""
    from typer._completion_shared import COMPLETION_SCRIPT_BASH, COMPLETION_SCRIPT_ZSH

    template = {"bash": COMPLETION_SCRIPT_BASH, "zsh": COMPLETION_SCRIPT_ZSH}[shell]
    text = template % {"complete_func": f"_{PROG}_completion", "prog_name": PROG, "autocomplete_var": COMPLETE_VAR}
    return text.strip() + "\n"


def _shell(name: str | None) -> str:
    from ..errors import InputError

    if name is None:
        name = Path(os.environ.get("SHELL", "")).name or ""
        if name not in SHELLS:
            raise InputError(f"无法判断所用的 shell（SHELL={os.environ.get('SHELL', '未设置')}）："
                             "请写明 bash 或 zsh，例如“ogi completion install bash”")
    if name not in SHELLS:
        raise InputError(f"不支持为“{name}”生成补全脚本：可选 bash 或 zsh")
    return name


@app.command("bash", help="输出 bash 补全脚本（可用 source 载入，或存入 bash-completion 目录）。")
def bash_cmd() -> None:
    sys.stdout.write(script("bash"))


@app.command("zsh", help="输出 zsh 补全脚本（存为 fpath 中的 _ogi 文件）。")
def zsh_cmd() -> None:
    sys.stdout.write(script("zsh"))


@app.command("install", help="安装补全脚本：写入本用户的补全目录，并在 ~/.bashrc 或 ~/.zshrc 中加一行载入；重新打开终端后生效。")
def install_cmd(
    shell: Annotated[Optional[str], typer.Argument(help="终端类型：bash 或 zsh（省略时按环境变量 SHELL 判断）")] = None,
) -> None:
    from ..errors import os_reason

    name = _shell(shell)
    try:
        path, rc = install(name)
    except OSError as exc:
        from ..errors import InputError

        where = exc.filename or "本用户目录"
        raise InputError(f"无法写入补全脚本（{where}）：{os_reason(exc)}") from None
    print(f"已安装 {name} 补全脚本：{path}")
    print(f"已在 {rc} 中载入；重新打开终端（或运行“source {rc}”）后，输入 ogi 再按 Tab 键即可补全命令和选项。")


def install(shell: str, home: Path | None = None) -> tuple[Path, Path]:
    """Write the script where `shell` reads it and make the shell's rc file load it, once.
    Returns (script path, rc file)."""
    home = home or Path.home()
    if shell == "bash":
        data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        path = data / "bash-completion" / "completions" / PROG  # where bash-completion looks itself
        rc = home / ".bashrc"
        line = f"[ -f '{path}' ] && . '{path}'"
    else:
        path = home / ".zfunc" / f"_{PROG}"
        rc = home / ".zshrc"
        line = "fpath+=~/.zfunc; autoload -Uz compinit; compinit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script(shell), encoding="utf-8")
    existing = rc.read_text(encoding="utf-8") if rc.is_file() else ""
    if line not in existing:
        with open(rc, "a", encoding="utf-8") as fh:
            fh.write(("" if not existing or existing.endswith("\n") else "\n") + f"{MARK}\n{line}\n")
    return path, rc


def respond(instruction: str, command_for: Callable[[list[str]], object]) -> int:
    """Answer the completion script (`_OGI_COMPLETE` is set): print the candidates for the words
    typed so far. `command_for(args)` gives the click command tree those words need (cli._command).
    Takes Typer's "complete_bash" and click's "bash_complete" alike."""
    from typer._completion_classes import completion_init

    from .zh_click import click

    get_completion_class = click("shell_completion").get_completion_class

    first, _, second = instruction.partition("_")
    action, shell = (second, first) if first in ("bash", "zsh", "fish") else (first, second)
    completion_init()
    cls = get_completion_class(shell)
    if cls is None or action not in ("complete", "source"):
        sys.stderr.write(f"错误：不支持的补全请求“{instruction}”：请用“ogi completion install”重新安装补全脚本\n")
        return 1
    if action == "source":
        if shell not in SHELLS:
            sys.stderr.write(f"错误：不支持为“{shell}”生成补全脚本：可选 bash 或 zsh\n")
            return 1
        sys.stdout.write(script(shell))
        return 0
    probe = cls(None, {}, PROG, COMPLETE_VAR)
    args, _incomplete = probe.get_completion_args()
    comp = cls(command_for(list(args)), {}, PROG, COMPLETE_VAR)
    out = comp.complete()
    if out:
        sys.stdout.write(out + "\n")
    return 0
