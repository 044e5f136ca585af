"""Limits on guessing: at most 3 declined authorisations per call and a daily limit per
account (card testing), and the PIN lockout across calls."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from models import AuditEvent, Payment
from tests.menu_helpers import JORDAN_OTHER_AMOUNT, OTHER, SAM_MAIN_MENU
from tests.money_checks import gateway_charges
from tests.twilio_helpers import Answer, TwilioCaller

DECLINED = "4000000000000002"
TO_METHOD = (*JORDAN_OTHER_AMOUNT, "5", "1")  # five dollars today, up to "with what"


def decline(caller: TwilioCaller, answer: Answer) -> Answer:
    """Key the declined test card at "with what" (or "try a different card") and authorise."""
    for keys in ("1", DECLINED, "1230", "123", "94105", "1"):
        answer = caller.press(answer, keys)
    return answer


def limits(app: Flask) -> list[str]:
    """The authorisation limits reached, as audited."""
    with db.transaction(app) as session:
        return list(session.scalars(select(AuditEvent.outcome)
                                    .where(AuditEvent.action == "authorisation_limit")
                                    .order_by(AuditEvent.id)))


def test_a_call_stops_after_three_declines(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = decline(caller, caller.walk(*TO_METHOD))
    answer = decline(caller, caller.press(answer, "1"))
    assert "To try a different card or a bank account, press 1." in answer.said
    answer = decline(caller, caller.press(answer, "1"))
    assert "For your security, we cannot try another payment on this call." in answer.said
    assert "To try a different card" not in answer.said
    assert answer.verbs()[-1] == "Hangup"
    assert limits(demo_app) == ["call"]


def test_an_account_stops_after_its_daily_declines_across_calls(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_AGENT_NUMBER="+18005550123")
    first = TwilioCaller(demo_app, call_sid="CA" + "1" * 32)
    answer = decline(first, first.walk(*TO_METHOD))
    for _ in range(2):
        answer = decline(first, first.press(answer, "1"))
    second = TwilioCaller(demo_app, call_sid="CA" + "2" * 32)
    answer = decline(second, second.walk(*TO_METHOD))
    answer = decline(second, second.press(answer, "1"))  # the account's fifth today
    assert "For your security, we cannot try another payment on this call." in answer.said
    assert answer.root.findtext("Dial/Number") == "+18005550123"

    third = TwilioCaller(demo_app, call_sid="CA" + "3" * 32)
    answer = third.walk(*TO_METHOD, "1", "4242424242424242", "1230", "123", "94105", "1")
    assert "we cannot take another payment attempt for this account right now" in answer.said
    assert gateway_charges(demo_app) == []  # even a good card is not tried
    assert limits(demo_app) == ["call", "account", "account"]


def test_attempts_in_flight_count_against_the_account(demo_app: Flask) -> None:
    """Card testers authorise on many calls at once: charges not yet answered count too."""
    held = []
    for n in range(6):
        caller = TwilioCaller(demo_app, call_sid=f"CA{n:032d}")
        held.append(caller.press(caller.walk(*TO_METHOD, "1", DECLINED, "1230", "123", "94105"),
                                 "1", follow=False))
    assert all("Please hold" in answer.said for answer in held[:5])
    assert "we cannot take another payment attempt for this account" in held[5].said
    assert limits(demo_app) == ["account"]


def test_an_arrangement_agreed_after_the_balance_changed_takes_nothing(demo_app: Flask) -> None:
    sam = TwilioCaller(demo_app, call_sid="CA" + "5" * 32, caller="+12125550199")
    plan = sam.walk(*SAM_MAIN_MENU, "5", "2", "1125", "1201", "1", "4242424242424242", "1230",
                    "123", "94105")
    assert "To agree to this payment arrangement, press 1." in plan.said
    other = TwilioCaller(demo_app, call_sid="CA" + "6" * 32, caller="+12125550199")
    other.walk("1", "1357", OTHER, "10", "1", "4242424242424242", "1230", "123", "94105",
               "1")
    answer = sam.press(plan, "1")
    assert "another payment to this account was made while you were on the line" in answer.said
    assert "No payment was taken." in answer.said
    with db.transaction(demo_app) as session:
        statuses = session.scalars(select(Payment.status).where(
            Payment.call_sid == "CA" + "5" * 32)).all()
    assert statuses == []


def test_locked_by_wrong_pins_over_two_calls_then_unlocked_by_the_operator(
        demo_app: Flask) -> None:
    first = TwilioCaller(demo_app, call_sid="CA" + "a" * 32)
    assert "cannot continue" in first.walk("1", "0000", "0001", "0002").said
    second = TwilioCaller(demo_app, call_sid="CA" + "b" * 32)
    answer = second.walk("1", "0003", "0004")
    assert "this account is locked for 30 minutes" in answer.said
    third = TwilioCaller(demo_app, call_sid="CA" + "c" * 32)
    assert "this account is locked" in third.walk("1", "2468").said  # even the right PIN
    result = demo_app.test_cli_runner().invoke(args=["accounts", "unlock", "10001234"])
    assert result.exit_code == 0 and "Unlocked account ending 1234" in result.output
    fourth = TwilioCaller(demo_app, call_sid="CA" + "d" * 32)
    assert "You owe" in fourth.walk("1", "2468").said
