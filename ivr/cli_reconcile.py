"""``ivr payments reconcile``: a thin wrapper over :func:`ivr.reconcile.reconcile_unknown`."""

from __future__ import annotations

import click
from flask import current_app

from ivr.cli_audit import audited
from ivr.cli_ops import payments_cli
from ivr.reconcile import reconcile_unknown


@payments_cli.command("reconcile")
@audited
def payments_reconcile_command() -> str:
    """Find out what happened to payments whose gateway answer was lost, and text the payer."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    summary = reconcile_unknown(app, app.extensions["ivr_gateway"])
    line = (f"Approved {summary.approved}, declined {summary.declined}, "
            f"pending bank debits {summary.pending}, still unknown {summary.still_unknown}")
    click.echo(line)
    return line
