"""Attacks on the card store and keep_token, from an adversarial review: each test states
the safe behaviour, and each once failed (its docstring says how)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, select

from ivr.config import override_settings
from ivr.db import db
from ivr.ops.housekeeping import forget_abandoned_calls
from ivr.ports.payments import PaymentPorts
from ivr.security.card_store import CardDetails
from models import Arrangement, CardEntry, SavedPaymentMethod, utcnow
from tests.app_helpers import call_payments
from tests.card_helpers import card_entries
from tests.menu_helpers import JORDAN_LATER, JORDAN_NEW_CARD, JORDAN_OTHER_AMOUNT, SAM_MAIN_MENU
from tests.money_checks import gateway_charges
from tests.twilio_helpers import TwilioCaller

VISA = CardDetails("4000056655665556", "1230", "737", "30301")
DECLINING = "4000000000000002"
PAY_NEW_CARD = JORDAN_NEW_CARD  # account 10001234, full balance, new card
SCHEDULE_NEW_CARD = (*JORDAN_LATER, "1201", "1")  # December 1st, a new card
# Sam (account 20005678, past due): two instalments on Dec 1 and 15, with a new card.
ARRANGE_NEW_CARD = (*SAM_MAIN_MENU, "5", "2", "1201", "1215", "1")
AGENT = "+18005550123"


def keyed(card: CardDetails) -> tuple[str, str, str, str]:
    """The four entries a caller keys for ``card``."""
    return card.number, card.expiry_mmyy, card.security_code, card.postal_code


def saved_cards(app: Flask, last4: str) -> list[SavedPaymentMethod]:
    """Methods on file ending in ``last4`` (detached)."""
    with db.transaction(app) as session:
        rows = list(session.scalars(select(SavedPaymentMethod)
                                    .where(SavedPaymentMethod.last4 == last4)))
        session.expunge_all()
        return rows


# --- keep_token outliving the call -------------------------------------------------------------

def test_keep_token_is_dropped_when_the_caller_hangs_up_while_holding(demo_app: Flask) -> None:
    """Once failed: close_call cleared keep_token, then charge_held_payment recorded the charge
    and wrote a fresh one that nothing cleared."""
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*PAY_NEW_CARD, *keyed(VISA))
    caller.press(read_back, "1", follow=False)  # "please hold", then the caller hangs up
    caller.post("/voice/status", CallStatus="completed", CallDuration="60")
    [payment] = call_payments(demo_app, caller.call_sid)
    assert payment.status == "approved"
    assert payment.keep_token is None, "a token for the card outlives the call"


def test_keep_token_is_dropped_when_an_abandoned_call_is_closed(demo_app: Flask) -> None:
    """Once failed: with no status callback, housekeeping closed the call but left the
    payment's keep_token."""
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*PAY_NEW_CARD, *keyed(VISA), "1")
    assert "has been approved" in answer.said
    assert forget_abandoned_calls(db.sessions(demo_app), utcnow() + timedelta(hours=2)) == 1
    [payment] = call_payments(demo_app, caller.call_sid)
    assert payment.keep_token is None, "a token for the card outlives the abandoned call"


# --- a card kept on file for a payment that was never written ----------------------------------

def reach_account_decline_limit(app: Flask) -> None:
    """Five declines on account 10001234 today, over two calls (its daily limit)."""
    first = TwilioCaller(app, call_sid="CA" + "1" * 32)
    second = TwilioCaller(app, call_sid="CA" + "2" * 32)
    for caller, times in ((first, 3), (second, 2)):
        answer = caller.walk(*JORDAN_OTHER_AMOUNT, "5", "1")  # $5 today, "with what"
        for attempt in range(times):
            again = ("1",) if attempt else ()  # "try another card" after a decline
            for keys in (*again, "1", DECLINING, "1230", "123", "94105", "1"):
                answer = caller.press(answer, keys)


def test_a_card_is_not_verified_or_kept_when_the_account_is_at_its_decline_limit(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once failed: the card was kept for later before the decline limit was checked, so a
    card tester past the limit still had each card checked by the gateway and kept on file."""
    reach_account_decline_limit(demo_app)
    gateway = demo_app.extensions["ivr_gateway"]
    asked: list[str] = []
    save_card = gateway.save_card

    def spied(card: CardDetails) -> str:
        asked.append(card.number[-4:])
        return save_card(card)

    monkeypatch.setattr(gateway, "save_card", spied)
    third = TwilioCaller(demo_app, call_sid="CA" + "3" * 32)
    answer = third.walk(*SCHEDULE_NEW_CARD, *keyed(VISA), "1")
    assert "we cannot take another payment attempt for this account" in answer.said
    assert call_payments(demo_app, third.call_sid) == []
    # Expected: neither the gateway asked to verify the card, nor the card kept on file.
    assert (asked, len(saved_cards(demo_app, "5556"))) == ([], 0)


# --- arrangements: a card no longer held, and the gateway under the account lock ---------------

def test_an_arrangement_with_a_card_no_longer_held_is_told_not_an_application_error(
        demo_app: Flask) -> None:
    sam = TwilioCaller(demo_app, caller="+12125550199")
    read_back = sam.walk(*ARRANGE_NEW_CARD, *keyed(VISA))
    assert card_entries(demo_app) == 1
    with db.transaction(demo_app) as session:  # the 15-minute sweep, or the key rotated
        session.execute(delete(CardEntry))
    answer = sam.press(read_back, "1")
    assert "card details were not kept" in answer.said, answer.said
    with db.transaction(demo_app) as session:
        assert session.scalars(select(Arrangement)).all() == []


# --- moving on (agent transfer) leaves the card in the store ------------------------------------

def test_a_card_is_forgotten_when_the_caller_is_transferred_to_an_agent_while_keying(
        demo_app: Flask) -> None:
    """Once failed: three bad security codes hand the caller to an agent, the call goes on
    (with the agent) with no status callback for minutes, and the card keyed so far stayed."""
    override_settings(demo_app, IVR_AGENT_NUMBER=AGENT)
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*PAY_NEW_CARD, VISA.number, VISA.expiry_mmyy)
    for _ in range(3):
        answer = caller.press(answer, "12")  # too short
    assert answer.root.findtext("Dial/Number") == AGENT
    assert card_entries(demo_app) == 0, "the card stays held while the caller talks to an agent"


def test_a_card_read_back_is_forgotten_when_the_caller_is_transferred_to_an_agent(
        demo_app: Flask) -> None:
    override_settings(demo_app, IVR_AGENT_NUMBER=AGENT)
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*PAY_NEW_CARD, *keyed(VISA))
    for _ in range(3):
        answer = caller.press(answer, "9")  # not an option at the read-back
    assert answer.root.findtext("Dial/Number") == AGENT
    assert card_entries(demo_app) == 0, "the card stays held while the caller talks to an agent"


def test_a_card_is_forgotten_when_a_turn_fails_and_the_caller_goes_to_an_agent(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once failed: an unexpected error becomes an apology and a <Dial> to an agent; the turn's
    transaction rolled back, so the card keyed stayed in the store for the rest of the call."""
    override_settings(demo_app, IVR_AGENT_NUMBER=AGENT)
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*PAY_NEW_CARD, *keyed(VISA))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(PaymentPorts, "open_payment", broken)
    answer = caller.press(read_back, "1")
    assert answer.root.findtext("Dial/Number") == AGENT
    assert card_entries(demo_app) == 0, "the card stays held while the caller talks to an agent"


def test_a_card_is_not_held_after_its_authorisation_when_the_hold_turn_fails(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway approves the charge, then the holding turn fails (here: reading the result
    back): the outcome, and with it the card store's deletion, is rolled back, the caller is
    put through to an agent, and the card with its security code stays held after it was
    authorised (PCI DSS 3.3.2) for as long as the agent call lasts (or the sweep)."""
    override_settings(demo_app, IVR_AGENT_NUMBER=AGENT)
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*PAY_NEW_CARD, *keyed(VISA))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(PaymentPorts, "payment_result", broken)
    answer = caller.press(read_back, "1")
    assert answer.root.findtext("Dial/Number") == AGENT
    assert len(gateway_charges(demo_app)) == 1  # authorised at the gateway
    assert card_entries(demo_app) == 0, "the card and its code outlive their authorisation"
