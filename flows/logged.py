"""What the call log keeps of a turn's input: its kind, and the input unless it is a secret.

A number the table declares ``secret`` (a PIN, card or bank number, security code, expiry,
ZIP, callback number) is kept only as what it is and how long (``<card number, 16
digits>``); an account number only when it matched an account. Keys the machine reads
itself (star, the language key at a start step, the slower key) are kept as they are, so a
replay can press them, and so are words naming one key at a menu ("press three").

A caller may key or say a card number anywhere, so at a question whose number is no secret
(an amount, a date) keys are kept only while no run of them is longer than such a number
(:data:`LONGEST_PLAIN_NUMBER`), and words that hold a number only when the question read an
amount from them. Words said are looked at in every language the line speaks, not only the
call's: a caller on a Spanish call may still say their PIN in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.capture import CaptureKind
from flows.hearing import MAX_AMOUNT_DIGITS, spoken_digits
from flows.keys import LANGUAGE, SLOWER, STAR
from flows.spec import End, Entry, Hold, StepSpec
from flows.speech import languages
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
UNANSWERED = "unanswered"  # no agent took the call handed on, and it came back to the line
KINDS = (START, KEY, ENTRY, SPEECH, SILENCE, PAY, RECORDING, HOLD, UNANSWERED)
MAX_LENGTH = 120  # what the log's column holds
# The most digits in a row a question that is no secret takes: an amount's dollars (a date
# has 4). A longer run is a number the caller keeps to themselves (a card has 13 to 19).
LONGEST_PLAIN_NUMBER = MAX_AMOUNT_DIGITS
_DIGIT_RUNS = re.compile(r"[0-9]+")


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
    if isinstance(spec, End):  # only <Dial>'s report comes back from a call handed on
        return LoggedInput(UNANSWERED)
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
    if _control_key(spec, digits) or _matched_account(step, after):
        return digits[:MAX_LENGTH]
    if spec.secret is not None:
        return _masked(spec.secret, digits)
    if longest_run(digits) > LONGEST_PLAIN_NUMBER:
        return _masked("keys", digits)
    return digits[:MAX_LENGTH]


def _speech(step: Step, words: str, after: Step, language: str) -> str:
    spec = STEPS[step]
    count = _words(len(words.split()))
    if _matched_account(step, after):
        return words[:MAX_LENGTH]
    if isinstance(spec, Entry) and spec.secret is not None:
        return f"<{spec.secret}, said in {count}>"
    numbers = numbers_said(words, language)
    # One key named at a menu ("press three") is kept, for a replay to say again: no secret
    # is one digit long.
    key_named = not isinstance(spec, Entry) and all(len(number) <= 1 for number in numbers)
    if numbers and not _plain_number(spec, words, language) and not key_named:
        return f"<words with a number, {count}>"
    return words[:MAX_LENGTH]


def numbers_said(words: str, language: str) -> list[str]:
    """The digits ``words`` name, as read in the call's language and in each other the line
    speaks (one reading a language that finds any); empty when they name none."""
    readings = (spoken_digits(words, heard_in) for heard_in in sorted({language, *languages()}))
    return [digits for digits in readings if digits is not None]


def holds_a_number(words: str, language: str) -> bool:
    """Whether ``words`` name a digit, read in the call's language or any the line speaks."""
    return bool(numbers_said(words, language))


def _plain_number(spec: StepSpec, words: str, language: str) -> bool:
    """Whether a question that reads a number from words (an amount) read one from
    ``words`` that is no longer than such a number; a menu reads none."""
    if not isinstance(spec, Entry) or spec.hears is None:
        return False
    heard = spec.hears(words, language)
    return heard is not None and longest_run(heard) <= LONGEST_PLAIN_NUMBER


def longest_run(keys: str) -> int:
    return max((len(run) for run in _DIGIT_RUNS.findall(keys)), default=0)


def _control_key(spec: Entry, digits: str) -> bool:
    """A lone key the machine reads itself rather than the step's number."""
    return digits == STAR or (digits == LANGUAGE and spec.start) or \
        (digits == SLOWER and spec.slower)


def _matched_account(step: Step, after: Step) -> bool:
    """An account number that matched an account: the only secret entry kept (it names the
    account the call is about, as the caller ID does)."""
    return step is Step.ACCOUNT_NUMBER and after in STEPS[step].goes


def _words(count: int) -> str:
    return f"{count} word" if count == 1 else f"{count} words"


def _masked(kind: str, digits: str) -> str:
    unit = "digit" if len(digits) == 1 else "digits"
    return f"<{kind}, {len(digits)} {unit}>"
