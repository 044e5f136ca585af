"""Turn the flow's replies into TwiML with twilio's ``VoiceResponse``."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from flows.speech import Prompt, render, say
from flows.state import EndKind, Reply


@dataclass(frozen=True)
class Voice:
    """How prompts are spoken, and where a transfer goes."""

    language: str = "en-US"
    voice: str = "Polly.Joanna"
    agent_number: str = ""


def _say(target: VoiceResponse | Gather, prompt: Prompt, voice: Voice) -> None:
    target.say(render(prompt, voice.language), voice=voice.voice, language=voice.language)


def reply_twiml(reply: Reply, action_url: str, voice: Voice) -> str:
    """TwiML for one turn: speech, then a gather posting to ``action_url`` or the end.

    ``action_url`` is a path (Twilio resolves it against the public URL it
    called), so the app works behind any host name.
    """
    response = VoiceResponse()
    for prompt in reply.say:
        _say(response, prompt, voice)
    if reply.ask is not None:
        ask = reply.ask
        gather = Gather(input="dtmf", action=action_url, method="POST", timeout=ask.timeout,
                        finish_on_key=ask.finish_on_key, num_digits=ask.num_digits)
        for prompt in ask.prompts:
            _say(gather, prompt, voice)
        response.append(gather)
        # No keys before the timeout: Twilio falls through to the next verb.
        response.redirect(f"{action_url}&silence=1", method="POST")
    elif reply.end is EndKind.TRANSFER and voice.agent_number:
        response.dial(voice.agent_number)
    else:
        response.hangup()
    return str(response)


def apology_twiml(voice: Voice) -> str:
    """What the caller hears when something broke: an apology, then an agent or goodbye."""
    response = VoiceResponse()
    _say(response, say("end.application_error"), voice)
    if voice.agent_number:
        _say(response, say("end.transferring"), voice)
        response.dial(voice.agent_number)
    else:
        _say(response, say("end.call_again"), voice)
        response.hangup()
    return str(response)


def empty_twiml() -> str:
    """An empty response, for callbacks that only record something."""
    return str(VoiceResponse())
