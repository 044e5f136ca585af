"""Card capture by the telephony provider, as the flow sees it: a neutral CaptureReport."""

from __future__ import annotations

import pytest

from flows import machine
from flows.capture import CaptureKind, CaptureReport
from flows.menus import method_words
from flows.ports import CaptureResult, DeclineReason, PaymentSource
from flows.speech import render
from flows.state import Event, Reply, Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import NOW_BY_BANK, NOW_BY_CARD, OTHER, Caller

PIN = "1234"
CHARGED = CaptureReport(CaptureKind.SUCCESS, brand="Visa", last4="4242", reference="ch_1")


TODAY_CARD = (NOW_BY_CARD,)  # the full balance now, by a new card
LATER_CARD = (OTHER, "2", "1203", "1")  # the full balance on December 3rd, by a new card


def at_capture(ports: FakePorts, keys: tuple[str, ...]) -> Caller:
    """A caller with <Pay>-style capture on, paying the full balance: ``keys`` say when, and
    choose a new card."""
    caller = Caller(ports, card_capture="pay")
    caller.press_all("1", PIN, *keys)
    assert caller.reply.capture is not None and caller.state.step is Step.CARD_CAPTURE
    return caller


def report(caller: Caller, captured: CaptureReport | None) -> str:
    """The capture reports back (None: a turn with no report at all); what is heard next."""
    caller.reply = machine.handle(caller.state, Event(None, captured=captured), caller.ctx)
    return heard(caller.reply)


def heard(reply: Reply) -> str:
    """What a reply says and asks."""
    return " ".join(render(p) for p in reply.say + (reply.ask.prompts if reply.ask else []))


def test_a_charge_today_is_recorded_as_the_capture_reported_it(ports: FakePorts) -> None:
    caller = at_capture(ports, TODAY_CARD)
    assert caller.reply.capture is not None and caller.reply.capture.charge_cents == 12045
    text = report(caller, CHARGED)
    assert "has been approved" in text
    assert ports.captured["CA1-1"] == CaptureResult(approved=True, reference="ch_1",
                                                    label="Visa", last4="4242")
    [order] = ports.orders
    assert order.source == PaymentSource("captured", "", "")  # written ahead, unseen card
    assert caller.state.save_offer is None  # the connector charged it: no token to keep


def test_a_known_connector_decline_says_why_and_offers_another_way(ports: FakePorts) -> None:
    caller = at_capture(ports, TODAY_CARD)
    text = report(caller, CaptureReport(CaptureKind.CONNECTOR_ERROR,
                                        decline_reason=DeclineReason.INSUFFICIENT_FUNDS))
    assert "No payment was taken." in text and caller.state.step is Step.AFTER_DECLINE
    assert ports.captured["CA1-1"].decline_reason is DeclineReason.INSUFFICIENT_FUNDS
    assert not ports.captured["CA1-1"].unknown


def test_a_connector_error_that_is_no_decline_is_reported_in_doubt(ports: FakePorts) -> None:
    caller = at_capture(ports, TODAY_CARD)
    report(caller, CaptureReport(CaptureKind.CONNECTOR_ERROR))
    capture = ports.captured["CA1-1"]
    assert capture.unknown and not capture.approved and capture.decline_reason is None


@pytest.mark.parametrize(("captured", "says"), [
    (CaptureReport(CaptureKind.UNREADABLE), "we could not read the card details"),
    (CaptureReport(CaptureKind.FAILED), "a problem processing your card"),
    (None, "a problem processing your card"),  # anything but a report counts as a failure
])
def test_a_capture_that_failed_takes_nothing(ports: FakePorts, captured: CaptureReport | None,
                                             says: str) -> None:
    caller = at_capture(ports, TODAY_CARD)
    text = report(caller, captured)
    assert says in text and "No payment was taken." in text
    assert caller.state.step is Step.AFTER_DECLINE and caller.state.payment.method is None
    assert not ports.captured["CA1-1"].approved


def test_star_cancels_the_payment(ports: FakePorts) -> None:
    caller = at_capture(ports, TODAY_CARD)
    assert "The payment was cancelled." in report(caller, CaptureReport(CaptureKind.CANCELLED))
    assert caller.state.step is Step.MAIN_MENU and caller.state.draft is None
    assert ports.captured["CA1-1"].cancelled


def test_a_hang_up_ends_the_call(ports: FakePorts) -> None:
    caller = at_capture(ports, TODAY_CARD)
    assert report(caller, CaptureReport(CaptureKind.HUNG_UP)) == ""
    assert caller.state.step is Step.ENDED and ports.captured["CA1-1"].cancelled


def test_a_card_kept_for_a_scheduled_payment_is_read_back_with_its_token(
        ports: FakePorts) -> None:
    caller = at_capture(ports, LATER_CARD)
    assert caller.reply.capture is not None and caller.reply.capture.charge_cents == 0
    text = report(caller, CaptureReport(CaptureKind.SUCCESS, brand="American Express",
                                        last4="0005", token="pm_1", expiry_mmyy="1230",
                                        postal_code="94105"))
    assert "with the American Express card ending in 0 0 0 5, on December third" in text
    assert caller.state.payment.source == PaymentSource(
        "card", "American Express", "0005", "pm_1", "1230", "94105")
    assert ports.captured == {}  # nothing was charged, so nothing to record
    assert "is scheduled for December third" in heard(
        machine.handle(caller.state, Event("1"), caller.ctx))
    assert ports.orders[-1].source.token == "pm_1"


def test_a_decline_reason_belongs_only_to_a_connector_error() -> None:
    with pytest.raises(ValueError, match="no decline reason"):
        CaptureReport(CaptureKind.FAILED, decline_reason=DeclineReason.DECLINED)


def test_a_card_whose_brand_twilio_did_not_say_is_named_without_one() -> None:
    assert render(method_words("card", "", "4242")) == "the card ending in 4 2 4 2"
    assert render(method_words("card", "Visa", "4242")) == "the Visa card ending in 4 2 4 2"


# --- a token the gateway refuses, and bank accounts by <Pay> -----------------------------------


def test_a_token_the_gateway_refuses_is_refused_when_pay_reports_it(ports: FakePorts) -> None:
    caller = at_capture(ports, LATER_CARD)  # the card is only tokenised
    text = report(caller, CaptureReport(CaptureKind.SUCCESS, brand="Visa", last4="4242",
                                        token="cus_Bare", expiry_mmyy="1230"))
    assert "cannot be kept on file for a payment on a later date" in text
    assert "No payment was taken." in text and "To try a different card" in text
    assert caller.state.step is Step.AFTER_DECLINE and caller.state.payment.method is None
    assert ports.orders == [] and ports.saved == {}  # nothing scheduled, nothing kept


def at_bank_capture(ports: FakePorts, *when: str, account_type: str = "1") -> Caller:
    """A caller with <Pay> capture on, paying the full balance now (no ``when``) or on the
    date keyed, from a new bank account of the type keyed (1 checking, 2 savings)."""
    caller = Caller(ports, card_capture="pay")
    keys = (OTHER, "2", *when, "2") if when else (NOW_BY_BANK,)
    caller.press_all("1", PIN, *keys, account_type)
    assert caller.state.step is Step.BANK_CAPTURE
    return caller


BANK = CaptureReport(CaptureKind.SUCCESS, last4="89", token="sbx-settle-1")


@pytest.mark.parametrize(("key", "account_type"), [("1", "checking"), ("2", "savings")])
def test_pay_collects_a_bank_account_of_the_type_chosen_and_never_debits_it(
        ports: FakePorts, key: str, account_type: str) -> None:
    caller = at_bank_capture(ports, account_type=key)
    capture = caller.reply.capture
    assert capture is not None and (capture.charge_cents, capture.bank_account_type) == \
        (0, account_type)
    assert "routing number and your account number" in caller.text
    assert ports.orders == []  # nothing is written ahead before the authorisation


def test_a_bank_account_is_read_back_with_its_authorisation_and_debited_once_agreed(
        ports: FakePorts) -> None:
    caller = at_bank_capture(ports)
    text = report(caller, BANK)
    assert "with the checking account ending in 8 9" in text
    assert "electronic debit" in text  # the telephone authorisation, before any debit
    assert caller.state.step is Step.PAY_CONFIRM and ports.orders == []
    assert "has been submitted" in caller.press("1")
    [order] = ports.orders
    assert order.source == PaymentSource("bank", "checking", "89", "sbx-settle-1")
    assert order.authorization_text and "8 9" in order.authorization_text


def test_a_bank_account_for_a_later_date_is_kept_and_scheduled_once_agreed(
        ports: FakePorts) -> None:
    caller = at_bank_capture(ports, "1203")
    text = report(caller, BANK)
    assert "on December third" in text and "on file for this" in text
    assert "is scheduled for December third" in caller.press("1")
    assert ports.orders[-1].source.token == "sbx-settle-1"


@pytest.mark.parametrize(("captured", "says", "step"), [
    (CaptureReport(CaptureKind.SUCCESS, last4="89", token="cus_Bare"),
     "we cannot take a payment from that bank account", Step.AFTER_DECLINE),
    (CaptureReport(CaptureKind.UNREADABLE), "we could not read the bank account details",
     Step.AFTER_DECLINE),
    (CaptureReport(CaptureKind.FAILED), "a problem submitting the bank debit",
     Step.AFTER_DECLINE),
    (CaptureReport(CaptureKind.CANCELLED), "The payment was cancelled.", Step.MAIN_MENU),
])
def test_a_bank_account_pay_did_not_give_is_never_debited(
        ports: FakePorts, captured: CaptureReport, says: str, step: Step) -> None:
    caller = at_bank_capture(ports)
    text = report(caller, captured)
    assert says in text and caller.state.step is step
    assert "card" not in text.split(".")[0]  # a bank account's trouble is never the card's
    assert ports.orders == []


def test_a_hang_up_during_the_bank_capture_ends_the_call(ports: FakePorts) -> None:
    caller = at_bank_capture(ports)
    assert report(caller, CaptureReport(CaptureKind.HUNG_UP)) == ""
    assert caller.state.step is Step.ENDED and ports.orders == []
