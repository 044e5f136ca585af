"""A logged call written out as a transcript: text for an operator, JSON for a program.

The header is the call's row: caller and called numbers, when it started and ended, its
status and duration. Then each turn: its number and time (UTC), the step before and after,
what the caller did ("pressed 1", "keyed <PIN, 4 digits>", "said 'pay by card'"), what they
heard, how long the worker took to answer and which worker it was.

What was heard is the prompts' catalog ids with their catalog text, in the language the turn
was said in. The values a prompt was said with (an amount, a date, an account's last four)
are not logged, so each placeholder shows as ``…``. The offer of another language ("Para
español, oprima 9") is said in the language it offers (:mod:`flows.languages`), and shown in
it. Nothing here reads more than the log kept: a secret is its kind and length.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

from flows import logged as kinds
from flows.languages import offer
from flows.speech import DEFAULT_LANGUAGE, load_catalog, spoken_language
from flows.state import CallState
from ivr.ops.call_log import LoggedCall
from models import CallSession, CallTurn

PLACEHOLDER = "…"  # a value said in the prompt, which the log does not keep
IN_PROGRESS = "in progress"  # no status callback yet, nor closed by housekeeping
NEW_CALL = "(new call)"  # the step before a call's first turn
_WHAT_WAS_DONE = {
    kinds.START: "call answered",
    kinds.KEY: "pressed {entry}",
    kinds.ENTRY: "keyed {entry}",
    kinds.SPEECH: "said {entry}",
    kinds.SILENCE: "silence",
    kinds.PAY: "<Pay>: {entry}",
    kinds.RECORDING: "recorded {entry}",
    kinds.HOLD: "held while the payment was charged",
    kinds.UNANSWERED: "no agent answered: the call came back",
}


def caller_action(kind: str, entry: str | None) -> str:
    """What the caller did in a turn, as an operator reads it: ``pressed 1``, ``said 'pay by
    card'``, ``keyed <PIN, 4 digits>`` (words said are quoted; what the log masked is not)."""
    shown = entry or ""
    if kind == kinds.SPEECH and not _masked(shown):
        shown = f"'{shown}'"
    template = _WHAT_WAS_DONE.get(kind, f"{kind} {{entry}}")
    return template.format(entry=shown).strip()


def _masked(entry: str) -> bool:
    """Whether an entry is the log's description of a secret (``<card number, 16 digits>``)."""
    return entry.startswith("<") and entry.endswith(">")


def prompt_text(prompt_id: str, language: str) -> str | None:
    """The catalog text of ``prompt_id`` in ``language`` (else the default language's), each
    placeholder as ``…``; None when no catalog has it (a prompt since removed)."""
    template = load_catalog(spoken_language(language)).get(prompt_id) \
        or load_catalog(DEFAULT_LANGUAGE).get(prompt_id)
    if template is None:
        return None
    return "".join(literal + (PLACEHOLDER if name is not None else "")
                   for literal, name, _, _ in string.Formatter().parse(template)).strip()


def said_in(prompt_id: str, language: str, home: str) -> str:
    """The language ``prompt_id`` was said in, in a turn said in ``language`` on a line
    speaking ``home``: the turn's, but for the offer of another language, said in that one."""
    offered = offer(CallState(call_sid="", language=language), home)
    return offered.language if offered is not None and offered.id == prompt_id \
        and offered.language else language


def call_status(call: CallSession) -> str:
    """How the call stands: Twilio's final status, ``abandoned`` (closed by housekeeping), or
    ``in progress``."""
    if call.call_status:
        return call.call_status
    return call.state if call.ended_at is not None else IN_PROGRESS


def transcript_json(logged: LoggedCall, home: str) -> dict[str, Any]:
    """The call and its turns as plain data (times in ISO 8601, UTC); ``home`` is the line's
    language (``IVR_LANGUAGE``)."""
    call = logged.call
    return {
        "call_sid": call.call_sid, "from": call.from_number, "to": call.to_number,
        "started_at": _iso(call.started_at), "ended_at": _iso(call.ended_at),
        "status": call_status(call), "duration_seconds": call.duration_seconds,
        "turns": [_turn_json(turn, home) for turn in logged.turns],
    }


def _turn_json(turn: CallTurn, home: str) -> dict[str, Any]:
    language = turn.language or home
    return {
        "turn": turn.turn, "at": _iso(turn.created_at), "step_before": turn.step_before,
        "step_after": turn.step_after, "input_kind": turn.input_kind, "entry": turn.entry,
        "caller": caller_action(turn.input_kind, turn.entry), "language": turn.language,
        "prompts": [_prompt_json(prompt_id, said_in(prompt_id, language, home))
                    for prompt_id in turn.prompts],
        "response_ms": turn.response_ms, "worker": turn.worker,
    }


def _prompt_json(prompt_id: str, language: str) -> dict[str, Any]:
    return {"id": prompt_id, "language": language, "text": prompt_text(prompt_id, language)}


def transcript_text(logged: LoggedCall, home: str) -> str:
    """The call as an operator reads it: a header, then each turn and what was heard."""
    data = transcript_json(logged, home)
    lines = _header(data)
    for turn in data["turns"]:
        lines.append("")
        lines += _turn_lines(turn)
    return "\n".join(lines)


def _header(data: dict[str, Any]) -> list[str]:
    duration = data["duration_seconds"]
    status = data["status"] + (f", {duration} seconds" if duration is not None else "")
    count = len(data["turns"])
    turns = f"{count} in the call log" if count else \
        "none in the call log (pruned, or the call was never answered)"
    return [f"Call {data['call_sid']}",
            f"  from     {data['from'] or '(unknown)'}",
            f"  to       {data['to'] or '(unknown)'}",
            f"  started  {_readable(data['started_at'])}",
            f"  ended    {_readable(data['ended_at']) or '-'}",
            f"  status   {status}",
            f"  turns    {turns}"]


def _turn_lines(turn: dict[str, Any]) -> list[str]:
    clock = datetime.fromisoformat(turn["at"]).strftime("%H:%M:%S")
    before = turn["step_before"] or NEW_CALL
    lines = [f"{turn['turn']:>3}  {clock}  {before} -> {turn['step_after']}  "
             f"{turn['caller']}  ({turn['response_ms']} ms, {turn['worker']})"]
    width = max((len(prompt["id"]) for prompt in turn["prompts"]), default=0)
    for prompt in turn["prompts"]:
        text = prompt["text"] if prompt["text"] is not None else "(not in the catalog)"
        lines.append(f"       {prompt['id']:<{width}}  {text}")
    return lines


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _readable(iso: str | None) -> str:
    """An ISO 8601 UTC time as ``2026-11-21 15:04:05 UTC`` (empty for None)."""
    if iso is None:
        return ""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")
