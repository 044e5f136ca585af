"""The call flow drawn from the step table (``ivr flow diagram``): Mermaid, Graphviz DOT or SVG.

Pure functions from a table (:data:`flows.table.STEPS`, or any other) to text, over the graph
:mod:`flows.graph` reads from its declarations; SVG is DOT laid out by Graphviz's ``dot``
program. The README embeds the Mermaid text between two marker comments, and
:func:`readme_is_current` tells whether what it embeds is what the table draws today.

How it is drawn: a point marked "call" leads (thick arrows) to each step a call may start
at. A menu is a box, an entry a parallelogram, a <Pay> capture a subroutine box, a hold a
hexagon, a recording a cylinder and an end a double circle. An entry where a lone star
cancels the payment is outlined in orange and says so. A solid arrow is a move its key
always makes; a dashed one a move an action or handler may make (see :mod:`flows.graph`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

from flows.graph import Move, Node, moves, nodes
from flows.spec import StepSpec
from flows.state import Step
from ivr.errors import DiagramError

FORMATS = ("mermaid", "dot", "svg")
START_MARKER = "<!-- flow-diagram:start -->"
END_MARKER = "<!-- flow-diagram:end -->"
REGENERATE = "ivr flow diagram --readme README.md"
START_NODE = "call_start"  # lower case: no step's name (the nodes' ids) can be the same
CANCEL_NOTE = "* cancels the payment"
CANCEL_COLOUR = "#cc6600"
DOT_TIMEOUT = 60  # seconds: dot lays out this table in well under one

# Each kind's shape: Mermaid's brackets around the label, and Graphviz's shape name.
MERMAID_SHAPES = {"menu": ("[", "]"), "entry": ("[/", "/]"), "capture": ("[[", "]]"),
                  "hold": ("{{", "}}"), "record": ("[(", ")]"), "end": ("(((", ")))")}
DOT_SHAPES = {"menu": "box", "entry": "parallelogram", "capture": "component",
              "hold": "hexagon", "record": "cylinder", "end": "doublecircle"}


def render(table: Mapping[Step, StepSpec], fmt: str) -> str:
    """``table`` drawn in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "mermaid":
        return mermaid(table)
    if fmt == "dot":
        return dot(table)
    if fmt == "svg":
        return svg(dot(table))
    raise ValueError(f"no diagram format {fmt!r}: one of {', '.join(FORMATS)}")


def mermaid(table: Mapping[Step, StepSpec]) -> str:
    """``table`` as a Mermaid flowchart."""
    graph = nodes(table)
    lines = ["flowchart TD", f'    {START_NODE}(("call"))']
    lines += [f"    {_mermaid_node(node)}" for node in graph]
    lines += [f"    {START_NODE} ==> {node.step.name}" for node in graph if node.start]
    lines += [f"    {_mermaid_move(move)}" for move in moves(table)]
    cancellable = [node.step.name for node in graph if node.cancellable]
    if cancellable:
        lines.append(f"    classDef cancellable stroke:{CANCEL_COLOUR},stroke-width:3px")
        lines.append(f"    class {','.join(cancellable)} cancellable")
    return "\n".join(lines) + "\n"


def _mermaid_node(node: Node) -> str:
    opening, closing = MERMAID_SHAPES.get(node.kind, ("[", "]"))
    label = node.step.name + (f"<br>{CANCEL_NOTE}" if node.cancellable else "")
    return f"{node.step.name}{opening}{_mermaid_text(label)}{closing}"


def _mermaid_move(move: Move) -> str:
    arrow = "-->" if move.sure else "-.->"
    return f"{move.source.name} {arrow}|{_mermaid_text(move.label)}| {move.target.name}"


def _mermaid_text(text: str) -> str:
    # Quoted, so keys and punctuation are text; a quote inside is Mermaid's entity.
    return '"' + text.replace('"', "#quot;") + '"'


def dot(table: Mapping[Step, StepSpec]) -> str:
    """``table`` as a Graphviz DOT digraph."""
    graph = nodes(table)
    lines = ["digraph call_flow {",
             '    node [fontname="Helvetica", fontsize=10];',
             '    edge [fontname="Helvetica", fontsize=9];',
             f'    {START_NODE} [shape=point, width=0.15, xlabel="call"];']
    lines += [f"    {_dot_node(node)}" for node in graph]
    lines += [f'    {START_NODE} -> "{node.step.name}" [penwidth=2.5];'
              for node in graph if node.start]
    lines += [f"    {_dot_move(move)}" for move in moves(table)]
    return "\n".join([*lines, "}"]) + "\n"


def _dot_node(node: Node) -> str:
    attributes = [f"shape={DOT_SHAPES.get(node.kind, 'box')}"]
    label = node.step.name
    if node.cancellable:
        label += "\n" + CANCEL_NOTE
        attributes += [f'color="{CANCEL_COLOUR}"', "penwidth=2.5"]
    return f'"{node.step.name}" [{", ".join([*attributes, f"label={_dot_text(label)}"])}];'


def _dot_move(move: Move) -> str:
    style = "" if move.sure else ", style=dashed"
    return f'"{move.source.name}" -> "{move.target.name}" [label={_dot_text(move.label)}{style}];'


def _dot_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def svg(dot_text: str) -> str:
    """``dot_text`` laid out as SVG by Graphviz's ``dot``; :class:`DiagramError` when it is
    not installed or fails."""
    program = shutil.which("dot")
    if program is None:
        raise DiagramError("Graphviz's dot program is not installed (Debian: apt-get install "
                           "graphviz); --format mermaid and --format dot need none")
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_text, capture_output=True,
                              text=True, timeout=DOT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DiagramError(f"Graphviz's dot failed: {error}") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise DiagramError(f"Graphviz's dot failed (exit {done.returncode}): {reason}")
    return done.stdout


def readme_block(table: Mapping[Step, StepSpec]) -> str:
    """The README's diagram of ``table``: the markers around a ```mermaid block."""
    return f"{START_MARKER}\n```mermaid\n{mermaid(table)}```\n{END_MARKER}"


def embedded_block(readme: str) -> str:
    """The diagram block ``readme`` holds, markers included; :class:`DiagramError` if none."""
    start, end = readme.find(START_MARKER), readme.find(END_MARKER)
    if start < 0 or end < start:
        raise DiagramError(f"no {START_MARKER} ... {END_MARKER} block to hold the diagram")
    return readme[start:end + len(END_MARKER)]


def readme_is_current(readme: str, table: Mapping[Step, StepSpec]) -> bool:
    """Whether the diagram ``readme`` embeds is the one ``table`` draws."""
    return embedded_block(readme) == readme_block(table)


def with_current_diagram(readme: str, table: Mapping[Step, StepSpec]) -> str:
    """``readme`` with its diagram block replaced by the one ``table`` draws."""
    return readme.replace(embedded_block(readme), readme_block(table), 1)
