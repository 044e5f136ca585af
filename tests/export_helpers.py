"""Running a CSV export and reading it back, for the export tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from ivr.db import db
from ivr.ops.exports import ACCOUNT_COLUMNS, AUDIT_COLUMNS, PAYMENT_COLUMNS, SMS_COLUMNS

Exporter = Callable[[Session, io.StringIO], int]


def export(app: Flask, exporter: Exporter,
           header: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """Run an exporter and parse its output back with the csv module.

    The count it returns is the rows written, and the header is ``header`` or, when not
    given, one of the exports' own.
    """
    out = io.StringIO()
    with db.transaction(app) as session:
        count = exporter(session, out)
    reader = csv.DictReader(io.StringIO(out.getvalue()))
    rows = list(reader)
    assert count == len(rows)
    headers = [header] if header else [PAYMENT_COLUMNS, SMS_COLUMNS, ACCOUNT_COLUMNS, AUDIT_COLUMNS]
    assert tuple(reader.fieldnames or ()) in headers
    return rows
