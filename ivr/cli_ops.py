"""Operator commands: db, serve, accounts, payments, sms. (Being written.)"""

import click
from flask.cli import AppGroup

db_cli = AppGroup("db", help="Create or migrate the schema.")
accounts_cli = AppGroup("accounts", help="Manage accounts.")
payments_cli = AppGroup("payments", help="Payments taken on the line.")
sms_cli = AppGroup("sms", help="The outbox of text messages.")


@click.command("serve")
def serve_command() -> None:
    """Serve the line with gunicorn."""
