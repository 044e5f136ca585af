"""A failing script's report: the call's last lines by turn, then the failure; keys for a
secret (PIN, account, card, bank) shown by kind and length only, in every language."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flows.spec import Entry
from flows.table import STEPS
from ivr.errors import ScriptFailure
from ivr.sim.keyed import SECRET_PROMPTS, SECRET_STEPS, masked, secret_kind
from ivr.sim.pay_twiml import PayFieldSpec
from ivr.sim.results import Action, Spoken
from ivr.sim.script import run_script
from ivr.sim.turns import CONTEXT_LINES, TurnLog
from ivr.sim.twiml import GatherSpec

PIN = "2468"
VISA = "4242424242424242"
TO_THE_BALANCE: list[Any] = [{"press": "1"}, {"expect": "Enter your PIN."}, {"press": PIN}]
MENU = GatherSpec(action="/voice/turn", num_digits=1)


# To the callback number's question, on a Saturday afternoon when the agents are away.
AGENTS_CLOSED = {"IVR_AGENT_NUMBER": "+18005550123", "IVR_AGENT_HOURS": "Mon-Fri 08:00-18:00",
                 "IVR_NOW": "2026-11-21T15:30"}
CALLBACK_ENTRY: list[Any] = [*TO_THE_BALANCE, {"press": "4"}, {"press": "0"}, {"press": "1"},
                             {"press": "2"}]


def failure_of(app: Flask, steps: list[Any], language: str | None = None,
               settings: dict[str, str] | None = None) -> str:
    """The report of a script that must fail."""
    script = {"name": "report", "from": "+14155550100", "today": "2026-11-21", "steps": steps,
              **({"settings": settings} if settings else {})}
    with pytest.raises(ScriptFailure) as failure:
        run_script(app, script, quiet=True, language=language)
    return failure.value.message


def test_a_failure_shows_the_turns_before_it_and_never_the_pin(demo_app: Flask) -> None:
    report = failure_of(demo_app, [*TO_THE_BALANCE, {"expect": "You owe one hundred dollars."}])
    lines = report.splitlines()
    assert lines[0] == ("Script 'report' failed at step 4 "
                        '(expect: "You owe one hundred dollars."):')
    assert lines[1] == "the call so far:"
    context = lines[2:lines.index('expected to hear: "You owe one hundred dollars."')]
    assert context[-4:] == ["  turn 1  IVR: To repeat, press star.",
                            "  turn 1  caller presses 1",
                            "  turn 2  IVR: Enter your PIN.",
                            "  turn 2  caller presses <PIN, 4 digits>"]
    assert "heard since 'caller presses <PIN, 4 digits>':" in lines
    assert "  IVR: You owe one hundred twenty dollars and forty-five cents, due December fifth." \
        in lines
    assert PIN not in report


def test_card_keys_at_a_gather_are_masked_but_not_the_pound(demo_app: Flask) -> None:
    steps = [*TO_THE_BALANCE, {"press": "1"}, {"expect": "Enter the card number"},
             {"press": VISA + "#"}, {"press": "1230"}, {"press": "123"}, {"press": "94105"},
             {"expect": "with the Mastercard ending in 4 4 4 4"}]
    report = failure_of(demo_app, steps)
    for line in ("  turn 4  caller presses <card number, 16 digits>#",
                 "  turn 5  caller presses <card expiry, 4 digits>",
                 "  turn 6  caller presses <security code, 3 digits>",
                 "  turn 7  caller presses <ZIP code, 5 digits>"):
        assert line in report.splitlines()
    assert "heard since 'caller presses <ZIP code, 5 digits>':" in report
    assert not any(secret in report for secret in (VISA, "1230", "94105", PIN))


def test_a_secret_is_told_by_its_words_in_another_language(demo_app: Flask) -> None:
    steps = [{"expect_prompt": "ask.pin"}, {"press": PIN}, {"expect_prompt": "ask.card_number"}]
    report = failure_of(demo_app, [{"press": "1"}, *steps], language="es-US")
    assert "caller presses 9 (for es-US)" in report  # the key that chose Spanish
    assert "caller presses <PIN, 4 digits>" in report
    assert PIN not in report


def test_only_the_last_lines_are_shown() -> None:
    log = TurnLog()
    for number in range(1, 9):
        log.add([Spoken(f"Menu {number}.", "en-US")], MENU, Action("press", str(number)))
    report = log.report().splitlines()
    assert report[0] == f"the call so far (its last {CONTEXT_LINES} lines):"
    assert report[1:3] == ["  turn 4  IVR: Menu 4.", "  turn 4  caller presses 4"]
    assert report[-1] == "  turn 8  caller presses 8"
    assert len(report) == CONTEXT_LINES + 1
    assert TurnLog().report() == ""  # before the caller's first action, nothing to show


def test_what_a_secret_looks_like() -> None:
    assert masked(Action("press", "2468"), "PIN") == "caller presses <PIN, 4 digits>"
    assert masked(Action("press", "1#"), "account number") == \
        "caller presses <account number, 1 digit>#"
    assert masked(Action("press", "*"), "card number") == "caller presses *"  # cancel
    assert masked(Action("say", words="one two three four"), "PIN") == \
        "caller says <PIN, 4 words>"
    assert masked(Action("silence"), "PIN") == "caller stays silent"
    assert masked(Action("press", "2468"), None) == "caller presses 2468"


def test_which_questions_are_for_a_secret() -> None:
    assert {"ask.pin", "ask.account_number", "ask.card_number", "ask.card_expiry",
            "ask.card_code_front", "ask.card_code_back", "ask.card_zip", "ask.bank_routing",
            "ask.bank_account", "ask.bank_account_again",
            "ask.callback_number"} == set(SECRET_PROMPTS)
    asked = [Spoken("Sorry, that PIN is not right.", "en-US"), Spoken("Enter your PIN.", "en-US")]
    assert secret_kind(asked, MENU) == "PIN"
    assert secret_kind([Spoken("For more options, press 4.", "en-US")], MENU) is None
    field = PayFieldSpec(action=None, field="postal-code")
    assert secret_kind([], field) == "ZIP code"  # every <Pay> field, whatever was said


def test_a_report_masks_every_number_the_table_declares_secret(demo_app: Flask) -> None:
    declared = {step for step, spec in STEPS.items()
                if isinstance(spec, Entry) and spec.secret is not None}
    assert set(SECRET_STEPS) == declared
    asked = [Spoken("Please enter the 10 digit phone number to call, area code first.",
                    "en-US")]
    assert secret_kind(asked, GatherSpec(action="/voice/turn", num_digits=10)) == "phone number"
    steps = [{"expect_prompt": "ask.callback_number"}, {"press": "3125550142"},
             {"expect": "never said"}]
    report = failure_of(demo_app, CALLBACK_ENTRY + steps, settings=AGENTS_CLOSED)
    assert "caller presses <phone number, 10 digits>" in report
    assert "5550142" not in report


def test_the_failing_step_is_named_without_the_digits_it_would_key(demo_app: Flask) -> None:
    after_hanging_up = failure_of(demo_app, [*TO_THE_BALANCE, "hangup", {"press": VISA + "#"}])
    assert after_hanging_up.splitlines()[0] == \
        "Script 'report' failed at step 5 (press: <16 digits>#):"
    card_said = "four two four two four two four two four two four two four two four two"
    keys_only = failure_of(demo_app, [*TO_THE_BALANCE, {"press": "1"}, {"say": card_said}])
    assert keys_only.splitlines()[0] == \
        "Script 'report' failed at step 5 (say: <16 words with a number>):"
    for report in (after_hanging_up, keys_only):
        assert "4242" not in report and "four two four two" not in report
    menu = failure_of(demo_app, [*TO_THE_BALANCE, "hangup", {"press": "1"}])
    assert menu.splitlines()[0] == "Script 'report' failed at step 5 (press: \"1\"):"
