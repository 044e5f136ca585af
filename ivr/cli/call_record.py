"""``ivr call --record FILE.yaml``: keep an interactive call as a script (ivr.sim.recorder)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import Flask

from ivr.cli.audit import CommandFailed
from ivr.config import has_settings, settings_of
from ivr.errors import ScriptError
from ivr.sim.recorder import RecordingCaller, recorded_script
from ivr.sim.script_write import refuse_existing, save_script
from ivr.sim.transport import Transport

record_option = click.option(
    "--record", "record_path", type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.yaml",
    help="Interactive only: save the call as a script in FILE.yaml (what was heard as "
         "checks, secrets as demo values). An existing file is kept unless --force.")
force_option = click.option("--force", is_flag=True, help="With --record: overwrite FILE.yaml.")


class RecordRefused(CommandFailed):
    """--record asked for with options it cannot go with: one line, exit status 2."""

    exit_code = 2


def check_record_options(record_path: Path | None, force: bool, scripted: bool) -> None:
    """Refuse, before any call is placed, what --record cannot do."""
    if record_path is None:
        if force:
            raise RecordRefused("--force is for --record")
        return
    if scripted:
        raise RecordRefused("--record saves an interactive call; it cannot go with --script")
    try:
        refuse_existing(record_path, force=force)
    except ScriptError as error:
        raise CommandFailed(str(error)) from None


def save_recording(recorder: RecordingCaller, path: Path, target: Flask | Transport, *,
                   force: bool, from_number: str, to_number: str) -> None:
    """Write the recorded call to ``path`` and say so."""
    in_process = isinstance(target, Flask) and has_settings(target)
    today = settings_of(target).local_date() if isinstance(target, Flask) and in_process \
        else date.today()
    try:
        text = recorded_script(recorder, name=path.stem, from_number=from_number,
                               to_number=to_number, today=today, in_process=in_process)
        save_script(path, text, force=force)
    except ScriptError as error:
        raise CommandFailed(str(error)) from None
    click.echo(f"saved the call as {path} ({len(recorder.moves)} caller actions)")
