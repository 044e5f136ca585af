"""The decisions the flow hands back for a turn (:class:`Reply`: say, ask, capture, record,
carry on or end) and what the caller did (:class:`Event`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.capture import CaptureReport
from flows.recording import Recording, RecordingReport
from flows.speech import Prompt


@dataclass(frozen=True)
class Ask:
    """A question: prompts the caller may interrupt, and how to collect the keys.

    ``speech``: the caller may also answer by voice; ``hints`` are the catalog ids of the
    phrases they are likely to say (each a list of synonyms, see :mod:`flows.hearing`), and
    ``speech_timeout`` the seconds of silence that end a spoken answer.
    """

    prompts: list[Prompt]
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 6
    speech: bool = False
    hints: tuple[str, ...] = ()
    speech_timeout: int = 2


class EndKind(StrEnum):
    """How a call ends."""

    HANGUP = "hangup"
    TRANSFER = "transfer"


@dataclass(frozen=True)
class Capture:
    """Have Twilio's <Pay> collect a card or bank account, so its digits never reach this
    server.

    ``charge_cents`` > 0 charges through the Pay Connector at once; 0 only
    tokenises the card (for a scheduled payment or an arrangement). ``bank_account_type``
    ("checking" or "savings") asks for a bank account instead, always tokenised: its debit
    waits for the caller's telephone authorisation; ``holder_name`` is the name on the
    account, which a bank <Pay> must carry.
    """

    charge_cents: int
    description: str
    bank_account_type: str = ""
    holder_name: str = ""


@dataclass(frozen=True)
class Reply:
    """The flow's decision for one turn: speak, then ask, capture a card, record a message,
    carry on, or end.

    ``carry_on``: come straight back for the next turn without waiting for keys (the
    caller holds while a payment is charged). ``slow``: speak at the slower rate the caller
    asked for.
    """

    say: list[Prompt] = field(default_factory=list)
    ask: Ask | None = None
    end: EndKind | None = None
    capture: Capture | None = None
    carry_on: bool = False
    slow: bool = False
    record: Recording | None = None


@dataclass(frozen=True)
class Event:
    """What the caller did: keyed digits, words said, nothing before the timeout, a card
    capture, or a recorded message.

    ``speech`` is what Twilio's recogniser heard and ``confidence`` how sure it was (0 to 1;
    None when it did not say). The words live for this turn only: the flow matches them and
    keeps nothing of them, since a caller may say a card number anywhere.
    """

    digits: str | None
    captured: CaptureReport | None = None
    speech: str | None = None
    confidence: float | None = None
    recording: RecordingReport | None = None

    @property
    def silent(self) -> bool:
        """True when the caller pressed and said nothing (and no capture or recording
        reported back)."""
        return not self.digits and self.captured is None and self.recording is None \
            and not self.spoke

    @property
    def spoke(self) -> bool:
        """True when the caller answered by voice."""
        return bool(self.speech and self.speech.strip())
