"""``ivr payments ...``: export, run-scheduled, settle, reconcile and resolve. Thin wrappers.

Each is :func:`~ivr.cli.audit.audited` and safe to run on several machines at once.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ivr.cli.audit import audited, fail
from ivr.cli.options import export, format_option, output_option, parse_date
from ivr.config import settings_of
from ivr.db import SessionFactory, db
from ivr.ops.exports import export_payments_csv
from ivr.payments.gateways.base import PaymentGateway
from ivr.payments.reconcile import reconcile, resolve_by_hand
from ivr.payments.scheduled import run_scheduled
from ivr.payments.settlement import settle_pending
from ivr.ports.database import gateway_of

payments_cli = AppGroup("payments", help="Payments taken on the line.")


def _sessions_and_gateway() -> tuple[SessionFactory, PaymentGateway]:
    """The running app's session factory and the gateway it was configured with."""
    return db.sessions(current_app), gateway_of(current_app)


@payments_cli.command("export")
@format_option
@output_option
@audited
def payments_export_command(fmt: str, output: Path | None) -> str:
    """Export every payment, oldest first."""
    return export(export_payments_csv, output, "payments")


@payments_cli.command("settle")
@audited
def payments_settle_command() -> str:
    """Ask the gateway about pending bank debits, and settled ones that may still come back;
    record settlements and returns."""

    message = settle_pending(*_sessions_and_gateway()).line()
    click.echo(message)
    return message


@payments_cli.command("run-scheduled")
@click.option("--date", "run_date", callback=parse_date, metavar="YYYY-MM-DD",
              help="Charge what was due on this date, today or a missed day before it "
                   "(default: today in IVR_TIMEZONE).")
@audited
def payments_run_scheduled_command(run_date: date | None) -> str:
    """Charge due scheduled payments and AutoPay once each, even from several machines."""

    today = settings_of(current_app).local_date()
    if run_date is not None and run_date > today:
        # A payment is never taken before its date: a bank debit authorised "on or after"
        # a day must not go out sooner, nor AutoPay before the due date it was agreed for.
        fail(f"--date {run_date.isoformat()} is after today ({today.isoformat()} in "
             "IVR_TIMEZONE): nothing is charged before its date")
    day = run_date or today
    settings = settings_of(current_app)
    summary = run_scheduled(*_sessions_and_gateway(), day, zone=settings.zone,
                            fee=settings.convenience_fee)
    message = (f"Approved {summary.approved}, declined {summary.declined}, "
               f"pending bank debits {summary.pending}, outcome unknown {summary.unknown}, "
               f"skipped {summary.skipped}")
    if summary.errors:
        fail(f"{message}; {summary.errors} could not be processed (see the log)")
    click.echo(message)
    return f"{day.isoformat()}: {message}"


@payments_cli.command("reconcile")
@audited
def payments_reconcile_command() -> str:
    """Look up payments whose outcome is in doubt at the gateway; record it; text the payer."""

    summary = reconcile(*_sessions_and_gateway())
    click.echo(summary.line())
    return summary.line()


@payments_cli.command("resolve")
@click.argument("idempotency_key")
@click.option("--charged", "reference", metavar="REFERENCE",
              help="The processor charged it: its reference for the charge.")
@click.option("--not-charged", is_flag=True, help="The processor has no such charge.")
@audited
def payments_resolve_command(idempotency_key: str, reference: str | None,
                             not_charged: bool) -> str:
    """Record what you found at the processor for a payment reconcile cannot look up."""

    if bool(reference) == not_charged:
        fail("say either --charged REFERENCE or --not-charged")
    try:
        status = resolve_by_hand(db.sessions(current_app), idempotency_key, reference)
    except LookupError as error:
        fail(str(error))
    message = f"Payment {idempotency_key} is now {status}"
    click.echo(message)
    return message
