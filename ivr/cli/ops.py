"""Operator commands: db, serve, accounts, sms, audit. Thin wrappers over ivr modules.

The ``payments`` commands are in :mod:`ivr.cli.payments`; they share the helpers here.

Every command but ``serve`` is :func:`~ivr.cli.audit.audited`: each run leaves one audit event.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ivr.cli.audit import audited, fail
from ivr.cli.options import export, format_option, output_option, parse_date
from ivr.cli.progress import TerminalProgress
from ivr.cli.verbosity import verbose
from ivr.config import settings_of
from ivr.db import db
from ivr.errors import ConfigError, ImportRowError
from ivr.logs import configure_logging, logging_restorer
from ivr.ops.accounts_import import import_accounts
from ivr.ops.cpus import MAX_WORKERS, default_workers
from ivr.ops.exports import export_accounts_csv, export_audit_csv, export_sms_csv
from ivr.ops.migrate import upgrade
from ivr.ops.server import serve
from ivr.security.audit import UNLOCKED, unlock_account
from ivr.security.pins import PinHasher
from ivr.sms.backends import make_sms_backend
from ivr.sms.outbox import drain_outbox

db_cli = AppGroup("db", help="Create or migrate the schema.")
accounts_cli = AppGroup("accounts", help="Manage accounts.")
sms_cli = AppGroup("sms", help="The outbox of text messages.")
audit_cli = AppGroup("audit", help="The audit trail of security-relevant events.")


@db_cli.command("upgrade")
@audited
def db_upgrade_command() -> str:
    """Create the schema or migrate it to the latest version."""
    # Imported here: importing Alembic logs its plugin setup, noise for every other command.

    upgrade(db.engine())
    click.echo("Database schema is up to date.")
    return "schema up to date"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=default_workers, type=click.IntRange(1, MAX_WORKERS),
              show_default="one per CPU this process may use",
              help="Gunicorn worker processes (each runs 4 threads).")
@click.option("--no-demo", is_flag=True,
              help="Do not load demo accounts into an empty database (never loaded when "
                   "IVR_ENV=production).")
@with_appcontext
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int, no_demo: bool) -> None:
    """Migrate the database and serve the line with gunicorn."""

    # A server's log is its output: on stderr, unless IVR_LOG_FILE takes it (and no -v).
    ctx.call_on_close(logging_restorer())
    configure_logging(console=verbose(ctx) or not settings_of(current_app).log_file)
    try:
        serve(current_app._get_current_object(), host=host, port=port,  # type: ignore[attr-defined]
              workers=workers, load_demo_data=not no_demo)
    except ConfigError as exc:
        fail(str(exc))


@accounts_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@audited
def accounts_import_command(file: Path) -> str:
    """Create or update accounts from a CSV file; one bad row imports nothing.

    On a terminal, a progress bar on standard error shows each of the two readings.
    """
    settings = settings_of(current_app)
    try:
        with db.transaction() as session:
            summary = import_accounts(session, file, PinHasher.from_settings(settings),
                                      settings.language, progress=TerminalProgress())
    except (ImportRowError, OSError) as exc:
        fail(f"{file}: {exc.strerror if isinstance(exc, OSError) else exc}")
    except UnicodeDecodeError:
        fail(f"{file}: not a UTF-8 text file")
    noun = "account" if summary.total == 1 else "accounts"
    counts = (f"{summary.total} {noun} ({summary.created} created, {summary.updated} updated, "
              f"{summary.unchanged} unchanged)")
    click.echo(f"Imported {counts} from {file}")
    return f"{counts} from {file}"


@accounts_cli.command("unlock")
@click.argument("account_number")
@audited
def accounts_unlock_command(account_number: str) -> str:
    """Lift an account's PIN lockout and reset its failed-PIN count."""
    with db.transaction() as session:
        outcome = unlock_account(session, account_number)
    if outcome is None:
        fail(f"no account {account_number}")
    ending = account_number[-4:]
    message = (f"Unlocked account ending {ending}" if outcome == UNLOCKED
               else f"Account ending {ending} was not locked")
    click.echo(message)
    return message


@accounts_cli.command("export")
@format_option
@output_option
@audited
def accounts_export_command(fmt: str, output: Path | None) -> str:
    """Export every account with its AutoPay and saved methods (never a PIN)."""
    return export(export_accounts_csv, output, "accounts")


@sms_cli.command("export")
@format_option
@output_option
@audited
def sms_export_command(fmt: str, output: Path | None) -> str:
    """Export the text-message outbox, oldest first."""
    return export(export_sms_csv, output, "messages")


@sms_cli.command("send")
@audited
def sms_send_command() -> str:
    """Send the due messages in the outbox once, with the configured backend."""

    try:
        backend = make_sms_backend(settings_of(current_app))
    except ConfigError as exc:
        fail(str(exc))
    result = drain_outbox(db.sessions(current_app), backend)
    message = f"Sent {result.sent}, failed {result.failed}, will retry {result.retried}"
    click.echo(message)
    return message


@audit_cli.command("export")
@format_option
@output_option
@click.option("--since", callback=parse_date, metavar="YYYY-MM-DD",
              help="Only events from this day on (from midnight UTC).")
@audited
def audit_export_command(fmt: str, output: Path | None, since: date | None) -> str:
    """Export the audit trail, oldest first (never a PIN or card data)."""
    summary = export(functools.partial(export_audit_csv, since=since), output, "events")
    return f"{summary} since {since.isoformat()}" if since else summary
