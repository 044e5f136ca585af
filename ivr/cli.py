"""The ``ivr`` command: thin Click wrappers over plain functions.

``ivr`` and ``flask --app app`` expose the same commands.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def register_cli(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    from ivr.cli_call import call_command
    from ivr.cli_ops import accounts_cli, db_cli, payments_cli, serve_command, sms_cli

    for group in (db_cli, accounts_cli, payments_cli, sms_cli):
        app.cli.add_command(group)
    app.cli.add_command(serve_command)
    app.cli.add_command(call_command)


def _create_app() -> Flask:
    from app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                  help="Operate the telephone bill-payment line.")
