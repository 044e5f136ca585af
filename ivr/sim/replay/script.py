"""A logged call (its ``call_turns``) turned back into a call script, for ``ivr calls replay``.

Each turn after the first was answered to something the caller did at ``step_before``: the
script does it again, then checks the prompts the turn said (``expect_prompt``). What the
log kept is done as it was; what it masked is done with the demo test value of the same
kind (:mod:`ivr.sim.demo_values`) that the line answers as it answered the caller's: an
entry the line took (it moved on) gets an accepted value, one it refused (it asked again)
a value refused for the error it said. How each kind of turn is done:

- ``key``, ``entry``, ``silence``: pressed (an entry ends with #), or silence. Silence at
  the agent step is no caller's: the agent's phone did not answer (``agent: no-answer``).
- ``speech``: said; with the words lost (a number said at a menu), the menu key that leads
  where the call went, when the table names one, else words the line cannot catch. Words
  the line did not catch are said with a low confidence, so they are not caught again.
- ``pay``: ``<Pay>``'s fields keyed with a test card of the brand logged (the declining
  test card for the decline the line said, star for a cancel, a hang-up for a hang-up).
- an entry the line answered by losing the card being keyed (``error.card_entry_lost``:
  too long, or the card store's key changed): a ``settings`` step changes the key first.
- ``recording``: a message as long as the one logged, ended with # (or a hang-up, when the
  call ended there). ``hold`` and ``start`` are no caller's doing: nothing.

The caller ID is the caller's own only when it is a demo account's; else a demo caller's the
line finds (the one in the call's language) or, when the line did not find the caller, a
number no demo account has.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flows.hearing import phrases, spoken_digits
from flows.spec import Menu, Option
from flows.speech import DEFAULT_LANGUAGE
from flows.state import Step
from flows.table import STEPS
from ivr.phones import to_e164
from ivr.sim import demo_values as demo
from ivr.sim.logged_turns import Turn
from ivr.sim.replay.pay import capture_lines
from ivr.sim.script_write import Header, Line, prompt_lines

LOW_CONFIDENCE = 0.3  # below the line's bar: words said with it are never acted on
NOT_CAUGHT = "error.speech_unclear"
CARD_LOST = "error.card_entry_lost"
# The card store's key from a turn that lost the card keyed on: any other than the line's.
LOST_CARD_KEY = base64.b64encode(b"ivr calls replay rotated the key").decode()
SECONDS = re.compile(r"(\d+) seconds?")  # a message's length, as logged
MASKED = re.compile(r"<(?P<kind>[^,<>]+), (?:said in )?(?P<length>\d+) (?:digits?|words?)>")
# Where a refused entry sends the caller back to: an earlier question, no progress.
_BACK = {Step.CARD_EXPIRY: Step.CARD_NUMBER, Step.CARD_CODE: Step.CARD_NUMBER,
         Step.CARD_ZIP: Step.CARD_NUMBER, Step.BANK_ACCOUNT_AGAIN: Step.BANK_ACCOUNT}


@dataclass
class Replay:
    """The script to replay a call with, and what it could not do as the caller did."""

    header: Header
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def replay_script(call_sid: str, from_number: str | None, to_number: str | None,
                  turns: Sequence[Turn], today: date) -> Replay:
    """The script that does again what the caller did on the logged ``turns``."""
    caller, account = replay_caller(from_number, turns[0])
    stand_ins = demo.StandIns(today, account)
    agent = "no-answer" if any(turn.before == Step.AGENT for turn in turns) else None
    replay = Replay(Header(f"replay of {call_sid}", from_number=caller, to_number=to_number,
                           agent=agent, today=today.isoformat(),
                           note=f"the caller's actions on call {call_sid}"))
    replay.lines += prompt_lines(turns[0].prompts)
    for index, turn in enumerate(turns[1:], start=1):
        replay.lines += _card_lost(turn)
        replay.lines += _actions(turn, turns[index + 1:], stand_ins, replay.notes)
        replay.lines += prompt_lines(turn.prompts)
    replay.lines += _ending(replay.lines, turns[-1])
    return replay


def replay_caller(from_number: str | None, first: Turn) -> tuple[str, demo.DemoAccount | None]:
    """The caller ID to call from, and the demo account it finds."""
    if from_number and any(account.phone == from_number for account in demo.demo_accounts()):
        return from_number, demo.caller_account(from_number)
    if from_number and to_e164(from_number) is None:
        return from_number, None  # withheld ("anonymous"): no one's number, so kept as it was
    if first.after == Step.CONFIRM_ACCOUNT:
        account = demo.demo_caller(first.language)
        return account.phone or demo.UNKNOWN_CALLER, account
    return demo.UNKNOWN_CALLER, None


def _card_lost(turn: Turn) -> list[Line]:
    """Before an entry the line answered by losing the card being keyed (its 15 minutes ran
    out, or the card store's key changed): a new key, so the card keyed is lost again."""
    if CARD_LOST not in turn.prompts:
        return []
    return [Line("settings", f"IVR_CARD_DATA_KEY={LOST_CARD_KEY}",
                 comment=f"turn {turn.number}: the card being keyed was lost")]


def _actions(turn: Turn, later: Sequence[Turn], stand_ins: demo.StandIns,
             notes: list[str]) -> list[Line]:
    """What the caller did for ``turn`` (``later``: the turns after it, for a decline)."""
    if turn.kind == "pay":
        return capture_lines(turn, stand_ins, notes)
    if turn.kind == "recording":
        said = SECONDS.search(turn.entry or "")
        ending = "hangup" if turn.after == Step.ENDED else "#"
        return [Line("record", ending, seconds=int(said[1]) if said else 0)]
    if turn.kind == "unanswered":
        return []  # the simulator's agent does not answer (the script's `agent:`)
    if turn.kind == "silence":
        return [] if turn.before == Step.AGENT else [Line("silence")]
    if turn.kind == "speech":
        return [_speech(turn, stand_ins, notes)]
    if turn.kind in ("key", "entry"):
        return [_keys(turn, later, stand_ins, notes)]
    return []  # the start, or holding while a payment is charged


def _keys(turn: Turn, later: Sequence[Turn], stand_ins: demo.StandIns,
          notes: list[str]) -> Line:
    """Keys pressed: as logged, or a demo value for a masked secret."""
    entry = turn.entry or ""
    masked = MASKED.fullmatch(entry)
    if masked is None and turn.before == Step.ACCOUNT_NUMBER and len(entry) > 1:
        entry = stand_ins.account_number(entry)
    elif masked is not None and masked["kind"] == "keys":
        notes.append(f"turn {turn.number}: {entry} at a menu (no keypad sends that): "
                     f"pressed as ones")
        entry = "1" * int(masked["length"])
    elif masked is not None:
        if masked["kind"] == "card number":
            stand_ins.decline = _decline(later)
        entry = stand_ins.value(masked["kind"], int(masked["length"]), _fault(turn),
                                accepted=_accepted(turn))
    # An entry ends with #; a lone key needs none (the line reads it at once or at the timeout).
    return Line("press", entry if len(entry) == 1 else entry + "#", comment=_masked_note(turn))


def _speech(turn: Turn, stand_ins: demo.StandIns, notes: list[str]) -> Line:
    """Words said: as logged, or, when they were not kept, words the line answers alike."""
    words, language = turn.entry or "", turn.language or DEFAULT_LANGUAGE
    if NOT_CAUGHT in turn.prompts:
        return Line("say", words if not MASKED.fullmatch(words) else "I am not sure",
                    confidence=LOW_CONFIDENCE, comment=_masked_note(turn))
    masked = MASKED.fullmatch(words)
    digits = spoken_digits(words, language) if masked is None else None
    if masked is None and turn.before == Step.ACCOUNT_NUMBER and digits:
        return Line("say", " ".join(stand_ins.account_number(digits)))
    if masked is None:
        return Line("say", words)
    if masked["kind"] != "words with a number":
        return _secret_said(turn, masked["kind"], int(masked["length"]), stand_ins, notes)
    key = _menu_key(turn)
    if key is None:
        notes.append(f"turn {turn.number}: {words} at {turn.before}: not kept, and no one "
                     f"key there leads to {turn.after}; said words the line cannot catch")
    return Line("say", key or "I am not sure", comment=_masked_note(turn))


def _secret_said(turn: Turn, kind: str, count: int, stand_ins: demo.StandIns,
                 notes: list[str]) -> Line:
    """Words said for a secret that were not kept: refused as a number (an unknown account),
    else, with no error said, they asked for slower prompts (the one other thing heard)."""
    if _fault(turn) is None:
        notes.append(f"turn {turn.number}: {turn.entry} at {turn.before}, no error said: "
                     f"taken as asking for slower prompts")
        return Line("say", phrases("hear.slower", turn.language or DEFAULT_LANGUAGE)[0],
                    comment=_masked_note(turn))
    number = stand_ins.value(kind, count, _fault(turn), accepted=False)
    return Line("say", " ".join(number), comment=_masked_note(turn))


def _menu_key(turn: Turn) -> str | None:
    """The one key of the menu at ``turn.before`` whose option leads to ``turn.after``."""
    spec = STEPS.get(Step(turn.before)) if turn.before in set(Step) else None
    if not isinstance(spec, Menu):
        return None
    keys = {choice.key for choice in spec.options if isinstance(choice, Option)
            and choice.then == turn.after and len(choice.key) == 1 and choice.key.isdigit()}
    return keys.pop() if len(keys) == 1 else None


def _accepted(turn: Turn) -> bool:
    """The line took the entry: it moved on to a step its handler may go to (not back)."""
    if turn.before not in set(Step):
        return False
    before = Step(turn.before)
    return turn.after in STEPS[before].goes and turn.after != _BACK.get(before)


def _fault(turn: Turn) -> str | None:
    """The error the line said for the entry, if any."""
    return next((prompt for prompt in turn.prompts if prompt.startswith("error.")), None)


def _decline(later: Sequence[Turn]) -> str | None:
    """The decline the card met: said before another card is asked for, if it was."""
    for turn in later:
        if turn.before == Step.CARD_NUMBER:
            return None
        found = next((p for p in turn.prompts if p in demo.DECLINED_CARDS), None)
        if found:
            return found
    return None


def _masked_note(turn: Turn) -> str:
    entry = turn.entry or ""
    return f"turn {turn.number}: {entry}" if MASKED.fullmatch(entry) else ""


def _ending(lines: Sequence[Line], last: Turn) -> list[Line]:
    """How the call ended: the caller hung up unless the line ended it or put it through."""
    done = [line for line in lines if line.kind in ("press", "say", "silence", "hangup",
                                                     "record")]
    if done and (done[-1].kind == "hangup" or (done[-1].kind == "record"
                 and done[-1].value == "hangup")):
        return [Line("expect_end", "caller-hangup")]
    if last.after == Step.ENDED:
        return [Line("expect_end", "ivr-hangup")]
    if last.after == Step.AGENT:
        return [Line("expect_end", "transfer")]
    return [Line("hangup"), Line("expect_end", "caller-hangup")]
