"""The transition table loaded into one shared `transitions.Machine` (DESIGN.md).

The machine has no models of its own: steps fire `machine.events[t].trigger(token)` on a plain
token object, so no SQLModel row ever gets transitions' injected attributes. Guards that
explain refusals live in `states.guards`; the machine only moves the state.
"""
from __future__ import annotations

from transitions import Machine, MachineError

from .machine import TRANSITIONS, CaseState, Trigger


def _others_open(event) -> bool:
    return bool(event.kwargs.get("others_open"))


def _not_handled(event) -> bool:
    return bool(event.kwargs.get("not_handled"))


def _build() -> Machine:
    m = Machine(
        model=None,
        states=[s.value for s in CaseState],
        initial=CaseState.REGISTERED.value,
        auto_transitions=False,
        model_attribute="state",
        send_event=True,
        ignore_invalid_triggers=False,
    )
    for tr in TRANSITIONS.values():
        for src in sorted(tr.sources):
            if tr.dest_if_others_open is not None:
                m.add_transition(tr.trigger.value, src.value, tr.dest_if_others_open.value, conditions=[_others_open])
            if tr.dest_if_not_handled is not None and tr.dest_from(src) is not None:
                m.add_transition(tr.trigger.value, src.value, tr.dest_if_not_handled.value, conditions=[_not_handled])
            # dest None = an internal transition: the state stays (extension, delay, serving a
            # closed case's letter: keep_in).
            dest = tr.dest_from(src)
            m.add_transition(tr.trigger.value, src.value, dest.value if dest is not None else None)
    return m


MACHINE = _build()


class _Token:
    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


def fire(trigger: Trigger, state: CaseState, *, others_open: bool = False, not_handled: bool = False) -> CaseState:
    """Run `trigger` from `state` through the machine; return the new state.

    Raises ValueError when the table has no such transition (guards normally refuse first).
    The machine is deterministic (its conditions read `others_open` and `not_handled`), so each
    (trigger, state, others_open, not_handled) runs through it once per process and the answer is kept:
    replaying a history is then a dict lookup per step instead of ~25 µs in transitions (the
    audit, the sweep and the reports replay every case).
    """
    key = (trigger, state, bool(others_open), bool(not_handled))
    known = _FIRED.get(key)
    if known is not None:
        return known
    token = _Token(state.value)
    try:
        MACHINE.events[trigger.value].trigger(token, others_open=bool(others_open), not_handled=bool(not_handled))
    except MachineError:
        raise ValueError(f"no transition {trigger.value} from {state.value}") from None
    _FIRED[key] = result = CaseState(token.state)
    return result


_FIRED: dict[tuple[Trigger, CaseState, bool, bool], CaseState] = {}
