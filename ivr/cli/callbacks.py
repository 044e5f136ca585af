"""``ivr callbacks ...``: callers' requests to be called back by an agent. Thin wrappers."""

from __future__ import annotations

import functools
from pathlib import Path

import click
from flask.cli import AppGroup

from ivr.cli.audit import audited, fail
from ivr.cli.options import export, format_option, output_option
from ivr.db import db
from ivr.ops.callbacks import export_callbacks_csv, mark_done
from models.callback import STATUSES

callbacks_cli = AppGroup("callbacks", help="Callers' requests to be called back by an agent.")


@callbacks_cli.command("export")
@format_option
@output_option
@click.option("--status", type=click.Choice(STATUSES), default=None,
              help="Only requests with this status (default: all).")
@audited
def callbacks_export_command(fmt: str, output: Path | None, status: str | None) -> str:
    """Export the callback requests, oldest first."""
    summary = export(functools.partial(export_callbacks_csv, status=status), output,
                     "callback requests")
    return f"{summary} ({status})" if status else summary


@callbacks_cli.command("done")
@click.argument("call_sid")
@audited
def callbacks_done_command(call_sid: str) -> str:
    """Mark the callback request left on call CALL_SID as called back."""
    with db.transaction() as session:
        outcome = mark_done(session, call_sid)
    if outcome is None:
        fail(f"no callback request from call {call_sid}")
    message = (f"Callback request from call {call_sid} marked done" if outcome
               else f"Callback request from call {call_sid} was already done")
    click.echo(message)
    return message
