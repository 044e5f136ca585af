"""Bank accounts in pay mode over the webhooks: <Pay paymentMethod="ach-debit"> collects the
account (its digits never reach this server), tokenised only; the line reads it back with the
telephone authorisation, and the gateway debits it only once the caller agrees."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.security.card_store import BankDetails
from ivr.sim.pay_twiml import ERROR_TYPES, PAY_ATTRIBUTES, PROMPT_ATTRIBUTES, PROMPT_FOR
from models import SandboxCharge
from tests.app_helpers import balance, call_payments
from tests.menu_helpers import JORDAN_OTHER_AMOUNT
from tests.twilio_helpers import Answer, TwilioCaller, pay_result

PIN = "2468"
TO_BANK = (*JORDAN_OTHER_AMOUNT, "30", "1", "2")  # $30 today, from a new bank account
TOKEN = SandboxGateway().save_bank(BankDetails("110000000", "000123456789", "savings"))
COLLECTED = {"Result": "success", "PaymentMethod": "ach-debit",
             "BankAccountType": "consumer-savings", "BankRoutingNumber": "110000000",
             "BankAccountNumber": "**********89", "PaymentToken": TOKEN}


@pytest.fixture
def caller(demo_app: Flask) -> TwilioCaller:
    """A caller on account 10001234 with <Pay> capture switched on (the sandbox gateway)."""
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    return TwilioCaller(demo_app)


def to_pay(caller: TwilioCaller, account_type: str = "2") -> Answer:
    """Walk to the <Pay> collecting a savings (2) or checking (1) account."""
    answer = caller.walk(*TO_BANK, account_type)
    assert answer.root.find("Pay") is not None, answer.said
    return answer



@pytest.mark.parametrize(("key", "account_type"), [("1", "consumer-checking"),
                                                   ("2", "consumer-savings")])
def test_pay_collects_the_bank_account_and_only_tokenises_it(
        caller: TwilioCaller, key: str, account_type: str) -> None:
    answer = to_pay(caller, key)
    pay = answer.root.find("Pay")
    assert pay is not None
    assert (pay.get("paymentMethod"), pay.get("bankAccountType")) == ("ach-debit", account_type)
    assert pay.get("chargeAmount") is None and pay.get("tokenType") == "reusable"
    assert pay.get("validCardTypes") is None and pay.get("securityCode") is None
    prompts = [(p.get("for"), p.get("errorType"), p.get("requireMatchingInputs"))
               for p in pay.iter("Prompt")]
    assert ("bank-routing-number", None, None) in prompts
    assert ("bank-account-number", None, None) in prompts
    assert ("bank-account-number", None, "true") in prompts  # keyed twice, compared by Twilio
    assert ("bank-account-number", "input-matching-failed", None) in prompts
    assert "routing number and your account number" in answer.said
    assert call_payments(caller.app) == []  # nothing written ahead: no debit yet


def test_the_bank_pay_verb_holds_only_what_twilios_schema_has(caller: TwilioCaller) -> None:
    pay = to_pay(caller).root.find("Pay")
    assert pay is not None and set(pay.attrib) <= PAY_ATTRIBUTES
    for prompt in pay.iter("Prompt"):
        assert set(prompt.attrib) <= PROMPT_ATTRIBUTES
        assert prompt.get("for") in PROMPT_FOR
        assert set((prompt.get("errorType") or "").split()) <= ERROR_TYPES, prompt.attrib


def test_the_account_is_debited_only_after_the_authorisation_is_agreed(
        caller: TwilioCaller) -> None:
    read_back = pay_result(caller, to_pay(caller), **COLLECTED)
    assert "You are paying thirty dollars with the savings account ending in 8 9." \
        in read_back.said
    assert "electronic debit of thirty dollars" in read_back.said
    assert "To authorize this debit, press 1." in read_back.said
    assert call_payments(caller.app) == [] and debits(caller.app) == []
    answer = caller.press(read_back, "1")
    assert "Your payment of thirty dollars from the savings account ending in 8 9 has been " \
        "submitted." in answer.said
    [payment] = call_payments(caller.app)
    assert (payment.status, payment.method, payment.bank_account_type, payment.bank_last4) == \
        ("pending", "bank", "savings", "89")
    assert payment.authorization_text and payment.authorized_at is not None
    assert debits(caller.app) == [(payment.idempotency_key, "bank", TOKEN, 3000)]
    assert balance(caller.app) == 12045 - 3000


def test_a_bank_token_the_gateway_refuses_is_refused_when_pay_reports_it(
        caller: TwilioCaller) -> None:
    answer = pay_result(caller, to_pay(caller), **{**COLLECTED, "PaymentToken": "tok_other"})
    assert "Sorry, we cannot take a payment from that bank account." in answer.said
    assert "You are about to" not in answer.said and call_payments(caller.app) == []


@pytest.mark.parametrize(("params", "says"), [
    ({"Result": "too-many-failed-attempts"}, "we could not read the bank account details"),
    ({"Result": "caller-interrupted-with-star"}, "The payment was cancelled."),
])
def test_a_bank_capture_that_gave_nothing_debits_nothing(
        caller: TwilioCaller, params: dict[str, str], says: str) -> None:
    answer = pay_result(caller, to_pay(caller), **params)
    assert says in answer.said and "card" not in answer.said.split(".")[0]
    assert call_payments(caller.app) == [] and debits(caller.app) == []


def debits(app: Flask) -> list[tuple[str, str, str, int]]:
    """What the sandbox gateway carried out: key, kind, token, amount."""
    with db.transaction(app) as session:
        return [(row.idempotency_key, row.kind, row.token, row.amount_cents)
                for row in session.scalars(select(SandboxCharge))]
