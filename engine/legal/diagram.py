"""The workflow picture, drawn from the table the engine runs on.

- mermaid: a throwaway `transitions.extensions.diagrams.GraphMachine` (graph_engine "mermaid",
  no binaries needed) built from `states.machine.TRANSITIONS` exactly as `states.fsm` builds the
  production machine, with Chinese labels (DESIGN.md: never draw the production machine).
- svg / png: Graphviz DOT written from the transitions of the production machine
  `states.fsm.MACHINE` (read only) and laid out by the `dot` program, labels in Chinese
  (STATE_LABELS, TRIGGER_LABELS) set in the legal documents' font (letters/pdf.py
  DOCUMENT_FAMILY: Noto Sans CJK SC). Steps between the same two states
  share one arrow whose id is `t:<trigger>+<trigger>...:<source>:<dest>`, so a test can see
  that each transition is drawn.

A conditional step (a consultation closing while others stay open; serving a 第三十九条 不予处理
告知书) is drawn with its condition in the label. Retired steps (`Transition.retired`: kept in the
production machine only so that old histories replay) are not drawn.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ...states.machine import CLOSED, STATE_LABELS, TRANSITIONS, TRIGGER_LABELS, CaseState, Trigger
from ...errors import DiagramError, os_reason
from ...letters.pdf import DOCUMENT_FAMILY as FONT, ensure_font

FORMATS = ("mermaid", "svg", "png", "dot")
TITLE = "政府信息公开申请办理流程（依申请公开）"
OTHERS_OPEN = "（仍有其他征求意见未办结）"
NOT_HANDLED = "（不予处理告知书，条例第三十九条）"
CONDITION_LABELS = {"others_open": OTHERS_OPEN, "not_handled": NOT_HANDLED}
INTERNAL = "（状态不变）"


@dataclass(frozen=True)
class Edge:
    trigger: Trigger
    source: CaseState
    dest: CaseState
    internal: bool      # the state does not change (extension, delay)
    condition: str = ""  # "" | others_open (other consultations stay open) | not_handled (第三十九条 notice)

    @property
    def conditional(self) -> bool:
        return bool(self.condition)

    @property
    def label(self) -> str:
        return TRIGGER_LABELS[self.trigger] + CONDITION_LABELS.get(self.condition, "")

    @property
    def id(self) -> str:
        return f"t:{self.trigger.value}:{self.source.value}:{self.dest.value}"


def edges() -> list[Edge]:
    """Every transition of the production machine that is not retired, in table order."""
    from ...states.fsm import MACHINE

    out = []
    for trig, tr in TRANSITIONS.items():
        if tr.retired:
            continue
        event = MACHINE.events[trig.value]
        for src, transitions in event.transitions.items():
            for t in transitions:
                internal = t.dest is None
                dest = CaseState(src if internal else t.dest)
                condition = t.conditions[0].func.__name__.lstrip("_") if t.conditions else ""
                out.append(Edge(trig, CaseState(src), dest, internal, condition))
    return out


def table_edges() -> list[Edge]:
    """The same edges read straight from TRANSITIONS (the tests compare the two)."""
    out = []
    for tr in TRANSITIONS.values():
        if tr.retired:
            continue
        for src in sorted(tr.sources):
            if tr.dest_if_others_open is not None:
                out.append(Edge(tr.trigger, src, tr.dest_if_others_open, False, "others_open"))
            dest = tr.dest_from(src)
            if tr.dest_if_not_handled is not None and dest is not None:
                out.append(Edge(tr.trigger, src, tr.dest_if_not_handled, False, "not_handled"))
            out.append(Edge(tr.trigger, src, dest if dest is not None else src, dest is None))
    return out


# --------------------------------------------------------------------------- mermaid

def mermaid() -> str:
    from transitions.extensions.diagrams import GraphMachine

    class _Token:  # the throwaway machine needs a model to draw; never a database row
        pass

    m = GraphMachine(model=None, states=[s.value for s in CaseState], initial=CaseState.REGISTERED.value,
                     auto_transitions=False, graph_engine="mermaid", title=TITLE, show_conditions=False,
                     show_state_attributes=False)
    for s in CaseState:
        m.get_state(s.value).label = STATE_LABELS[s] + ("（终态）" if s in CLOSED and "办结" not in STATE_LABELS[s] else "")
    for tr in TRANSITIONS.values():
        if tr.retired:
            continue
        for src in sorted(tr.sources):
            if tr.dest_if_others_open is not None:
                m.add_transition(tr.trigger.value, src.value, tr.dest_if_others_open.value,
                                 conditions=[lambda *a, **k: True], label=TRIGGER_LABELS[tr.trigger] + OTHERS_OPEN)
            dest = tr.dest_from(src)
            if tr.dest_if_not_handled is not None and dest is not None:
                m.add_transition(tr.trigger.value, src.value, tr.dest_if_not_handled.value,
                                 conditions=[lambda *a, **k: True], label=TRIGGER_LABELS[tr.trigger] + NOT_HANDLED)
            m.add_transition(tr.trigger.value, src.value, dest.value if dest is not None else None,
                             label=TRIGGER_LABELS[tr.trigger])
    token = _Token()
    m.add_model(token)
    m.model_graphs[id(token)].reset_styling()  # no "current state" highlight on a process chart
    text = m.model_graphs[id(token)].get_graph().draw(None)
    # Mermaid front matter is YAML: the title needs its key. Internal steps read in Chinese.
    text = text.replace(f"---\n{TITLE}\n---", f"---\ntitle: {TITLE}\n---", 1).replace(" [internal]", INTERNAL)
    return text if text.endswith("\n") else text + "\n"


def parse_mermaid_edges(text: str) -> set[tuple[str, str, str]]:
    """(source, dest, label) triples of a mermaid stateDiagram (for tests and checks)."""
    out = set()
    for line in text.splitlines():
        line = line.strip()
        if "-->" not in line or line.startswith("[*]"):
            continue
        left, _, rest = line.partition("-->")
        dest, _, labels = rest.partition(":")
        for label in labels.split("|"):
            label = label.strip()
            if label.endswith(INTERNAL):
                label = label[: -len(INTERNAL)].strip()
            out.add((left.strip(), dest.strip(), label))
    return out


# --------------------------------------------------------------------------- graphviz

def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source() -> str:
    lines = [
        "digraph ogi_workflow {",
        f"  graph [rankdir=LR, fontname={_q(FONT)}, fontsize=18, label={_q(TITLE)}, labelloc=t, "
        "nodesep=0.35, ranksep=0.9, pad=0.3, bgcolor=white];",
        f"  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef4fb\", color=\"#35649b\", fontname={_q(FONT)}, fontsize=12];",
        f"  edge [fontname={_q(FONT)}, fontsize=9, color=\"#555555\", arrowsize=0.7];",
        "  start [shape=circle, width=0.18, label=\"\", style=filled, fillcolor=black];",
    ]
    for s in CaseState:
        attrs = {"label": f"{STATE_LABELS[s]}\\n{s.value}"}
        if s in CLOSED:
            attrs.update(fillcolor="#e8f5e9", color="#2e7d32", peripheries="2")
        body = ", ".join(f"{k}={_q(v) if k != 'label' else chr(34) + v + chr(34)}" for k, v in attrs.items())
        lines.append(f"  {s.value} [{body}];")
    lines.append(f"  start -> {CaseState.REGISTERED.value} [id=\"t:start\"];")
    lines.append(f"  {{ rank=same; {' '.join(s.value for s in CLOSED)} }}")
    merged: dict[tuple[CaseState, CaseState], list[Edge]] = {}
    for e in edges():  # parallel steps between the same two states share one arrow
        merged.setdefault((e.source, e.dest), []).append(e)
    for (src, dst), group in merged.items():
        style = []
        if all(e.internal for e in group):
            style.append('style=dashed, color="#8d6e63", fontcolor="#6d4c41"')
        elif all(e.trigger is Trigger.WITHDRAW for e in group):
            style.append('color="#9e9e9e", fontcolor="#757575"')
        elif any(e.trigger in (Trigger.DELIVER, Trigger.APPROVE) for e in group):
            style.append('color="#1565c0", penwidth=1.6')
        extra = (", " + ", ".join(style)) if style else ""
        edge_id = "t:" + "+".join(e.trigger.value for e in group) + f":{src.value}:{dst.value}"
        label = "\\n".join(_q(e.label)[1:-1] for e in group)
        lines.append(f"  {src.value} -> {dst.value} [id={_q(edge_id)}, label=\"{label}\"{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(source: str, fmt: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise DiagramError("未找到 Graphviz 的 dot 程序，无法生成 SVG/PNG 流程图：请安装 Graphviz"
                           "（apt-get install graphviz），或改用 --format mermaid（无需安装任何程序）")
    args = [exe, f"-T{fmt}"] + (["-Gdpi=110"] if fmt == "png" else [])
    try:
        proc = subprocess.run(args, input=source.encode("utf-8"), capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiagramError(f"运行 dot 失败：{os_reason(exc)}") from None
    if proc.returncode != 0:
        raise DiagramError("dot 生成流程图失败：" + proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1][:200])
    return proc.stdout


def render(fmt: str) -> bytes | str:
    if fmt not in FORMATS:
        from ...errors import InputError

        raise InputError(f"格式“{fmt}”不存在；可选：mermaid、svg、png（以及 dot 源文件）")
    if fmt == "mermaid":
        return mermaid()
    if fmt == "dot":
        return dot_source()
    ensure_font("流程图")  # Chinese labels without the CJK font would come out as boxes
    data = run_dot(dot_source(), fmt)
    return data.decode("utf-8") if fmt == "svg" else data
