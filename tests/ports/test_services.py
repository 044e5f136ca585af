"""The database ports and the sandbox gateway, against a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.ports import (
    CardPart,
    ChargeResult,
    DeclineReason,
    PaymentOrder,
    PaymentSource,
    PinCheck,
)
from ivr.db import db
from ivr.errors import GatewayError
from ivr.payments import charges
from ivr.payments.gateways.base import GatewayCharge
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.ports.database import DatabasePorts
from ivr.security.audit import unlock_account
from ivr.security.card_store import CardDetails
from ivr.security.pin_policy import PinPolicy
from models import Account, AuditEvent, Payment
from tests.app_helpers import account, call_payments, texts

ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def session(demo_app: Flask) -> Iterator[Session]:
    """One transaction on the demo database, rolled back afterwards."""
    factory = demo_app.extensions["ivr_db"]
    with factory() as session:
        yield session
        session.rollback()


def ports(session: Session, gateway: SandboxGateway | None = None) -> DatabasePorts:
    """Ports over ``session`` with the sandbox gateway."""
    return DatabasePorts(session, gateway or SandboxGateway(), ZONE, b"secret")


def charge(app: Flask, card_number: str, cents: int = 1000, key: str = "CA1-1",
           gateway: SandboxGateway | None = None) -> tuple[ChargeResult, int]:
    """Vault a card, write a payment against account 10001234 ahead, charge it; the result
    and the balance after."""
    gateway = gateway or app.extensions["ivr_gateway"]
    with db.transaction(app) as session:
        p = ports(session, gateway)
        for part, value in ((CardPart.NUMBER, card_number), (CardPart.EXPIRY, "1230"),
                            (CardPart.SECURITY_CODE, "123"), (CardPart.POSTAL_CODE, "94105")):
            p.hold_card_part("CA1", part, value)
        source = PaymentSource(kind="card", label="Visa", last4=card_number[-4:],
                               expiry_mmyy="1230")
        order = PaymentOrder(account_id=account(session).id, amount_cents=cents, fee_cents=0,
                             source=source, idempotency_key=key, call_sid="CA1",
                             notify_number="+14155550100")
        opened = p.open_payment(order)
    if opened.processing:
        charges.charge(db.sessions(app), gateway, key, card_key=p.card_key)
    with db.transaction(app) as session:
        result = ports(session, gateway).payment_result(key) if opened.processing else opened
        return result, account(session).balance_cents


@pytest.mark.parametrize(("card", "reason"), [
    ("4000000000000002", DeclineReason.DECLINED),
    ("4000000000009995", DeclineReason.INSUFFICIENT_FUNDS),
    ("4000000000000069", DeclineReason.EXPIRED_CARD),
    ("4000000000000127", DeclineReason.INCORRECT_CVC),
    ("4000000000000119", DeclineReason.PROCESSING_ERROR),
])
def test_sandbox_declines_like_stripe_test_cards(demo_app: Flask, card: str,
                                                 reason: DeclineReason) -> None:
    result, balance = charge(demo_app, card)
    assert result.approved is False and result.decline_reason is reason
    [payment] = call_payments(demo_app, "CA1")
    assert (payment.status, payment.decline_code) == ("declined", reason.value)
    assert payment.confirmation_number is None and payment.gateway_token is None
    assert balance == 12045
    assert texts(demo_app) == []


@pytest.mark.parametrize("card", ["4242424242424242", "5555555555554444", "378282246310005"])
def test_sandbox_approves_other_valid_cards(demo_app: Flask, card: str) -> None:
    result, balance = charge(demo_app, card)
    assert result.approved is True
    assert balance == 12045 - 1000
    [payment] = call_payments(demo_app, "CA1")
    assert payment.gateway_token is None  # kept only while the charge was in flight
    [sms] = texts(demo_app)
    assert result.confirmation_number and result.confirmation_number in sms
    assert "$10.00" in sms and "ending 1234" in sms and card[-4:] in sms


def test_the_same_idempotency_key_charges_once(demo_app: Flask) -> None:
    first, _ = charge(demo_app, "4242424242424242")
    again, balance = charge(demo_app, "4242424242424242")
    assert again == first
    assert len(call_payments(demo_app, "CA1")) == 1
    assert balance == 12045 - 1000


def test_never_takes_more_than_is_owed(demo_app: Flask) -> None:
    result, balance = charge(demo_app, "4242424242424242", cents=12046)
    assert result.decline_reason is DeclineReason.BALANCE_CHANGED
    assert balance == 12045 and call_payments(demo_app, "CA1") == []


def test_a_gateway_refusal_takes_nothing_and_is_a_processing_error(demo_app: Flask) -> None:
    class Unreachable(SandboxGateway):
        def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                        description: str) -> GatewayCharge:
            raise GatewayError("connection refused")

    result, balance = charge(demo_app, "4242424242424242", gateway=Unreachable())
    assert result.decline_reason is DeclineReason.PROCESSING_ERROR
    assert balance == 12045
    assert [p.status for p in call_payments(demo_app, "CA1")] == ["failed"]


def test_sandbox_tokens_never_contain_the_card_number() -> None:
    card = CardDetails("4242424242424242", "1230", "123", "94105")
    charged = SandboxGateway().charge_card(card, 1000, "CA1-1", "test")
    tokens = (charged.reusable, charged.reference, SandboxGateway().save_card(card))
    assert charged.approved and all("4242424242424242" not in token for token in tokens)


def test_confirmation_numbers_are_unique_digits(demo_app: Flask) -> None:
    numbers = set()
    for attempt in range(20):
        result, _ = charge(demo_app, "4242424242424242", cents=100, key=f"CA1-{attempt}")
        number = result.confirmation_number
        assert number is not None and number.isdigit() and len(number) == 10
        numbers.add(number)
    assert len(numbers) == 20


def test_five_wrong_pins_in_a_day_lock_the_account_even_for_the_right_pin(
        session: Session) -> None:
    p = ports(session)
    target = account(session)
    for _ in range(4):
        assert p.check_pin(target.id, "0000", "+14155550100") is PinCheck.WRONG
    assert p.check_pin(target.id, "0000", "+14155550100") is PinCheck.LOCKED
    assert p.check_pin(target.id, "2468", "+14155550100") is PinCheck.LOCKED
    assert target.locked_until is not None
    target.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    assert p.check_pin(target.id, "2468") is PinCheck.OK
    assert (target.failed_pin_attempts, target.locked_until) == (0, None)
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("lockout") == 1 and actions.count("pin_check") == 7


def lock_by_wrong_pins(p: DatabasePorts, target: Account) -> None:
    """Five wrong PINs, then let the lock run out (the failures stay within the window)."""
    for _ in range(4):
        assert p.check_pin(target.id, "0000") is PinCheck.WRONG
    assert p.check_pin(target.id, "0000") is PinCheck.LOCKED
    target.locked_until = datetime.now(UTC) - timedelta(seconds=1)


def test_a_lock_running_out_gives_no_fresh_tries(session: Session) -> None:
    p = ports(session)
    target = account(session)
    lock_by_wrong_pins(p, target)

    assert p.check_pin(target.id, "0000") is PinCheck.LOCKED  # at once, not after 5 more
    assert target.failed_pin_attempts == 6 and target.locked_until is not None
    target.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    assert p.check_pin(target.id, "2468") is PinCheck.OK


def test_an_operator_unlock_clears_the_failures(session: Session) -> None:
    p = ports(session)
    target = account(session)
    lock_by_wrong_pins(p, target)

    assert unlock_account(session, "10001234") == "not_locked"

    assert p.check_pin(target.id, "0000") is PinCheck.WRONG
    assert target.failed_pin_attempts == 1 and target.locked_until is None


def test_failures_older_than_the_window_start_a_new_count(session: Session) -> None:
    p = ports(session)
    target = account(session)
    for _ in range(4):
        p.check_pin(target.id, "0000")
    target.pin_failure_window_start = datetime.now(UTC) - timedelta(hours=25)
    assert p.check_pin(target.id, "0000") is PinCheck.WRONG
    assert target.failed_pin_attempts == 1 and target.locked_until is None


def test_the_policy_comes_from_settings(session: Session) -> None:
    strict = DatabasePorts(session, SandboxGateway(), ZONE, b"s",
                           PinPolicy(max_failures=2, lock_for=timedelta(minutes=5)))
    target = account(session)
    assert strict.check_pin(target.id, "0000") is PinCheck.WRONG
    assert strict.check_pin(target.id, "0000") is PinCheck.LOCKED
    assert target.locked_until is not None
    assert target.locked_until - datetime.now(UTC) <= timedelta(minutes=5)


def test_one_caller_id_guessing_across_accounts_is_throttled(session: Session) -> None:
    p = DatabasePorts(session, SandboxGateway(), ZONE, b"s", PinPolicy(caller_max_failures=3))
    guesser = "+16505550123"
    numbers = ["10001234", "20005678", "30009012"]
    for number in numbers:
        assert p.check_pin(account(session, number).id, "0000", guesser) is PinCheck.WRONG
    assert p.check_pin(account(session, "30003456").id, "9753", guesser) is PinCheck.THROTTLED
    assert p.check_pin(account(session, "30003456").id, "9753", "+14155550100") is PinCheck.OK


def test_a_correct_pin_resets_the_failure_count(session: Session) -> None:
    p = ports(session)
    target = account(session)
    p.check_pin(target.id, "0000")
    assert target.failed_pin_attempts == 1
    assert p.check_pin(target.id, "2468") is PinCheck.OK
    assert target.failed_pin_attempts == 0


def test_history_is_newest_first_approved_only_in_local_dates(session: Session) -> None:
    target = account(session)
    late_evening = datetime(2026, 11, 2, 3, 30, tzinfo=UTC)  # 10:30 pm Nov 1st in New York
    session.add_all([
        Payment(account_id=target.id, idempotency_key="t1", amount_cents=500, status="approved",
                method="card", card_brand="Visa", card_last4="1111", created_at=late_evening,
                confirmation_number="9000000001"),
        Payment(account_id=target.id, idempotency_key="t2", amount_cents=700, status="declined",
                method="card", created_at=late_evening + timedelta(hours=1)),
    ])
    session.flush()
    history = ports(session).recent_payments(target.id, 3)
    assert [h.amount_cents for h in history] == [500, 9500, 11020]
    assert history[0].paid_on.isoformat() == "2026-11-01"


def test_caller_id_lookup(session: Session) -> None:
    p = ports(session)
    assert [a.number for a in p.accounts_for_phone("+14155550100")] == ["10001234"]
    assert len(p.accounts_for_phone("+13125550142")) == 2
    assert p.accounts_for_phone("+16505550000") == []
    assert p.find_account("99999") is None


def test_only_a_language_with_a_catalog_is_saved_on_an_account(session: Session) -> None:
    jordan = account(session)
    with pytest.raises(ValueError, match="no prompt catalog for language 'fr-FR'"):
        ports(session).set_language(jordan.id, "fr-FR")
    assert jordan.language == "en-US"
