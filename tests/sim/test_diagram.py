"""The call flow drawn from the step table: Mermaid, DOT and SVG hold every step and every
transition, labelled; the README's diagram is the one the table draws today."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from flows.graph import moves
from flows.spec import Menu, Option, StepSpec
from flows.state import Step
from flows.table import CANCELLABLE_STEPS, START_STEPS, STEPS, TRANSITIONS
from ivr.errors import DiagramError
from ivr.sim.diagram import (
    END_MARKER,
    REGENERATE,
    START_MARKER,
    START_NODE,
    dot,
    embedded_block,
    mermaid,
    readme_block,
    readme_is_current,
    render,
    svg,
    with_current_diagram,
)
from tests.import_graph import ROOT

S = Step
SVG = "{http://www.w3.org/2000/svg}"
MERMAID_EDGE = re.compile(r'^ {4}(\w+) (-->|-\.->|==>)(?:\|"([^"]*)"\|)? (\w+)$')
MERMAID_NODE = re.compile(r'^ {4}(\w+)(\W+)"([^"]*)"(\W+)$')


def mermaid_edges(text: str) -> list[tuple[str, str, str, str]]:
    """(source, arrow, label, target) of every edge line of a Mermaid flowchart."""
    found = [MERMAID_EDGE.match(line) for line in text.splitlines()]
    return [(m[1], m[2], m[3] or "", m[4]) for m in found if m]


def mermaid_nodes(text: str) -> dict[str, tuple[str, str]]:
    """Node id: (opening bracket, label) of every node line of a Mermaid flowchart."""
    found = [MERMAID_NODE.match(line) for line in text.splitlines()]
    return {m[1]: (m[2], m[3]) for m in found if m}


def with_main_menu_option(table: dict[Step, StepSpec], old: str, new: str) -> dict[Step,
                                                                                  StepSpec]:
    """``table`` with the main menu's option ``old`` given key ``new``."""
    spec = table[S.MAIN_MENU]
    assert isinstance(spec, Menu)
    options = tuple(replace(o, key=new) if isinstance(o, Option) and o.key == old else o
                    for o in spec.options)
    return {**table, S.MAIN_MENU: replace(spec, options=options)}


def test_mermaid_has_a_node_per_step_shaped_by_kind() -> None:
    drawn = mermaid(STEPS)
    assert drawn.startswith("flowchart TD\n")
    found = mermaid_nodes(drawn)
    assert set(found) == {step.name for step in STEPS} | {START_NODE}
    assert found["MAIN_MENU"] == ("[", "MAIN_MENU")
    assert found["PIN"][0] == "[/"
    assert found["AGENT"][0] == found["ENDED"][0] == "((("
    assert found["CARD_CAPTURE"][0] == "[["
    assert found["DISPUTE_RECORD"][0] == "[("


def test_mermaid_has_an_edge_per_transition() -> None:
    drawn = {(source, target) for source, _, _, target in mermaid_edges(mermaid(STEPS))
             if source != START_NODE}
    declared = {(step.name, target.name) for step, targets in TRANSITIONS.items()
                for target in targets}
    assert drawn == declared
    assert len(mermaid_edges(mermaid(STEPS))) == len(moves(STEPS)) + len(START_STEPS)


def test_mermaid_labels_keys_and_dashes_what_an_action_decides() -> None:
    edges = mermaid_edges(mermaid(STEPS))
    assert ("MAIN_MENU", "-->", "4", "MANAGE") in edges
    assert ("PAY_NOW", "-.->", "1, 2, 3..n+2 each now_with_saved, n+3", "PAY_CHOICE") in edges
    assert ("PIN", "-.->", "entry", "PAY_NOW") in edges
    assert ("CARD_CAPTURE", "-.->", "pay result", "PAY_CONFIRM") in edges
    assert ("DISPUTE_RECORD", "-.->", "recorded", "DISPUTE_DONE") in edges


def test_mermaid_marks_the_start_steps_and_the_cancellable_ones() -> None:
    drawn = mermaid(STEPS)
    starts = {target for source, arrow, _, target in mermaid_edges(drawn) if source == START_NODE}
    assert starts == {step.name for step in START_STEPS}
    classed = re.search(r"^ {4}class (\S+) cancellable$", drawn, re.MULTILINE)
    assert classed is not None
    assert set(classed[1].split(",")) == {step.name for step in CANCELLABLE_STEPS}
    labels = mermaid_nodes(drawn)
    assert all("* cancels the payment" in labels[step.name][1] for step in CANCELLABLE_STEPS)
    assert "cancels" not in labels["PIN"][1]
    assert ("CARD_NUMBER", "-->", "* cancel", "MAIN_MENU") in mermaid_edges(drawn)


def test_a_quote_in_a_label_cannot_end_it() -> None:
    table = with_main_menu_option(dict(STEPS), "4", '"')
    assert '-->|"#quot;"| MANAGE' in mermaid(table)
    assert '[label="\\""]' in dot(table)


def test_dot_lays_out_as_svg_with_a_node_per_step_and_an_edge_per_move() -> None:
    document = ET.fromstring(svg(dot(STEPS)))
    titles = [g.findtext(f"{SVG}title", "") for g in document.iter(f"{SVG}g")
              if g.get("class") == "node"]
    assert sorted(titles) == sorted([step.name for step in STEPS] + [START_NODE])
    edges = [g for g in document.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == len(moves(STEPS)) + len(START_STEPS)
    texts = {text.text for text in document.iter(f"{SVG}text")}
    assert {"4", "* cancel", "pay result", "* cancels the payment"} <= texts


def test_dot_dashes_what_an_action_decides_and_outlines_cancellable_entries() -> None:
    drawn = dot(STEPS)
    assert '"MAIN_MENU" -> "MANAGE" [label="4"];' in drawn
    assert '"PIN" -> "PAY_NOW" [label="entry", style=dashed];' in drawn
    assert re.search(r'"CARD_NUMBER" \[shape=parallelogram, color="#\w+", penwidth=[\d.]+, '
                     r'label="CARD_NUMBER\\n\* cancels the payment"\];', drawn)
    assert '"ENDED" [shape=doublecircle, label="ENDED"];' in drawn


def test_svg_without_dot_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DiagramError) as failure:
        svg(dot(STEPS))
    assert "dot program is not installed" in str(failure.value)
    assert "\n" not in str(failure.value)


def test_render_knows_each_format() -> None:
    assert render(STEPS, "mermaid") == mermaid(STEPS)
    assert render(STEPS, "dot") == dot(STEPS)
    assert render(STEPS, "svg").lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="no diagram format 'png'"):
        render(STEPS, "png")


def test_the_readme_shows_the_diagram_the_table_draws() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme_is_current(readme, STEPS), \
        f"README.md's call flow diagram is stale: run `{REGENERATE}`"


def test_a_changed_option_makes_the_readmes_diagram_stale() -> None:
    readme = (ROOT / "README.md").read_text()
    changed = with_main_menu_option(dict(STEPS), "4", "6")
    assert not readme_is_current(readme, changed)
    assert readme_is_current(with_current_diagram(readme, changed), changed)


def test_rewriting_the_block_keeps_the_rest_of_the_readme() -> None:
    readme = f"# Title\n\nbefore\n{START_MARKER}\nold\n{END_MARKER}\nafter\n"
    rewritten = with_current_diagram(readme, STEPS)
    assert rewritten == f"# Title\n\nbefore\n{readme_block(STEPS)}\nafter\n"
    assert embedded_block(rewritten) == readme_block(STEPS)
    assert readme_block(STEPS).startswith(f"{START_MARKER}\n```mermaid\nflowchart TD\n")


@pytest.mark.parametrize("text", ["no markers", f"{END_MARKER}\n{START_MARKER}",
                                  f"{START_MARKER} only"])
def test_a_readme_without_the_markers_is_refused(text: str) -> None:
    with pytest.raises(DiagramError, match="no <!-- flow-diagram:start -->"):
        readme_is_current(text, STEPS)
