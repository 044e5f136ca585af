"""``ivr flow ...``: the call flow as the step table declares it. Thin wrappers.

Needs no settings and no database: it reads :data:`flows.table.STEPS`, the table calls run.
"""

from __future__ import annotations

from pathlib import Path

import click

from flows.table import STEPS
from ivr.cli.audit import CommandFailed
from ivr.cli.options import output_option, output_to
from ivr.errors import DiagramError
from ivr.sim.diagram import FORMATS, render, with_current_diagram

flow_cli = click.Group("flow", help="The call flow, drawn from the step table calls run.")


@flow_cli.command("diagram")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid",
              show_default=True, help="Mermaid flowchart, Graphviz DOT, or SVG (needs "
                                      "Graphviz's dot program).")
@output_option
@click.option("--readme", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Instead, rewrite the Mermaid diagram between the flow-diagram markers "
                   "in FILE (README.md).")
def diagram_command(fmt: str, output: Path | None, readme: Path | None) -> None:
    """Draw every step and move of the call flow, moves labelled with their keys."""
    try:
        if readme is not None:
            if fmt != "mermaid" or output is not None:
                raise click.UsageError("--readme writes the Mermaid diagram into FILE: "
                                       "it takes no --format or --output")
            readme.write_text(with_current_diagram(readme.read_text(), STEPS))
            click.echo(f"Wrote the call flow diagram into {readme}", err=True)
            return
        text = render(STEPS, fmt)
        with output_to(output) as out:
            out.write(text)
        if output is not None:
            click.echo(f"Wrote the call flow ({fmt}) to {output}", err=True)
    except DiagramError as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"{error.filename or output}: {error.strerror or error}") from None
