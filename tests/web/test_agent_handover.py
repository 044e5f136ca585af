"""A transfer over HTTP: the <Dial> that rings the agent, the whisper and its signature, and
the call's facts as <Parameter>s (Twilio Client) or SIP headers."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask

from flows import machine
from ivr.config import override_settings
from ivr.web.agent_twiml import sip_with_headers
from tests.agent_helpers import (
    AGENT,
    HOURS,
    SATURDAY_AFTERNOON,
    agent_noun,
    client_parameters,
    dial,
    path_of,
    sip_headers,
    whisper,
    with_agent,
)
from tests.menu_helpers import JORDAN_MAIN_MENU, JORDAN_NEW_CARD, JORDAN_PAY_NOW, MORE, NOW_BY_CARD
from tests.twilio_helpers import TwilioCaller

DECLINED, VISA = "4000000000000002", "4242424242424242"
# From the greeting: pay the full balance today with a new card that is declined, then the
# main menu.
DECLINE_THEN_MENU = (*JORDAN_NEW_CARD, DECLINED, "1230", "739", "94117", "1", "2")
PAY = "2"  # at the main menu: to make a payment (the offer to pay the balance now)


@pytest.fixture
def jordan(demo_app: Flask) -> TwilioCaller:
    """Demo account 10001234's caller, on a line with an agent at +18005550123."""
    return TwilioCaller(with_agent(demo_app))


def test_a_transfer_rings_the_agent_with_a_whisper_and_comes_back_if_unanswered(
        jordan: TwilioCaller) -> None:
    answer = jordan.walk(*JORDAN_MAIN_MENU, "0")
    assert answer.verbs() == ["Say", "Dial"]
    assert answer.said == "Please hold while we connect you to an agent."
    rung = dial(answer)
    assert rung.get("action", "").startswith("/voice/agent-result?t=")
    assert (rung.get("method"), rung.get("timeout"), rung.get("answerOnBridge")) == (
        "POST", "30", "true")
    number = agent_noun(answer)
    assert (number.tag, number.text) == ("Number", AGENT)
    assert path_of(number.get("url") or "") == f"/voice/agent/whisper?call={jordan.call_sid}"
    assert number.findall("Parameter") == []  # a phone takes no parameters: it hears them


def test_the_ring_time_is_a_setting(jordan: TwilioCaller) -> None:
    override_settings(jordan.app, IVR_AGENT_RING_SECONDS=12)
    assert dial(jordan.walk(*JORDAN_MAIN_MENU, "0")).get("timeout") == "12"


def test_the_whisper_summarises_a_verified_call_with_a_decline(jordan: TwilioCaller) -> None:
    answer = jordan.walk(*DECLINE_THEN_MENU, "0")
    heard = whisper(jordan, answer)
    assert heard.status == 200 and heard.verbs() == ["Say", "Say", "Say"]
    assert heard.said == (
        "Verified caller, account ending in 1 2 3 4, balance one hundred twenty dollars and "
        "forty-five cents. A payment was declined once on this call. Connecting the caller now.")


def test_the_whisper_names_payments_made_and_declines_counted(jordan: TwilioCaller) -> None:
    # Declined twice, then paid with another card: the balance the agent hears is what is left.
    answer = jordan.walk(*DECLINE_THEN_MENU, PAY, NOW_BY_CARD, DECLINED, "1230", "739",
                         "94117", "1", "1", "1", VISA, "0629", "864", "10118", "1", "2", "0")
    assert whisper(jordan, answer).said == (
        "Verified caller, account ending in 1 2 3 4, balance zero dollars. "
        "A payment was declined twice on this call. "
        "Paid one hundred twenty dollars and forty-five cents on this call. "
        "Connecting the caller now.")


def test_an_unverified_caller_is_whispered_as_such_without_the_balance(
        jordan: TwilioCaller) -> None:
    answer = jordan.walk("1", "0000", "1111", "9999")
    assert dial(answer) is not None
    said = whisper(jordan, answer).said
    assert said == ("Caller not verified, account ending in 1 2 3 4. Wrong PINs on this call: "
                    "3. Connecting the caller now.")
    assert "dollars" not in said


@pytest.mark.parametrize("signature", ["", "forged"])
def test_the_whisper_is_a_signed_webhook(jordan: TwilioCaller, signature: str) -> None:
    answer = jordan.walk(*JORDAN_MAIN_MENU, "0")
    path = path_of(agent_noun(answer).get("url") or "")
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = jordan.client.post(path, data=jordan.params(ParentCallSid=jordan.call_sid),
                                  headers=headers)
    assert response.status_code == 403
    assert b"Verified" not in response.data


def test_a_whisper_for_a_call_the_line_does_not_know_only_connects(jordan: TwilioCaller) -> None:
    heard = jordan.post("/voice/agent/whisper?call=CA" + "9" * 32)
    assert heard.status == 200 and heard.said == "Connecting the caller now."


def test_a_client_agent_gets_the_facts_as_parameters(demo_app: Flask) -> None:
    caller = TwilioCaller(with_agent(demo_app, "client:agent_desk"))
    answer = caller.walk(*DECLINE_THEN_MENU, "0")
    client = agent_noun(answer)
    assert client.findtext("Identity") == "agent_desk"
    assert path_of(client.get("url") or "").startswith("/voice/agent/whisper?call=")
    facts = client_parameters(answer)
    link = facts.pop("context_url")
    assert link.startswith(f"http://localhost/agent/context/{caller.call_sid}?expires=")
    assert facts == {"verified": "true", "account_last4": "1234", "balance": "120.45",
                     "due_date": "2026-12-05", "pin_failures": "0", "declines": "1",
                     "payments": "declined 120.45 card 0002",
                     "last_steps": "pay_confirm,charging,after_decline,main_menu,agent"}


def test_a_sip_agent_gets_the_facts_as_headers(demo_app: Flask) -> None:
    caller = TwilioCaller(with_agent(demo_app, "sip:agent@pbx.example.com;transport=tls"))
    answer = caller.walk("1", "0000", "1111", "9999")
    sip = agent_noun(answer)
    assert (sip.text or "").startswith("sip:agent@pbx.example.com;transport=tls?x-ivr-")
    assert sip.findall("Parameter") == []  # <Sip> takes no <Parameter>: headers instead
    headers = sip_headers(answer)
    assert headers.pop("x-ivr-context-url").startswith("http://localhost/agent/context/")
    assert headers == {"x-ivr-verified": "false", "x-ivr-account-last4": "1234",
                       "x-ivr-pin-failures": "3", "x-ivr-declines": "0",
                       "x-ivr-last-steps": "confirm_account,pin,agent"}


def test_an_apology_outside_the_agents_hours_hangs_up_instead_of_dialling(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(with_agent(demo_app, hours=HOURS, now=SATURDAY_AFTERNOON))
    monkeypatch.setattr(machine, "start", lambda *args: 1 / 0)
    answer = caller.start()
    assert answer.status == 200 and answer.verbs()[-1] == "Hangup"
    assert answer.root.find("Dial") is None


def test_an_apology_within_the_hours_dials_a_client_agent(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(with_agent(demo_app, "client:agent_desk"))
    monkeypatch.setattr(machine, "start", lambda *args: 1 / 0)
    assert agent_noun(caller.start()).text == "agent_desk"


def test_the_main_menu_still_offers_the_agent_after_the_pin(jordan: TwilioCaller) -> None:
    offer = jordan.walk(*JORDAN_PAY_NOW)  # the balance and the offer to pay it now first
    assert "agent" not in offer.said
    assert "To speak with an agent, press 0." in jordan.press(offer, MORE).said


def test_sip_headers_stay_within_twilios_limit_leaving_the_rest_to_the_context_link() -> None:
    facts = [("verified", "true"), ("payments", "declined 120.45 card 0002; " * 60),
             ("last_steps", "main_menu," * 8), ("context_url", "https://pay.example.com/x")]
    uri = sip_with_headers("sip:agent@pbx.example.com", facts)
    headers = urlsplit(uri).query
    assert len(headers) < 1024
    assert dict(parse_qsl(headers)) == {"x-ivr-verified": "true",
                                        "x-ivr-last-steps": "main_menu," * 8,
                                        "x-ivr-context-url": "https://pay.example.com/x"}
