"""Agent hours and callbacks over HTTP: inside and outside the hours by the settings' clock,
the <Dial action> an unanswered or busy agent posts, the callback number (caller ID, or keyed,
confirmed, a bad one asked again), and the request stored and exported."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.agent_helpers import (
    HOURS,
    SATURDAY_AFTERNOON,
    SATURDAY_MORNING,
    callback_requests,
    dial,
    dial_result,
    with_agent,
)
from tests.menu_helpers import JORDAN_MAIN_MENU, JORDAN_PIN, MORE
from tests.twilio_helpers import Answer, TwilioCaller

OFFER = "To have an agent call you back, press 1."
SPOKEN_HOURS = ("Agents are available Monday to Friday, from eight AM to six PM, and "
                "Saturday, from nine AM to one PM")


def caller_at(app: Flask, now: str, caller: str = "+14155550100",
              call_sid: str = "CA" + "1" * 32) -> TwilioCaller:
    """A caller on a line whose agents keep HOURS, at ``now`` (a Saturday)."""
    return TwilioCaller(with_agent(app, hours=HOURS, now=now), caller=caller, call_sid=call_sid)


def test_within_the_hours_a_transfer_rings_the_agent(demo_app: Flask) -> None:
    answer = caller_at(demo_app, SATURDAY_MORNING).walk(*JORDAN_MAIN_MENU, "0")
    assert answer.verbs() == ["Say", "Dial"]


def test_outside_the_hours_the_caller_hears_them_and_is_offered_a_callback(
        demo_app: Flask) -> None:
    answer = caller_at(demo_app, SATURDAY_AFTERNOON).walk(*JORDAN_MAIN_MENU, "0")
    assert answer.root.find("Dial") is None and answer.gather is not None
    assert answer.said.startswith(f"Our agents are not available right now. {SPOKEN_HOURS}. "
                                  f"{OFFER} To return to the main menu, press 2.")


def test_the_closing_minute_is_outside_the_hours(demo_app: Flask) -> None:
    with_agent(demo_app, hours="Sat 09:00-10:00", now=SATURDAY_MORNING)  # at 10:00
    answer = TwilioCaller(demo_app).walk(*JORDAN_MAIN_MENU, "0")
    assert answer.root.find("Dial") is None
    assert "Agents are available Saturday, from nine AM to ten AM." in answer.said


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_an_agent_who_does_not_answer_is_a_callback_offer(demo_app: Flask, status: str) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    rung = caller.walk(*JORDAN_MAIN_MENU, "0")
    answer = dial_result(caller, rung, status)
    assert answer.said.startswith(f"Sorry, no agent is free to take your call right now. "
                                  f"{SPOKEN_HOURS}. {OFFER}")


@pytest.mark.parametrize("status", ["completed", "canceled"])
def test_a_caller_back_from_an_agents_call_is_said_goodbye(demo_app: Flask, status: str) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    answer = dial_result(caller, caller.walk(*JORDAN_MAIN_MENU, "0"), status)
    assert answer.verbs() == ["Say", "Hangup"] and answer.said == "Thank you for calling. Goodbye."


def test_the_dial_action_is_a_signed_webhook(demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    action = dial(caller.walk(*JORDAN_MAIN_MENU, "0")).get("action") or ""
    response = caller.client.post(action, data=caller.params(DialCallStatus="no-answer"))
    assert response.status_code == 403


def test_a_redelivered_dial_action_gets_the_same_answer(demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    first = dial_result(caller, caller.walk(*JORDAN_MAIN_MENU, "0"), "busy")
    assert caller.resend().raw == first.raw


def _to_number_entry(caller: TwilioCaller) -> Answer:
    offer = dial_result(caller, caller.walk(*JORDAN_MAIN_MENU, "0"), "no-answer")
    numbers = caller.press(offer, "1")
    assert numbers.said.startswith("To be called at the number ending in 0 1 0 0, press 1. "
                                   "To enter another number, press 2.")
    return caller.press(numbers, "2")


def test_a_callback_at_a_number_keyed_is_confirmed_stored_and_back_to_the_menu(
        demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    entry = _to_number_entry(caller)
    assert entry.said == "Please enter the 10 digit phone number to call, area code first."
    assert entry.gather is not None and entry.gather.get("numDigits") == "10"
    confirm = caller.press(entry, "3125550142")
    assert confirm.said.startswith("An agent will call you at 3 1 2, 5 5 5, 0 1 4 2. "
                                   "To confirm this number, press 1.")
    assert callback_requests(demo_app) == []  # not before it is confirmed
    done = caller.press(confirm, "1")
    assert done.said.startswith("Thank you. An agent will call you back at 3 1 2, 5 5 5, "
                                "0 1 4 2. To hear your balance and due date, press 1.")
    [request] = callback_requests(demo_app)
    assert (request.phone, request.call_sid, request.verified, request.status) == (
        "+13125550142", caller.call_sid, True, "open")


@pytest.mark.parametrize("keys", ["0001234567", "1234", "5555555555", "9005550100"])
def test_a_number_we_cannot_call_is_asked_again(demo_app: Flask, keys: str) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    again = caller.press(_to_number_entry(caller), keys)
    assert again.said == ("Sorry, that is not a phone number we can call. Please enter all 10 "
                          "digits, starting with the area code. Please enter the 10 digit phone "
                          "number to call, area code first.")
    assert keys not in again.said  # never read back: it may be something else keyed by mistake
    confirm = caller.press(again, "4155550199")
    assert "An agent will call you at 4 1 5, 5 5 5, 0 1 9 9." in confirm.said


def test_reentering_the_number_at_the_read_back(demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    confirm = caller.press(_to_number_entry(caller), "3125550142")
    entry = caller.press(confirm, "2")
    confirm = caller.press(entry, "2125550199")
    caller.press(confirm, "1")
    assert [r.phone for r in callback_requests(demo_app)] == ["+12125550199"]


def test_without_a_caller_id_the_number_is_asked_for_at_once(demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_AFTERNOON, caller="anonymous")
    menu = caller.walk("10001234", JORDAN_PIN, MORE, "0")
    assert caller.press(menu, "1").said == (
        "Please enter the 10 digit phone number to call, area code first.")


def test_one_request_a_call(demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_AFTERNOON)
    menu = caller.walk(*JORDAN_MAIN_MENU, "0", "1", "1")
    again = caller.press(menu, "0")
    assert "We already have your request to be called back at 4 1 5, 5 5 5, 0 1 0 0." \
        in again.said
    assert OFFER not in again.said
    assert caller.press(again, "1").said.startswith("Sorry, that is not one of the options.")
    assert len(callback_requests(demo_app)) == 1


def test_an_unverified_caller_leaves_a_request_and_is_said_goodbye(demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_AFTERNOON)
    offer = caller.walk("1", "0000", "1111", "9999")
    assert "To return to the main menu" not in offer.said and OFFER in offer.said
    done = caller.press(caller.press(offer, "1"), "1")
    assert done.verbs()[-1] == "Hangup" and done.said.endswith("Thank you for calling. Goodbye.")
    [request] = callback_requests(demo_app)
    assert (request.verified, request.account_id is not None) == (False, True)


def test_too_many_bad_numbers_end_the_call_rather_than_offer_an_agent_again(
        demo_app: Flask) -> None:
    caller = caller_at(demo_app, SATURDAY_MORNING)
    answer = _to_number_entry(caller)
    for _ in range(3):
        answer = caller.press(answer, "0001234567")
    assert answer.root.find("Dial") is None and answer.verbs()[-1] == "Hangup"
    assert answer.said.endswith("Please call again later. Goodbye.")


def test_requests_are_exported_as_csv(demo_app: Flask, runner: FlaskCliRunner) -> None:
    caller = caller_at(demo_app, SATURDAY_AFTERNOON)
    caller.walk(*JORDAN_MAIN_MENU, "0", "1", "1")
    stranger = caller_at(demo_app, SATURDAY_AFTERNOON, "+13125550142", "CA" + "2" * 32)
    stranger.walk("30009012", "0000", "0000", "0000", "1", "1")  # not verified
    result = runner.invoke(args=["callbacks", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["account_number"], r["number"], r["call_sid"], r["status"], r["verified"])
            for r in rows] == [("10001234", "+14155550100", caller.call_sid, "open", "yes"),
                               ("30009012", "+13125550142", stranger.call_sid, "open", "no")]
    assert rows[0]["created_at"].endswith("+00:00")
