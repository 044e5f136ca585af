"""review3: attacks on the written notice of a TEL debit and on what the ports accept.

Each test states what must hold; a failing one is a finding of the review.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from flows.ports import PaymentOrder, PaymentSource
from ivr import settings_values
from ivr.config import Settings, override_settings
from ivr.db import db
from ivr.ports.database import make_gateway, ports_for
from models import Account, Payment, SavedPaymentMethod
from tests.app_helpers import addressed_texts
from tests.authorize_net_helpers import LOGIN, SECRET

ALEX, CALLER = "30009012", "+16505550123"
SAID = "Today, ... To authorize this debit, press 1."


def debit(line: Flask, cents: int, notify: str | None = CALLER) -> PaymentOrder:
    """A debit today of Alex's checking account on file, authorised on the call."""
    with db.transaction(line) as session:
        account = session.scalars(select(Account).where(Account.account_number == ALEX)).one()
        method = session.scalars(select(SavedPaymentMethod).where(
            SavedPaymentMethod.account_id == account.id,
            SavedPaymentMethod.kind == "bank")).one()
        source = PaymentSource(kind="saved", label="checking", last4="6789",
                               saved_id=method.id, saved_kind="bank")
        return PaymentOrder(account_id=account.id, amount_cents=cents, fee_cents=0,
                            source=source, idempotency_key="CA1-1", call_sid="CA1",
                            notify_number=notify, scheduled_for=None,
                            authorization_text=SAID, authorization_key="1")


@pytest.fixture
def tel_line(demo_app: Flask) -> Flask:
    """The demo line, naming its biller and the number to call."""
    override_settings(demo_app, IVR_BILLER_NAME="Riverside Water",
                      IVR_BILLER_PHONE="+18005550199")
    return demo_app


def written(line: Flask) -> list[Payment]:
    with db.transaction(line) as session:
        found = list(session.scalars(select(Payment).where(Payment.call_sid.is_not(None))))
        session.expunge_all()
        return found


def test_a_debit_no_notice_can_reach_is_not_taken(tel_line: Flask) -> None:
    # NACHA: a single TEL entry needs a recording of the oral authorisation OR a written
    # notice before settlement. The line records nothing; with the caller ID withheld and no
    # phone on the account, the notice goes nowhere - and the debit is still written.
    with db.transaction(tel_line) as session:
        session.scalars(select(Account).where(Account.account_number == ALEX)).one() \
            .phone_e164 = None
    with db.transaction(tel_line) as session:
        ports = ports_for(tel_line, session)
        result = ports.open_payment(debit(tel_line, 5000, notify=None))
    assert addressed_texts(tel_line) == []
    assert not result.processing and written(tel_line) == [], (
        "a TEL debit was written with neither a recording nor a written notice")


def test_a_bank_debit_without_its_authorisation_is_refused(tel_line: Flask) -> None:
    # Defence in depth: the port writes (and the gateway then debits) a bank payment whose
    # order carries no authorisation at all; nothing is kept, no notice is queued.
    unauthorised = replace(debit(tel_line, 5000), authorization_text=None,
                           authorization_key=None)
    with db.transaction(tel_line) as session:
        ports_for(tel_line, session).open_payment(unauthorised)
    assert written(tel_line) == [], "a bank debit was written with no TEL authorisation"


def test_the_written_notice_is_in_the_language_the_authorisation_was_given_in(
        tel_line: Flask, pseudo_language: str) -> None:
    # The call's language, whatever the line's or the account's.
    with db.transaction(tel_line) as session:
        ports_for(tel_line, session).open_payment(
            replace(debit(tel_line, 5000), language=pseudo_language))
    [(_, notice)] = addressed_texts(tel_line)
    assert notice.startswith("BANK DEBIT AUTHORIZATION"), notice


def test_a_line_debiting_real_accounts_never_reads_the_fictional_number(
        tmp_path: Path) -> None:
    # IVR_ENV left at its default (development), Authorize.Net on its production endpoint
    # (the default base): real TEL debits, each authorisation naming the fictional
    # +1 800 555 0100 as the number to call with questions and to revoke.
    settings = Settings.from_env(tmp_path, {
        "IVR_PAYMENT_GATEWAY": "authorize-net", "IVR_AUTHORIZE_NET_LOGIN_ID": LOGIN,
        "IVR_AUTHORIZE_NET_TRANSACTION_KEY": SECRET,
        "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}"})
    gateway = make_gateway(settings)
    assert gateway.supports_bank and "apitest" not in getattr(gateway, "api_base", "")
    assert settings.biller_phone != settings_values.DEV_BILLER_PHONE, (
        "real bank debits would be authorised with the fictional number")
