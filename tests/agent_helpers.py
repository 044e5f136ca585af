"""Handing calls to agents in tests: the settings, the <Dial> a transfer rings, its whisper,
its facts, the context link, and the callback requests left."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from models import CallbackRequest
from tests.twilio_helpers import Answer, TwilioCaller

AGENT = "+18005550123"
PIN = "2468"  # demo account 10001234, matched by caller ID +14155550100
# Saturday 2026-11-21 (the tests' today): inside the second range until 13:00.
HOURS = "Mon-Fri 08:00-18:00, Sat 09:00-13:00"
SATURDAY_MORNING, SATURDAY_AFTERNOON = "2026-11-21T10:00", "2026-11-21T13:00"


def with_agent(app: Flask, agent: str = AGENT, hours: str = "", now: str = "") -> Flask:
    """``app`` transferring to ``agent``, within ``hours`` (always when empty), at ``now``."""
    override_settings(app, IVR_AGENT_NUMBER=agent, IVR_AGENT_HOURS=hours, IVR_NOW=now)
    return app


def dial(answer: Answer) -> ET.Element:
    """The answer's <Dial>, which must be there."""
    found = answer.root.find("Dial")
    assert found is not None, answer.said
    return found


def agent_noun(answer: Answer) -> ET.Element:
    """The <Number>, <Client> or <Sip> the answer's <Dial> rings."""
    nouns = list(dial(answer))
    assert len(nouns) == 1 and nouns[0].tag in ("Number", "Client", "Sip"), nouns
    return nouns[0]


def path_of(url: str) -> str:
    """An absolute URL as the path and query a test client posts to."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def whisper(caller: TwilioCaller, answer: Answer) -> Answer:
    """Twilio's request for the whisper the answer's <Dial> names, on the agent's leg."""
    url = agent_noun(answer).get("url") or ""
    return caller.post(path_of(url), CallSid="CA" + "a" * 32, ParentCallSid=caller.call_sid,
                       Direction="outbound-dial")


def dial_result(caller: TwilioCaller, answer: Answer, status: str) -> Answer:
    """Twilio's request to the answer's <Dial action> once the agent's leg ends so."""
    return caller.post(dial(answer).get("action") or "", DialCallStatus=status,
                       DialCallDuration="0")


def client_parameters(answer: Answer) -> dict[str, str]:
    """The <Parameter>s a <Client> agent is given."""
    noun = agent_noun(answer)
    assert noun.tag == "Client"
    return {p.get("name") or "": p.get("value") or "" for p in noun.findall("Parameter")}


def sip_headers(answer: Answer) -> dict[str, str]:
    """The x- headers on the SIP URI a <Sip> agent is rung at."""
    noun = agent_noun(answer)
    assert noun.tag == "Sip"
    return dict(parse_qsl(urlsplit((noun.text or "").strip()).query))


def callback_requests(app: Flask) -> list[CallbackRequest]:
    """Every callback request, oldest first (detached)."""
    with db.transaction(app) as session:
        rows = list(session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))
        session.expunge_all()
        return rows
