"""`ogi letter ...`: render, list and verify the official letters of a case."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import print_json

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)
JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
AsOpt = Annotated[Optional[str], typer.Option("--as", help="用户名（默认取 OGI_USER）")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="letter", help="文书：生成、列出、核验（PDF，GB/T 9704-2012 版式）。")


def _api():
    from ..engine import api

    return api


@app.command("render", help="生成（或重新生成）案件的文书。KIND：文书种类的中文名称（登记回执、补正告知书、答复书等，"
             "唯一时可只写开头几个字）或代码（receipt、correction-notice、reply 等）。"
             "不指定案件时用 --pending 生成所有案件中待生成（含生成失败）的文书，或用 --all 重新生成全部文书"
             "（内容未变的不会产生新版本）；批量生成时使用多个进程，每个 CPU 核心一个。")
def render_cmd(
    case: Annotated[Optional[str], typer.Argument(help="案件 ID 或编号；使用 --pending 或 --all 时可省略")] = None,
    kind: Annotated[Optional[str], typer.Argument(help="文书种类；省略则生成该案件的全部文书")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="生成所有待生成（含生成失败）的文书")] = False,
    all_: Annotated[bool, typer.Option("--all", help="重新生成全部文书（内容未变的记为“未变化”）")] = False,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="批量生成时的进程数（默认为 CPU 核心数；1 表示不另开进程）")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="另存一份到该目录")] = None,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    api = _api()
    api.check_render_request(case, kind, pending, all_)
    if pending or all_:
        _render_batch(case, pending, workers, out, as_, json_)
        return
    results = api.render_case_letters(as_, case, kind)
    for r in results:
        if out:
            _copy(r, out)
    if json_:
        print_json(results[0] if len(results) == 1 else results)
    else:
        for r in results:
            print(_line(r))


def _line(r: dict) -> str:
    state = "未变化" if r["unchanged"] else f"已生成（第 {r['version']} 版）"
    return f"{r['number']}　{_kind(r)}　{state}　{r.get('copy') or r['path']}\n  SHA-256 {r['sha256']}"


def _kind(r: dict) -> str:
    """The kind as the clerk reads it (登记回执); the code only where the engine gave no label."""
    return r.get("kind_label") or r["kind"]


def _copy(r: dict, out: Path) -> None:
    """A copy of the letter in `out`, by the same rule as every --out (never onto the
    instance's own files, letters included)."""
    source = Path(r["path"])
    r["copy"] = str(_api().write_output(source.read_bytes(), out / source.name))


def _render_batch(case: str | None, pending: bool, workers: int | None, out: Path | None, as_: str | None,
                  json_: bool) -> None:
    """--pending / --all: the letters of every case (or of CASE), rendered by a pool of worker
    processes when there are enough of them; one line per letter rendered or failed, a summary."""
    from .common import progress_bar

    with progress_bar("生成文书", enabled=not json_) as update:
        summary = _api().render_batch(as_, case, pending=pending, workers=workers, progress=update)
    results = summary.pop("letters")
    failed = [r for r in results if "error" in r]
    for r in results:
        if out and "error" not in r:
            _copy(r, out)
    if json_:
        print_json({**summary, "letters": results})
    else:
        for r in results:
            if "error" in r:
                print(f"{r['number']}　{_kind(r)}　生成失败：{r['error']}")
            elif not r["unchanged"]:
                print(_line(r))
        what = "待生成的文书" if pending else "文书"
        if not results:
            print(f"没有{what}。")
        else:
            print(f"共 {summary['total']} 件{what}：已生成 {summary['rendered']} 件，未变化 {summary['unchanged']} 件，"
                  f"失败 {summary['failed']} 件（{summary['workers']} 个进程）。"
                  + ("失败的文书已记录原因，修正后可用 ogi letter render --pending 重新生成。" if failed else ""))
    if failed:
        raise typer.Exit(1)


@app.command("list", help="列出案件的文书及其状态。")
def list_cmd(case: Annotated[str, typer.Argument(help="案件 ID 或编号")], as_: AsOpt = None, json_: JsonOpt = False) -> None:
    rows = _api().list_letters(as_, case)
    if json_:
        print_json(rows)
        return
    from .render import print_letter_list

    print_letter_list(rows)  # a table fitted to the terminal, then each path whole on its own line


@app.command("copy", help="把一份文书另存为文件（按文号或种类）：经 ogi 服务办理时，文件属于您本人，可打印或发送。")
def copy_cmd(
    case: Annotated[str, typer.Argument(help="案件 ID 或编号")],
    which: Annotated[str, typer.Argument(help="文号，或文书种类（登记回执、答复书等）")],
    out: Annotated[str, typer.Option("--out", help="另存为的文件（.pdf；与 --docx 合用时 .docx）")],
    docx: Annotated[bool, typer.Option("--docx", help="另存 Word 工作副本（DOCX）而不是 PDF")] = False,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    api = _api()
    r = api.letter_copy(as_, case, which, docx=docx)
    path = api.write_output(r.pop("data"), out)
    if json_:
        print_json({**r, "path": str(path)})
    else:
        print(f"已另存：{path}（案件 {r['case']} 的 {r['number']}，{r['kind_label']}，第 {r['version']} 版）")


@app.command("verify", help="核验 PDF 文件是否为某案件办理记录中登记的那一份（按 SHA-256）。")
def verify_cmd(file: Annotated[Path, typer.Argument(help="PDF 文件")], json_: JsonOpt = False) -> None:
    r = _api().verify_letter_file(file)
    if json_:
        print_json(r)
    elif r["ok"]:
        print(f"✓ 该文件是案件 {r['case']} 的 {r['number']}（{_kind(r)}，第 {r['version']} 版），登记于 {r['recorded_at']}")
    else:
        print(f"✗ 该文件（SHA-256 {r['sha256'][:16]}…）不是任何案件办理记录中登记的文书：可能被修改，或并非本系统生成")
    if not r["ok"]:
        raise typer.Exit(1)
