"""Rows the product reads, against what the log implies (issue 15, item 3).

The chain and the agency's log prove the history; the product, however, acts on rows derived
from it: the case row's cached columns (state, due dates, the clerk, the description, ...), the
applicant row, the letter rows and their files, and the counters. An attacker who edits one of
those rows leaves the history intact, and the product acts on the edit (a case whose next_due
moved later leaves the overdue list). `ogi audit verify` (engine/legal/audit.py) therefore
recomputes each of them from the case's events, one case at a time, while it walks the record:

- case columns: the register event's data and steps.refresh_cache on the replayed facts and the
  clocks computed with the store's calendar (which the log covers);
- applicant: the name and type the register event recorded, the contact details the latest
  更正联系方式 step gave, the consent the latest consent step gave; the ID number and contact
  details never corrected against the keyed digests the register event recorded
  (applicant_digest.py: the history is read by every role, so not the values themselves);
- letter rows: the latest `letter_rendered` event of the letter gives its status, SHA-256,
  path, version, 类别 and 文号; the DOCX working copy has the hash that event recorded; the
  文号's family, year and sequence and the date of issue agree with the kind and the step that
  made the letter due; a rendered letter whose row is gone is named;
- consultation rows: kind, party, dates, opinion and period end (the consult step's, or the
  latest `recompute`'s) as the log gives them;
- counters: no counter is below the highest number allocated (a decremented counter would hand
  out a number twice); the log's counter equals the number of leaves.

The functions here are pure (rows and events in, findings out); audit.py reads the database.
Each finding is one Chinese line naming the column.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

KIND = "derived"

# The case row's columns a step derives (steps.register, steps.refresh_cache), as users read them.
CASE_COLUMNS = {
    "state": "状态", "closed": "是否办结", "outcome": "办理结果", "proposed_by": "拟办人",
    "closed_on": "办结日期", "delivered_on": "送达日期", "delivery_method": "送达方式",
    "answer_due": "答复期限", "clock_paused": "答复期限是否中止", "next_due": "下一个期限",
    "next_clock": "下一个期限的种类", "provisional": "期限是否按暂定日历推算",
    "received_on": "收到申请之日", "submitted_on": "提交日期", "channel": "提交方式",
    "description": "所需信息的描述", "requested_form": "获取信息的形式", "clerk": "经办人",
}
# Recomputed for open cases only: a calendar import recomputes the open cases (their change is
# logged as a `recompute` event), never the closed ones, whose cached period stays as it ran.
OPEN_ONLY = ("answer_due", "clock_paused", "provisional")
# The register event's data key of each column the registration alone sets.
REGISTERED = {"received_on": "received_on", "submitted_on": "submitted_on", "channel": "channel",
              "description": "description", "requested_form": "requested_form", "clerk": "clerk"}
DATE_COLUMNS = {"received_on", "submitted_on", "closed_on", "delivered_on", "answer_due", "next_due"}

APPLICANT_COLUMNS = {"name": "申请人姓名或名称", "kind": "申请人类型", "address": "通讯地址", "phone": "联系电话",
                     "email": "电子邮箱", "electronic_consent": "是否同意电子送达"}
CONTACT = ("address", "phone", "email")


def shown(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value).replace("\n", " ")
    return f"“{text[:30]}…”" if len(text) > 30 else (f"“{text}”" if isinstance(value, str) else text)


def _date(value):
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def expected_case(case, register: dict, facts, clocks) -> dict:
    """The case columns the log implies: a copy of the row (rows.CaseRow) refreshed by the
    product's own steps.refresh_cache, with the registration's columns from its event."""
    from ..cases.steps import refresh_cache

    copy = dataclasses.replace(case)
    refresh_cache(copy, facts, clocks)
    out = {k: getattr(copy, k) for k in CASE_COLUMNS if k not in REGISTERED}
    for col, key in REGISTERED.items():
        if key in register:  # histories recorded before a key was added: not checked
            out[col] = _date(register[key]) if col in DATE_COLUMNS else register[key]
    return out


def case_findings(case, register: dict, facts, clocks) -> list[str]:
    """One line per cached case column that differs from what the history gives."""
    want = expected_case(case, register, facts, clocks)
    out = []
    for col, label in CASE_COLUMNS.items():
        if col not in want or (case.closed and want["closed"] and col in OPEN_ONLY):
            continue
        have = getattr(case, col)
        if col in ("closed", "clock_paused", "provisional"):
            have = bool(have)
        if have != want[col]:
            out.append(f"{label}（{col}）为 {shown(have)}，办理记录推算为 {shown(want[col])}：案件表的缓存被改动")
    return out


def expected_applicant(register: dict, steps) -> dict:
    """The applicant columns the log gives: `steps` are the case's (action, data) in order."""
    want = {"name": register.get("applicant"), "kind": register.get("applicant_type")}
    for action, data in steps:
        if action == "correct_contact":
            want.update({k: data[k] for k in CONTACT if isinstance(data.get(k), str) and data[k]})
        elif action == "consent":
            want["electronic_consent"] = True
        elif action == "consent_withdrawn":
            want["electronic_consent"] = False
    return want


def applicant_findings(applicant, register: dict, steps) -> list[str]:
    if applicant is None:
        return ["申请人记录不存在：申请人表被改动"]
    out = []
    for col, want in expected_applicant(register, steps).items():
        have = getattr(applicant, col)
        if col == "electronic_consent":
            have = bool(have)
        if want is not None and have != want:
            out.append(f"申请人的{APPLICANT_COLUMNS[col]}（{col}）为 {shown(have)}，办理记录为 {shown(want)}：申请人表被改动")
    name = register.get("applicant")
    if isinstance(name, str) and hasattr(applicant, "name_key"):
        from ..store.keys import normalise

        # The key repeat applications and 按件计收 are counted by (steps.nth_application_this_month).
        if applicant.name_key != normalise(name):
            out.append(f"申请人的查重键（name_key）为 {shown(applicant.name_key)}，按办理记录中的姓名应为 "
                       f"{shown(normalise(name))}：申请人表被改动")
    return out


CONTACT_LABELS = {"id_number": "身份证明", "phone": "联系电话", "email": "电子邮箱", "address": "通讯地址"}


def contact_findings(applicant, register: dict, steps, key: bytes | None) -> list[str] | None:
    """The ID number and contact details never corrected by a logged step, against the keyed
    digests the register event recorded (applicant_digest). [] when they agree or the event
    predates the digests; None when they cannot be checked: no key, or a key other than the one
    the event names (the caller reports that once, not per case)."""
    from . import applicant_digest as ad

    recorded = register.get("contact_digest")
    if not isinstance(recorded, dict) or applicant is None:
        return []
    if key is None or ad.key_id(key) != recorded.get("key"):
        return None
    corrected = {k for action, data in steps if action == "correct_contact"
                 for k in CONTACT if isinstance(data.get(k), str) and data[k]}
    return [f"申请人的{CONTACT_LABELS[f]}（{f}）与登记时记录的摘要不符，且办理记录中没有更正它的步骤：申请人表被改动"
            for f in ad.mismatched(key, recorded, applicant, corrected)]


def digest_key_finding(unchecked: int, key: bytes | None, path) -> str | None:
    """One line for the cases whose contact digests could not be checked (`path`: the key file)."""
    if not unchecked:
        return None
    if key is None:
        return (f"{unchecked} 件案件的申请人身份证明和联系方式无法核对：申请人信息摘要密钥 {path} "
                "不存在或不可读（被删除或未随备份恢复）；请从备份恢复该文件后重新核验")
    return (f"{unchecked} 件案件登记时使用的申请人信息摘要密钥与当前密钥 {path} 不同（密钥被替换）："
            "其申请人身份证明和联系方式无法核对；请恢复原密钥文件后重新核验")


def letter_findings(letter, recorded: dict | None) -> list[str]:
    """A letter row against the latest `letter_rendered` event of that letter (None: never
    rendered). The PDF's hash, its file and the row's SHA-256 are audit._letter_problem's."""
    if recorded is None:
        if letter.status == "rendered":
            return [f"文书 {letter.number} 标为已生成，办理记录中却没有它的生成记录：文书表被改动"]
        return []
    out = []
    if letter.status not in ("rendered", "failed"):  # failed: a later re-rendering failed, the file stays
        out.append(f"文书 {letter.number} 的状态（status）为 {shown(letter.status)}，办理记录中已生成：文书表被改动")
    for col, key, label in (("path", "path", "文件路径"), ("rendered_version", "version", "版本"),
                            ("kind", "kind", "类别"), ("number", "number", "文号")):
        want = recorded.get(key)
        if want is not None and getattr(letter, col) != want:
            out.append(f"文书 {letter.number} 的{label}（{col}）为 {shown(getattr(letter, col))}，"
                       f"办理记录为 {shown(want)}：文书表被改动")
    return out


def letter_number_findings(letter, issued_on) -> list[str]:
    """The numbering columns of a letter row against its step (numbering.allocate_letters): the
    family is the kind's, the year and the date of issue the step's effective date, and the 文号
    ends in that year and sequence number. `issued_on`: the effective date of the letter's event."""
    from ...letters.kinds import LetterKind

    out = []
    try:
        family = LetterKind(letter.kind).number_family
    except ValueError:
        return [f"文书 {letter.number} 的类别（kind）为 {shown(letter.kind)}，不是本系统的文书类别：文书表被改动"]
    issued = _date(letter.issued_on)
    if letter.family != family:
        out.append(f"文书 {letter.number} 的文号类别（family）为 {shown(letter.family)}，按其类别应为 {shown(family)}：文书表被改动")
    if issued_on is not None and issued != _date(issued_on):
        out.append(f"文书 {letter.number} 的成文日期（issued_on）为 {issued}，其办理步骤的日期为 {issued_on}：文书表被改动")
    if issued is not None and letter.year != getattr(issued, "year", None):
        out.append(f"文书 {letter.number} 的文号年份（year）为 {letter.year}，成文日期为 {issued}：文书表被改动")
    if not str(letter.number).endswith(f"〔{letter.year}〕{letter.seq}号"):
        out.append(f"文书 {letter.number} 的文号与其年份、顺序号（year {letter.year}，seq {letter.seq}）不符：文书表被改动")
    return out


def missing_letter_findings(rendered: dict[int, dict], letter_ids: set[int]) -> list[str]:
    """Letters the log says were rendered whose row is gone (`rendered`: letter id -> the
    latest rendering's data)."""
    return [f"办理记录中已生成的文书 {d.get('number') or lid}（{d.get('kind', '')}）在文书表中不存在：文书表中的记录被删除"
            for lid, d in sorted(rendered.items()) if lid not in letter_ids]


CONSULTATION_COLUMNS = {"kind": "种类", "party": "被征求意见方", "sent_on": "发出日期", "due_on": "答复期限",
                        "replied_on": "答复日期", "lapsed_on": "逾期日期", "opinion": "意见"}


def expected_consultations(facts, steps) -> dict[int, dict]:
    """Each consultation's columns as the log gives them: the consult step (kind, party, date,
    period end), its reply or lapse, and the period end any later `recompute` moved."""
    due: dict[int, object] = {}
    for action, data in steps:
        if action == "consult" and data.get("consultation_id") is not None and data.get("due_on"):
            due[data["consultation_id"]] = _date(data["due_on"])
        elif action == "recompute":
            for cid, when in ((data.get("after") or {}).get("consultations") or {}).items():
                due[int(cid)] = _date(when)
    out = {}
    for cid, c in facts.consultations.items():
        out[cid] = {"kind": c.kind, "party": (c.party or "").strip(), "sent_on": c.sent_on, "due_on": due.get(cid),
                    "replied_on": c.closed_on if c.closed_how == "reply" else None,
                    "lapsed_on": c.closed_on if c.closed_how == "lapse" else None,
                    "opinion": c.opinion if c.closed_how == "reply" else None}
    return out


def consultation_findings(rows_, facts, steps) -> list[str]:
    """The case's consultation rows (engine/store/rows.ConsultationRow) against the log."""
    want = expected_consultations(facts, steps)
    out = []
    for row in rows_:
        exp = want.pop(row.id, None)
        if exp is None:
            out.append(f"征求意见记录 #{row.id}（{shown(row.party)}）在办理记录中没有对应的征求意见步骤：征求意见表被改动")
            continue
        for col, label in CONSULTATION_COLUMNS.items():
            have = _date(getattr(row, col)) if col.endswith("_on") else getattr(row, col)
            if (exp[col] is not None and have != exp[col]) or (exp[col] is None and col != "due_on" and have):
                out.append(f"征求意见 {shown(exp['party'])} 的{label}（{col}）为 {shown(have)}，"
                           f"办理记录为 {shown(exp[col])}：征求意见表被改动")
    out += [f"办理记录中的征求意见 {shown(exp['party'])}（#{cid}）在征求意见表中不存在：记录被删除"
            for cid, exp in want.items()]
    return out


def docx_finding(letter, recorded: dict | None, sha256_file=None) -> str | None:
    """The Word working copy next to the recorded PDF must have the hash its event recorded
    (documents._write_docx: `docx_sha256`)."""
    want = (recorded or {}).get("docx_sha256")
    if not want or not recorded.get("path"):
        return None
    path = Path(recorded["path"]).with_suffix(".docx")
    if not path.is_file():
        return f"文书 {letter.number} 的 Word 文件 {path} 不存在（被删除或移动）"
    try:
        if sha256_file is None:
            from ..store.files import sha256_file
        actual = sha256_file(path)
    except OSError as exc:
        from ...errors import os_reason

        return f"文书 {letter.number} 的 Word 文件无法读取：{os_reason(exc)}"
    if actual != want:
        return f"文书 {letter.number} 的 Word 文件内容与办理记录中的 SHA-256 不符（文件被修改或替换）"
    return None


def counter_findings(counters: dict[tuple[str, int], int], case_max: dict[int, int],
                     letter_max: dict[tuple[str, int], int], leaves: int | None) -> list[str]:
    """Counters against the highest number allocated (case numbers per year, 文号 per family per
    year) and the log's counter against its number of leaves. A counter above the highest number
    leaves a gap, which audit's numbering check names."""
    out = []
    for year, top in sorted(case_max.items()):
        value = counters.get(("case", year), 0)
        if value < top:
            out.append(f"{year} 年案件编号计数器（counter case/{year}）为 {value}，已分配的编号最大为 {top}："
                       "计数器被改动，下一件将重复编号")
    for (family, year), top in sorted(letter_max.items()):
        value = counters.get((f"letter:{family}", year), 0)
        if value < top:
            out.append(f"“{family}”类文书 {year} 年文号计数器（counter letter:{family}/{year}）为 {value}，"
                       f"已分配的文号最大为第 {top} 号：计数器被改动，下一份将重复文号")
    if leaves is not None:
        value = counters.get(("ledger", 0), 0)
        if value != leaves:
            out.append(f"机构日志计数器（counter ledger/0）为 {value}，日志共有 {leaves} 条：计数器被改动")
    return out
