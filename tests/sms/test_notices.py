"""Written notices of bank debits authorised by telephone: queued with what they confirm, in
one transaction (a rollback leaves neither), stating the authorisation's terms."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from flows.ports import Authorization, DeclineReason, PaymentOrder, PaymentSource
from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.ports.database import ports_for
from models import Account, AutopayEnrollment, Payment, SavedPaymentMethod, SmsMessage
from tests.app_helpers import addressed_texts

ALEX, ALEX_PHONE, CALLER = "30009012", "+13125550142", "+16505550123"
AGREED = Authorization("Today, ... To authorize this debit, press 1.", "1")


class Abandoned(Exception):
    """Raised inside a transaction to roll it back."""


@pytest.fixture
def line(demo_app: Flask) -> Flask:
    """The demo line, naming its biller and the number to call."""
    override_settings(demo_app, IVR_BILLER_NAME="Riverside Water",
                      IVR_BILLER_PHONE="+18005550199")
    return demo_app


def checking_on_file(line: Flask) -> tuple[int, PaymentSource]:
    """Alex's account id and the checking account 6789 they have on file."""
    with db.transaction(line) as session:
        account = session.scalars(select(Account).where(Account.account_number == ALEX)).one()
        method = session.scalars(select(SavedPaymentMethod).where(
            SavedPaymentMethod.account_id == account.id,
            SavedPaymentMethod.kind == "bank")).one()
        return account.id, PaymentSource(kind="saved", label="checking", last4="6789",
                                         saved_id=method.id, saved_kind="bank")


def debit(line: Flask, cents: int, on: date | None = None, notify: str | None = CALLER,
          key: str = "CA1-1") -> PaymentOrder:
    """A debit of Alex's checking account, authorised on the call."""
    account_id, source = checking_on_file(line)
    return PaymentOrder(account_id=account_id, amount_cents=cents, fee_cents=0, source=source,
                        idempotency_key=key, call_sid="CA1", notify_number=notify,
                        scheduled_for=on, authorization_text=AGREED.text,
                        authorization_key=AGREED.key)


def rows(line: Flask) -> tuple[list[Payment], list[SmsMessage]]:
    """The payments calls made and the texts queued."""
    with db.transaction(line) as session:
        payments = list(session.scalars(select(Payment).where(Payment.call_sid.is_not(None))))
        texts = list(session.scalars(select(SmsMessage)))
        session.expunge_all()
        return payments, texts


def test_a_debit_and_its_notice_are_written_together(line: Flask) -> None:
    with db.transaction(line) as session:
        result = ports_for(line, session).open_payment(debit(line, 5000))
    [payment], [notice] = rows(line)
    assert payment.status == "processing" and result.processing
    assert (payment.authorization_text, payment.authorization_key) == (AGREED.text, "1")
    assert payment.authorized_at is not None
    assert notice.to_number == CALLER
    assert notice.body == (
        f"Bank debit authorization for Riverside Water: on {_today(line, payment)}, Alex Kim "
        f"authorized by phone a one-time electronic debit of $50.00 from the checking account "
        f"ending 6789 on {_today(line, payment)}. It was submitted at once, so it can no "
        f"longer be revoked. Questions: call (800) 555-0199.")


def test_a_rollback_leaves_neither_the_debit_nor_its_notice(line: Flask) -> None:
    with pytest.raises(Abandoned), db.transaction(line) as session:
        ports_for(line, session).open_payment(debit(line, 5000))
        assert session.scalars(select(SmsMessage)).all()  # queued, in this transaction
        raise Abandoned
    assert rows(line) == ([], [])


def test_a_scheduled_debit_says_how_to_revoke_it_before_its_date(line: Flask) -> None:
    with db.transaction(line) as session:
        ports_for(line, session).open_payment(debit(line, 5000, on=date(2026, 12, 1)))
    [payment], texts = rows(line)
    [notice] = [t.body for t in texts if t.body.startswith("Bank debit authorization")]
    assert payment.status == "scheduled"
    assert "of $50.00 from the checking account ending 6789 on Dec 1, 2026." in notice
    assert f"Confirmation number: {payment.confirmation_number}." in notice
    assert ("To revoke it, call (800) 555-0199 or cancel it on the payment line before "
            "Dec 1, 2026.") in notice


def test_without_a_calling_number_the_notice_goes_to_the_accounts_phone(line: Flask) -> None:
    with db.transaction(line) as session:
        ports_for(line, session).open_payment(debit(line, 5000, notify=None))
    [(to, body)] = addressed_texts(line)
    assert to == ALEX_PHONE and body.startswith("Bank debit authorization")


def test_a_card_payment_has_no_notice(line: Flask) -> None:
    card = replace(debit(line, 5000), source=PaymentSource("card", "Visa", "4242"),
                   authorization_text=None, authorization_key=None)
    with db.transaction(line) as session:
        ports_for(line, session).open_payment(card)
    assert rows(line)[1] == []


def enrollment(line: Flask) -> AutopayEnrollment | None:
    with db.transaction(line) as session:
        found = session.scalars(select(AutopayEnrollment)).one_or_none()
        session.expunge_all()
        return found


def test_autopay_by_bank_keeps_its_standing_authorisation_and_texts_it(line: Flask) -> None:
    account_id, source = checking_on_file(line)
    with db.transaction(line) as session:
        ports_for(line, session).set_autopay(account_id, source.saved_id, AGREED, CALLER)
    enrolled = enrollment(line)
    assert enrolled is not None and enrolled.active
    assert (enrolled.authorization_text, enrolled.authorization_key) == (AGREED.text, "1")
    assert enrolled.authorized_at == enrolled.enrolled_at
    [(to, body)] = addressed_texts(line)
    assert to == CALLER
    assert body.startswith("AutoPay authorization for Riverside Water: on ")
    assert ("Alex Kim authorized by phone an electronic debit from the checking account ending "
            "6789 on each due date, starting ") in body
    assert body.endswith("until revoked. To revoke it, turn AutoPay off on the payment line or "
                         "call (800) 555-0199 before a due date.")


def test_a_rollback_leaves_neither_autopay_nor_its_notice(line: Flask) -> None:
    account_id, source = checking_on_file(line)
    with pytest.raises(Abandoned), db.transaction(line) as session:
        ports_for(line, session).set_autopay(account_id, source.saved_id, AGREED, CALLER)
        raise Abandoned
    assert enrollment(line) is None and rows(line)[1] == []


def test_autopay_by_card_keeps_no_bank_authorisation(line: Flask) -> None:
    account_id, _ = checking_on_file(line)
    with db.transaction(line) as session:
        card = session.scalars(select(SavedPaymentMethod).where(
            SavedPaymentMethod.account_id == account_id,
            SavedPaymentMethod.kind == "card")).one()
        ports_for(line, session).set_autopay(account_id, card.id, AGREED, CALLER)
    enrolled = enrollment(line)
    assert enrolled is not None and enrolled.authorization_text is None
    assert rows(line)[1] == []


def test_an_arrangement_by_bank_texts_its_debits(line: Flask) -> None:
    account_id, source = checking_on_file(line)
    plan = [(date(2026, 12, 1), 10000), (date(2026, 12, 15), 15000)]
    with db.transaction(line) as session:
        ports_for(line, session).create_arrangement(account_id, plan, source, "CA1", CALLER,
                                                   AGREED)
    payments, _ = rows(line)
    assert {(p.authorization_text, p.authorization_key) for p in payments} == {(AGREED.text,
                                                                                "1")}
    [notice] = [body for _, body in addressed_texts(line) if "authorization" in body]
    assert ("Alex Kim authorized by phone 2 electronic debits from the checking account ending "
            "6789: $100.00 on Dec 1, 2026; $150.00 on Dec 15, 2026. To revoke them, call "
            "(800) 555-0199 before a debit's date.") in notice


def _today(line: Flask, payment: Payment) -> str:
    """The day the payment was authorised, as a text writes it (the biller's time zone)."""
    assert payment.authorized_at is not None
    day = payment.authorized_at.astimezone(settings_of(line).zone).date()
    return f"{day:%b} {day.day}, {day.year}"


def test_a_debit_for_an_account_naming_no_payer_is_refused(line: Flask) -> None:
    # NACHA TEL: the authorisation names the consumer; an account imported without a name
    # cannot be the payer of one (the flow offers it no bank debit).
    with db.transaction(line) as session:
        session.scalars(select(Account).where(Account.account_number == ALEX)).one().name = ""
    with db.transaction(line) as session:
        result = ports_for(line, session).open_payment(debit(line, 5000))
    assert result.decline_reason is DeclineReason.NOT_AUTHORISED
    assert rows(line) == ([], [])


def test_every_word_of_every_notice_is_in_the_calls_language(line: Flask,
                                                             pseudo_language: str) -> None:
    # Amounts with a fee, dates, the account's type, the unnamed biller: each from the
    # language's own catalog, not the default's.
    override_settings(line, IVR_BILLER_NAME="")
    account_id, source = checking_on_file(line)
    plan = [(date(2026, 12, 1), 10000), (date(2026, 12, 15), 15000)]
    agreed = replace(AGREED, language=pseudo_language)
    with db.transaction(line) as session:
        ports = ports_for(line, session)
        ports.open_payment(replace(debit(line, 5000, on=date(2026, 12, 1)), fee_cents=150,
                                   language=pseudo_language))
        ports.set_autopay(account_id, source.saved_id, agreed, CALLER)
        ports.create_arrangement(account_id, plan, source, "CA2", CALLER, agreed)
    notices = [body for _, body in addressed_texts(line) if "AUTHORIZATION" in body]
    assert len(notices) == 3
    for notice in notices:
        assert {word for word in re.findall(r"[A-Za-z]+", notice)
                if not word.isupper()} <= {"Alex", "Kim"}, notice
