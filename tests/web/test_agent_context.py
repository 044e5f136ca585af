"""The signed, expiring context link an agent desktop fetches: its JSON, and every way a link
that is not ours, not for this call or no longer valid is refused."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask

from ivr.config import override_settings, settings_of
from ivr.security.context_links import signature
from tests.agent_helpers import (
    PIN,
    SATURDAY_MORNING,
    client_parameters,
    path_of,
    whisper,
    with_agent,
)
from tests.menu_helpers import JORDAN_MAIN_MENU, JORDAN_NEW_CARD
from tests.twilio_helpers import Answer, TwilioCaller

DECLINED, VISA = "4000000000000002", "4242424242424242"
# What the caller keys for the two cards: none of it may reach the agent.
KEYED = {"card numbers": (DECLINED, VISA), "expiry dates": ("1230", "0629"),
         "security codes": ("739", "864"), "ZIP codes": ("94117", "10118"), "PIN": (PIN,)}
PAID_AFTER_A_DECLINE = (
    *JORDAN_NEW_CARD, DECLINED, "1230", "739", "94117", "1",  # declined
    "1", "1", VISA, "0629", "864", "10118", "1",  # another card: approved
    "2", "0")  # the main menu, then an agent


@pytest.fixture
def desk(demo_app: Flask) -> TwilioCaller:
    """Demo account 10001234's caller, on a line whose agent is a Twilio Client, at 10:00."""
    return TwilioCaller(with_agent(demo_app, "client:agent_desk", now=SATURDAY_MORNING))


def link_of(answer: Answer) -> str:
    """The context link given to the agent with the transfer, as a path and query."""
    return path_of(client_parameters(answer)["context_url"])


def fetch(app: Flask, link: str) -> tuple[int, dict[str, object], str]:
    """GET a link, as an agent desktop would: the status, the JSON, and the raw body."""
    response = app.test_client().get(link)
    return response.status_code, response.json or {}, response.get_data(as_text=True)


def test_the_link_gives_the_calls_context(desk: TwilioCaller) -> None:
    status, context, _ = fetch(desk.app, link_of(desk.walk(*PAID_AFTER_A_DECLINE)))
    assert status == 200
    payments = context.pop("payments")
    last_steps = context.pop("last_steps")
    assert context == {
        "call_sid": desk.call_sid, "caller": "+14155550100", "verified": True,
        "account_last4": "1234", "balance": "0.00", "due_date": "2026-12-05",
        "pin_failures": 0, "declines": 1, "expires_at": "2026-11-21T15:30:00+00:00"}
    assert payments == [
        {"status": "declined", "amount": "120.45", "fee": "0.00", "method": "card",
         "label": "Visa", "last4": "0002", "decline_reason": "card_declined",
         "confirmation_number": None, "scheduled_for": None},
        {"status": "approved", "amount": "120.45", "fee": "0.00", "method": "card",
         "label": "Visa", "last4": "4242", "decline_reason": None,
         "confirmation_number": payments[1]["confirmation_number"],  # type: ignore[index]
         "scheduled_for": None}]
    assert last_steps[-3:] == ["after_payment", "main_menu", "agent"]  # type: ignore[index]


def test_no_card_data_or_pin_reaches_the_agent(desk: TwilioCaller) -> None:
    answer = desk.walk(*PAID_AFTER_A_DECLINE)
    _, _, body = fetch(desk.app, link_of(answer))
    facts = client_parameters(answer)
    del facts["context_url"]  # its signature is hex, where any digits may turn up
    told = [body, json.dumps(facts), whisper(desk, answer).said]
    for what, values in KEYED.items():
        for value in values:
            for text in told:
                assert not re.search(rf"(?<!\d){value}(?!\d)", text), (what, value, text)
    for bin_digits in ("400000", "424242"):  # nor the first six digits of either card
        assert bin_digits not in body


def test_the_link_expires_by_the_settings_clock(desk: TwilioCaller) -> None:
    link = link_of(desk.walk(*JORDAN_MAIN_MENU, "0"))  # at 10:00, for 30 minutes
    override_settings(desk.app, IVR_NOW="2026-11-21T10:29")
    assert fetch(desk.app, link)[0] == 200
    override_settings(desk.app, IVR_NOW="2026-11-21T10:30")
    status, context, _ = fetch(desk.app, link)
    assert (status, context) == (403, {"error": "link expired"})


def test_the_clock_is_the_billers_wall_clock(desk: TwilioCaller) -> None:
    # IVR_NOW is 10:00 where the biller is: in Los Angeles, 18:00 UTC.
    override_settings(desk.app, IVR_TIMEZONE="America/Los_Angeles")
    context = fetch(desk.app, link_of(desk.walk(*JORDAN_MAIN_MENU, "0")))[1]
    assert context["expires_at"] == "2026-11-21T18:30:00+00:00"


def test_how_long_a_link_lasts_is_a_setting(desk: TwilioCaller) -> None:
    override_settings(desk.app, IVR_AGENT_CONTEXT_MINUTES=5)
    link = link_of(desk.walk(*JORDAN_MAIN_MENU, "0"))
    override_settings(desk.app, IVR_NOW="2026-11-21T10:05")
    assert fetch(desk.app, link)[0] == 403


def _tampered(link: str, **changes: str) -> str:
    parts = urlsplit(link)
    query = dict(parse_qsl(parts.query)) | changes
    return f"{parts.path}?{urlencode({k: v for k, v in query.items() if v != 'DROP'})}"


@pytest.mark.parametrize("change", [
    {"expires": "4102444800"},  # a later expiry, with the signature of the first
    {"signature": "0" * 64},
    {"signature": "DROP"},
    {"expires": "DROP"},
    {"expires": "1e10"},
    {"signature": "é" * 64},
])
def test_a_tampered_link_is_refused(desk: TwilioCaller, change: dict[str, str]) -> None:
    link = link_of(desk.walk(*JORDAN_MAIN_MENU, "0"))
    status, context, _ = fetch(desk.app, _tampered(link, **change))
    assert (status, context) == (403, {"error": "link not valid"})


def test_a_link_cannot_be_moved_to_another_call(desk: TwilioCaller) -> None:
    link = link_of(desk.walk(*JORDAN_MAIN_MENU, "0"))
    other = TwilioCaller(desk.app, call_sid="CA" + "7" * 32)
    other.walk(*JORDAN_MAIN_MENU)
    moved = link.replace(desk.call_sid, other.call_sid)
    assert fetch(desk.app, moved)[0] == 403


def test_a_link_signed_with_another_key_is_refused(desk: TwilioCaller) -> None:
    link = link_of(desk.walk(*JORDAN_MAIN_MENU, "0"))
    override_settings(desk.app, IVR_AGENT_CONTEXT_KEY="another-key-of-at-least-32-characters")
    assert fetch(desk.app, link)[0] == 403


def test_a_valid_link_to_a_call_the_line_does_not_know_is_not_found(desk: TwilioCaller) -> None:
    settings = settings_of(desk.app)
    call_sid, expires = "CA" + "5" * 32, int(settings.now().timestamp()) + 60
    signed = signature(settings.agent_context_key.encode(), call_sid, expires)
    status, context, _ = fetch(desk.app, f"/agent/context/{call_sid}?expires={expires}"
                                         f"&signature={signed}")
    assert (status, context) == (404, {"error": "no such call"})


def test_the_context_is_not_cached_and_readable_from_a_desktop_on_another_origin(
        desk: TwilioCaller) -> None:
    response = desk.app.test_client().get(link_of(desk.walk(*JORDAN_MAIN_MENU, "0")))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_link_is_on_the_public_url_when_one_is_set(desk: TwilioCaller) -> None:
    override_settings(desk.app, IVR_PUBLIC_URL="https://pay.example.com")
    link = client_parameters(desk.walk(*JORDAN_MAIN_MENU, "0"))["context_url"]
    assert link.startswith(f"https://pay.example.com/agent/context/{desk.call_sid}?expires=")
    assert fetch(desk.app, path_of(link))[0] == 200
