"""Operator commands: db, serve, accounts, payments, sms. Thin wrappers over ivr modules."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn, TextIO

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from ivr.accounts_import import ImportRowError, import_accounts
from ivr.config import ConfigError
from ivr.db import db
from ivr.exports import export_payments_csv, export_sms_csv

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
