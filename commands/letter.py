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


def _letters_of(ref: str, as_: str | None):
    from sqlmodel import select

    from ..engine.cases import load_case
    from ..engine.config import load_config
    from ..engine.db import read_session
    from ..engine.identity import resolve_actor
    from ..engine.models import Letter

    resolve_actor(load_config(), as_)
    with read_session() as s:
        case = load_case(s, ref)
        return case, list(s.exec(select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)))


@app.command("render", help="生成（或重新生成）案件的文书。KIND：receipt、correction-notice、reply 等，也可用中文名称。")
def render_cmd(
    case: Annotated[str, typer.Argument(help="案件 ID 或编号")],
    kind: Annotated[Optional[str], typer.Argument(help="文书种类；省略则生成全部待生成的文书")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="另存一份到该目录")] = None,
    as_: AsOpt = None, json_: JsonOpt = False,
) -> None:
    import shutil

    from ..engine.errors import LetterError, NotFound
    from ..engine.letters_service import render_letter
    from ..letters import resolve_kind

    from ..engine.config import load_config
    from ..engine.identity import require_role, resolve_actor

    # Rendering records the file's hash in the case history: a write, for clerks (and admins retrying).
    require_role(resolve_actor(load_config(), as_), "clerk", "admin", what="生成文书")
    c, letters = _letters_of(case, as_)
    wanted = resolve_kind(kind).value if kind else None
    chosen = [l for l in letters if wanted is None or l.kind == wanted]
    if not chosen:
        raise NotFound(f"案件 {c.number} 没有“{kind}”文书：该文书只在相应步骤办理后产生（ogi letter list {c.number} 查看已有文书）")
    results = []
    for l in chosen:
        try:
            r = render_letter(l.id)
        except LetterError as exc:
            from ..engine.letters_service import _mark_failed

            _mark_failed(l.id, exc.message)
            raise
        if out:
            out.mkdir(parents=True, exist_ok=True)
            dest = out / Path(r["path"]).name
            shutil.copyfile(r["path"], dest)
            r["copy"] = str(dest)
        results.append(r)
    if json_:
        print_json(results[0] if len(results) == 1 else results)
    else:
        for r in results:
            state = "未变化" if r["unchanged"] else f"已生成（第 {r['version']} 版）"
            print(f"{r['number']}　{r['kind']}　{state}　{r.get('copy') or r['path']}\n  SHA-256 {r['sha256']}")


@app.command("list", help="列出案件的文书及其状态。")
def list_cmd(case: Annotated[str, typer.Argument(help="案件 ID 或编号")], as_: AsOpt = None, json_: JsonOpt = False) -> None:
    from ..letters import LetterKind

    c, letters = _letters_of(case, as_)
    rows = [{"id": l.id, "kind": l.kind, "title": LetterKind(l.kind).title, "number": l.number, "issued_on": l.issued_on,
             "status": l.status, "version": l.rendered_version, "path": l.path, "sha256": l.sha256,
             "error": l.last_error or None} for l in letters]
    if json_:
        print_json(rows)
        return
    for r in rows:
        print(f"{r['number']:<22}{r['title']:<14}{r['issued_on']}  {r['status']}  {r['path'] or r['error'] or ''}")


@app.command("verify", help="核验 PDF 文件是否为某案件办理记录中登记的那一份（按 SHA-256）。")
def verify_cmd(file: Annotated[Path, typer.Argument(help="PDF 文件")], json_: JsonOpt = False) -> None:
    from ..engine.letters_service import verify_file

    r = verify_file(file)
    if json_:
        print_json(r)
    elif r["ok"]:
        print(f"✓ 该文件是案件 {r['case']} 的 {r['number']}（{r['kind']}，第 {r['version']} 版），登记于 {r['recorded_at']}")
    else:
        print(f"✗ 该文件（SHA-256 {r['sha256'][:16]}…）不是任何案件办理记录中登记的文书：可能被修改，或并非本系统生成")
    if not r["ok"]:
        raise typer.Exit(1)
