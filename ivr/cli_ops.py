"""Operator commands: db, serve, accounts, payments, sms. Thin wrappers over ivr modules."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import NoReturn, TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from ivr.accounts_import import ImportRowError, import_accounts
from ivr.config import ConfigError
from ivr.db import db
from ivr.exports import export_accounts_csv, export_payments_csv, export_sms_csv
from ivr.gateways import PaymentGateway

db_cli = AppGroup("db", help="Create or migrate the schema.")
accounts_cli = AppGroup("accounts", help="Manage accounts.")
payments_cli = AppGroup("payments", help="Payments taken on the line.")
sms_cli = AppGroup("sms", help="The outbox of text messages.")


def _fail(message: str) -> NoReturn:
    """Print one ``error:`` line to stderr and exit with status 1 (no traceback)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


@db_cli.command("upgrade")
def db_upgrade_command() -> None:
    """Create the schema or migrate it to the latest version."""
    # Imported here: importing Alembic logs its plugin setup, noise for every other command.
    from ivr.migrate import upgrade

    upgrade(db.engine())
    click.echo("Database schema is up to date.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Gunicorn worker processes (each runs 4 threads).")
@click.option("--no-demo", is_flag=True, help="Do not load demo accounts into an empty database.")
@with_appcontext
def serve_command(host: str, port: int, workers: int, no_demo: bool) -> None:
    """Migrate the database and serve the line with gunicorn."""
    from ivr.server import serve

    try:
        serve(current_app._get_current_object(), host=host, port=port,  # type: ignore[attr-defined]
              workers=workers, load_demo_data=not no_demo)
    except ConfigError as exc:
        _fail(str(exc))


@accounts_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def accounts_import_command(file: Path) -> None:
    """Create or update accounts from a CSV file; one bad row imports nothing."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as f, db.transaction() as session:
            summary = import_accounts(session, f)
    except (ImportRowError, OSError) as exc:
        _fail(f"{file}: {exc.strerror if isinstance(exc, OSError) else exc}")
    except UnicodeDecodeError:
        _fail(f"{file}: not a UTF-8 text file")
    click.echo(f"Imported {summary.total} accounts ({summary.created} created, "
               f"{summary.updated} updated) from {file}")


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """Stdout, or a file that appears only once completely written."""
    if path is None:
        yield sys.stdout
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _export(writer: Callable[[Session, TextIO], int], output: Path | None, what: str) -> None:
    try:
        with _output(output) as out, db.transaction() as session:
            count = writer(session, out)
    except OSError as exc:
        _fail(f"{output}: {exc.strerror or exc}")
    if output is not None:
        click.echo(f"Exported {count} {what} to {output}", err=True)


_format_option = click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv",
                              show_default=True, help="Output format.")
_output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                              default=None, help="Write to FILE instead of standard output.")


@payments_cli.command("export")
@_format_option
@_output_option
def payments_export_command(fmt: str, output: Path | None) -> None:
    """Export every payment, oldest first."""
    _export(export_payments_csv, output, "payments")


@accounts_cli.command("export")
@_format_option
@_output_option
def accounts_export_command(fmt: str, output: Path | None) -> None:
    """Export every account with its AutoPay and saved methods (never a PIN)."""
    _export(export_accounts_csv, output, "accounts")


def _app_and_gateway() -> tuple[Flask, PaymentGateway]:
    """The running app and the gateway it was configured with."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app, app.extensions["ivr_gateway"]


@payments_cli.command("settle")
def payments_settle_command() -> None:
    """Ask the gateway about pending bank debits; record settlements and returns."""
    from ivr.settlement import settle_pending

    summary = settle_pending(*_app_and_gateway())
    click.echo(f"Settled {summary.settled}, returned {summary.returned}, "
               f"still pending {summary.still_pending}")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _BadDate(click.ClickException):
    """A malformed --date: one error line and exit status 2, like other usage errors."""

    exit_code = 2


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Parse --date as YYYY-MM-DD."""
    if value is None:
        return None
    # fromisoformat alone would also take "20261201"; operators' scripts should say one thing.
    if _ISO_DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    raise _BadDate(f'--date: "{value}" is not a date in the form YYYY-MM-DD')


@payments_cli.command("run-scheduled")
@click.option("--date", "run_date", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Charge what is due on this date (default: today in IVR_TIMEZONE).")
def payments_run_scheduled_command(run_date: date | None) -> None:
    """Charge due scheduled payments and AutoPay once each, even from several machines."""
    from ivr.scheduled import run_scheduled
    from ivr.services import flow_settings

    app, gateway = _app_and_gateway()
    summary = run_scheduled(app, gateway, run_date or flow_settings(app).today)
    click.echo(f"Approved {summary.approved}, declined {summary.declined}, "
               f"pending bank debits {summary.pending}, skipped {summary.skipped}")


@sms_cli.command("export")
@_format_option
@_output_option
def sms_export_command(fmt: str, output: Path | None) -> None:
    """Export the text-message outbox, oldest first."""
    _export(export_sms_csv, output, "messages")


@sms_cli.command("send")
def sms_send_command() -> None:
    """Send the due messages in the outbox once, with the configured backend."""
    from ivr.sms import drain_outbox, make_sms_backend

    try:
        backend = make_sms_backend(current_app.config)
    except ConfigError as exc:
        _fail(str(exc))
    result = drain_outbox(current_app._get_current_object(), backend)  # type: ignore[attr-defined]
    click.echo(f"Sent {result.sent}, failed {result.failed}, will retry {result.retried}")
