"""Logged turns turned back into a script: what each kind of turn is done as."""

from __future__ import annotations

from datetime import date

from ivr.config import DEV_CARD_DATA_KEY
from ivr.sim import demo_values as demo
from ivr.sim.logged_turns import Turn
from ivr.sim.replay.script import LOW_CONFIDENCE, Replay, replay_script
from ivr.sim.script_write import Line, parsed_script, script_yaml

TODAY = date(2026, 11, 21)
START = Turn(1, None, "confirm_account", "start", None, ("option.this_account",), "en-US")
PIN = Turn(3, "pin", "pay_now", "entry", "<PIN, 4 digits>", ("info.balance_due",), "en-US")


def replay(*turns: Turn, start: Turn = START, from_number: str | None = "+16175550100") \
        -> Replay:
    made = replay_script("CA1", from_number, "+18005550199", [start, *turns], TODAY)
    parsed_script(script_yaml(made.header, made.lines))  # the loader takes it
    return made


def actions(made: Replay) -> list[Line]:
    return [line for line in made.lines if not line.kind.startswith("expect")]


def test_a_caller_the_line_found_calls_from_a_demo_caller_id_of_its_language() -> None:
    assert replay(PIN).header.from_number == "+14155550100"  # Jordan's: the caller's is no demo
    spanish = replace_language(START, "es-US")
    made = replay(replace_language(PIN, "es-US"), start=spanish)
    assert made.header.from_number == "+13055550173"
    assert actions(made)[0] == Line("press", "1590#", comment="turn 3: <PIN, 4 digits>")
    unknown = Turn(1, None, "account_number", "start", None, ("ask.account_number",), "en-US")
    assert replay(start=unknown).header.from_number == demo.UNKNOWN_CALLER
    assert replay(from_number="+13125550142").header.from_number == "+13125550142"


def replace_language(turn: Turn, language: str) -> Turn:
    return Turn(turn.number, turn.before, turn.after, turn.kind, turn.entry, turn.prompts,
                language)


def test_an_account_that_is_no_demo_account_becomes_jordans() -> None:
    made = replay(Turn(2, "account_number", "pin", "entry", "55501234", ("ask.pin",)),
                  Turn(3, "pin", "pin", "entry", "<PIN, 4 digits>", ("error.pin_wrong",)))
    assert [line.value for line in actions(made)][:2] == ["10001234#", "0000#"]


def test_pay_results_are_keyed_into_the_simulators_pay() -> None:
    hung_up = replay(Turn(5, "card_capture", "ended", "pay", "hung_up", ()))
    assert actions(hung_up)[-1] == Line("hangup")
    assert hung_up.lines[-1] == Line("expect_end", "caller-hangup")
    failed = replay(Turn(5, "card_capture", "main_menu", "pay", "failed", ()))
    assert [line.value for line in actions(failed)[:3]] == ["4242424242424241#"] * 3
    assert "turn 5: <Pay> failed" in failed.notes[0]
    amex = replay(Turn(5, "card_capture", "after_payment", "pay", "success American Express",
                       ("info.payment_approved",)))
    assert [line.value for line in actions(amex)[:4]] == \
        ["378282246310005#", "1229", "1234", "94105#"]


def test_a_recording_an_agent_and_the_end_of_the_call() -> None:
    made = replay(Turn(2, "dispute_record", "dispute_done", "recording", "<message, 30 seconds>",
                       ()),
                  Turn(3, "agent", "callback_offer", "silence", None, ("agent.unanswered",)))
    assert actions(made) == [Line("record", "#", seconds=30), Line("hangup")]
    assert made.header.agent == "no-answer"
    ended = replay(Turn(2, "dispute_record", "ended", "recording", "<message, 9 seconds>", ()))
    assert actions(ended) == [Line("record", "hangup", seconds=9)]
    assert ended.lines[-1] == Line("expect_end", "caller-hangup")


def test_words_not_kept_are_said_as_the_line_answered_them() -> None:
    menu = replay(Turn(2, "main_menu", "manage", "speech", "<words with a number, 2 words>",
                       ("info.autopay_off",)))
    assert actions(menu)[0].value == "4"  # the one key there that leads to manage
    lost = replay(Turn(2, "pay_now", "pay_choice", "speech", "<words with a number, 3 words>",
                       ()))
    assert "no one key there leads to pay_choice" in lost.notes[0]
    slower = replay(Turn(2, "account_number", "account_number", "speech",
                         "<account number, said in 1 words>", ("ask.account_number",)))
    assert actions(slower)[0].value == "slower"
    assert "taken as asking for slower prompts" in slower.notes[0]
    unsure = replay(Turn(2, "main_menu", "main_menu", "speech", "the weather",
                         ("error.speech_unclear", "option.balance")))
    assert actions(unsure)[0] == Line("say", "the weather", confidence=LOW_CONFIDENCE)


def test_a_card_lost_while_keyed_is_lost_again_by_a_new_card_store_key() -> None:
    # The card store lost the card being keyed (its 15 minutes ran out, or the key changed
    # mid-call): only a new key makes the line lose it again, so the step comes first.
    lost = Turn(8, "card_zip", "card_number", "entry", "<ZIP code, 5 digits>",
                ("error.card_entry_lost", "ask.card_number"), "en-US")
    made = replay(PIN, lost)
    settings = next(index for index, line in enumerate(made.lines) if line.kind == "settings")
    assert made.lines[settings + 1].kind == "press"
    script = parsed_script(script_yaml(made.header, made.lines))
    changed = [step.settings for step in script.steps if step.kind == "settings"]
    assert len(changed) == 1 and list(changed[0]) == ["IVR_CARD_DATA_KEY"]
    assert changed[0]["IVR_CARD_DATA_KEY"] != DEV_CARD_DATA_KEY
    assert [line.kind for line in replay(PIN).lines].count("settings") == 0
