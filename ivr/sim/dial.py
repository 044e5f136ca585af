"""``<Dial>`` in the call simulator: an agent who answers (and hears the whisper) or does not.

How the simulated agent's phone behaves is the script's ``agent:``:
``answer`` (the default) fetches the whisper TwiML a ``<Number url>``, ``<Client url>`` or
``<Sip url>`` names, as Twilio does on the agent's leg (a child call whose
``ParentCallSid`` is the caller's), records what the agent heard, and ends the simulated
call as a transfer. ``no-answer``, ``busy`` and ``failed`` post the ``<Dial action>`` with
that ``DialCallStatus``, as Twilio does, and the call goes on with its answer; a ``<Dial>``
without an action goes on to the next verb.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Literal, Protocol
from urllib.parse import urljoin

from ivr.errors import TwimlError
from ivr.sim.results import CallResult, Outcome
from ivr.sim.transport import Transport
from ivr.sim.twiml import dial_target, local_name, parse_twiml, say_text

AGENT_OUTCOMES = ("answer", "no-answer", "busy", "failed")
# The nouns whose url attribute runs TwiML on the agent's leg before the call is connected.
_WHISPERING = ("Number", "Client", "Sip")


class DialingCall(Protocol):
    """What a ``<Dial>`` needs of the call it runs in (a ``SimulatedCall``)."""

    result: CallResult
    transport: Transport
    agent: str  # one of AGENT_OUTCOMES

    def line(self, text: str) -> None:
        """Add a line to the transcript."""

    def warn(self, message: str) -> None:
        """Record a warning."""

    def end(self, outcome: Outcome, by: Literal["caller", "ivr"] | None) -> None:
        """End the call."""

    def webhook_params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every webhook of this call."""


def ring_agent(call: DialingCall, dial: ET.Element,
               current_url: str) -> tuple[str, str, dict[str, str]] | bool:
    """Run one ``<Dial>``: the request to make next (method, URL, parameters), True when the
    call is over (transferred), or False to go on with the document's next verb."""
    target = dial_target(dial)
    call.result.transferred_to = target
    if call.agent == "answer":
        _whisper(call, dial, current_url)
        call.line(f"[transferred to {target}]")
        call.end("transfer", by=None)
        return True
    call.line(f"[{target}: {call.agent}]")
    action = dial.get("action")
    if not action:
        return False
    params = {"DialCallStatus": call.agent, "DialCallDuration": "0"}
    return (dial.get("method") or "POST").upper(), urljoin(current_url, action), params


def _whisper(call: DialingCall, dial: ET.Element, current_url: str) -> None:
    """Fetch and hear what the agent is told before being connected, if anything."""
    url = next((noun.get("url") for noun in dial if local_name(noun) in _WHISPERING
                and noun.get("url")), None)
    if not url:
        return
    child = call.webhook_params(CallSid=f"{call.result.call_sid}-agent",
                                ParentCallSid=call.result.call_sid, Direction="outbound-dial",
                                CallStatus="in-progress")
    response = call.transport.request("POST", urljoin(current_url, url), child)
    if response.status != 200:
        call.warn(f"the whisper got HTTP {response.status}")
        return
    try:
        verbs = parse_twiml(response.body)
    except TwimlError as error:
        call.warn(f"the whisper: {error}")
        return
    for verb in verbs:
        if local_name(verb) == "Say":
            call.result.whisper.append(say_text(verb))
            call.line(f"agent hears: {say_text(verb)}")
        elif local_name(verb) == "Dial":
            call.warn("a whisper may not <Dial> (Twilio refuses it)")
