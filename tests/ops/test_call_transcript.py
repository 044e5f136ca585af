"""How a logged turn reads: what the caller did, and the catalog text of what they heard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows import logged
from flows.speech import load_catalog
from ivr.ops.call_log import LoggedCall
from ivr.ops.call_transcript import (
    IN_PROGRESS,
    call_status,
    caller_action,
    prompt_text,
    said_in,
    transcript_json,
    transcript_text,
)
from models import CallSession, CallTurn

EN, ES = "en-US", "es-US"
STARTED = datetime(2026, 11, 21, 15, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "entry", "read"), [
    (logged.START, None, "call answered"),
    (logged.KEY, "1", "pressed 1"),
    (logged.KEY, "<keys, 16 digits>", "pressed <keys, 16 digits>"),
    (logged.ENTRY, "<PIN, 4 digits>", "keyed <PIN, 4 digits>"),
    (logged.ENTRY, "5000", "keyed 5000"),
    (logged.SPEECH, "pay by card", "said 'pay by card'"),
    (logged.SPEECH, "<words with a number, 7 words>", "said <words with a number, 7 words>"),
    (logged.SILENCE, None, "silence"),
    (logged.PAY, "success Visa", "<Pay>: success Visa"),
    (logged.RECORDING, "<message, 12 seconds>", "recorded <message, 12 seconds>"),
    (logged.HOLD, None, "held while the payment was charged"),
    (logged.UNANSWERED, None, "no agent answered: the call came back"),
    ("teleport", "x", "teleport x"),  # a kind added later still reads as something
])
def test_what_the_caller_did_reads_as_an_operator_says_it(kind: str, entry: str | None,
                                                          read: str) -> None:
    assert caller_action(kind, entry) == read


def test_every_kind_the_log_keeps_has_its_own_words() -> None:
    assert [kind for kind in logged.KINDS if caller_action(kind, "x") == f"{kind} x"] == []


def test_a_prompt_reads_as_its_catalog_text_with_its_values_left_out() -> None:
    assert prompt_text("ask.pin", EN) == "Enter your PIN."
    assert prompt_text("ask.pin", ES) == load_catalog(ES)["ask.pin"]
    assert prompt_text("info.balance_due", EN) == "You owe …, due …."
    assert prompt_text("no.such.prompt", EN) is None


def test_a_language_without_a_catalog_reads_in_the_default_one() -> None:
    assert prompt_text("ask.pin", "fr-FR") == "Enter your PIN."


def test_the_offer_of_another_language_is_shown_in_the_language_it_offers() -> None:
    assert said_in("option.language", EN, EN) == ES
    assert prompt_text("option.language", said_in("option.language", EN, EN)) == \
        "Para español, oprima …."
    assert said_in("option.language", ES, EN) == EN
    assert said_in("ask.pin", ES, EN) == ES


def a_call(**columns: object) -> CallSession:
    """A call row as a status callback leaves it, with ``columns`` changed."""
    values: dict[str, object] = dict(
        call_sid="CA" + "f" * 32, from_number="+14155550100", to_number="+18005550199",
        state="ended", started_at=STARTED, ended_at=STARTED.replace(minute=6),
        call_status="completed", duration_seconds=125)
    return CallSession(**(values | columns))


def test_a_calls_status_is_twilios_else_how_it_was_closed() -> None:
    assert call_status(a_call()) == "completed"
    assert call_status(a_call(call_status=None, state="abandoned")) == "abandoned"
    assert call_status(a_call(call_status=None, ended_at=None, state="pin")) == IN_PROGRESS


def test_a_transcript_has_the_header_then_each_turn_with_what_was_heard() -> None:
    turn = CallTurn(call_sid="CA" + "f" * 32, turn=3, step_before="pin", step_after="pay_now",
                    input_kind=logged.ENTRY, entry="<PIN, 4 digits>",
                    prompts=["info.balance_due", "gone.prompt"], language=EN,
                    response_ms=42, worker="web-1:4242", created_at=STARTED)
    text = transcript_text(LoggedCall(a_call(), [turn]), EN)
    assert text.splitlines() == [
        f"Call CA{'f' * 32}",
        "  from     +14155550100",
        "  to       +18005550199",
        "  started  2026-11-21 15:04:05 UTC",
        "  ended    2026-11-21 15:06:05 UTC",
        "  status   completed, 125 seconds",
        "  turns    1 in the call log",
        "",
        "  3  15:04:05  pin -> pay_now  keyed <PIN, 4 digits>  (42 ms, web-1:4242)",
        "       info.balance_due  You owe …, due ….",
        "       gone.prompt       (not in the catalog)",
    ]
    data = transcript_json(LoggedCall(a_call(), [turn]), EN)
    assert data["turns"][0]["prompts"][1] == {"id": "gone.prompt", "language": EN,
                                              "text": None}
    assert data["started_at"] == "2026-11-21T15:04:05+00:00"


def test_a_call_with_no_turns_left_says_so() -> None:
    lines = transcript_text(LoggedCall(a_call(ended_at=None, call_status=None, state="pin",
                                              duration_seconds=None), []), EN).splitlines()
    assert lines[-3:] == ["  ended    -", "  status   in progress",
                          "  turns    none in the call log (pruned, or the call was never "
                          "answered)"]
