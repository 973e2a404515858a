"""`ogi states ...`: the workflow picture, drawn from the transition table the engine runs on."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="states", help="办理流程：由引擎实际运行的状态转换表生成流程图。")


@app.command("diagram", help="流程图：mermaid（文本，无需安装程序）、svg 或 png（需要 Graphviz 的 dot 程序）。")
def diagram_cmd(
    format_: Annotated[str, typer.Option("--format", help="mermaid / svg / png（dot：Graphviz 源文件）")] = "mermaid",
    out: Annotated[Optional[str], typer.Option("--out", help="输出文件（mermaid/svg 省略时输出到屏幕；png 默认存入 OGI_HOME/exports）")] = None,
) -> None:
    from ..engine import api

    data = api.state_diagram(format_)
    if isinstance(data, bytes):
        if out is None:
            out = str(api.export_path("办理流程图.png"))
        print(f"已生成流程图：{api.write_output(data, out)}")
    elif out:
        print(f"已生成流程图：{api.write_output(data, out)}")
    else:
        typer.echo(data, nl=False)
