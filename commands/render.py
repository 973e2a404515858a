"""Human output of case data (rich). JSON output never comes through here."""
from __future__ import annotations

from .common import console


def _d(v) -> str:
    return "" if v is None else str(v)


def print_case_brief(r: dict, headline: str) -> None:
    c = console()
    c.print(f"[bold green]✓[/] {headline}")
    c.print(f"案件 {r['number']}（ID {r['id']}）　申请人：{r['applicant']['name']}　状态：[bold]{r['state_label']}[/]")
    step = r.get("step") or {}
    for w in step.get("warnings", []):
        c.print(f"[yellow]{w}[/]")
    for w in r.get("warnings") or []:  # registration: e.g. 重复申请 (条例第三十六条第（六）项)
        c.print(f"[yellow]{w}[/]")
    _print_deadlines(c, r)
    for l in r.get("letters_rendered", []) or []:
        if l.get("error"):
            c.print(f"[yellow]文书“{l['kind']}”暂未生成：{l['error']}（步骤已保存，可用 ogi letter render 重试）[/]")
        else:
            c.print(f"文书：{l['number']}　{l['path']}")
    if r.get("next_steps"):
        c.print("下一步可办理：" + "、".join(s["label"] for s in r["next_steps"]))


def _print_deadlines(c, r: dict) -> None:
    for clock in r.get("clocks", []):
        if not clock["running"] and not clock["paused"]:
            continue
        flag = "（暂停计算）" if clock["paused"] else ""
        prov = "（暂定）" if clock["provisional"] else ""
        c.print(f"  ⏰ {clock['label']}：[bold]{_d(clock['due'])}[/]{prov}{flag}")


def print_case_full(r: dict) -> None:
    from rich.table import Table

    c = console()
    c.print(f"[bold]案件 {r['number']}[/]（ID {r['id']}）　[bold]{r['state_label']}[/]"
            + (f"　办理结果：{r['outcome_label']}" if r.get("outcome_label") else ""))
    a = r["applicant"]
    c.print(f"申请人：{a['name']}（{a['type_label']}）　证件：{a['id_number'] or '—'}　电话：{a['phone'] or '—'}")
    c.print(f"提交方式：{r['channel_label']}　收到申请之日：{r['received_on']}　经办人：{r['clerk']}")
    c.print(f"所需信息：{r['description']}")
    _print_deadlines(c, r)
    if r.get("consultations"):
        t = Table(title="征求意见", show_lines=False)
        for col in ("编号", "对象", "发出", "期限", "答复", "意见"):
            t.add_column(col)
        for x in r["consultations"]:
            t.add_row(str(x["id"]), x["party"], _d(x["sent_on"]), _d(x["due_on"]),
                      _d(x["replied_on"] or (f"逾期 {x['lapsed_on']}" if x["lapsed_on"] else "")), _d(x["opinion"]))
        c.print(t)
    if r.get("letters"):
        t = Table(title="文书")
        for col in ("文号", "种类", "日期", "状态", "文件"):
            t.add_column(col)
        for l in r["letters"]:
            t.add_row(l["number"], l["kind"], _d(l["issued_on"]), l["status"], l["path"] or "")
        c.print(t)
    if r.get("history"):
        print_clock_chart(r)
        print_timeline(r)
    if r.get("next_steps"):
        c.print("下一步可办理：" + "、".join(s["label"] for s in r["next_steps"]))


def print_timeline(r: dict) -> None:
    """The case's history as a timeline, with its clocks marked on the same axis."""
    from rich.table import Table

    t = Table(title=f"办理时间线（{r['number']}）")
    for col in ("#", "办理日期", "步骤", "办理人", "记录时间", "说明"):
        t.add_column(col)
    for h in r["history"]:
        note = h["reason"] or ""
        data = h.get("data") or {}
        for key in ("items", "party", "outcome", "method", "workdays", "opinion", "kind"):
            if key in data and key != "kind":
                note = (note + " " if note else "") + f"{key}={data[key]}"
        t.add_row(str(h["seq"]), _d(h["effective_on"]), h["label"] or h["action"], h["actor"],
                  h["recorded_at"][:16].replace("T", " "), note[:60])
    console().print(t)


def print_explain(r: dict) -> None:
    c = console()
    c.print(f"[bold]案件 {r['number']} 期限计算说明[/]")
    for clock in r["clocks"]:
        state = "进行中" if clock["running"] else ("暂停" if clock["paused"] else "—")
        c.print(f"\n[bold]{clock['label']}[/]：{_d(clock['due'])}（{state}{'，暂定' if clock['provisional'] else ''}）")
        for line in clock["explanation"]:
            c.print(f"  · {line}")


def print_case_list(r: dict) -> None:
    from rich.table import Table

    t = Table(title=f"案件列表（截至 {r['as_of']}）")
    for col in ("ID", "编号", "申请人", "状态", "经办人", "最近期限", "剩余工作日", "答复期限"):
        t.add_column(col)
    for x in r["cases"]:
        left = x["workdays_left"]
        left_s = "" if left is None else (f"[red]逾期 {-left}[/]" if left < 0 else (f"[yellow]{left}[/]" if left <= 3 else str(left)))
        due = _d(x["next_due"]) + ("（暂停）" if x["paused"] else "") + ("（暂定）" if x["provisional"] else "")
        t.add_row(str(x["id"]), x["number"], x["applicant"], x["state_label"], x["clerk"], due, left_s, _d(x["answer_due"]))
    console().print(t)
    if not r["cases"]:
        console().print("没有符合条件的案件。")


def clock_chart_lines(r: dict, width: int = 56) -> list[str]:
    """A picture of the case on one date axis: each clock as a bar from its start to its due
    date (░ where paused), and the steps as numbered marks (the # of the timeline table)."""
    import datetime as dt

    def day(v):
        return v if isinstance(v, dt.date) else dt.date.fromisoformat(v)

    clocks = [c for c in r.get("clocks", []) if c.get("start") and c.get("due")]
    steps = [(h["seq"], day(h["effective_on"])) for h in r.get("history", [])
             if h.get("effective_on") and h["action"] not in ("letter_rendered", "warning_sent", "recompute")]
    dates = [day(c["start"]) for c in clocks] + [day(c["due"]) for c in clocks] + [d for _, d in steps]
    if not dates:
        return []
    lo, hi = min(dates), max(dates)
    span = max((hi - lo).days, 1)

    def col(d) -> int:
        return round((day(d) - lo).days * (width - 1) / span)

    label_w = 12
    lines = [f"{'':<{label_w}}{lo.isoformat():<{width - 10}}{hi.isoformat():>10}"]
    for c in clocks:
        key = c["key"].split(":")
        name = _CHART_NAMES.get(key[0], key[0]) + (key[1] if len(key) > 1 else "")
        a, b = col(c["start"]), col(c["due"])
        bar = [" "] * width
        fill = "░" if c.get("paused") else "─"
        for i in range(a, b + 1):
            bar[i] = fill
        bar[a], bar[b] = "├", "┤"
        mark = "暂停" if c.get("paused") else ("进行中" if c.get("running") else "")
        lines.append(_pad(name, label_w) + "".join(bar) + f" {str(c['due'])[5:]}{(' ' + mark) if mark else ''}")
    marks = ["─"] * width
    for _, d in steps:
        i = col(d)
        marks[i] = "▲" if marks[i] == "─" else "◆"  # ◆: several steps on one day
    lines.append(_pad("办理步骤", label_w) + "".join(marks))
    return lines


_CHART_NAMES = {"correction_notice": "补正告知", "correction": "补正期限", "answer": "答复期限",
                "consultation": "征求意见", "payment": "缴费期限"}


def _pad(text: str, width: int) -> str:
    """Pad to a display width where CJK characters take two columns."""
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(width - shown, 1)


def print_clock_chart(r: dict) -> None:
    lines = clock_chart_lines(r)
    if lines:
        c = console()
        c.print("[bold]期限示意图[/]（├──┤ 期限起止，░ 暂停计算，▲ 办理步骤，◆ 同日多个步骤）")
        for line in lines:
            c.print(line, markup=False, highlight=False)
