"""Annual report on government information disclosure (国办公开办函〔2021〕30号), tables 三 and 四.

Counting rules (one year Y = 1 January .. 31 December, Asia/Shanghai dates):

- Columns of table 三 are the applicant's kind as registered: 自然人 (natural) | 法人或其他组织:
  商业企业 (commercial), 科研机构 (research), 社会公益组织 (public_interest), 法律服务机构
  (legal_service), 其他 (other) | 总计.
- 一 本年新收: cases whose 收到申请之日 (received_on, 条例第三十一条) falls in Y.
- 二 上年结转: cases received before Y and not closed before Y started (closed_on is empty or
  on/after 1 January Y).
- 三 本年度办理结果: cases closed in Y (closed_on in Y), each in the row its outcome names
  (`states.outcomes.Outcome.report_row`, e.g. 三(三)4). Cases closed as answered, 不予处理
  or abandoned (逾期不补正 三(六)1, 逾期未缴费 三(六)2) use their outcome. A 第三十九条 不予处理
  (三(五)1 信访举报投诉, 三(五)3 公开出版物) is proposed and approved like an answer and closes
  when its notice is served: it counts in the year of that delivery (closed_on); approved but
  unserved at the end of Y, it is carried over (四) like any open case. **Withdrawn cases**
  (申请人撤回) have no row of their own in the national format: they are counted in 三(六)3
  其他 — whatever outcome had been proposed before the withdrawal. 非本机关负责 is counted in
  三(四)1 and 特别规定 in 三(六)3 (as outcomes.py records). 部分公开 is counted only in 三(二).
  三(七) 总计 is the sum of the rows above it.
- 四 结转下年度继续办理: cases received on or before 31 December Y and not closed by then.
- Check (勾稽关系): 一 + 二 = 三(七) + 四 in every column. With consistent data it always holds;
  a closed case without a closing date, closed before it was received, or with an outcome
  that names no row breaks it, and the report is refused (JSON: `balanced: false` with the
  cases named) instead of publishing wrong figures.
- Table 四: challenges (`legal_challenge`) by kind — 行政复议 | 行政诉讼 未经复议直接起诉 |
  行政诉讼 复议后起诉 — each split into 结果维持, 结果纠正, 其他结果, 尚未审结, 总计. A challenge
  counts in Y when it was filed on or before 31 December Y and was not decided before Y:
  decided in Y -> its result column; not decided by 31 December Y -> 尚未审结.
- Fees (信息处理费, 国办函〔2020〕109号): fee_paid events dated in Y; the amount is the one
  stated in the case's latest fee notice before the payment.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Iterable, Iterator

from ...states.machine import CaseState
from ...states.outcomes import OUTCOMES

COLUMNS = (
    ("natural", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("public_interest", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other", "其他"),
    ("total", "总计"),
)
KINDS = tuple(k for k, _ in COLUMNS if k != "total")

# (key, group label, item label): the rows of table 三 in the national order.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("一", "一、本年新收政府信息公开申请数量", ""),
    ("二", "二、上年结转政府信息公开申请数量", ""),
    ("三(一)", "（一）予以公开", ""),
    ("三(二)", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ""),
    ("三(三)1", "（三）不予公开", "1.属于国家秘密"),
    ("三(三)2", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("三(三)3", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("三(三)4", "（三）不予公开", "4.保护第三方合法权益"),
    ("三(三)5", "（三）不予公开", "5.属于三类内部事务信息"),
    ("三(三)6", "（三）不予公开", "6.属于四类过程性信息"),
    ("三(三)7", "（三）不予公开", "7.属于行政执法案卷"),
    ("三(三)8", "（三）不予公开", "8.属于行政查询事项"),
    ("三(四)1", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("三(四)2", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("三(四)3", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("三(五)1", "（五）不予处理", "1.信访举报投诉类申请"),
    ("三(五)2", "（五）不予处理", "2.重复申请"),
    ("三(五)3", "（五）不予处理", "3.要求提供公开出版物"),
    ("三(五)4", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("三(五)5", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("三(六)1", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("三(六)2", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("三(六)3", "（六）其他处理", "3.其他"),
    ("三(七)", "（七）总计", ""),
    ("四", "四、结转下年度继续办理", ""),
)
RESULT_ROWS = tuple(k for k, _, _ in ROWS if k.startswith("三(") and k != "三(七)")
WITHDRAWN_ROW = "三(六)3"  # no row of its own in the national format (see the module docstring)

CHALLENGE_GROUPS = (
    ("review", "行政复议"),
    ("lawsuit_direct", "行政诉讼　未经复议直接起诉"),
    ("lawsuit_after_review", "行政诉讼　复议后起诉"),
)
CHALLENGE_COLUMNS = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
                     ("pending", "尚未审结"), ("total", "总计"))


@dataclass(frozen=True)
class CaseRow:
    id: int
    number: str
    applicant_kind: str
    received_on: dt.date
    closed: bool
    closed_on: dt.date | None
    state: str
    outcome: str | None


@dataclass(frozen=True)
class ChallengeRow:
    case_id: int
    kind: str
    filed_on: dt.date
    result: str | None
    result_on: dt.date | None


@dataclass(frozen=True)
class FeeRow:
    case_id: int
    paid_on: dt.date
    amount: float


def result_row(c: CaseRow) -> str | None:
    """The table 三 row of a closed case (None: the data names no row)."""
    if c.state == CaseState.WITHDRAWN.value:
        return WITHDRAWN_ROW
    o = OUTCOMES.get(c.outcome or "")
    return o.report_row if o else None


class _Table3:
    """Table 三 as it is counted: per row and column, the cases counted in each row, and the data
    problems that make the report unpublishable."""

    def __init__(self):
        self.counts = {k: {col: 0 for col, _ in COLUMNS} for k, _, _ in ROWS}
        self.members: dict[str, list[str]] = {k: [] for k, _, _ in ROWS}
        self.problems: list[dict] = []

    def add(self, row: str, c: CaseRow, kind: str) -> None:
        self.counts[row][kind] += 1
        self.counts[row]["total"] += 1
        self.members[row].append(c.number)

    def problem(self, c: CaseRow, text: str) -> None:
        self.problems.append({"case": c.number, "problem": text})

    def count(self, c: CaseRow, start: dt.date, end: dt.date) -> None:
        """Count one case in the year start..end (the rules: the module docstring)."""
        kind = c.applicant_kind if c.applicant_kind in KINDS else "other"
        closed_on = c.closed_on if c.closed else None
        if c.closed and c.closed_on is None:
            self.problem(c, "案件已办结但没有办结日期")
        if c.closed_on and c.closed_on < c.received_on:
            self.problem(c, f"办结日期 {c.closed_on} 早于收到申请之日 {c.received_on}")
        if c.received_on > end:
            return
        if start <= c.received_on <= end:
            self.add("一", c, kind)
        elif (closed_on is None or closed_on >= start) and not (c.closed and c.closed_on is None):
            self.add("二", c, kind)
        if closed_on is not None and start <= closed_on <= end:
            row = result_row(c)
            if row in RESULT_ROWS:
                self.add(row, c, kind)
            else:
                self.problem(c, f"办理结果“{c.outcome}”无法对应年报表三的栏目")
        elif (closed_on is None and not c.closed) or (closed_on is not None and closed_on > end):
            self.add("四", c, kind)

    def finish(self) -> dict:
        """三(七) summed from the rows above it, then the check 一 + 二 = 三(七) + 四 of each column."""
        counts = self.counts
        for col, _ in COLUMNS:
            counts["三(七)"][col] = sum(counts[r][col] for r in RESULT_ROWS)
        balance = {}
        for col, label in COLUMNS:
            lhs = counts["一"][col] + counts["二"][col]
            rhs = counts["三(七)"][col] + counts["四"][col]
            balance[col] = {"label": label, "in": lhs, "out": rhs, "ok": lhs == rhs}
        return balance


def _table4(challenges: list[ChallengeRow], start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """Challenges by kind and result column: filed by 31 December and not decided before 1 January."""
    t4 = {g: {col: 0 for col, _ in CHALLENGE_COLUMNS} for g, _ in CHALLENGE_GROUPS}
    for ch in challenges:
        if ch.kind not in t4 or ch.filed_on > end:
            continue
        if ch.result and ch.result_on and ch.result_on < start:
            continue  # decided in an earlier year
        col = ch.result if (ch.result and ch.result_on and ch.result_on <= end) else "pending"
        if col not in t4[ch.kind]:
            col = "other"
        t4[ch.kind][col] += 1
        t4[ch.kind]["total"] += 1
    return t4


def _fee_total(fees: list[FeeRow], start: dt.date, end: dt.date) -> dict:
    """The fees paid in the year: how many, and how much (whole yuan as an int)."""
    paid = [f for f in fees if start <= f.paid_on <= end]
    amount = sum(f.amount for f in paid)
    return {"count": len(paid), "amount": int(amount) if float(amount).is_integer() else round(amount, 2)}


def compute(year: int, cases: Iterable[CaseRow], challenges: list[ChallengeRow], fees: list[FeeRow]) -> dict:
    """Pure: the two tables, the fee total and the balance check for `year` (`cases` is walked
    once, so it may be a stream)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    t3 = _Table3()
    for c in cases:
        t3.count(c, start, end)
    balance = t3.finish()
    t4 = _table4(challenges, start, end)
    return {
        "year": year,
        "table3": {
            "columns": [{"key": k, "label": v} for k, v in COLUMNS],
            "rows": [{"key": k, "group": g, "item": i, "counts": t3.counts[k]} for k, g, i in ROWS],
        },
        "table4": {
            "groups": [{"key": g, "label": lbl, "counts": t4[g]} for g, lbl in CHALLENGE_GROUPS],
            "columns": [{"key": k, "label": v} for k, v in CHALLENGE_COLUMNS],
        },
        "fees": _fee_total(fees, start, end),
        "balanced": all(b["ok"] for b in balance.values()) and not t3.problems,
        "balance": balance,
        "problems": t3.problems,
        "cases_by_row": t3.members,
    }


def imbalance_message(report: dict) -> str:
    bad = [f"{b['label']}：一+二={b['in']}，三(七)+四={b['out']}" for b in report["balance"].values() if not b["ok"]]
    probs = [f"{p['case']} {p['problem']}" for p in report["problems"][:5]]
    more = f"等 {len(report['problems'])} 件" if len(report["problems"]) > 5 else ""
    parts = []
    if bad:
        parts.append("勾稽关系不成立（" + "；".join(bad) + "）")
    if probs:
        parts.append("数据有误：" + "；".join(probs) + more)
    return (f"{report['year']} 年度报告不能生成：" + "，".join(parts) +
            "。请先核对上述案件（ogi case history 编号），或用 --json 查看明细")


# --------------------------------------------------------------------------- loading

def load(session, year: int) -> tuple[Iterator[CaseRow], list[ChallengeRow], list[FeeRow]]:
    """The report's inputs. The cases come as a stream (consume it inside the session): the
    report reads every case once, and holding them all (1M rows for a large agency) cost memory
    and, with it, repeated full passes of the garbage collector."""
    from sqlmodel import select

    from .challenges import LegalChallenge
    from ..cases.history import decode
    from ..store.tables import Applicant, Case, HistoryEvent

    end = dt.date(year, 12, 31)
    challenges = [ChallengeRow(ch.case_id, ch.kind, ch.filed_on, ch.result, ch.result_on)
                  for ch in session.exec(select(LegalChallenge).order_by(LegalChallenge.id))]
    fees: list[FeeRow] = []
    notice: dict[int, float] = {}
    # The few fee events, in (case, seq) order sorted here: ORDER BY in SQL made SQLite walk the
    # (case_id, seq) index over the whole history and look every event up in the table.
    h = HistoryEvent.__table__.c
    events = sorted(session.execute(select(h.case_id, h.seq, h.action, h.effective_on, h.data)
                                    .where(h.action.in_(["fee_notice", "fee_paid"]))).all())
    for case_id, _seq, action, effective_on, data in events:
        data = decode(data)
        if action == "fee_notice":
            try:
                notice[case_id] = float(data.get("amount") or 0)
            except (TypeError, ValueError):
                notice[case_id] = 0.0
        elif effective_on is not None:
            fees.append(FeeRow(case_id, effective_on, notice.get(case_id, 0.0)))
    # Columns, not ORM objects: the report reads every case once (building instances was 3/4 of its time).
    rows = session.execute(select(Case.id, Case.number, Applicant.kind, Case.received_on, Case.closed, Case.closed_on,
                                  Case.state, Case.outcome).join(Applicant, Applicant.id == Case.applicant_id)
                           .where(Case.received_on <= end).order_by(Case.id),
                           execution_options={"yield_per": 5000})
    cases = (CaseRow(cid, number, kind, received_on, bool(closed), closed_on, state, outcome)
             for cid, number, kind, received_on, closed, closed_on, state, outcome in rows)
    return cases, challenges, fees


# --------------------------------------------------------------------------- output

def to_csv(report: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([f"{report['year']}年度政府信息公开工作年度报告"])
    w.writerow(["表三 收到和处理政府信息公开申请情况"])
    w.writerow(["栏目", "项目", "细项", *[c["label"] for c in report["table3"]["columns"]]])
    for r in report["table3"]["rows"]:
        group = r["group"]
        head, item = ("三、本年度办理结果", group) if r["key"].startswith("三") else (group, "")
        w.writerow([head, item, r["item"], *[r["counts"][c["key"]] for c in report["table3"]["columns"]]])
    w.writerow([])
    w.writerow(["表四 政府信息公开行政复议、行政诉讼情况"])
    w.writerow(["类别", *[c["label"] for c in report["table4"]["columns"]]])
    for g in report["table4"]["groups"]:
        w.writerow([g["label"], *[g["counts"][c["key"]] for c in report["table4"]["columns"]]])
    w.writerow([])
    w.writerow(["收取信息处理费", f"{report['fees']['count']} 笔", f"{report['fees']['amount']} 元"])
    w.writerow([checkpoint_text(report)])
    return buf.getvalue()


def checkpoint_text(report: dict) -> str:
    """The one line naming the newest checkpoint of the agency's log the report was made from."""
    from ..ledger.store import checkpoint_line

    return checkpoint_line(report.get("checkpoint"))


def _table3_rows(report: dict) -> list[dict]:
    """Table 三's rows with what the merged cells need: `first` row of a group with items, and
    the group's `span`."""
    rows = []
    spans: dict[str, int] = {}
    for r in report["table3"]["rows"]:
        if r["item"]:
            spans[r["group"]] = spans.get(r["group"], 0) + 1
    seen: set[str] = set()
    for r in report["table3"]["rows"]:
        first = r["item"] != "" and r["group"] not in seen
        if r["item"]:
            seen.add(r["group"])
        rows.append({**r, "first": first, "span": spans.get(r["group"], 1)})
    return rows


def proactive_text(report: dict) -> str:
    """The narrative line on requests converted to 主动公开 (条例第四十四条)."""
    p = report.get("proactive") or {}
    done = p.get("approved") or []
    text = f"本年度依申请公开转为主动公开的政府信息 {len(done)} 项（《中华人民共和国政府信息公开条例》第四十四条）"
    if done:
        text += "：" + "；".join(f"{x['title']}（{x['location']}）" for x in done[:20]) + ("等" if len(done) > 20 else "")
    text += f"；经审核不予转化 {p.get('rejected', 0)} 项"
    return text + (f"，待审核 {p['pending']} 项。" if p.get("pending") else "。")


def to_html(report: dict, agency: str) -> str:
    """The official table layout (engine/legal/templates/annual_report.html)."""
    from ...letters.pdf import BASE_CSS
    from .pages import document

    rows = _table3_rows(report)
    n3 = sum(1 for r in rows if r["key"].startswith("三"))
    return document("annual_report.html", r=report, rows=rows, cols=report["table3"]["columns"], n3=n3,
                    agency=agency, css=BASE_CSS, checkpoint=checkpoint_text(report), proactive=proactive_text(report))


def as_text(report: dict, fmt: str) -> str:
    """The report as "csv" or "html" (the official table layout; PDF is this HTML printed)."""
    return to_csv(report) if fmt == "csv" else to_html(report, report["agency"])


def annual(login: str | None, year: int) -> dict:
    """`ogi report annual`: load, count, check (the caller decides what to do when unbalanced)."""
    from ..config import load_config
    from ..ledger.store import latest_checkpoint
    from ..store.db import read_session
    from ..store.rows import of_session
    from ...errors import InputError
    from .proactive import year_summary as proactive_summary
    from ..identity import resolve_actor

    if not 2000 <= year <= 2200:
        raise InputError(f"年度“{year}”不合理，请写四位年份，例如 --year 2026")
    cfg = load_config()
    resolve_actor(cfg, login)
    with read_session() as s:
        cases, challenges, fees = load(s, year)
        report = compute(year, cases, challenges, fees)
        report["checkpoint"] = latest_checkpoint(s)  # the newest checkpoint of the log it was made from
        report["proactive"] = proactive_summary(of_session(s), year)  # 条例第四十四条, for the narrative
    report["agency"] = cfg.agency.name
    return report
