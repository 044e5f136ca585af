"""Handing a call to an agent, in TwiML: the <Dial>, the whisper, and the facts passed along.

The agent's phone rings with ``<Dial action=... answerOnBridge="true">``: the caller hears
ringing until the agent has heard the whisper, a summary of the call said by
``<Number url>`` (or ``<Client url>``, ``<Sip url>``) before the two are connected. The same
facts go as ``<Parameter>``s to a Twilio Client (the only noun that takes them) and as
``x-ivr-*`` headers on a SIP URI; both carry the signed context link too. A phone number
gets the whisper alone. The ``action`` hears back when the agent did not answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import Client, Dial, VoiceResponse

from flows.money import cents_to_decimal
from flows.speech import Digits, Money, Prompt, render, say
from ivr.ports.handover import CallFacts, PaymentFact

CLIENT, SIP = "client:", ("sip:", "sips:")
# What the whisper says of each payment made on the call, by status (declines are counted).
WHISPERED = {"approved": "whisper.paid", "pending": "whisper.submitted",
             "scheduled": "whisper.scheduled", "processing": "whisper.in_doubt",
             "unknown": "whisper.in_doubt"}
LAST_STEPS = 5  # the steps passed on in a parameter (the context link has them all)
SIP_HEADERS_LENGTH = 1024  # Twilio's limit on the headers of a SIP URI (warning 13251)
SIP_SPARE = ("x-ivr-payments", "x-ivr-last-steps")  # dropped, in order, to keep under it


@dataclass(frozen=True)
class Handoff:
    """Where and how a transfer rings: ``target`` is ``IVR_AGENT_NUMBER``, ``facts`` the
    (name, value) pairs a Client or SIP agent is given."""

    target: str
    action_url: str
    whisper_url: str
    ring_seconds: int
    facts: Sequence[tuple[str, str]] = ()


def dial_agent(handoff: Handoff) -> Dial:
    """The <Dial> that rings the agent: whispered to first, then connected."""
    dial = Dial(action=handoff.action_url, method="POST", timeout=handoff.ring_seconds,
                answer_on_bridge=True)
    target = handoff.target
    if target.startswith(CLIENT):
        client = Client(url=handoff.whisper_url, method="POST")
        client.identity(target.removeprefix(CLIENT))
        for name, value in handoff.facts:
            client.parameter(name=name, value=value)
        dial.append(client)
    elif target.startswith(SIP):
        dial.sip(sip_with_headers(target, handoff.facts), url=handoff.whisper_url, method="POST")
    else:
        dial.number(target, url=handoff.whisper_url, method="POST")
    return dial


def agent_noun(dial: Dial, target: str) -> Dial:
    """``dial`` ringing ``target`` with nothing said or passed (after an apology, when the
    call's state may not be readable)."""
    if target.startswith(CLIENT):
        dial.client(target.removeprefix(CLIENT))
    elif target.startswith(SIP):
        dial.sip(target)
    else:
        dial.number(target)
    return dial


def sip_with_headers(uri: str, facts: Sequence[tuple[str, str]]) -> str:
    """The SIP URI with each fact as an ``x-ivr-`` header, as Twilio passes headers in the
    INVITE (``?x-name=value&...``, values percent-encoded). Twilio takes at most 1023
    characters of headers (its warning 13251): past that, the payments and then the steps
    are left to the context link, which has them all."""
    headers = {f"x-ivr-{name.replace('_', '-')}": value for name, value in facts}
    for spare in SIP_SPARE:
        if len(urlencode(headers, quote_via=quote)) < SIP_HEADERS_LENGTH:
            break
        headers.pop(spare, None)
    return f"{uri}?{urlencode(headers, quote_via=quote)}" if headers else uri


def parameters(facts: CallFacts, context_url: str) -> list[tuple[str, str]]:
    """The call's facts as (name, value) pairs: for <Parameter>s and SIP headers."""
    pairs = [("verified", "true" if facts.verified else "false")]
    if facts.account_last4:
        pairs.append(("account_last4", facts.account_last4))
    if facts.balance_cents is not None and facts.due_date is not None:
        pairs += [("balance", _dollars(facts.balance_cents)),
                  ("due_date", facts.due_date.isoformat())]
    pairs += [("pin_failures", str(facts.pin_failures)), ("declines", str(facts.declines))]
    if facts.payments:
        pairs.append(("payments", "; ".join(_payment_text(p) for p in facts.payments)))
    pairs += [("last_steps", ",".join(facts.last_steps[-LAST_STEPS:])),
              ("context_url", context_url)]
    return pairs


def whisper_prompts(facts: CallFacts) -> list[Prompt]:
    """What the agent hears: who is calling, wrong PINs, declines, payments, then connecting."""
    said = [_who(facts)]
    if facts.pin_failures and not facts.verified:
        said.append(say("whisper.pin_failures", count=facts.pin_failures))
    if facts.declines:
        times = str(facts.declines) if facts.declines <= 2 else "other"
        said.append(say(f"whisper.declined.{times}", count=facts.declines))
    for payment in facts.payments:
        if payment.status in WHISPERED:
            total = payment.amount_cents + payment.fee_cents
            said.append(say(WHISPERED[payment.status], amount=Money(total)))
    return [*said, say("whisper.connecting")]


def _who(facts: CallFacts) -> Prompt:
    if facts.account_last4 is None:
        return say("whisper.no_account")
    last4 = Digits(facts.account_last4)
    if not facts.verified or facts.balance_cents is None:
        return say("whisper.not_verified", last4=last4)
    if facts.balance_cents < 0:
        return say("whisper.verified_credit", last4=last4, credit=Money(-facts.balance_cents))
    return say("whisper.verified", last4=last4, balance=Money(facts.balance_cents))


def whisper_twiml(prompts: list[Prompt], voice: str, language: str) -> str:
    """The whisper as TwiML: said to the agent only, before the call is connected."""
    response = VoiceResponse()
    for prompt in prompts:
        response.say(render(prompt, language), voice=voice, language=language)
    return str(response)


def context_document(facts: CallFacts, expires: datetime) -> dict[str, Any]:
    """The JSON an agent desktop fetches with the signed link (see the README's contract)."""
    return {
        "call_sid": facts.call_sid, "caller": facts.caller, "verified": facts.verified,
        "account_last4": facts.account_last4,
        "balance": _dollars(facts.balance_cents) if facts.balance_cents is not None else None,
        "due_date": facts.due_date.isoformat() if facts.due_date else None,
        "pin_failures": facts.pin_failures, "declines": facts.declines,
        "payments": [_payment_document(p) for p in facts.payments],
        "last_steps": list(facts.last_steps),
        "expires_at": expires.isoformat(timespec="seconds"),
    }


def _payment_document(payment: PaymentFact) -> dict[str, Any]:
    return {"status": payment.status, "amount": _dollars(payment.amount_cents),
            "fee": _dollars(payment.fee_cents), "method": payment.kind,
            "label": payment.label or None, "last4": payment.last4 or None,
            "decline_reason": payment.decline_reason,
            "confirmation_number": payment.confirmation_number,
            "scheduled_for": payment.scheduled_for.isoformat() if payment.scheduled_for else None}


def _payment_text(payment: PaymentFact) -> str:
    """``approved 120.45 card 4242`` (fee included in the amount)."""
    amount = _dollars(payment.amount_cents + payment.fee_cents)
    return " ".join(part for part in (payment.status, amount, payment.kind, payment.last4) if part)


def _dollars(cents: int) -> str:
    return str(cents_to_decimal(cents))
