"""What the call log keeps of a turn's input: its kind, and the input unless it is a secret.

A number the table declares ``secret`` (a PIN, card or bank number, security code, expiry,
ZIP, callback number) is kept only as what it is and how long (``<card number, 16
digits>``); an account number only when it matched an account. Keys the machine reads
itself (star, the language key at a start step, the slower key) are kept as they are, so a
replay can press them. Words said are kept unless they hold a number longer than the one
digit of a key named ("press three"): a caller may say a card number at any question. At
the amount question, the amount read from them is kept instead ("$75").
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.capture import CaptureKind
from flows.hearing import spoken_amount, spoken_digits
from flows.keys import LANGUAGE, SLOWER, STAR
from flows.spec import Entry, Hold
from flows.state import Event, Step
from flows.table import STEPS

START = "start"  # the call's first request: nothing done yet
KEY = "key"  # a key pressed at a menu
ENTRY = "entry"  # a number keyed at a question
SPEECH = "speech"  # words said instead of keys
SILENCE = "silence"  # nothing before the timeout
PAY = "pay"  # Twilio's <Pay> reported a card or bank account
RECORDING = "recording"  # Twilio's <Record> reported a message
HOLD = "hold"  # the caller held while a payment was charged
KINDS = (START, KEY, ENTRY, SPEECH, SILENCE, PAY, RECORDING, HOLD)
MAX_LENGTH = 120  # what the log's column holds
MAX_AMOUNT_DIGITS = 7  # $99,999.99


@dataclass(frozen=True)
class LoggedInput:
    """A turn's input as the call log keeps it: ``kind`` (one of :data:`KINDS`) and
    ``entry``, the keys or words, or a secret's description; None when there are none."""

    kind: str
    entry: str | None = None


def logged_input(before: Step | None, event: Event | None, after: Step,
                 language: str) -> LoggedInput:
    """What the log keeps of ``event``, taken at ``before`` and leading to ``after``."""
    if event is None or before is None:
        return LoggedInput(START)
    spec = STEPS[before]
    if isinstance(spec, Hold):
        return LoggedInput(HOLD)
    if event.captured is not None:
        return LoggedInput(PAY, _capture(event.captured.kind, event.captured.brand))
    if event.recording is not None:
        return LoggedInput(RECORDING, f"<message, {event.recording.duration_seconds} seconds>")
    if event.spoke:
        return LoggedInput(SPEECH, _speech(before, str(event.speech).strip(), after, language))
    if not event.digits:
        return LoggedInput(SILENCE)
    if isinstance(spec, Entry):
        return LoggedInput(ENTRY, _keyed(before, spec, event.digits, after))
    # A menu reads one key: more is someone keying a number where none was asked.
    return LoggedInput(KEY, event.digits if len(event.digits) == 1
                       else _masked("keys", event.digits))


def _capture(kind: CaptureKind, brand: str) -> str:
    return f"{kind} {brand}".strip()


def _keyed(step: Step, spec: Entry, digits: str, after: Step) -> str:
    if spec.secret is None or _control_key(spec, digits) or _matched_account(step, after):
        return digits[:MAX_LENGTH]
    return _masked(spec.secret, digits)


def _speech(step: Step, words: str, after: Step, language: str) -> str:
    spec = STEPS[step]
    count = len(words.split())
    if _matched_account(step, after):
        return words[:MAX_LENGTH]
    if isinstance(spec, Entry) and spec.secret is not None:
        return f"<{spec.secret}, said in {count} words>"
    if isinstance(spec, Entry) and spec.hears is spoken_amount:
        return _amount_said(words, count, language)
    digits = spoken_digits(words, language)
    # One digit is a menu key named ("press three"), which a replay must say again; no
    # secret is one digit long. Any longer number may be one, even where an amount is asked.
    if digits is not None and len(digits) > 1:
        return f"<words with a number, {count} words>"
    return words[:MAX_LENGTH]


def _amount_said(words: str, count: int, language: str) -> str:
    """An amount said, as the line read it ("$75", "$50.25"), so a replay can say it again;
    only the words of one amount up to $99,999.99: anything longer may be a card number."""
    amount = spoken_amount(words, language)
    if amount is None or len(amount.replace("*", "")) > MAX_AMOUNT_DIGITS:
        return f"<words with a number, {count} words>"
    return "$" + amount.replace("*", ".")


def _control_key(spec: Entry, digits: str) -> bool:
    """A lone key the machine reads itself rather than the step's number."""
    return digits == STAR or (digits == LANGUAGE and spec.start) or \
        (digits == SLOWER and spec.slower)


def _matched_account(step: Step, after: Step) -> bool:
    """An account number that matched an account: the only secret entry kept (it names the
    account the call is about, as the caller ID does)."""
    return step is Step.ACCOUNT_NUMBER and after in STEPS[step].goes


def _masked(kind: str, digits: str) -> str:
    unit = "digit" if len(digits) == 1 else "digits"
    return f"<{kind}, {len(digits)} {unit}>"
