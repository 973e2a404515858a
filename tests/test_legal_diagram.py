"""`ogi states diagram`: the picture is drawn from the same table the engine runs on, and every
transition of that table appears in it (mermaid and SVG)."""
from __future__ import annotations

import re
import shutil
from html import unescape

import pytest

from ogi.engine.legal import diagram
from ogi.states.fsm import MACHINE
from ogi.states.machine import STATE_LABELS, TRANSITIONS, TRIGGER_LABELS, CaseState


def table_transitions() -> set[tuple[str, str, str]]:
    """(source, dest, Chinese label) for every transition in TRANSITIONS that is not retired,
    written out here."""
    out = set()
    for tr in TRANSITIONS.values():
        if tr.retired:  # only old histories replay through it: never drawn
            continue
        for src in tr.sources:
            # keep_in: the step keeps that state (serving a closed case's letter, side steps before it)
            dest = tr.dest if tr.dest is not None and src not in tr.keep_in else src
            out.add((src.value, dest.value, TRIGGER_LABELS[tr.trigger]))
            if tr.dest_if_others_open is not None:
                out.add((src.value, tr.dest_if_others_open.value, TRIGGER_LABELS[tr.trigger] + diagram.OTHERS_OPEN))
            if tr.dest_if_not_handled is not None and dest != src:
                out.add((src.value, tr.dest_if_not_handled.value, TRIGGER_LABELS[tr.trigger] + diagram.NOT_HANDLED))
    return out


def test_edges_are_the_production_machine_and_the_table():
    from_machine = {(e.trigger, e.source, e.dest, e.condition) for e in diagram.edges()}
    from_table = {(e.trigger, e.source, e.dest, e.condition) for e in diagram.table_edges()}
    assert from_machine == from_table
    # ... and the production machine really has these transitions (nothing drawn that it cannot do);
    # besides them it has only the retired steps old histories replay through.
    retired = {t.value for t, tr in TRANSITIONS.items() if tr.retired}
    n = sum(len(ts) for name, ev in MACHINE.events.items() if name not in retired for ts in ev.transitions.values())
    assert n == len(diagram.edges())
    assert retired == {"not_handle"}
    assert not any(e.trigger.value in retired for e in diagram.edges())


def test_a_not_handled_notice_closes_the_case_when_served():
    """条例第三十九条: proposed (also before acceptance), decided, approved, served -> not handled."""
    drawn = {(e.source.value, e.dest.value, e.label) for e in diagram.edges()}
    assert ("registered", "proposed", TRIGGER_LABELS[TRANSITIONS["propose"].trigger]) in drawn
    assert ("approved", "not_handled", "送达" + diagram.NOT_HANDLED) in drawn
    assert ("approved", "answered", "送达") in drawn
    assert not any(src in ("registered", "processing") and dst == "not_handled" for src, dst, _ in drawn)


def test_every_transition_appears_in_the_mermaid_output(ogi_sqlite):
    text = ogi_sqlite.ok("states", "diagram").stdout
    assert text.startswith("---\ntitle: ") and "stateDiagram-v2" in text
    drawn = diagram.parse_mermaid_edges(text)
    missing = table_transitions() - drawn
    assert not missing, missing
    for s in CaseState:
        assert f'state "{STATE_LABELS[s]}" as {s.value}' in text
    assert "[*] --> registered" in text and "s_active" not in text.split("classDef s_previous")[-1]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_every_transition_appears_in_the_svg(ogi_sqlite, tmp_path):
    out = tmp_path / "flow.svg"
    ogi_sqlite.ok("states", "diagram", "--format", "svg", "--out", str(out))
    svg = out.read_text(encoding="utf-8")
    groups = re.findall(r'<g id="(t:[^"]+)" class="edge">(.*?)</g>', svg, flags=re.S)
    drawn = set()
    for gid, body in groups:
        if gid == "t:start":
            continue
        _, triggers, src, dst = gid.split(":")
        labels = [unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", body)]
        for trig, label in zip(triggers.split("+"), labels):
            drawn.add((src, dst, label))
    assert table_transitions() <= drawn, table_transitions() - drawn
    for s in CaseState:
        assert STATE_LABELS[s] in unescape(svg)
    assert "Noto Sans CJK SC" in svg
    png = tmp_path / "flow.png"
    ogi_sqlite.ok("states", "diagram", "--format", "png", "--out", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_dot_the_message_says_what_to_do(ogi_sqlite, monkeypatch, tmp_path):
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    r = ogi_sqlite("states", "diagram", "--format", "png", "--out", str(tmp_path / "x.png"))
    assert r.exit_code == 1
    assert "apt-get install graphviz" in r.stderr and "--format mermaid" in r.stderr
    assert not (tmp_path / "x.png").exists()
    assert ogi_sqlite("states", "diagram", "--format", "mermaid").exit_code == 0  # needs no binary
    bad = ogi_sqlite("states", "diagram", "--format", "gif")
    assert bad.exit_code == 1 and "mermaid" in bad.stderr
