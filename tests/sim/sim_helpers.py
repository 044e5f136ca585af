"""A small fake IVR for the simulator's tests, and placing scripted calls to it.

The fake app validates Twilio signatures and records every request (``hits``); ``pay_app``
answers with one ``<Pay>`` built by twilio's own classes. The real webhooks are tested in
``tests/web``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, Pay, Prompt, VoiceResponse

from ivr.sim.simulator import Action, CallResult, SimulatedCall
from ivr.sim.transport import InProcessTransport
from ivr.sim.twiml import GatherSpec

TOKEN = "test-token-not-secret"
ACCOUNT_SID = "AC" + "1" * 32
Handler = Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class Hit:
    """One webhook request the fake app received (after its signature checked out)."""

    method: str
    path: str
    query: dict[str, str]
    params: dict[str, str]


def fake_app(routes: dict[str, Handler], **config: Any) -> Flask:
    """A Flask app answering ``routes`` with TwiML; a bad signature gets HTTP 403."""
    app = Flask("fake_ivr")
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID=ACCOUNT_SID, **config)
    hits: list[Hit] = []
    app.extensions["hits"] = hits

    @app.route("/<path:path>", methods=["GET", "POST"])
    def webhook(path: str) -> Any:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form, signature):
            abort(403)
        hit = Hit(request.method, f"/{path}", request.args.to_dict(), request.values.to_dict())
        hits.append(hit)
        if hit.path == "/voice/status":
            return "", 204
        answer = routes[hit.path](hit.params)
        if isinstance(answer, tuple | Response):
            return answer
        return Response(str(answer), mimetype="text/xml")

    return app


def hits(app: Flask) -> list[Hit]:
    """The requests ``app`` received so far."""
    return app.extensions["hits"]


class Scripted:
    """A minimal caller replaying fixed actions (the YAML caller is tested elsewhere)."""

    def __init__(self, *actions: Action) -> None:
        """``actions`` are returned in order at each Gather."""
        self.actions = list(actions)
        self.gathers: list[GatherSpec] = []

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """The next action; running out is a test bug."""
        self.gathers.append(gather)
        return self.actions.pop(0)

    def finished(self, call: SimulatedCall) -> None:
        """Nothing to check at the end."""


def call(app: Flask, *actions: Action) -> CallResult:
    """Place a call to ``app`` with a caller doing ``actions``."""
    return SimulatedCall(InProcessTransport(app), Scripted(*actions)).run()


def press(keys: str) -> Action:
    """The caller presses ``keys``."""
    return Action("press", keys)


SILENCE = Action("silence")


def menu_app(**gather_attrs: Any) -> Flask:
    """/voice gathers with ``gather_attrs``; /voice/menu says the Digits and hangs up."""

    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        gather = Gather(action="/voice/menu", **gather_attrs)
        gather.say("Press 1 to pay.")
        response.append(gather)
        response.say("We did not hear anything.")
        response.hangup()
        return response

    def menu(params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.say(f"You entered [{params.get('Digits')}].")
        response.hangup()
        return response

    return fake_app({"/voice": voice, "/voice/menu": menu})


# --- <Pay>

VISA, AMEX, DISCOVER = "4242424242424242", "378282246310005", "6011111111111117"
GOOD_EXPIRY, ZIP = "1239", "94109"
CARD_ROUTES = ("/voice", "/voice/paid", "/voice/pay-status")
HANGUP = Action("hangup")
ACCOUNT = "000123456789"  # a bank account number keyed at <Pay>
PromptSpec = tuple[dict[str, Any], str]


def pay_app(prompts: tuple[PromptSpec, ...] = (), avs_name: str = "Jordan Rivera",
            **attrs: Any) -> Flask:
    """/voice runs one <Pay> with ``attrs`` and ``prompts`` (an ach-debit one with the name
    on the account Twilio requires, ``avs_name``); /voice/paid says the Result."""
    attrs.setdefault("action", "/voice/paid")

    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        pay = Pay(**attrs)
        if attrs.get("payment_method") == "ach-debit" and avs_name:
            pay.parameter(name="AVSName", value=avs_name)
        for prompt_attrs, text in prompts:
            prompt = Prompt(**prompt_attrs)
            prompt.say(text)
            pay.append(prompt)
        response.append(pay)
        response.say("After the pay verb.")  # unreachable: the action's TwiML takes over
        return response

    def paid(params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.say(f"Result {params['Result']}.")
        response.hangup()
        return response

    return fake_app({"/voice": voice, "/voice/paid": paid, "/voice/pay-status": lambda _p: ""})


def posted(app: Flask) -> dict[str, str]:
    """The parameters of the one request to the action URL."""
    (hit,) = [h for h in hits(app) if h.path == "/voice/paid"]
    return hit.params


def card_keys(number: str = VISA, code: str = "123") -> list[Action]:
    """A caller keying a whole valid card: number, expiry, code, ZIP."""
    return [press(number + "#"), press(GOOD_EXPIRY), press(code), press(ZIP + "#")]


def said(result: CallResult) -> list[str]:
    """What the IVR said, in order."""
    return [line.removeprefix("IVR: ") for line in result.transcript if line.startswith("IVR: ")]
