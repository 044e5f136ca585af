"""``ivr flow diagram``: the call flow to stdout or a file, in each format, and into the README;
without Graphviz, SVG fails in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from flows.table import STEPS
from ivr.cli import main
from ivr.sim.diagram import END_MARKER, START_MARKER, dot, mermaid, readme_block

IVR = Path(sys.executable).parent / "ivr"


def test_the_default_is_mermaid_on_stdout() -> None:
    result = CliRunner().invoke(main, ["flow", "diagram"])
    assert result.exit_code == 0, result.output
    assert result.stdout == mermaid(STEPS)


def test_output_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "flow.dot"
    result = CliRunner().invoke(main, ["flow", "diagram", "--format", "dot",
                                       "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == dot(STEPS)
    assert result.stdout == ""
    assert result.stderr == f"Wrote the call flow (dot) to {target}\n"


def test_svg_output_is_an_svg_document_naming_every_step(tmp_path: Path) -> None:
    target = tmp_path / "flow.svg"
    result = CliRunner().invoke(main, ["flow", "diagram", "--format", "svg", "-o", str(target)])
    assert result.exit_code == 0, result.output
    document = ET.parse(target).getroot()
    assert document.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {title.text for title in document.iter("{http://www.w3.org/2000/svg}title")}
    assert {step.name for step in STEPS} <= titles


def test_svg_without_dot_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    # The real script, with a PATH that has no Graphviz on it.
    env = {**os.environ, "PATH": str(tmp_path)}
    env.pop("IVR_LOG_FILE", None)
    target = tmp_path / "flow.svg"
    done = subprocess.run([str(IVR), "flow", "diagram", "--format", "svg", "-o", str(target)],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: Graphviz's dot program is not installed")
    assert not target.exists()


def test_an_unwritable_output_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "flow.md"
    result = CliRunner().invoke(main, ["flow", "diagram", "--output", str(missing)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1


def test_readme_rewrites_only_the_diagram_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Line\n\n{START_MARKER}\n```mermaid\nflowchart TD\n```\n{END_MARKER}\n"
                      "## After\n")
    result = CliRunner().invoke(main, ["flow", "diagram", "--readme", str(readme)])
    assert result.exit_code == 0, result.output
    assert readme.read_text() == f"# Line\n\n{readme_block(STEPS)}\n## After\n"


def test_readme_without_markers_fails_and_leaves_the_file(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Line\n")
    result = CliRunner().invoke(main, ["flow", "diagram", "--readme", str(readme)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no <!-- flow-diagram:start -->")
    assert readme.read_text() == "# Line\n"


def test_readme_takes_no_format_or_output(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{START_MARKER}\n{END_MARKER}\n")
    result = CliRunner().invoke(main, ["flow", "diagram", "--readme", str(readme),
                                       "--format", "svg"])
    assert result.exit_code == 2
    assert "--readme writes the Mermaid diagram into FILE" in result.stderr
    assert readme.read_text() == f"{START_MARKER}\n{END_MARKER}\n"
