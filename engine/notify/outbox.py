"""The outbox: the sweep writes deadline warnings into it, list_warnings reads them back.

    sweep(as_of)        open clocks due within the thresholds -> one row per
                        (case, clock, level, due date) in `warning_outbox` (insert-or-ignore:
                        reruns, crashes and concurrent sweeps never duplicate), plus one
                        `warning_delivery` row per recipient and channel (delivery.py sends them)
    list_warnings()     the outbox, newest first, each warning with its deliveries and one status

A moved due date (extension, correction restart, pause) is a new key and so re-arms every
level; a paused or closed clock is not running and warns nobody. Here too are the SQL helpers
the room shares: the two tables, times stored as naive UTC, histories replayed in bulk
(load_facts). One read transaction computes, one short write transaction inserts.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select, update

from ...states.vocabulary import DELIVERY_STATUSES, WARNING_CHANNELS, WARNING_STATUSES, choices_text, clock_short
from ..config import Config, load_config
from ..identity import SHANGHAI, now_shanghai
from ..store.tables import WarningDelivery, WarningOutbox
from .policy import channels_for, level_label, recipients_for, select_level
from .settings import ChannelSettings, channel_settings

CHUNK = 500


# =========================================================================== tables

# WarningOutbox, WarningDelivery: engine/store/tables.py (with every other table)
OUTBOX = WarningOutbox.__table__
DELIVERY = WarningDelivery.__table__


def utc_naive(t: dt.datetime) -> dt.datetime:
    """How a time is stored: naive UTC (a naive `t` is Shanghai time)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=SHANGHAI)
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None)


def from_utc(t: dt.datetime | None) -> str | None:
    """A stored time as shown: ISO 8601 in Shanghai time."""
    if t is None:
        return None
    return t.replace(tzinfo=dt.timezone.utc).astimezone(SHANGHAI).isoformat(timespec="seconds")


def _insert_ignore(conn, table, rows: list[dict], keys: list[str], returning=None) -> list:
    """INSERT .. ON CONFLICT DO NOTHING on SQLite and PostgreSQL; with `returning`, the rows
    this statement really inserted (a concurrent sweep's rows are not among them)."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    out = []
    for i in range(0, len(rows), CHUNK):
        stmt = insert(table).on_conflict_do_nothing(index_elements=keys)
        if returning is not None:
            out += conn.execute(stmt.returning(*returning), rows[i:i + CHUNK]).all()
        else:
            conn.execute(stmt, rows[i:i + CHUNK])
    return out


def _chunks(seq: list, n: int = CHUNK):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


# =========================================================================== facts in bulk

class _Ev:
    __slots__ = ("action", "effective_on", "data", "actor")

    def __init__(self, action, effective_on, data, actor):
        self.action, self.effective_on, self.actor = action, effective_on, actor
        self.data = json.loads(data) if data else {}


def load_facts(conn, case_ids: list[int], cfg: Config) -> dict[int, object]:
    """The replayed facts of many cases with one query per chunk (cases.steps.facts_of, in bulk).
    A case whose history cannot be replayed maps to the exception instead."""
    from ..cases import clocks as clk
    from ..store.tables import HistoryEvent

    h = HistoryEvent.__table__
    actions = sorted(clk.STEP_ACTIONS | {"register"})  # what replay() reads; warning_sent etc. are skipped
    out: dict[int, object] = {}
    for chunk in _chunks(case_ids):
        q = (select(h.c.case_id, h.c.action, h.c.effective_on, h.c.data, h.c.actor)
             .where(h.c.case_id.in_(chunk), h.c.action.in_(actions)).order_by(h.c.case_id, h.c.seq))
        by_case: dict[int, list] = {}
        for cid, action, eff, data, actor in conn.execute(q):
            by_case.setdefault(cid, []).append(_Ev(action, eff, data, actor))
        for cid in chunk:
            try:
                out[cid] = clk.replay(by_case.get(cid, []), **clk.rule_options(cfg.rules))
            except Exception as exc:  # noqa: BLE001 - one broken case must not stop the sweep
                out[cid] = exc
    return out


# =========================================================================== sweep

@dataclass
class Planned:
    case_id: int
    case_number: str
    clerk: str
    clock: str
    clock_label: str
    level: str
    due_on: dt.date
    workdays_left: int
    provisional: bool

    @property
    def key(self) -> tuple:
        return (self.case_id, self.clock, self.level, self.due_on)


def plan_case(case_id: int, number: str, clerk: str, clocks, as_of: dt.date, cal, thresholds) -> list[Planned]:
    """Pure: the warnings one case's running clocks call for on `as_of`."""
    out = []
    for c in clocks:
        if not c.running or c.due is None:
            continue  # a paused or closed clock warns nobody
        left = cal.count(as_of, c.due, allow_provisional=True)
        level = select_level(as_of, c.due, left, thresholds)
        if level:
            out.append(Planned(case_id, number, clerk, c.key, c.label, level, c.due, left, c.provisional))
    return out


def candidate_horizon(as_of: dt.date, cal, thresholds) -> dt.date:
    """Last day a clock can fall due and still be within the largest threshold: every day
    before the (max+1)-th working day after as_of (a due date on a day off included)."""
    return cal.add(as_of, max(thresholds) + 1, allow_provisional=True) - dt.timedelta(days=1)


def sweep(as_of: dt.date, *, cfg: Config | None = None, url: str | None = None) -> dict:
    """Write every warning due on `as_of` into the outbox (idempotent). One read transaction to
    compute, one short write transaction to insert, so clerks are never blocked for long."""
    from ..cases import clocks as clk
    from ..store.calendar_store import load_calendar
    from ..store.db import read_session, write_session
    from ..store.tables import Case

    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    errors: list[dict] = []
    planned: list[Planned] = []
    with read_session(url) as s:
        cal = load_calendar(s)
        horizon = candidate_horizon(as_of, cal, ch.thresholds)
        conn = s.connection()
        t = Case.__table__
        # the cached next_due (earliest running clock) picks candidates on ix_cases_open_due
        # (plain tuples, not Row objects: the collector stops tracking tuples of plain values)
        rows = [(r.id, r.number, r.clerk) for r in conn.execute(
            select(t.c.id, t.c.number, t.c.clerk)
            .where(t.c.closed == False, t.c.next_due.is_not(None), t.c.next_due <= horizon)  # noqa: E712
            .order_by(t.c.id))]
        # One chunk of candidates at a time (load_facts reads 500 a query anyway): memory holds
        # 500 candidates' replayed facts, not every candidate's (40k at 1M cases).
        for chunk in _chunks(rows):
            facts = load_facts(conn, [cid for cid, _, _ in chunk], cfg)
            for cid, number, clerk in chunk:
                f = facts[cid]
                try:
                    if isinstance(f, Exception):
                        raise f
                    planned += plan_case(cid, number, clerk, clk.compute_clocks(f, cal), as_of, cal, ch.thresholds)
                except Exception as exc:  # noqa: BLE001
                    errors.append({"case": number, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
    created = _write_planned(planned, as_of, cfg, ch, url, write_session)
    new = [p for p in planned if p.key in created]
    unreachable = sorted({(d["recipient"], d["reason"]) for info in created.values() for d in info["no_address"]})
    return {
        "as_of": as_of, "horizon": horizon, "candidates": len(rows), "due": len(planned), "created": len(new),
        "existing": len(planned) - len(new),
        "warnings": [{"id": created[p.key]["id"], "case": p.case_number, "case_id": p.case_id, "clock": p.clock,
                      "clock_label": p.clock_label, "level": p.level, "level_label": level_label(p.level),
                      "due_on": p.due_on, "workdays_left": p.workdays_left, "provisional": p.provisional,
                      "recipients": created[p.key]["recipients"]} for p in new],
        "unreachable": [{"user": u, "reason": why} for u, why in unreachable],
        "errors": errors,
    }


def _write_planned(planned: list[Planned], as_of, cfg: Config, ch: ChannelSettings, url, write_session) -> dict:
    """Insert the planned warnings that are not in the outbox yet, and their deliveries."""
    if not planned:
        return {}
    created: dict[tuple, dict] = {}
    stamp = now_shanghai().isoformat()
    case_ids = sorted({p.case_id for p in planned})
    with write_session(url) as s:
        conn = s.connection()
        existing: dict[tuple, int] = {}
        for chunk in _chunks(case_ids):
            for r in conn.execute(select(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.clock, OUTBOX.c.level, OUTBOX.c.due_on)
                                  .where(OUTBOX.c.case_id.in_(chunk))):
                existing[(r.case_id, r.clock, r.level, r.due_on)] = r.id
        _rearm_unreachable([existing[p.key] for p in planned if p.key in existing], conn, cfg, ch)
        new = [p for p in planned if p.key not in existing]
        if not new:
            return {}
        inserted = _insert_ignore(conn, OUTBOX, [
            {"case_id": p.case_id, "clock": p.clock, "level": p.level, "due_on": p.due_on,
             "workdays_left": p.workdays_left, "as_of": as_of, "provisional": p.provisional, "created_at": stamp}
            for p in new], ["case_id", "clock", "level", "due_on"],
            returning=(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.clock, OUTBOX.c.level, OUTBOX.c.due_on))
        ids = {(r.case_id, r.clock, r.level, r.due_on): r.id for r in inserted}
        new = [p for p in new if p.key in ids]  # a concurrent sweep inserted the others first
        deliveries = []
        for p in new:
            wid = ids[p.key]
            info = {"id": wid, "recipients": [], "no_address": []}
            for login in recipients_for(p.clerk, p.level, ch):
                user = cfg.users.get(login)
                chans = channels_for(user, ch)
                info["recipients"].append({"user": login, "channels": chans})
                if not chans:
                    why = (f"用户 {login} 未在配置文件中登记" if user is None else
                           f"用户 {login} 没有可用的提醒渠道（未配置 email 与 [warnings.smtp]，也未配置 webhook）")
                    info["no_address"].append({"recipient": login, "reason": why})
                    deliveries.append({"warning_id": wid, "recipient": login, "channel": "none", "status": "no_address",
                                       "attempts": 0, "next_attempt_at": None, "last_error": why, "sent_at": None,
                                       "address": ""})
                for c in chans:
                    deliveries.append({"warning_id": wid, "recipient": login, "channel": c, "status": "pending",
                                       "attempts": 0, "next_attempt_at": None, "last_error": "", "sent_at": None,
                                       "address": ""})
            created[p.key] = info
        _insert_ignore(conn, DELIVERY, deliveries, ["warning_id", "recipient", "channel"])
    return created


def _rearm_unreachable(warning_ids: list[int], conn, cfg: Config, ch: ChannelSettings) -> None:
    """A still-current warning that found a recipient without any channel gets that recipient's
    channels once the config provides them (the `no_address` row is superseded, not lost)."""
    chans_of: dict[str, list[str]] = {}
    stuck: list[tuple[int, int, str]] = []
    for chunk in _chunks(warning_ids):
        # The status is tested here, not in SQL: given `status = ?` as well, SQLite walked
        # ix_warning_delivery_due over every no_address row of the outbox for each chunk
        # (quadratic in the number of warnings); by warning_id it reads a few rows per warning.
        # Only the rows that can be re-armed are kept: while a recipient still has no channel
        # (the usual case) none of its rows is, instead of every no_address row of the outbox.
        for r in conn.execute(select(DELIVERY.c.id, DELIVERY.c.warning_id, DELIVERY.c.recipient, DELIVERY.c.status)
                              .where(DELIVERY.c.warning_id.in_(chunk))):
            if r.status != "no_address":
                continue
            if r.recipient not in chans_of:
                chans_of[r.recipient] = channels_for(cfg.users.get(r.recipient), ch)
            if chans_of[r.recipient]:
                stuck.append((r.id, r.warning_id, r.recipient))
    for delivery_id, warning_id, recipient in stuck:
        chans = chans_of[recipient]
        _insert_ignore(conn, DELIVERY, [
            {"warning_id": warning_id, "recipient": recipient, "channel": c, "status": "pending",
             "attempts": 0, "next_attempt_at": None, "last_error": "", "sent_at": None, "address": ""}
            for c in chans], ["warning_id", "recipient", "channel"])
        conn.execute(update(DELIVERY).where(DELIVERY.c.id == delivery_id).values(
            status="cancelled", last_error=f"已配置提醒渠道，改由 {'、'.join(chans)} 发送"))


# =========================================================================== list

def warning_status(statuses: list[str]) -> str:
    """One word for a warning from its deliveries' states."""
    live = [x for x in statuses if x != "cancelled"]
    if not statuses:
        return "pending"
    if not live:
        return "cancelled"
    if any(x == "failed" for x in live):
        return "failed"
    if any(x == "pending" for x in live):
        return "pending"
    if all(x == "no_address" for x in live):
        return "undeliverable"
    return "sent" if any(x == "sent" for x in live) else "undeliverable"


STATUS_LABELS = {**WARNING_STATUSES, "no_address": DELIVERY_STATUSES["no_address"]}


def list_warnings(*, status: str | None = None, case: str | None = None, limit: int = 200,
                  url: str | None = None) -> list[dict]:
    """The outbox, newest first, each warning with its deliveries."""
    from ..store.db import read_session
    from ...errors import InputError
    from ..store.tables import Case

    if status and status not in WARNING_STATUSES:
        raise InputError(f"发送状态“{status}”不存在；可选：{choices_text(WARNING_STATUSES)}")
    with read_session(url) as s:
        conn = s.connection()
        t = Case.__table__
        q = select(OUTBOX, t.c.number).join(t, t.c.id == OUTBOX.c.case_id)
        if case:
            from ..cases.steps import load_case

            q = q.where(OUTBOX.c.case_id == load_case(s, case).id)
        rows = conn.execute(q.order_by(OUTBOX.c.id.desc())).all() if status else \
            conn.execute(q.order_by(OUTBOX.c.id.desc()).limit(limit)).all()
        dels: dict[int, list] = {}
        for chunk in _chunks([r.id for r in rows]):
            for d in conn.execute(select(DELIVERY).where(DELIVERY.c.warning_id.in_(chunk)).order_by(DELIVERY.c.id)):
                dels.setdefault(d.warning_id, []).append(d)
    out = []
    for r in rows:
        ds = dels.get(r.id, [])
        st = warning_status([d.status for d in ds])
        if status and st != status:
            continue
        out.append({
            "id": r.id, "case": r.number, "case_id": r.case_id, "clock": r.clock, "clock_label": clock_short(r.clock),
            "level": r.level, "level_label": level_label(r.level), "due_on": r.due_on, "as_of": r.as_of,
            "workdays_left": r.workdays_left, "provisional": r.provisional, "created_at": r.created_at,
            "status": st, "status_label": STATUS_LABELS[st], "sent": st == "sent",
            "recipients": [{"user": d.recipient, "channel": d.channel,
                            "channel_label": WARNING_CHANNELS.get(d.channel, d.channel), "status": d.status,
                            "status_label": DELIVERY_STATUSES.get(d.status, d.status), "attempts": d.attempts,
                            "next_attempt_at": from_utc(d.next_attempt_at), "sent_at": from_utc(d.sent_at),
                            "address": d.address, "last_error": d.last_error} for d in ds],
        })
        if len(out) >= limit:
            break
    return out
