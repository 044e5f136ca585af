"""The ``ivr`` command: thin Click wrappers over plain functions.

The top layer: it may import everything else in ``ivr`` and nothing imports it but the
checkout's ``app.py`` (which attaches the same commands to ``flask --app app``).
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.exc import OperationalError

from ivr.app import create_app
from ivr.cli.audit import CommandFailed
from ivr.cli.call import call_command
from ivr.cli.callbacks import callbacks_cli
from ivr.cli.calls import calls_cli
from ivr.cli.disputes import disputes_cli
from ivr.cli.flow import flow_cli
from ivr.cli.load import load_command
from ivr.cli.ops import accounts_cli, audit_cli, db_cli, serve_command, sms_cli
from ivr.cli.payments import payments_cli
from ivr.cli.phone import phone_command
from ivr.cli.verbosity import VERBOSE
from ivr.errors import ConfigError
from ivr.logs import configure_logging, logging_restorer

# The name ``pip`` knows this project by; ``ivr --version`` reads its version from there.
DISTRIBUTION = "ivr-paybyphone"
log = logging.getLogger(__name__)


def _commands() -> list[click.Command]:
    return [db_cli, serve_command, call_command, accounts_cli, payments_cli, sms_cli, audit_cli,
            disputes_cli, callbacks_cli, calls_cli, flow_cli, load_command, phone_command]


def register_cli(app: Flask) -> None:
    """Attach every command to ``app.cli`` (for ``flask --app app ...``)."""
    for command in _commands():
        app.cli.add_command(command)


def _create_app() -> Flask:
    try:
        return create_app()
    except ConfigError as error:
        raise CommandFailed(str(error)) from None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else "no details"


class OperatorGroup(click.Group):
    """A command group whose failures are one line on stderr and a non-zero exit.

    An unreachable database says so; anything unexpected is named by type and first line,
    its traceback going to the log (``ivr -v`` or ``IVR_LOG_FILE``), never mixed in.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, turning failures into one-line click errors."""
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            reason = _first_line(error.orig) if error.orig else "unknown error"
            raise CommandFailed(f"cannot use the database: {reason}") from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            log.exception("ivr %s failed", ctx.invoked_subcommand)
            raise CommandFailed(
                f"unexpected {type(error).__name__}: {_first_line(error)}") from None


@click.group(cls=OperatorGroup,
             help="Operate the telephone bill-payment line. Settings come from IVR_* and "
                  "TWILIO_* environment variables (see README).")
@click.version_option(package_name=DISTRIBUTION, prog_name="ivr",
                      message="%(prog)s %(version)s")
@click.option("-v", "--verbose", is_flag=True,
              help="Also write log lines to standard error (otherwise only to IVR_LOG_FILE).")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Entry point of the ``ivr`` console script."""
    ctx.meta[VERBOSE] = verbose
    # Logging is process-wide: put it back once the command is done (matters when embedded).
    ctx.call_on_close(logging_restorer())
    configure_logging(console=verbose)
    # Commands are Flask AppGroup commands: they find the app through this ScriptInfo.
    ctx.obj = ScriptInfo(create_app=_create_app, set_debug_flag=False)


for _command in _commands():
    main.add_command(_command)
