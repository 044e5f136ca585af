"""The ports contract, continued: payments Twilio's <Pay> charges (``finish_captured``) and the
keyed digest that compares two entries of a bank account (``fingerprint``). Each case runs on
the in-memory fake and on the database ports, through the protocol only.

A payment for <Pay> is written ahead like any other, but Twilio charges it, not this server:
``harness.charge`` sends nothing for it, and it stays ``processing`` until <Pay> reports.
"""

from __future__ import annotations

import hashlib

import pytest

from flows.payment_steps import CAPTURED_CARD
from flows.ports import CaptureResult, ChargeResult, DeclineReason
from tests.ports.contract_helpers import (
    BANK_NUMBER,
    JORDAN,
    ROUTING,
    VISA,
    Harness,
    card,
    is_confirmation,
    order,
    pay_now,
    summary,
)

CHARGED = CaptureResult(approved=True, reference="ch_1", label="Visa", last4="4242")
NO_FUNDS = CaptureResult(approved=False, label="Visa", last4="4242",
                         decline_reason=DeclineReason.INSUFFICIENT_FUNDS)
IN_DOUBT = CaptureResult(approved=False, unknown=True)  # a connector error: it may have charged
CANCELLED = CaptureResult(approved=False, cancelled=True)  # star, or the caller hung up
FAILED = CaptureResult(approved=False)  # <Pay> could not read the card: nothing was charged


def open_captured(h: Harness, key: str = "CA1-1", cents: int = 2000) -> None:
    """Write a payment ahead for <Pay> in one turn, as the flow does before handing the call
    to Twilio; between turns the line sends nothing for it."""
    with h.turn() as ports:
        opened = ports.open_payment(order(h.ids[JORDAN], cents, CAPTURED_CARD, key))
    assert (opened.approved, opened.processing) == (False, True)
    h.charge(key)


def finish(h: Harness, capture: CaptureResult, key: str = "CA1-1") -> ChargeResult:
    """<Pay> reports on the payment, in the turn its action URL is called."""
    with h.turn() as ports:
        return ports.finish_captured(key, capture)


def balance_and_held(h: Harness) -> tuple[int, int]:
    """Jordan's balance and what is held from it, in cents."""
    account = summary(h, JORDAN)
    return account.balance_cents, account.held_cents


# --- <Pay> charges ----------------------------------------------------------------------------


def test_a_payment_for_pay_is_held_until_pay_reports(harness: Harness) -> None:
    open_captured(harness)
    with harness.turn() as ports:
        waiting = ports.payment_result("CA1-1")
    assert (waiting.approved, waiting.processing) == (False, True)  # not charged by the line
    assert balance_and_held(harness) == (12045, 2000)


def test_an_approved_capture_is_recorded_once(harness: Harness) -> None:
    open_captured(harness)
    result = finish(harness, CHARGED)
    assert (result.approved, result.pending, result.unknown) == (True, False, False)
    assert is_confirmation(result.confirmation_number)
    assert finish(harness, CHARGED) == result  # <Pay> retried its action: the same payment
    assert finish(harness, NO_FUNDS) == result  # a later report changes nothing
    with harness.turn() as ports:
        assert ports.payment_result("CA1-1") == result
    assert balance_and_held(harness) == (12045 - 2000, 0)  # taken once


@pytest.mark.parametrize("reason", [DeclineReason.INSUFFICIENT_FUNDS, DeclineReason.DECLINED,
                                    DeclineReason.EXPIRED_CARD])
def test_a_declined_capture_takes_nothing(harness: Harness, reason: DeclineReason) -> None:
    open_captured(harness)
    declined = CaptureResult(approved=False, decline_reason=reason)
    result = finish(harness, declined)
    assert (result.approved, result.decline_reason, result.retry_allowed) == (False, reason,
                                                                              True)
    assert result.confirmation_number is None
    assert finish(harness, CHARGED) == result  # recorded once: a later approval is not taken
    assert balance_and_held(harness) == (12045, 0)


@pytest.mark.parametrize("capture", [CANCELLED, FAILED], ids=["cancelled", "failed"])
def test_a_capture_that_charged_nothing_is_a_processing_error(harness: Harness,
                                                              capture: CaptureResult) -> None:
    open_captured(harness)
    result = finish(harness, capture)
    assert (result.approved, result.decline_reason, result.unknown) == (
        False, DeclineReason.PROCESSING_ERROR, False)
    assert result.confirmation_number is None and result.retry_allowed
    assert balance_and_held(harness) == (12045, 0)


def test_an_unknown_capture_stays_held_and_is_never_taken_again(harness: Harness) -> None:
    open_captured(harness)
    result = finish(harness, IN_DOUBT)
    assert (result.approved, result.unknown, result.decline_reason) == (False, True, None)
    assert is_confirmation(result.confirmation_number)  # the caller can quote it
    assert finish(harness, CHARGED) == result  # recorded once: reconcile settles it, not <Pay>
    assert balance_and_held(harness) == (12045, 2000)
    with harness.turn() as ports:
        rest = ports.open_payment(order(harness.ids[JORDAN], 12045,
                                         card(ports, call_sid="CA2"), "CA2-1",
                                        call_sid="CA2"))
    assert rest.decline_reason is DeclineReason.BALANCE_CHANGED  # what is held is not payable


def test_declined_captures_count_towards_the_calls_limit(harness: Harness) -> None:
    results = []
    for n in (1, 2, 3):
        open_captured(harness, f"CA1-{n}", 1000)
        results.append(finish(harness, NO_FUNDS, f"CA1-{n}"))
    assert [r.retry_allowed for r in results] == [True, True, False]
    fourth = pay_now(harness, JORDAN, 1000, "CA1-4")
    assert (fourth.decline_reason, fourth.retry_allowed) == (DeclineReason.TOO_MANY_DECLINES,
                                                              False)


def test_captures_that_charged_nothing_are_not_declines(harness: Harness) -> None:
    for n, capture in enumerate([CANCELLED, FAILED, CANCELLED], start=1):
        open_captured(harness, f"CA1-{n}", 1000)
        assert finish(harness, capture, f"CA1-{n}").retry_allowed
    assert pay_now(harness, JORDAN, 1000, "CA1-4").approved  # the call may still pay
    assert balance_and_held(harness) == (12045 - 1000, 0)


def test_only_a_payment_written_ahead_can_be_finished(harness: Harness) -> None:
    with pytest.raises(LookupError), harness.turn() as ports:
        ports.finish_captured("CA9-1", CHARGED)


# --- fingerprints -----------------------------------------------------------------------------


def test_a_fingerprint_is_the_same_for_the_same_entry_in_a_later_turn(harness: Harness) -> None:
    with harness.turn() as ports:
        first = ports.fingerprint(BANK_NUMBER)
    with harness.turn() as ports:  # the caller keys the number again, in the next webhook
        assert ports.fingerprint(BANK_NUMBER) == first
        assert ports.fingerprint("000123456780") != first  # one digit differs
        assert ports.fingerprint(ROUTING) != first


@pytest.mark.parametrize("value", [BANK_NUMBER, ROUTING, VISA, "0" * 17])
def test_a_fingerprint_never_holds_the_digits(harness: Harness, value: str) -> None:
    with harness.turn() as ports:
        digest = ports.fingerprint(value)
        short = ports.fingerprint("1")
    assert value not in digest
    assert len(digest) == len(short)  # nor how many digits there were
    # keyed: a routing or account number cannot be found by hashing every candidate
    assert digest != hashlib.sha256(value.encode()).hexdigest()


# --- tokens <Pay> returns ---------------------------------------------------------------------

TOKEN = "sbx-approve-0123456789abcdef"  # one the gateway of each implementation can charge


def test_a_token_the_gateway_can_charge_later_is_kept_as_it_is(harness: Harness) -> None:
    with harness.turn() as ports:
        assert ports.accept_token("card", TOKEN) == TOKEN


@pytest.mark.parametrize("token", ["", "cus_NoPaymentMethod"])
def test_a_token_that_names_nothing_to_charge_is_refused(harness: Harness, token: str) -> None:
    with harness.turn() as ports:
        assert ports.accept_token("card", token) is None
