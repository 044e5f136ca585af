"""review2: attacks on pay mode over the signed webhooks (<Pay>'s action callback as Twilio
would post it): what a result with an odd mix of parameters does to the ledger, tokens of the
wrong kind, and what the caller hears before the Pay Connector charges."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.security.card_store import BankDetails, CardDetails
from models import SandboxCharge
from tests.app_helpers import balance, call_payments
from tests.menu_helpers import JORDAN_LATER, JORDAN_OTHER_AMOUNT
from tests.twilio_helpers import Answer, TwilioCaller, pay_result

PIN = "2468"
TO_CAPTURE = (*JORDAN_OTHER_AMOUNT, "30", "1", "1")  # $30 today, a new card: <Pay> charges it
TO_BANK = (*JORDAN_OTHER_AMOUNT, "30", "1", "2", "2")  # $30 today, a new savings account
TO_KEEP = (*JORDAN_LATER, "1201", "1")  # the balance on December 1st, a new card
CARD_TOKEN = SandboxGateway().save_card(CardDetails("4242424242424242", "1230", "123", "94105"))
BANK_TOKEN = SandboxGateway().save_bank(BankDetails("110000000", "000123456789", "savings"))


def in_pay_mode(app: Flask) -> TwilioCaller:
    """A caller on account 10001234 in pay mode on the sandbox gateway."""
    override_settings(app, IVR_CARD_CAPTURE="pay")
    return TwilioCaller(app)


def walk(caller: TwilioCaller, *keys: str) -> Answer:
    answer = caller.walk(*keys)
    assert answer.root.find("Pay") is not None, answer.said
    return answer


def test_a_card_token_reported_for_a_bank_account_is_not_debited_as_one(
        demo_app: Flask) -> None:
    """accept_token(token) has no kind: the bank <Pay>'s PaymentToken is accepted whatever it
    names. Here a card token comes back for an ach-debit <Pay>; the caller authorises a bank
    debit (NACHA TEL wording, 'savings account ending in 8 9') and the gateway is then asked
    to debit a *card* token as a bank account."""
    caller = in_pay_mode(demo_app)
    read_back = pay_result(caller, walk(caller, *TO_BANK), Result="success",
                           PaymentMethod="ach-debit", BankAccountType="consumer-savings",
                           BankAccountNumber="**********89", PaymentToken=CARD_TOKEN)
    assert "You are about to" not in read_back.said, read_back.said


def test_a_bank_token_reported_for_a_card_is_not_kept_as_a_card(
        demo_app: Flask) -> None:
    caller = in_pay_mode(demo_app)
    read_back = pay_result(caller, walk(caller, *TO_KEEP), Result="success",
                           PaymentCardType="visa", PaymentCardNumber="xxxx-xxxx-xxxx-4242",
                           ExpirationDate="1230", PaymentToken=BANK_TOKEN)
    assert "You are about to" not in read_back.said, read_back.said


def test_a_hang_up_result_that_carries_a_confirmation_code_is_not_recorded_as_nothing_taken(
        demo_app: Flask) -> None:
    """A PaymentConfirmationCode is the connector's charge reference: whatever Result came
    with it, the card may have been charged (a caller hanging up while 'payment-processing'
    plays). Recording 'cancelled' releases the amount and tells the payer nothing was
    taken."""
    caller = in_pay_mode(demo_app)
    pay_result(caller, walk(caller, *TO_CAPTURE), Result="caller-hung-up",
               PaymentConfirmationCode="pi_3Review2", PaymentCardType="visa",
               PaymentCardNumber="xxxx-xxxx-xxxx-4242")
    [payment] = call_payments(caller.app)
    assert payment.status in ("approved", "unknown"), payment.status


def test_a_success_without_a_confirmation_code_is_not_a_charge_on_record_without_reference(
        demo_app: Flask) -> None:
    """Result=success for a charge <Pay> with no PaymentConfirmationCode (a connector that
    tokenised instead, say): recorded approved with no gateway reference at all, so nothing
    can ever find, refund or reconcile it."""
    caller = in_pay_mode(demo_app)
    pay_result(caller, walk(caller, *TO_CAPTURE), Result="success", PaymentCardType="visa",
               PaymentCardNumber="xxxx-xxxx-xxxx-4242", PaymentToken=CARD_TOKEN)
    [payment] = call_payments(caller.app)
    assert not (payment.status == "approved" and not payment.gateway_reference), \
        (payment.status, payment.gateway_reference)


def test_the_fee_is_stated_before_pay_charges_it(demo_app: Flask) -> None:
    """README (Read-back): the line 'states any convenience fee with the total' before the
    caller authorises. In pay mode <Pay> charges amount + fee with only 'You are paying
    {total} by card': the fee is never named and nothing is agreed."""
    override_settings(demo_app, IVR_CARD_CAPTURE="pay", IVR_CONVENIENCE_FEE="1.50")
    caller = TwilioCaller(demo_app)
    answer = walk(caller, *TO_CAPTURE)
    pay = answer.root.find("Pay")
    assert pay is not None and pay.get("chargeAmount") == "31.50"
    assert "convenience fee" in answer.said, answer.said


def test_with_a_fee_the_bank_debit_is_what_the_authorisation_said(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CARD_CAPTURE="pay", IVR_CONVENIENCE_FEE="1.50")
    caller = TwilioCaller(demo_app)
    read_back = pay_result(caller, walk(caller, *TO_BANK), Result="success",
                           PaymentMethod="ach-debit", BankAccountType="consumer-savings",
                           BankAccountNumber="**********89", PaymentToken=BANK_TOKEN)
    assert "electronic debit of thirty-one dollars and fifty cents" in read_back.said, \
        read_back.said
    assert sandbox_debits(demo_app) == []
    caller.press(read_back, "1")
    [(kind, amount)] = sandbox_debits(demo_app)
    assert (kind, amount) == ("bank", 3150)
    assert balance(demo_app) == 12045 - 3000


def sandbox_debits(app: Flask) -> list[tuple[str, int]]:
    with db.transaction(app) as session:
        return [(row.kind, row.amount_cents) for row in session.scalars(select(SandboxCharge))]
