"""A spoken message the caller records, in the flow's own terms (never the provider's).

The flow asks for a recording with a :class:`Recording` (Twilio's ``<Record>`` in the web
layer); the web layer reads what the provider reports back into a :class:`RecordingReport`.
A message recorded about a charge becomes a dispute case through :class:`DisputePorts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# Shorter than this is no message: a breath, or the finish key pressed at once.
MIN_MESSAGE_SECONDS = 2


@dataclass(frozen=True)
class Recording:
    """Record the caller: up to ``max_seconds``, ended by ``finish_on_key`` or by
    ``silence_seconds`` of silence."""

    max_seconds: int
    finish_on_key: str = "#"
    silence_seconds: int = 5


@dataclass(frozen=True)
class RecordingReport:
    """What was recorded: the provider's id for it, where it is kept, and how long it is.

    ``hung_up``: the caller hung up while recording (the recording is still kept).
    """

    sid: str
    url: str
    duration_seconds: int
    hung_up: bool = False

    @property
    def is_message(self) -> bool:
        """Long enough to be a message rather than a breath or a key pressed at once."""
        return bool(self.sid) and self.duration_seconds >= MIN_MESSAGE_SECONDS


@dataclass(frozen=True)
class DisputeCase:
    """A case opened about a charge: its number, and whether the number was texted."""

    number: str
    texted: bool


class DisputePorts(Protocol):
    """What the flow asks of the outside world about disputed charges."""

    def open_dispute(self, account_id: int, call_sid: str, recording: RecordingReport,
                     notify_number: str | None, language: str) -> DisputeCase:
        """Open a case for the message ``recording`` (once per recording: the same case
        again for the same one) and text its number, in ``language``, to ``notify_number``
        (else the account's phone) unless that was done before."""
