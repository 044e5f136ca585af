"""Sign and send webhook requests as Twilio does, and read the TwiML answers as XML."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from ivr.config import settings_of
from tests.menu_helpers import JORDAN_OTHER_AMOUNT

# Keys from the first prompt of a demo call (account 10001234) to the second bank account entry:
# the first entry is held as a digest until the call ends.
TO_SECOND_BANK_ENTRY = (*JORDAN_OTHER_AMOUNT, "1", "1", "2", "1", "110000000", "000123456789")
# "Pressed" at a <Record>: the caller speaks a message (see TwilioCaller.record).
MESSAGE = "(a message)"


@dataclass
class Answer:
    """A parsed TwiML response."""

    status: int
    root: ET.Element
    raw: bytes

    @property
    def said(self) -> str:
        """All <Say> text, in document order (inside SSML such as <prosody> too)."""
        return " ".join("".join(e.itertext()) for e in self.root.iter("Say"))

    def says(self) -> list[tuple[str, str | None, str | None]]:
        """Each <Say>, in document order: its text, voice and language."""
        return [(e.text or "", e.get("voice"), e.get("language")) for e in self.root.iter("Say")]

    @property
    def gather(self) -> ET.Element | None:
        """The <Gather> verb, if any."""
        return self.root.find("Gather")

    @property
    def action(self) -> str:
        """Where the gather posts the caller's keys (or a <Record> what it recorded)."""
        verb = self.gather if self.gather is not None else self.root.find("Record")
        assert verb is not None, self.said
        return verb.get("action", "")

    def verbs(self) -> list[str]:
        """Top-level verb names."""
        return [child.tag for child in self.root]

    @property
    def carries_on(self) -> str | None:
        """Where Twilio goes straight on to, when nothing is asked (holding for a charge)."""
        if self.status != 200 or self.verbs()[-1:] != ["Redirect"] or self.gather is not None \
                or self.root.find("Record") is not None:
            return None
        return self.root[-1].text

    def then(self, later: Answer) -> Answer:
        """This answer followed by ``later``, as the caller hears them (``raw`` is the last)."""
        root = ET.Element("Response")
        root.extend([*self.root, *later.root])
        return Answer(later.status, root, later.raw)


@dataclass
class TwilioCaller:
    """One call's worth of signed webhook requests against the app's test client."""

    app: Flask
    call_sid: str = "CA00000000000000000000000000000001"
    caller: str = "+14155550100"
    extra: dict[str, str] = field(default_factory=dict)
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # every request made

    @property
    def client(self) -> FlaskClient:
        """A fresh test client."""
        return self.app.test_client()

    def params(self, **more: str) -> dict[str, str]:
        """Twilio's standard voice parameters plus ``more``."""
        return {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.caller,
                "To": "+18005550199", "Direction": "inbound", "CallStatus": "in-progress",
                "ApiVersion": "2010-04-01", **self.extra, **more}

    def sign(self, path: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for this request."""
        validator = RequestValidator(settings_of(self.app).twilio_auth_token)
        return validator.compute_signature("http://localhost" + path, params)

    def post(self, path: str, follow: bool = True, **more: str) -> Answer:
        """POST a signed webhook and parse the answer.

        With ``follow``, an answer that carries on (a <Redirect> with nothing asked) is
        followed at once, as Twilio does; the answers are joined.
        """
        params = self.params(**more)
        self.sent.append((path, params))
        response = self.client.post(path, data=params,
                                    headers={"X-Twilio-Signature": self.sign(path, params)})
        root = ET.fromstring(response.data) if response.status_code == 200 else ET.Element("x")
        answer = Answer(response.status_code, root, response.data)
        onward = answer.carries_on if follow else None
        return answer.then(self.post(onward)) if onward else answer

    def resend(self) -> Answer:
        """Deliver the latest request again, as Twilio retries one that got no answer."""
        path, params = self.sent[-1]
        extra = {k: v for k, v in params.items() if k not in self.params()}
        return self.post(path, True, **extra)

    def start(self) -> Answer:
        """The call's first webhook."""
        return self.post("/voice")

    def press(self, answer: Answer, keys: str, follow: bool = True) -> Answer:
        """Press keys at the answer's gather (``MESSAGE``: speak a message at its <Record>)."""
        if keys == MESSAGE:
            return self.record(answer)
        return self.post(answer.action, follow, Digits=keys)

    def say(self, answer: Answer, words: str, confidence: str = "0.92") -> Answer:
        """Say ``words`` at the answer's gather: Twilio posts what it heard, and how sure."""
        return self.post(answer.action, True, SpeechResult=words, Confidence=confidence)

    def record(self, answer: Answer, seconds: int = 30, sid: str | None = None,
               digits: str = "#") -> Answer:
        """Twilio's report of a message recorded at the answer's <Record>, to its action
        (``digits``: the key that ended it, or "hangup")."""
        verb = answer.root.find("Record")
        assert verb is not None, answer.said
        sid = sid or f"RE{uuid.uuid4().hex}"
        return self.post(verb.get("action", ""), RecordingSid=sid,
                         RecordingUrl=recording_url(sid), RecordingDuration=str(seconds),
                         Digits=digits)

    def silence(self, answer: Answer) -> Answer:
        """Stay silent: follow the <Redirect> after the gather."""
        redirect = answer.root.find("Redirect")
        assert redirect is not None and redirect.text
        return self.post(redirect.text)

    def walk(self, *keys: str) -> Answer:
        """Start the call and press each entry in turn."""
        answer = self.start()
        for entry in keys:
            answer = self.press(answer, entry)
        return answer


def recording_status(caller: TwilioCaller, sid: str, status: str = "completed",
                     seconds: int = 28, **more: str) -> Answer:
    """Twilio's recording status callback for recording ``sid`` of the caller's call (its
    documented parameters; a completed one gives the trimmed length)."""
    params = {"RecordingSid": sid, "RecordingStatus": status, "RecordingChannels": "1",
              "RecordingSource": "RecordVerb", "RecordingStartTime": "Sat, 21 Nov 2026 "
              "15:00:00 +0000", "ErrorCode": "0" if status == "completed" else "16101"}
    if status == "completed":
        params |= {"RecordingUrl": recording_url(sid), "RecordingDuration": str(seconds)}
    return caller.post("/voice/recording-status", False, **{**params, **more})


def recording_url(sid: str) -> str:
    """Where Twilio keeps a recording of the test account (as its reports give it)."""
    return f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{sid}"


def pay_result(caller: TwilioCaller, answer: Answer, **params: str) -> Answer:
    """Post <Pay>'s action callback for the answer's <Pay>, as Twilio would."""
    pay = answer.root.find("Pay")
    assert pay is not None, answer.said
    return caller.post(pay.get("action", ""), True, **params)
