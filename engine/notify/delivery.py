"""Delivery: send_round drains the outbox's due deliveries through the transports.

    send_round(now)     delivers the due deliveries through a `Transport` (SMTP mail, group-robot
                        webhook), marks them sent and records `warning_sent` in the case history;
                        a failure is retried with capped exponential backoff, never dropped

A warning whose clock moved or stopped before it could be sent is cancelled, not sent.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from ...errors import DeliveryError
from ...states.vocabulary import CLOCK_LABELS, WARNING_CHANNELS
from ..config import Config, load_config
from ..identity import SHANGHAI
from ..store.tables import WarningDelivery, WarningOutbox
from .outbox import DELIVERY, from_utc, utc_naive
from .policy import WarningView, backoff, compose, escalates
from .settings import ChannelSettings, address_for, channel_settings
from .transports import Transport, default_transports, mask_address

SYSTEM_ACTOR = "system"
# delivery status: pending (not tried yet) | failed (last try failed, retried at next_attempt_at)
# | sent | cancelled (the clock moved, paused or closed first) | no_address (nowhere to send)
OPEN_STATUSES = ("pending", "failed")
CLAIM_LEASE = dt.timedelta(minutes=10)  # a crashed sender's claim expires after this (at-least-once)


def _stale_reason(s, cfg: Config, cal, case, w) -> str | None:
    """Why a warning must not go out any more: the case closed, or its clock moved or stopped."""
    from ..cases import clocks as clk
    from ..cases.steps import facts_of

    if case.closed:
        return "案件已办结，提醒取消"
    clocks = {c.key: c for c in clk.compute_clocks(facts_of(s, case.id, cfg), cal)}
    c = clocks.get(w.clock)
    if c is None or not c.running:
        return "该期限已暂停或已结束，提醒取消"
    if c.due != w.due_on:
        return f"该期限已变更为 {c.due}，原提醒取消（新期限另行提醒）"
    return None


def _view(s, cfg: Config, ch: ChannelSettings, case, w) -> WarningView:
    from ...states.machine import STATE_LABELS, CaseState
    from ..masking import mask_name
    from ..store.tables import Applicant

    ap = s.get(Applicant, case.applicant_id)

    def who(login: str) -> str:
        u = cfg.users.get(login)
        return f"{u.name}（{login}）" if u else login

    escalated = tuple(who(x) for x in dict.fromkeys(list(ch.supervisors) + list(ch.legal_office))) \
        if escalates(w.level, ch.escalate_from) else ()
    base = w.clock.split(":", 1)[0]
    label = CLOCK_LABELS.get(base, w.clock)
    number = None
    if base == "consultation":
        from sqlalchemy import func
        from sqlmodel import select as sm_select

        from ..store.tables import Consultation

        con = s.get(Consultation, int(w.clock.split(":", 1)[1]))
        if con is not None:
            label = f"{label}：{con.party}"
            # its number in the case (`--consultation N`): the clock key keeps the stored id
            number = s.exec(sm_select(func.count()).select_from(Consultation).where(
                Consultation.case_id == con.case_id, Consultation.id <= con.id)).one()
    return WarningView(case.number, mask_name(ap.name if ap else "", ap.kind if ap else "natural"), w.clock, label,
                       w.level, w.due_on, w.workdays_left, w.as_of, w.provisional,
                       STATE_LABELS.get(CaseState(case.state), case.state), who(case.clerk), escalated,
                       consultation_no=number)


def send_round(now: dt.datetime | None = None, *, cfg: Config | None = None,
               transports: dict[str, Transport] | None = None, url: str | None = None, batch: int = 500,
               cancel: threading.Event | None = None) -> dict:
    """Deliver every due delivery once. `now` is injected (tests, replays); naive = Shanghai time.
    `cancel` (the daemon's stop event): once set, the delivery in progress is cut short (it is
    recorded as failed, to be retried) and nothing more is claimed; `stopped` says so.

    Per (warning, channel, address) group: claim the rows (a lease, so two senders never send
    the same row), drop it if the clock moved or the case closed, send outside any transaction,
    then mark sent and append `warning_sent` to the case history, or record the failure with
    the next try after a capped exponential backoff. If a server cannot be reached at all, the
    rest of its queue in this round fails fast with the same message (no N x timeout).
    """
    from sqlmodel import select as sm_select

    from ..store.calendar_store import load_calendar
    from ..store.db import read_session

    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    now = now or dt.datetime.now(SHANGHAI)
    now_utc = utc_naive(now)
    own = transports is None
    transports = default_transports(ch, cancel) if own else transports
    res = {"now": (now if now.tzinfo else now.replace(tzinfo=SHANGHAI)).isoformat(), "due": 0, "sent": 0,
           "messages": 0, "failed": 0, "cancelled": 0, "errors": []}

    def stopping() -> bool:
        if cancel is not None and cancel.is_set():
            res["stopped"] = True
            return True
        return False

    seen: set[int] = set()
    down: dict[tuple, str] = {}
    try:
        with read_session(url) as s:
            cal = load_calendar(s)
        while not stopping():  # batches until nothing is due: every handled row leaves the due set
            with read_session(url) as s:
                rows = [d for d in s.exec(sm_select(WarningDelivery).where(
                    WarningDelivery.status.in_(OPEN_STATUSES),
                    or_(WarningDelivery.next_attempt_at.is_(None), WarningDelivery.next_attempt_at <= now_utc),
                ).order_by(WarningDelivery.id).limit(batch)).all() if d.id not in seen]
            if not rows:
                break
            seen.update(d.id for d in rows)
            res["due"] += len(rows)
            groups: dict[tuple, list] = {}
            for d in rows:
                addr, err = address_for(d.channel, d.recipient, cfg, ch)
                if not err and d.channel not in transports:
                    err = f"没有“{WARNING_CHANNELS.get(d.channel, d.channel)}”发送渠道"
                groups.setdefault((d.warning_id, d.channel, addr, err), []).append(d)
            for (wid, channel, addr, err), ds in groups.items():
                if stopping():  # the rows not claimed stay due for the next round
                    break
                _deliver(wid, channel, addr, err, ds, cfg, ch, cal, transports, down, now, now_utc, url, res)
    finally:
        if own:
            for t in transports.values():
                t.close()
    return res


@dataclass(frozen=True)
class _Claim:
    """The rows of one (warning, channel, address) group this sender holds, and their message."""

    ids: list[int]
    recipients: list[str]
    view: WarningView
    attempts: dict[int, int]
    meta: dict


def _deliver(wid, channel, addr, err, ds, cfg, ch, cal, transports, down, now, now_utc, url, res) -> None:
    """One group: claim its rows, send outside any transaction, record the outcome."""
    claim = _claim(wid, ds, cfg, ch, cal, now_utc, url, res)
    if claim is None:
        return
    error = err or _send(channel, addr, claim.view, transports, down)
    _record(wid, channel, addr, error, claim, ch, now, now_utc, url, res)


def _claim(wid, ds, cfg, ch, cal, now_utc, url, res) -> _Claim | None:
    """Lease the group's due rows; None if another sender took them or the warning is stale
    (its rows are cancelled here)."""
    from ..cases.steps import load_case
    from ..store.db import write_session

    ids = [d.id for d in ds]
    with write_session(url) as s:
        conn = s.connection()
        claimed = []
        for i in ids:
            r = conn.execute(update(DELIVERY).where(
                DELIVERY.c.id == i, DELIVERY.c.status.in_(OPEN_STATUSES),
                or_(DELIVERY.c.next_attempt_at.is_(None), DELIVERY.c.next_attempt_at <= now_utc),
            ).values(attempts=DELIVERY.c.attempts + 1, next_attempt_at=now_utc + CLAIM_LEASE))
            if r.rowcount == 1:
                claimed.append(i)
        if not claimed:
            return None  # another sender took them
        w = s.get(WarningOutbox, wid)
        case = load_case(s, w.case_id)
        stale = _stale_reason(s, cfg, cal, case, w)
        if stale:
            conn.execute(update(DELIVERY).where(DELIVERY.c.id.in_(claimed))
                         .values(status="cancelled", last_error=stale, next_attempt_at=None))
            res["cancelled"] += len(claimed)
            return None
        recipients = [d.recipient for d in ds if d.id in claimed]
        view = _view(s, cfg, ch, case, w)
        attempts = dict(conn.execute(select(DELIVERY.c.id, DELIVERY.c.attempts).where(DELIVERY.c.id.in_(claimed))).all())
        meta = {"case": case.number, "case_id": case.id, "clock": w.clock, "level": w.level, "due_on": w.due_on}
    return _Claim(claimed, recipients, view, attempts, meta)


def _send(channel, addr, view, transports, down) -> str | None:
    """The error, or None once sent. A server that could not be reached stays in `down` for the
    rest of the round, so the rest of its queue fails fast with the same message."""
    breaker = (channel, None if channel == "email" else addr)
    error = down.get(breaker)
    if not error:
        try:
            transports[channel].send(addr, compose(view))
        except DeliveryError as exc:
            error = exc.message
            if exc.connection:
                down[breaker] = error
    return error


def _record(wid, channel, addr, error, claim: _Claim, ch, now, now_utc, url, res) -> None:
    """Mark the claimed rows sent and append `warning_sent` to the case history, or failed with
    the next try after the backoff."""
    from ..cases.steps import append_event, load_case
    from ..store.db import write_session

    claimed, recipients, attempts, meta = claim.ids, claim.recipients, claim.attempts, claim.meta
    with write_session(url) as s:
        conn = s.connection()
        if error is None:
            conn.execute(update(DELIVERY).where(DELIVERY.c.id.in_(claimed)).values(
                status="sent", sent_at=now_utc, next_attempt_at=None, last_error="", address=mask_address(channel, addr)))
            load_case(s, meta["case_id"], for_update=True)  # serialise with steps appending to this history
            append_event(s, meta["case_id"], SYSTEM_ACTOR, "warning_sent",
                         (now if now.tzinfo else now.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI).date(), "",
                         {"warning_id": wid, "clock": meta["clock"], "level": meta["level"], "due_on": meta["due_on"],
                          "channel": channel, "recipients": recipients})
            res["sent"] += len(claimed)
            res["messages"] += 1
            return
        retry_at = None
        for i in claimed:
            n = attempts.get(i, 1)
            retry_at = now_utc + backoff(n, ch.retry_base_seconds, ch.retry_cap_seconds)
            conn.execute(update(DELIVERY).where(DELIVERY.c.id == i).values(
                status="failed", next_attempt_at=retry_at, last_error=error[:500]))
        res["failed"] += len(claimed)
        res["errors"].append({**meta, "warning_id": wid, "channel": channel, "recipients": recipients,
                              "error": error, "next_attempt_at": from_utc(retry_at)})
