"""TwiML interpretation details: SSML, Reject, malformed documents, Gather arithmetic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr.errors import TwimlError
from ivr.sim.twiml import (
    GatherSpec,
    parse_twiml,
    say_text,
)
from tests.sim.sim_helpers import call, fake_app, hits


def test_say_text_spells_digits_and_keeps_punctuation_tight() -> None:
    (say,) = parse_twiml('<Response><Say>Code<say-as interpret-as="digits">12 34</say-as>.'
                         '<break/>Call <sub alias="tomorrow">tmrw</sub>!</Say></Response>')
    assert say_text(say) == "Code 1 2 3 4. Call tomorrow!"


@pytest.mark.parametrize(("attrs", "keys", "digits", "early"), [
    ({}, "12#9", "12", True),
    ({}, "12", "12", False),
    ({"numDigits": "3"}, "12345", "123", True),
    ({"finishOnKey": ""}, "1#", "1#", False),
])
def test_gather_digits(attrs: dict[str, str], keys: str, digits: str, early: bool) -> None:
    gather = ET.Element("Gather", attrs)
    spec = GatherSpec.from_element(gather)
    assert (spec.digits(keys), spec.ends_early(keys)) == (digits, early)


def test_parse_twiml_needs_a_response_root() -> None:
    with pytest.raises(TwimlError, match="not <Response>"):
        parse_twiml("<Reply/>")


def test_first_verb_reject_is_an_unanswered_busy_call() -> None:
    app = fake_app({"/voice": lambda _p: '<Response><Reject reason="busy"/></Response>'})
    result = call(app)
    assert result.outcome == "reject"
    assert hits(app)[-1].params["CallStatus"] == "busy"
    assert hits(app)[-1].params["CallDuration"] == "0"


def test_ssml_is_flattened_and_unknown_verbs_are_ignored_with_a_warning() -> None:
    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        say = response.say("Your account ending in")
        say.say_as("1234", interpret_as="digits")
        say.break_(time="1s")
        say.prosody("is overdue", rate="slow")
        response.play("https://example.com/hold.mp3")
        response.pause(length=2)
        response.echo()
        response.say("Bye.")
        return response

    app = fake_app({"/voice": voice})
    result = call(app)
    assert result.transcript[0] == "IVR: Your account ending in 1 2 3 4 is overdue"
    assert "[plays https://example.com/hold.mp3]" in result.transcript
    assert "[warning: unknown verb <Echo> ignored]" in result.transcript
    assert result.heard[-1] == "Bye."


def test_non_twiml_bodies_are_application_errors() -> None:
    app = fake_app({"/voice": lambda _p: "<html><body>hello</body></html>",
                    "/voice/x": lambda _p: "not xml at all"})
    assert "not <Response>" in (call(app).error or "")
    app = fake_app({"/voice": lambda _p: "not xml at all"})
    assert "not XML" in (call(app).error or "")


def test_invalid_gather_attributes_are_application_errors() -> None:
    app = fake_app({"/voice": lambda _p: '<Response><Gather numDigits="four"/></Response>'})
    result = call(app)
    assert result.outcome == "application-error"
    assert "numDigits='four'" in (result.error or "")
