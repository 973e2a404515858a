"""The clerk's letter commands (`ogi letter list/render`): who may, which letters, what is
reported. Rendering itself is engine/cases/documents.py."""
from __future__ import annotations

from ...errors import InputError, LetterError, NotFound
from ..config import load_config
from ..identity import require_role, resolve_actor
from ..store.db import read_session
from . import documents
from .steps import load_case


def _letters_of(ref: str) -> tuple:
    from sqlmodel import select

    from ..store.tables import Letter

    with read_session() as s:
        case = load_case(s, ref)
        return case, list(s.exec(select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)))


def list_letters(login: str | None, ref: str) -> list[dict]:
    """The letters of a case, in the order they were issued, with their state."""
    from ...letters import LetterKind

    resolve_actor(load_config(), login)
    _case, letters = _letters_of(ref)
    from .summary import letter_status_label

    return [{"id": l.id, "kind": l.kind, "kind_label": LetterKind(l.kind).short, "title": LetterKind(l.kind).title,
             "number": l.number, "issued_on": l.issued_on, "status": l.status,
             "status_label": letter_status_label(l.status), "version": l.rendered_version, "path": l.path,
             "sha256": l.sha256, "error": l.last_error or None} for l in letters]


def _may_render(login: str | None) -> None:
    # Rendering records the file's hash in the case history: a write, for clerks (and admins retrying).
    require_role(resolve_actor(load_config(), login), "clerk", "admin", what="生成文书")


def render_case_letters(login: str | None, ref: str, kind: str | None = None) -> list[dict]:
    """Render (again) the letters of one case, or only those of one kind (code or Chinese name).
    A failure is recorded on the letter (it stays due for `--pending`) and raised."""
    from ...letters import resolve_kind

    _may_render(login)
    case, letters = _letters_of(ref)
    wanted = resolve_kind(kind).value if kind else None
    chosen = [l for l in letters if wanted is None or l.kind == wanted]
    if not chosen:
        raise NotFound(f"案件 {case.number} 没有“{kind}”文书：该文书只在相应步骤办理后产生"
                       f"（ogi letter list {case.number} 查看已有文书）")
    results = []
    for l in chosen:
        try:
            results.append(documents.render_letter(l.id))
        except LetterError as exc:
            documents.mark_failed(l.id, exc.message)
            raise
    return results


def render_batch(login: str | None, ref: str | None, *, pending: bool, workers: int | None,
                 progress=None) -> dict:
    """`--pending` (not yet rendered, or failed) or `--all` letters of every case, or of `ref`,
    on a pool of worker processes; failures are reported per letter, not raised."""
    from ...letters.batch import worker_count

    _may_render(login)
    case_id = _letters_of(ref)[0].id if ref is not None else None
    ids = documents.letter_ids(case_id, pending=pending)
    procs = worker_count(len(ids), workers)
    results = documents.render_letters(ids, workers=workers, progress=progress)
    return {"total": len(results), "rendered": sum(1 for r in results if r.get("unchanged") is False),
            "unchanged": sum(1 for r in results if r.get("unchanged") is True),
            "failed": sum(1 for r in results if "error" in r), "workers": procs or 1, "letters": results}


def check_render_request(ref: str | None, kind: str | None, pending: bool, all_: bool) -> None:
    """The combinations of `ogi letter render` arguments that make sense."""
    if pending and all_:
        raise InputError("--pending 与 --all 只能选用一个")
    if ref is None and not (pending or all_):
        raise InputError("请指定案件 ID 或编号；要生成所有案件的文书，请使用 --pending（待生成的）或 --all（全部）")
    if (pending or all_) and kind is not None:
        raise InputError("--pending / --all 不能与文书种类同时使用")


def letter_copy(login: str | None, ref: str, which: str, *, docx: bool = False) -> dict:
    """The recorded file of one letter of a case, for `ogi letter copy`: `which` is the letter's
    文号 or its kind (code or Chinese name). The PDF must still be the one the history records
    (its SHA-256); through the service this is how a clerk gets a letter to print, since the
    letters folder is the service account's alone."""
    import hashlib
    from pathlib import Path

    from ...errors import os_reason
    from ...letters import LetterKind, resolve_kind

    resolve_actor(load_config(), login)
    case, letters = _letters_of(ref)
    chosen = [l for l in letters if l.number == which.strip()]
    if not chosen:
        try:
            kind = resolve_kind(which).value
        except (InputError, ValueError):
            kind = None
        chosen = [l for l in letters if l.kind == kind]
    listing = "、".join(f"{l.number}（{LetterKind(l.kind).short}）" for l in letters) or "（尚无文书）"
    if not chosen:
        raise NotFound(f"案件 {case.number} 没有文号或种类为“{which}”的文书；已有：{listing}")
    if len(chosen) > 1:
        raise InputError(f"案件 {case.number} 有 {len(chosen)} 份“{which}”：请用文号指明一份（{listing}）")
    letter = chosen[0]
    if letter.status != "rendered" or not letter.path:
        raise LetterError(f"文书 {letter.number} 尚未生成：请稍候，或用 ogi letter render {case.number} 生成")
    path = Path(letter.path).with_suffix(".docx") if docx else Path(letter.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LetterError(f"无法读取文书 {letter.number} 的文件 {path}：{os_reason(exc)}") from None
    if not docx and hashlib.sha256(data).hexdigest() != letter.sha256:
        raise LetterError(f"文书 {letter.number} 的文件与办理记录中登记的不一致（可能被改动）：请法制机构用 ogi audit verify 核验")
    return {"case": case.number, "number": letter.number, "kind": letter.kind, "kind_label": LetterKind(letter.kind).short,
            "version": letter.rendered_version, "sha256": letter.sha256, "data": data}
