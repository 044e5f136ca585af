"""Each request of a load test is named by the question it answers, told from what the line
said (in any language), as an operator would name it."""

from __future__ import annotations

import random

from flask import Flask

from flows.speech import load_catalog
from flows.state import Step
from ivr.sim.load.call import run_call
from ivr.sim.load.mix import MixEntry
from ivr.sim.load.stats import COMPLETED, Recorder
from ivr.sim.load.turns import TurnNamer, step_asked, step_name
from ivr.sim.results import Spoken
from ivr.sim.script_load import load_script
from ivr.sim.transport import InProcessTransport
from tests.import_graph import ROOT

CALLS = ROOT / "fixtures" / "calls"


def turn_names(app: Flask, script: str, caller_id: str | None = None) -> list[str]:
    """The turns of one call of ``script`` (in fixtures/calls), in order."""
    path = CALLS / script
    entry = MixEntry(path, load_script(path), 1.0, caller_id)
    recorder = Recorder()
    record = run_call(InProcessTransport(app), entry, entry.from_number(random.Random(0)),
                      recorder, pause=lambda: True)
    assert (record.ending, record.error, record.mismatch) == (COMPLETED, None, None)
    return [sample.turn for sample in recorder.samples]


def test_a_card_payment_turn_by_turn(demo_app: Flask) -> None:
    assert turn_names(demo_app, "bilingual_other_amount.yaml") == [
        "call start", "account choice", "pin", "balance and pay menu",
        "other amount or date menu", "amount", "today or later", "payment method menu",
        "card number", "card expiry", "security code", "billing zip", "authorise",
        "charge (caller holding)", "status callback"]


def test_a_bank_payment_turn_by_turn(demo_app: Flask) -> None:
    assert turn_names(demo_app, "bilingual_bank_payment.yaml") == [
        "call start", "account choice", "pin", "balance and pay menu", "bank type",
        "bank routing", "bank account", "bank account again", "authorise",
        "charge (caller holding)", "status callback"]


def test_the_turns_of_a_call_in_spanish_have_the_same_names(demo_app: Flask) -> None:
    # Lucía's account is in Spanish: the line asks its questions in Spanish.
    assert turn_names(demo_app, "spanish_account_balance.yaml") == [
        "call start", "account choice", "pin", "balance and pay menu", "more options menu",
        "status callback"]


def test_a_keyed_account_and_a_wrong_pin(demo_app: Flask) -> None:
    assert turn_names(demo_app, "../load/wrong_pin_then_right.yaml",
                      caller_id="+1650555XXXX") == [
        "call start", "account number", "pin", "pin", "status callback"]


def test_the_step_asked_is_the_one_sharing_most_prompts() -> None:
    catalog = load_catalog("en-US")
    heard = [Spoken(catalog["ask.card_expiry"], "en-US")]
    assert step_asked(heard) is Step.CARD_EXPIRY
    assert step_asked([Spoken("Something no step says.", "en-US")]) is None
    assert step_name(Step.PAY_CONFIRM) == "authorise"
    assert step_name(Step.BANK_ROUTING) == "bank routing"


def test_requests_besides_the_callers_turns_are_named_by_path() -> None:
    namer = TurnNamer("http://127.0.0.1:5000")
    assert namer.name("http://127.0.0.1:5000/voice") == "call start"
    assert namer.name("http://127.0.0.1:5000/voice/status") == "status callback"
    assert namer.name("http://127.0.0.1:5000/voice/whisper?t=3") == "whisper"
    assert namer.name("http://127.0.0.1:5000/voice/turn?t=1") == "other"  # nothing heard yet


def test_the_lines_apology_is_noticed() -> None:
    namer = TurnNamer("http://127.0.0.1:5000")
    apology = load_catalog("es-US")["end.application_error"]
    namer.answered("http://127.0.0.1:5000/voice/turn?t=2", 200,
                   f'<Response><Say language="es-US">{apology}</Say><Hangup/></Response>')
    assert namer.apologised
