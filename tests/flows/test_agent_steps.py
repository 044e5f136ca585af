"""Agents in the flow: put through while on duty, else (or unanswered) a callback offer; the
callback steps; the trail of steps an agent is shown; and the table check they rely on."""

from __future__ import annotations

import re
import string

import pytest
import yaml

from flows import machine, table
from flows.agent_steps import callable_number, start_request
from flows.checks import check
from flows.errors import StepTableError
from flows.hours import AgentDesk, parse_hours
from flows.outcomes import Go
from flows.spec import End
from flows.speech import CATALOG_DIR
from flows.state import CallState, EndKind, Event, Step
from tests.flow_helpers import NOW_BY_CARD, VISA, Caller, at_main_menu, make_ports, verified

CLOSED = AgentDesk(on_duty=False, hours=parse_hours("Mon-Fri 08:00-18:00"))


def test_on_duty_a_transfer_is_put_through_from_the_agent_step() -> None:
    caller = at_main_menu(make_ports(), agent=True)
    assert caller.choose("agent") == "Please hold while we connect you to an agent."
    assert (caller.reply.end, caller.state.step) == (EndKind.TRANSFER, Step.AGENT)


def test_off_duty_a_transfer_is_a_callback_offer_with_the_hours() -> None:
    caller = at_main_menu(make_ports(), agent=True, desk=CLOSED)
    heard = caller.choose("agent")
    assert caller.reply.end is None and caller.state.step is Step.CALLBACK_OFFER
    assert heard.startswith("Our agents are not available right now. Agents are available "
                            "Monday to Friday, from eight AM to six PM. To have an agent call "
                            "you back, press 1.")
    assert "connect you" not in heard


def test_without_an_agent_there_is_no_transfer_nor_callback() -> None:
    caller = Caller(make_ports())
    caller.press_all("1", "0000", "0000")
    assert caller.press("0000").endswith("Please call again later. Goodbye.")
    assert caller.state.step is Step.ENDED


def test_an_unanswered_transfer_comes_back_to_a_callback_offer() -> None:
    caller = at_main_menu(make_ports(), agent=True)
    caller.choose("agent")
    heard = caller.press(None)  # the <Dial action> of an agent who did not answer
    assert heard.startswith("Sorry, no agent is free to take your call right now. "
                            "To have an agent call you back, press 1.")
    assert caller.state.step is Step.CALLBACK_OFFER


def test_a_payment_being_keyed_is_dropped_when_no_agent_can_take_the_call() -> None:
    caller = verified(make_ports(), agent=True, desk=CLOSED)
    caller.press_all(NOW_BY_CARD, VISA, "1230")
    for _ in range(3):
        caller.press("12")  # a security code too short, three times: to an agent
    assert caller.state.step is Step.CALLBACK_OFFER and caller.state.draft is None
    assert not machine.holds_keyed(caller.state)


def test_the_caller_id_is_offered_and_the_request_kept() -> None:
    ports = make_ports()
    caller = at_main_menu(ports, agent=True, desk=CLOSED)
    caller.choose("agent")
    caller.choose("call you back")
    heard = caller.choose("ending in 0 1 0 0")
    assert heard.startswith("Thank you. An agent will call you back at 4 1 5, 5 5 5, 0 1 0 0.")
    assert caller.state.step is Step.MAIN_MENU
    assert ports.callbacks == {"CA1": (1, "+14155550100", True)}


def test_an_unverified_caller_is_said_goodbye_after_leaving_a_request() -> None:
    ports = make_ports()
    caller = Caller(ports, agent=True, desk=CLOSED)
    caller.press_all("1", "0000", "0000", "0000", "1")
    heard = caller.press("1")
    assert heard.endswith("Thank you for calling. Goodbye.")
    assert caller.reply.end is EndKind.HANGUP
    assert ports.callbacks == {"CA1": (1, "+14155550100", False)}


def test_failures_at_the_callback_steps_end_the_call_instead_of_offering_it_again() -> None:
    caller = at_main_menu(make_ports(), agent=True, desk=CLOSED)
    caller.choose("agent")
    caller.choose("call you back")
    caller.choose("another number")
    for _ in range(3):
        heard = caller.press("0000000000")
    assert heard.endswith("Please call again later. Goodbye.")
    assert (caller.reply.end, caller.state.step) == (EndKind.HANGUP, Step.ENDED)


def test_the_trail_keeps_the_latest_steps_moved_to() -> None:
    caller = at_main_menu(make_ports(), agent=True)
    caller.choose("balance")  # the balance, and the offer to pay it now
    caller.press(NOW_BY_CARD)
    assert caller.state.trail == ["confirm_account", "pin", "pay_now", "main_menu", "pay_now",
                                  "card_number"]
    caller.press_all(VISA, "1230", "123", "94105")
    assert caller.state.trail == ["pay_now", "main_menu", "pay_now", "card_number",
                                  "card_expiry", "card_code", "card_zip", "pay_confirm"]
    machine.handle(caller.state, Event("2"), caller.ctx)  # cancel: the main menu again
    assert caller.state.trail[-2:] == ["pay_confirm", "main_menu"]
    assert caller.state.to_dict()["trail"] == caller.state.trail


def test_callback_numbers_are_valid_us_numbers_an_agent_may_call() -> None:
    assert callable_number("4155550199") == "+14155550199"
    assert callable_number("14155550199") == "+14155550199"
    for keys in ("0001234567", "1112223333", "9005550100", "415555019", "*", "?", ""):
        assert callable_number(keys) is None, keys


def test_a_step_reached_only_from_an_end_is_reachable() -> None:
    # The AGENT step is reached by finishing (with a transfer), as ENDED is; so is where it goes.
    assert Step.CALLBACK_OFFER in table.STEPS[Step.AGENT].targets()
    check(table.STEPS, names=frozenset(Step))
    steps = {**table.STEPS, Step.AGENT: End()}  # nothing leads to the callback offer any more
    with pytest.raises(StepTableError, match="step callback_offer cannot be reached"):
        check(steps, names=frozenset(Step))


def test_the_spanish_agent_catalog_has_every_id_with_the_same_placeholders() -> None:
    parts = {language: yaml.safe_load((CATALOG_DIR / f"{language}.agent.yaml").read_text())
             for language in ("en-US", "es-US")}
    assert parts["en-US"].keys() == parts["es-US"].keys()
    for prompt_id, english in parts["en-US"].items():
        spanish = parts["es-US"][prompt_id]
        assert _placeholders(english) == _placeholders(spanish), prompt_id
        if prompt_id.startswith("option."):
            assert re.fullmatch(r"Para [^,]+, oprima \{key\}\.", spanish), prompt_id


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("step", [Step.CONFIRM_ACCOUNT, Step.PAY_NOW, Step.MAIN_MENU])
def test_0_or_a_request_for_a_person_reaches_an_agent_at_any_menu(step: Step) -> None:
    # Offered at the main menu; accepted at every menu, said or keyed, when agents take calls.
    for answer in ("0", "representative"):
        caller = at_main_menu(make_ports(), agent=True) if step is Step.MAIN_MENU else \
            verified(make_ports(), agent=True) if step is Step.PAY_NOW else \
            Caller(make_ports(), agent=True)
        assert caller.state.step is step
        heard = caller.press(answer) if answer == "0" else caller.say(answer)
        assert heard == "Please hold while we connect you to an agent.", (step, answer)


def test_without_agents_0_at_a_menu_is_not_an_option() -> None:
    caller = verified(make_ports())
    assert caller.press("0").startswith("Sorry, that is not one of the options.")
    assert caller.state.step is Step.PAY_NOW


def test_a_callback_goes_only_to_a_us_number_keyed_or_calling() -> None:
    # +1 is shared with the Caribbean (876 Jamaica, 809 the Dominican Republic), the usual
    # targets of callback toll fraud: they are not US numbers, keyed or as the caller ID.
    for keys in ("8765550123", "8095550123", "18765550123", "+18095550123"):
        assert callable_number(keys) is None, keys
    ctx = Caller(make_ports(), agent=True, desk=CLOSED).ctx
    for caller, step in (("+18095550123", Step.CALLBACK_ENTRY),
                         ("+14155550100", Step.CALLBACK_NUMBER)):
        state = CallState(call_sid="CA1", caller=caller)
        assert start_request(state, ctx) == Go(step), caller
