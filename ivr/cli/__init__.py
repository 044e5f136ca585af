"""The ``ivr`` command: thin Click wrappers over plain functions.

``ivr`` and ``flask --app app`` expose the same commands.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.exc import OperationalError

from ivr.errors import ConfigError


def _commands() -> list[click.Command]:
    from ivr.cli.call import call_command
    from ivr.cli.ops import accounts_cli, audit_cli, db_cli, serve_command, sms_cli
    from ivr.cli.payments import payments_cli

    return [db_cli, serve_command, call_command, accounts_cli, payments_cli, sms_cli, audit_cli]


def register_cli(app: Flask) -> None:
    """Attach every command to ``app.cli`` (for ``flask --app app ...``)."""
    for command in _commands():
        app.cli.add_command(command)


def _create_app() -> Flask:
    from ivr.app import create_app

    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


class OperatorGroup(click.Group):
    """A command group that reports an unreachable database as one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, turning database connection failures into a click error."""
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
            raise click.ClickException(f"cannot use the database: {reason}") from None


@click.group(cls=OperatorGroup,
             help="Operate the telephone bill-payment line. Settings come from IVR_* and "
                  "TWILIO_* environment variables (see README).")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Entry point of the ``ivr`` console script."""
    # Commands are Flask AppGroup commands: they find the app through this ScriptInfo.
    ctx.obj = ScriptInfo(create_app=_create_app, set_debug_flag=False)


for _command in _commands():
    main.add_command(_command)
