"""Turn the flow's replies into TwiML with twilio's ``VoiceResponse``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from twilio.twiml.voice_response import Dial, Gather, Pay, VoiceResponse
from twilio.twiml.voice_response import Prompt as PayPrompt

from flows.hearing import hint_phrases
from flows.money import cents_to_decimal
from flows.recording import Recording
from flows.speech import Prompt, render, say
from flows.state import Ask, Capture, EndKind, Reply
from ivr.web.agent_twiml import Handoff, agent_noun, dial_agent

# Where Twilio reports <Pay>'s progress (each field asked, each error); see ivr.web.voice.
PAY_STATUS_PATH = "/voice/pay-status"
# Where Twilio reports a recording once it is kept, or that it is not (ivr.web.recordings).
RECORDING_STATUS_PATH = "/voice/recording-status"
RECORDING_EVENTS = "completed absent"
PAY_FIELDS = ("payment-card-number", "expiration-date", "security-code", "postal-code")
BANK_FIELDS = ("bank-routing-number", "bank-account-number")
PAY_ERRORS = {
    "payment-card-number": ("invalid-card-number", "invalid-card-type", "timeout"),
    "expiration-date": ("invalid-date", "timeout"),
    "security-code": ("invalid-security-code", "timeout"),
    # Twilio's <Prompt errorType> has no value for a bad postal code, routing or account
    # number: only a timeout (Twilio says its own sentence for the rest).
    "postal-code": ("timeout",),
    "bank-routing-number": ("timeout",),
    "bank-account-number": ("timeout",),
}
# <Pay bankAccountType>: the caller's accounts are consumer ones (Twilio's default is
# consumer-checking; commercial-checking and commercial-savings are a business's).
BANK_ACCOUNT_TYPES = {"checking": "consumer-checking", "savings": "consumer-savings"}
# A question that may be answered by voice: Twilio's generic model for short commands and
# numbers. With a speechModel set, Twilio wants speechTimeout in whole seconds ("auto" is
# refused, warning 13335); hints are at most 500 phrases of at most 100 characters, commas
# between them (warning 13330).
SPEECH_MODEL = "numbers_and_commands"
MAX_HINTS, MAX_HINT_LENGTH = 500, 100
# The slower speaking rate (SSML <prosody rate>, which Polly's voices take as 20% to 200%).
SLOWER_RATE = "80%"


# <Pay language>: the languages Twilio's own <Pay> words come in (its TwiML schema). A call
# in another language still hears every prompt of ours in its own; Twilio's default stays.
PAY_LANGUAGES = frozenset({"de-DE", "en-AU", "en-CA", "en-GB", "en-IN", "en-IE", "en-NZ",
                           "en-PH", "en-ZA", "en-US", "es-ES", "es-US", "fr-CA", "fr-FR",
                           "it-IT"})


@dataclass(frozen=True)
class Voice:
    """How prompts are spoken (the call's language, and the voice of each language), where a
    transfer goes, which Pay Connector charges, and the ``tokenType`` it tokenises with
    (``ivr.web.pay_form.pay_tokens``)."""

    language: str = "en-US"
    voices: Mapping[str, str] = field(default_factory=lambda: {"en-US": "Polly.Joanna"})
    agent_number: str = ""
    pay_connector: str = "Default"
    token_type: str = "reusable"
    slow: bool = False  # the caller asked for slower prompts
    agents_on_duty: bool = True  # within IVR_AGENT_HOURS: an apology may transfer

    def voice_of(self, language: str) -> str:
        """The voice that speaks ``language`` (the call's when it has none of its own)."""
        return self.voices.get(language) or self.voices[self.language]


def _say(target: VoiceResponse | Gather | PayPrompt, prompt: Prompt, voice: Voice) -> None:
    """One prompt as one <Say>, in its own language and voice if it has one (the greeting's
    offer of another language), else the call's; at the slower rate once the caller asked."""
    language = prompt.language or voice.language
    text = render(prompt, language)
    spoken = {"voice": voice.voice_of(language), "language": language}
    if not voice.slow:
        target.say(text, **spoken)
        return
    target.say(**spoken).prosody(text, rate=SLOWER_RATE)


def gather_verb(ask: Ask, action_url: str, voice: Voice) -> Gather:
    """<Gather> for ``ask``: keys, and speech too when it may be answered by voice (in the
    call's language, hinted with the phrases the flow listens for)."""
    speech: dict[str, str] = {}
    if ask.speech:
        hints = [phrase.replace(",", " ")[:MAX_HINT_LENGTH]
                 for phrase in hint_phrases(ask.hints, voice.language)][:MAX_HINTS]
        speech = {"language": voice.language, "speech_model": SPEECH_MODEL,
                  "speech_timeout": str(ask.speech_timeout)}
        if hints:
            speech["hints"] = ", ".join(hints)
    return Gather(input="dtmf speech" if ask.speech else "dtmf", action=action_url,
                  method="POST", timeout=ask.timeout, finish_on_key=ask.finish_on_key,
                  num_digits=ask.num_digits, **speech)


def reply_twiml(reply: Reply, action_url: str, voice: Voice,
                handoff: Handoff | None = None) -> str:
    """TwiML for one turn: speech, then a gather posting to ``action_url`` or the end.

    ``action_url`` is a path (Twilio resolves it against the public URL it
    called), so the app works behind any host name. A transfer rings as ``handoff`` says.
    """
    response = VoiceResponse()
    voice = replace(voice, slow=reply.slow)
    for prompt in reply.say:
        _say(response, prompt, voice)
    if reply.ask is not None:
        ask = reply.ask
        gather = gather_verb(ask, action_url, voice)
        for prompt in ask.prompts:
            _say(gather, prompt, voice)
        response.append(gather)
        # No keys before the timeout: Twilio falls through to the next verb.
        response.redirect(f"{action_url}&silence=1", method="POST")
    elif reply.capture is not None:
        response.append(pay_verb(reply.capture, action_url, voice))
    elif reply.record is not None:
        record_verbs(response, reply.record, action_url)
    elif reply.carry_on:
        # Straight on to the next turn, holding: Twilio requests it as soon as the speech ends.
        response.redirect(f"{action_url}&hold=1", method="POST")
    elif reply.end is EndKind.TRANSFER and handoff is not None:
        response.append(dial_agent(handoff))
    else:
        response.hangup()
    return str(response)


def record_verbs(response: VoiceResponse, recording: Recording, action_url: str) -> None:
    """<Record> reporting to ``action_url`` and to our recording status callback.

    An empty recording is not reported to the action URL: Twilio goes on to the next verb,
    which comes back as ``silence=1`` (no message). Silence at either end is trimmed.
    """
    response.record(action=action_url, method="POST", timeout=recording.silence_seconds,
                    finish_on_key=recording.finish_on_key, max_length=recording.max_seconds,
                    play_beep=True, trim="trim-silence",
                    recording_status_callback=RECORDING_STATUS_PATH,
                    recording_status_callback_method="POST",
                    recording_status_callback_event=RECORDING_EVENTS)
    response.redirect(f"{action_url}&silence=1", method="POST")


def pay_verb(capture: Capture, action_url: str, voice: Voice) -> Pay:
    """<Pay> collecting a card or bank account, with our own prompts for each field."""
    bank = BANK_ACCOUNT_TYPES.get(capture.bank_account_type)
    # <Pay> has no method attribute: Twilio always POSTs to its action.
    pay = Pay(input="dtmf", action=action_url, status_callback=PAY_STATUS_PATH,
              payment_connector=voice.pay_connector, description=capture.description,
              timeout=10, max_attempts=3, **_pay_options(capture, voice, bank))
    for pay_field in BANK_FIELDS if bank else PAY_FIELDS:
        _field_prompts(pay, pay_field, voice)
    # Our own words while the connector works: a card only kept is not "your payment" yet.
    processing = PayPrompt(for_="payment-processing")
    _say(processing, say("pay.processing" if capture.charge_cents else "pay.checking"), voice)
    pay.append(processing)
    if bank:
        # The account number twice, as when it is keyed: Twilio compares the two entries.
        again = PayPrompt(for_="bank-account-number", require_matching_inputs=True)
        _say(again, say("pay.bank-account-number.again"), voice)
        mismatch = PayPrompt(for_="bank-account-number", error_type="input-matching-failed")
        _say(mismatch, say("pay.error.input-matching-failed"), voice)
        _say(mismatch, say("pay.bank-account-number"), voice)
        pay.append(again)
        pay.append(mismatch)
        # Twilio refuses an ACH <Pay> without the name on the account (error 64014).
        pay.parameter(name="AVSName", value=capture.holder_name)
    return pay


def _pay_options(capture: Capture, voice: Voice, bank: str | None) -> dict[str, str | bool]:
    """Charge or tokenise; a card (with its checks) or a bank account of type ``bank``."""
    options: dict[str, str | bool]
    if capture.charge_cents == 0:
        options = {"token_type": voice.token_type}
    else:
        # Twilio: "Do not enter a charge amount when tokenizing" (and no tokenType charging).
        options = {"charge_amount": str(cents_to_decimal(capture.charge_cents)),
                   "currency": "usd"}
    if voice.language in PAY_LANGUAGES:
        options["language"] = voice.language
    if bank:
        return options | {"payment_method": "ach-debit", "bank_account_type": bank}
    return options | {"payment_method": "credit-card", "security_code": True,
                      "postal_code": True, "valid_card_types": "visa mastercard amex discover"}


def _field_prompts(pay: Pay, field: str, voice: Voice) -> None:
    """A field's prompt, and one for each error Twilio may ask it again after."""
    for error in PAY_ERRORS[field]:
        prompt = PayPrompt(for_=field, error_type=error)
        _say(prompt, say(f"pay.error.{error}"), voice)
        _say(prompt, say(f"pay.{field}"), voice)
        pay.append(prompt)
    prompt = PayPrompt(for_=field)
    _say(prompt, say(f"pay.{field}"), voice)
    pay.append(prompt)


def apology_twiml(voice: Voice) -> str:
    """What the caller hears when something broke: an apology, then an agent or goodbye."""
    response = VoiceResponse()
    _say(response, say("end.application_error"), voice)
    if voice.agent_number and voice.agents_on_duty:
        _say(response, say("end.transferring"), voice)
        response.append(agent_noun(Dial(), voice.agent_number))
    else:
        _say(response, say("end.call_again"), voice)
        response.hangup()
    return str(response)


def goodbye_twiml(voice: Voice) -> str:
    """Goodbye, and hang up (a caller back from an agent's call)."""
    response = VoiceResponse()
    _say(response, say("end.goodbye"), voice)
    response.hangup()
    return str(response)


def empty_twiml() -> str:
    """An empty response, for callbacks that only record something."""
    return str(VoiceResponse())
