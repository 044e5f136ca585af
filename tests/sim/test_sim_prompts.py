"""Scripts that assert by prompt id, and scripts played in a language: ``expect_prompt``,
``expect_sms_prompt`` and ``language``, against the real line and a stand-in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from twilio.twiml.voice_response import Gather, VoiceResponse

from flows import speech
from ivr.errors import ScriptError, ScriptFailure
from ivr.sim.prompts import Spoken, match, prompts_in, said
from ivr.sim.script import load_script, run_script
from tests.language_helpers import pseudo_language
from tests.menu_helpers import NOW_BY_CARD
from tests.sim.sim_helpers import fake_app

JORDAN = "+14155550100"


def script(*steps: Any, **extra: Any) -> dict[str, Any]:
    """A script mapping as YAML would give it, from Jordan's phone on the demo's day."""
    return {"name": "test call", "from": JORDAN, "today": "2026-11-21",
            "steps": list(steps), **extra}


def test_a_say_is_matched_to_its_prompt_with_its_values() -> None:
    heard = Spoken("You owe ten dollars, due December fifth.", "en-US")
    assert match("info.balance_due", heard) == {"balance": "ten dollars",
                                                 "due": "december fifth"}
    assert match("info.balance_past_due", heard) is None
    spanish = Spoken("Debe diez dólares para el cinco de diciembre.", "es-US")
    assert said("info.balance_due", [spanish], "es-US")
    assert not said("info.balance_due", [spanish], "en-US")
    assert prompts_in(Spoken("To turn on AutoPay, press 2.", "en-US")) == [
        "option.autopay_on", "option.autopay_confirm_on"]  # the same words: either passes


def test_expect_prompt_passes_on_the_prompt_and_fails_naming_what_was_heard(
        demo_app: Flask) -> None:
    run_script(demo_app, script({"expect_prompt": "option.this_account"}, "hangup"))
    with pytest.raises(ScriptFailure) as failure:
        run_script(demo_app, script({"expect_prompt": "ask.pin"}, "hangup"))
    message = failure.value.message
    assert 'failed at step 1 (expect_prompt: "ask.pin")' in message
    assert "expected to hear prompt ask.pin; heard since the last action:" in message
    assert ("  IVR [en-US]: For the account ending in 1 2 3 4, press 1.  (option.this_account)"
            in message)


def test_a_script_in_spanish_presses_the_offer_it_hears(demo_app: Flask) -> None:
    lines: list[str] = []
    run_script(demo_app, script({"expect_prompt": "option.this_account"}, {"press": "1"},
                                {"expect_prompt": "ask.pin"}, "hangup", language="es-US"),
               echo=lines.append)
    pressed = lines.index("caller presses 9 (for es-US)")  # once the greeting is heard
    assert lines[0] == "IVR: Para español, oprima 9."
    assert all(line.startswith("IVR: ") for line in lines[:pressed])
    assert lines[pressed + 1] == "IVR: For English, press 9."
    assert lines[-1] == "PASS test call (4 steps, in es-US)"


def test_a_prompt_heard_in_another_language_does_not_pass(demo_app: Flask) -> None:
    with pytest.raises(ScriptFailure,
                       match=re.escape("expected to hear prompt option.this_account in es-US")):
        # Chosen at the greeting, then back to English by the script's own press.
        run_script(demo_app, script({"press": "9"}, {"expect_prompt": "option.this_account"},
                                    "hangup", language="es-US"))


def test_a_run_language_overrides_the_scripts(demo_app: Flask) -> None:
    result = run_script(demo_app, script({"expect_prompt": "option.this_account"}, "hangup",
                                         **{"from": "+13055550173"}, language="es-US"),
                        language="en-US", quiet=True)  # Lucía's Spanish call, in English
    assert "caller presses 9 (for en-US)" in result.transcript


def test_expect_sms_prompt_reads_texts_in_the_scripts_language(demo_app: Flask) -> None:
    steps = [{"press": keys} for keys in ("1", "2468", NOW_BY_CARD,
                                          "4242424242424242#", "1230", "123", "94105", "1")]
    run_script(demo_app, script(*steps, "hangup",
                                {"expect_sms_prompt": "sms.payment_confirmation"},
                                language="es-US"), quiet=True)
    with pytest.raises(ScriptFailure,
                       match=re.escape("no text holds prompt sms.payment_scheduled")):
        run_script(demo_app, script(*steps, "hangup",
                                    {"expect_sms_prompt": "sms.payment_scheduled"}), quiet=True)


def test_a_line_that_offers_no_language_fails_a_script_in_one() -> None:
    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        gather = Gather(action="/voice/next", num_digits=1)
        gather.say("Hello.", language="en-US")
        response.append(gather)
        return response

    with pytest.raises(ScriptFailure, match="does not offer es-US"):
        run_script(fake_app({"/voice": voice}), script({"press": "1"}, language="es-US"))


@pytest.mark.parametrize(("raw", "error"), [
    (script({"expect_prompt": "ask.nothing"}), "'ask.nothing' is not a prompt id"),
    (script({"expect_sms_prompt": "sms.nothing"}), "'sms.nothing' is not a prompt id"),
    (script("hangup", language="fr-FR"), "language: 'fr-FR' is not one of en-US, es-US"),
])
def test_bad_prompt_ids_and_languages_are_refused_at_load(raw: dict[str, Any],
                                                          error: str) -> None:
    with pytest.raises(ScriptError, match=error):
        load_script(raw)


def test_a_script_checking_words_is_not_bilingual() -> None:
    assert load_script(script({"expect_prompt": "ask.pin"}, "hangup")).bilingual
    assert not load_script(script({"expect": "PIN"}, "hangup")).bilingual


def test_the_catalog_folder_is_listed_once_however_many_says_are_matched(
        tmp_path: Path) -> None:
    """Every <Say> of a load run is matched: listing the catalogs for each was most of the
    load generator's work (flows.speech.languages lists each folder once)."""
    speech._languages_in.cache_clear()
    heard = Spoken("You owe ten dollars, due December fifth.", "en-US")
    assert all(match("info.balance_due", heard) is not None for _ in range(50))
    assert speech._languages_in.cache_info().misses == 1
    # Catalogs read from elsewhere (a test's pseudo-language) are listed afresh, once.
    with pseudo_language(tmp_path / "prompts") as language:
        assert match("info.balance_due", Spoken("YOU OWE TEN DOLLARS, DUE DECEMBER FIFTH.",
                                                language)) is not None
        assert match("info.balance_due", Spoken("x", language)) is None
    assert speech._languages_in.cache_info().misses == 2
