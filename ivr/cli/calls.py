"""``ivr calls ...``: the call log, read as a transcript, replayed and pruned. Thin wrappers.

The group is open to more commands on the call log: ``calls_cli.add_command(command)``.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from ivr.cli.audit import audited, fail
from ivr.cli.calls_replay import replay_command
from ivr.config import RANGES, settings_of
from ivr.db import db
from ivr.ops.call_log import find_call, prune_call_log
from ivr.ops.call_transcript import transcript_json, transcript_text

calls_cli = AppGroup("calls", help="The call log: every answered turn of every call.")
calls_cli.add_command(replay_command)
FORMATS = ("text", "json")
_MOST_DAYS = RANGES["IVR_CALL_LOG_DAYS"][1]


@calls_cli.command("show")
@click.argument("call_sid", metavar="CALLSID")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="A transcript to read, or JSON for a program.")
@audited
def calls_show_command(call_sid: str, fmt: str) -> str:
    """Print call CALLSID, turn by turn, from the call log."""
    with db.transaction() as session:
        logged = find_call(session, call_sid)
    if logged is None:
        fail(f"no call {call_sid[:64]}")
    home = settings_of(current_app).language
    if fmt == "json":
        click.echo(json.dumps(transcript_json(logged, home), indent=2, ensure_ascii=False))
    else:
        click.echo(transcript_text(logged, home))
    return f"call {logged.call.call_sid}: {len(logged.turns)} turns shown as {fmt}"


@calls_cli.command("prune")
@click.option("--older-than", "days", type=click.IntRange(0, _MOST_DAYS), metavar="DAYS",
              help="Delete turns logged more than DAYS days ago (default: IVR_CALL_LOG_DAYS; "
                   "0 empties the call log).")
@audited
def calls_prune_command(days: int | None) -> str:
    """Delete turns older than the retention.

    Turns logged more than IVR_CALL_LOG_DAYS days ago (or DAYS) go, a few hundred per
    transaction; the calls themselves stay. Server workers also do this every few minutes.
    """
    if days is None:
        days = settings_of(current_app).call_log_days
    deleted = prune_call_log(db.sessions(), days)
    message = f"Deleted {deleted} call log {'turn' if deleted == 1 else 'turns'} " \
              f"older than {days} {'day' if days == 1 else 'days'}"
    click.echo(message)
    return message
