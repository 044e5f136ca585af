"""``ivr calls replay CALLSID``: play a logged call again against the current code.

A thin wrapper over :mod:`ivr.sim.replay.run`; registered in the ``ivr calls`` group.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.cli.audit import audited, fail
from ivr.errors import CallNotLogged, ScriptError
from ivr.sim.replay.run import ReplayResult, replay_call, report_lines
from ivr.sim.script_write import refuse_existing, save_script


class ReplayDiffers(click.ClickException):
    """The current code answered the call otherwise: the report says how; exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        """Nothing more: the report, already printed, is the explanation."""


@click.command("replay")
@click.argument("call_sid", metavar="CALLSID")
@click.option("--show-script", is_flag=True,
              help="Print the script the call was replayed with, before the report.")
@click.option("--save", "save_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.yaml", help="Save that script to FILE.yaml, a regression test "
                                        "for ivr call --script (kept if it exists).")
@click.option("--force", is_flag=True, help="With --save: overwrite FILE.yaml.")
@with_appcontext
@audited
def replay_command(call_sid: str, show_script: bool, save_path: Path | None,
                   force: bool) -> str:
    """Replay call CALLSID from the call log against the current code, on a fresh copy
    of the demo data (secrets it logged masked are keyed as demo values of their kind),
    and report the first turn answered differently. Exits 1 when one is."""
    try:
        if save_path is not None:
            refuse_existing(save_path, force=force)
        result = replay_call(current_app, call_sid)
        if save_path is not None:
            save_script(save_path, result.script, force=force)
    except (CallNotLogged, ScriptError) as error:
        fail(str(error))
    if show_script:
        click.echo(result.script, nl=False)
    for line in report_lines(result):
        click.echo(line)
    if save_path is not None:
        click.echo(f"saved the script as {save_path}")
    if not result.same:
        raise ReplayDiffers(_summary(call_sid, result))
    return _summary(call_sid, result)


def _summary(call_sid: str, result: ReplayResult) -> str:
    """One line for the audit trail."""
    if result.difference is not None:
        return f"call {call_sid}: turn {result.difference.number} answers differently"
    if result.failure is not None:
        return f"call {call_sid}: the replay failed"
    return f"call {call_sid}: {len(result.recorded)} turns answered the same"

