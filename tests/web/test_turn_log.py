"""The call log: one row per answered turn, written with the turn, masked where secret."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from ivr.db import db
from models import CallTurn
from tests.agent_helpers import HOURS, SATURDAY_AFTERNOON, with_agent
from tests.menu_helpers import JORDAN_MAIN_MENU, JORDAN_NEW_CARD, JORDAN_PAY_NOW
from tests.twilio_helpers import TwilioCaller

VISA = "4242424242424242"


def turns(app: Flask, call_sid: str) -> list[CallTurn]:
    """The call's logged turns, in order."""
    with db.transaction(app) as session:
        return list(session.scalars(select(CallTurn).where(CallTurn.call_sid == call_sid)
                                    .order_by(CallTurn.turn)))


def test_each_turn_is_logged_with_where_it_went_and_what_was_said(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    caller.walk("1", "2468")
    start, confirm, pin = turns(demo_app, caller.call_sid)
    assert (start.turn, start.step_before, start.step_after, start.input_kind) == \
        (1, None, "confirm_account", "start")
    assert (confirm.step_before, confirm.step_after, confirm.input_kind, confirm.entry) == \
        ("confirm_account", "pin", "key", "1")
    assert (pin.step_before, pin.step_after, pin.entry) == ("pin", "pay_now", "<PIN, 4 digits>")
    assert confirm.prompts == ["ask.pin"] and pin.prompts[-1].startswith("option.")
    assert pin.language == "en-US" and pin.worker and pin.response_ms >= 0


def test_a_redelivered_webhook_adds_no_turn(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.start()
    caller.press(answer, "1")
    caller.press(answer, "1")
    caller.start()
    assert [turn.turn for turn in turns(demo_app, caller.call_sid)] == [1, 2]


def test_a_card_payment_is_logged_without_a_digit_of_the_card(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    caller.walk(*JORDAN_NEW_CARD, VISA, "1230", "987", "94105", "1")
    logged = turns(demo_app, caller.call_sid)
    entries = {turn.step_before: turn.entry for turn in logged}
    assert entries["card_number"] == "<card number, 16 digits>"
    assert entries["card_expiry"] == "<card expiry, 4 digits>"
    assert entries["card_code"] == "<security code, 3 digits>"
    assert entries["card_zip"] == "<ZIP code, 5 digits>"
    assert [turn.input_kind for turn in logged][-1] == "hold"
    assert all(VISA[-4:] not in str(turn.entry) and "987" not in str(turn.entry)
               for turn in logged)


def test_each_turn_names_the_steps_it_moved_through_and_the_option_chosen(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk("1", "2468")
    caller.say(answer, "more options")
    start, confirm, pin, spoken = turns(demo_app, caller.call_sid)
    assert (start.moved, start.option) == (["confirm_account"], None)
    assert (confirm.moved, confirm.option) == (["pin"], "1 option.this_account")
    assert (pin.moved, pin.option) == (["pay_now"], None)  # an entry has no options
    assert (spoken.moved, spoken.option) == (["main_menu"], "next option.more")


def test_a_turn_that_stays_put_moved_nowhere_and_star_chose_no_option(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*JORDAN_PAY_NOW)
    caller.press(caller.press(answer, "*"), "6")
    star, wrong = turns(demo_app, caller.call_sid)[-2:]
    assert (star.step_before, star.step_after, star.moved, star.option) == \
        ("pay_now", "pay_now", [], None)
    assert (wrong.step_after, wrong.moved, wrong.option) == ("pay_now", [], None)


def test_a_transfer_no_agent_can_take_passes_the_agent_step(demo_app: Flask) -> None:
    caller = TwilioCaller(with_agent(demo_app, hours=HOURS, now=SATURDAY_AFTERNOON))
    caller.walk(*JORDAN_MAIN_MENU, "0")
    transfer = turns(demo_app, caller.call_sid)[-1]
    assert (transfer.step_before, transfer.step_after) == ("main_menu", "callback_offer")
    assert (transfer.moved, transfer.option) == (["agent", "callback_offer"], "0 option.agent")
