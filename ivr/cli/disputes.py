"""``ivr disputes ...``: export the cases callers opened, and close one. Thin wrappers."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ivr.cli.audit import audited, fail
from ivr.cli.options import export, format_option, output_option
from ivr.db import db
from ivr.ops.dispute_cases import ALREADY_CLOSED, close_case, export_disputes_csv

disputes_cli = AppGroup("disputes", help="Charges callers questioned (dispute cases).")


@disputes_cli.command("export")
@format_option
@output_option
@audited
def disputes_export_command(fmt: str, output: Path | None) -> str:
    """Export every dispute case with its recording, oldest first."""
    return export(export_disputes_csv, output, "cases")


@disputes_cli.command("close")
@click.argument("case_number", metavar="CASE")
@audited
def disputes_close_command(case_number: str) -> str:
    """Close dispute case CASE (its 8-digit number)."""
    with db.transaction() as session:
        outcome = close_case(session, case_number)
    if outcome is None:
        fail(f"no dispute case {case_number}")
    message = (f"Case {case_number} was already closed" if outcome == ALREADY_CLOSED
               else f"Closed case {case_number}")
    click.echo(message)
    return message
