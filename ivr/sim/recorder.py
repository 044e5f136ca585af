"""``ivr call --record``: an interactive call kept as a script that plays it again.

:class:`RecordingCaller` wraps the keypad caller and keeps each action with what was heard
before it; :func:`recorded_script` writes them as a script (:mod:`ivr.sim.script_write`):
the checks of what was heard, by prompt id where the words tell which, then the action;
at the end, how the call ended.

What a caller keys at a question for a secret (a PIN, card, expiry, security code, ZIP,
bank number, account number or callback number: the step table's ``secret`` entries, told
by the question's prompt id, and every ``<Pay>`` field) is written only when it is one of
the published demo test values; anything else becomes the demo value of its kind and
length that the line answers the same way (:mod:`ivr.sim.demo_values`), with a comment.
Words holding a long number (a card said at a menu) are not written either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from flows.hearing import spoken_digits
from flows.logged import LONGEST_PLAIN_NUMBER, longest_run
from flows.speech import DEFAULT_LANGUAGE, languages
from ivr.sim import demo_values as demo
from ivr.sim import prompts
from ivr.sim.keyed import PAY_FIELDS, SECRET_PROMPTS
from ivr.sim.pay_twiml import PayFieldSpec
from ivr.sim.results import Action, CallResult, Spoken
from ivr.sim.script_write import Header, Line, action_line, heard_lines, script_yaml
from ivr.sim.simulator import Caller, SimulatedCall
from ivr.sim.twiml import GatherSpec

# The test values the README publishes, written as keyed.
PUBLISHED = {
    "account number": {account.number for account in demo.demo_accounts()},
    "PIN": {account.pin for account in demo.demo_accounts()},
    "card number": {*demo.APPROVED_CARDS.values(), *demo.CARDS_BY_BRAND.values(),
                    *demo.DECLINED_CARDS.values()},
    "routing number": {demo.ROUTING_NUMBER, "021000021"},
    "bank account number": {demo.BANK_ACCOUNT, "000111111116", "000111111113", "000222222227",
                            "000333333335", "000555555559"},
}
LONG_NUMBER = 5  # digits in words said elsewhere that may be a secret (a card, a ZIP)
_FAULTS = ("error.", "end.")  # what the line says after a secret it refused


@dataclass(frozen=True)
class Move:
    """One action of the caller, what was heard before it, and the secret asked, if any."""

    heard: tuple[Spoken, ...]
    action: Action
    secret: str | None = None
    menu: bool = False  # the question read one key


class RecordingCaller:
    """A caller that lets another choose (``inner``, or the one given to :meth:`wrap`),
    keeping every action and what preceded it."""

    def __init__(self, inner: Caller | None = None) -> None:
        self.inner = inner
        self.moves: list[Move] = []
        self.tail: tuple[Spoken, ...] = ()  # heard after the last action
        self.result: CallResult | None = None

    def wrap(self, inner: Caller) -> RecordingCaller:
        """Record ``inner``'s call (for ``run_interactive(keep=...)``)."""
        self.inner = inner
        return self

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """The inner caller's action, kept."""
        heard = tuple(call.spoken_since_action)
        action = self._caller().choose(call, gather)
        self.moves.append(Move(heard, action, secret_asked(gather, heard),
                               menu=gather.num_digits == 1))
        return action

    def finished(self, call: SimulatedCall) -> None:
        """Keep what was heard last and how the call ended; then the inner caller's turn."""
        self.tail, self.result = tuple(call.spoken_since_action), call.result
        self._caller().finished(call)

    def _caller(self) -> Caller:
        if self.inner is None:
            raise ValueError("a RecordingCaller needs a caller to record")
        return self.inner


def secret_asked(gather: GatherSpec, heard: Sequence[Spoken]) -> str | None:
    """The secret the question asks for (``card number``, ``PIN``...), or None."""
    if isinstance(gather, PayFieldSpec):
        return PAY_FIELDS.get(gather.field)
    asked = [SECRET_PROMPTS[prompt_id] for spoken in heard
             for prompt_id in prompts.prompts_in(spoken) if prompt_id in SECRET_PROMPTS]
    return asked[-1] if asked else None


def recorded_script(caller: RecordingCaller, *, name: str, from_number: str,
                    to_number: str, today: date, in_process: bool = False) -> str:
    """The recorded call as script text (``today``: the line's, for a card's expiry; kept as
    the script's ``today`` when ``in_process``, so a due date is said alike later)."""
    stand_ins = demo.StandIns(today, demo.caller_account(from_number))
    lines: list[Line] = []
    moves, language = caller.moves, _one_language(caller.moves)
    for index, move in enumerate(moves):
        after = moves[index + 1].heard if index + 1 < len(moves) else caller.tail
        lines += heard_lines(move.heard, language)
        lines.append(_written(move, _fault(after), stand_ins))
    lines += heard_lines(caller.tail, language)
    ending = _ending(caller.result)
    if ending:
        lines.append(Line("expect_end", ending))
    header = Header(name, from_number=from_number, to_number=to_number, language=language,
                    today=today.isoformat() if in_process else None,
                    note="recorded with ivr call --record")
    return script_yaml(header, lines)


def _written(move: Move, fault: str | None, stand_ins: demo.StandIns) -> Line:
    """The script step for ``move``: its action, unless that would write a secret."""
    action, language = move.action, _language(move.heard)
    if action.kind == "say":
        return _said(move, language, fault, stand_ins)
    if action.kind != "press":
        return action_line(action)
    if move.secret is None:
        return _keyed_elsewhere(move)
    digits = action.keys.rstrip("#")
    if sum(key.isdigit() for key in digits) <= 1:  # star, or a key the line reads itself
        return action_line(action)
    if digits in PUBLISHED.get(move.secret, ()):
        if move.secret == "account number":
            stand_ins.account_number(digits)
        return action_line(action)
    value = stand_ins.value(move.secret, len(digits), fault, accepted=fault is None)
    return action_line(replace(action, keys=value + action.keys[len(digits):]),
                       comment=f"<{move.secret}, {len(digits)} digits>: a demo value")


def _keyed_elsewhere(move: Move) -> Line:
    """Keys where no secret was asked: kept, unless they are a number no such question
    takes (more than one key at a menu, a longer run than an amount has: a card keyed
    ahead), as the call log keeps them; then sevens, which the line answers alike."""
    keys = move.action.keys
    count = sum(key.isdigit() for key in keys)
    if not (move.menu and count > 1) and longest_run(keys) <= LONGEST_PLAIN_NUMBER:
        return action_line(move.action)
    return action_line(replace(move.action, keys=re.sub(r"[0-9]", "7", keys)),
                       comment=f"<keys, {count} digits>: not kept")


def _said(move: Move, language: str, fault: str | None, stand_ins: demo.StandIns) -> Line:
    """Words said: kept, unless they hold a secret's number (then its demo value)."""
    digits = said_digits(move.action.words, language)
    if move.secret == "account number" and digits in PUBLISHED["account number"]:
        stand_ins.account_number(digits)
        return action_line(move.action)
    if move.secret is None and move.menu and len(digits) > 1:
        # A menu reads no number but a key's ("press three"): the words stay, for the
        # option they may name, with each number word a 7.
        sevens = " ".join("7" if said_digits(word, language) else word
                          for word in move.action.words.split())
        return action_line(replace(move.action, words=sevens),
                           comment=f"words holding a number of {len(digits)} digits: not kept")
    if not digits or (move.secret is None and len(digits) < LONG_NUMBER):
        return action_line(move.action)
    number = stand_ins.value(move.secret, len(digits), fault, accepted=fault is None) \
        if move.secret is not None else "7" * len(digits)
    return action_line(replace(move.action, words=" ".join(number)),
                       comment=f"words holding a number of {len(digits)} digits: not kept")


def said_digits(words: str, language: str) -> str:
    """The longest number ``words`` hold, read in the question's ``language`` or any other
    the line speaks (a caller on a Spanish call may say their card number in English)."""
    heard = (spoken_digits(words, heard_in) or "" for heard_in in [language, *languages()])
    return max(heard, key=len)


def _fault(heard: Sequence[Spoken]) -> str | None:
    """The first error the line said (after an entry): the entry was refused."""
    return next((prompt_id for spoken in heard for prompt_id in prompts.prompts_in(spoken)
                 if prompt_id.startswith(_FAULTS)), None)


def _language(heard: Sequence[Spoken]) -> str:
    """The language a question was asked in: its last ``<Say>``'s."""
    return heard[-1].language if heard and heard[-1].language else DEFAULT_LANGUAGE


def _one_language(moves: Sequence[Move]) -> str | None:
    """The call's language, when every question was asked in the same one (a caller who
    changed it has the key pressed for it in the script instead)."""
    asked = {move.heard[-1].language for move in moves if move.heard}
    return asked.pop() if len(asked) == 1 and "" not in asked else None


def _ending(result: CallResult | None) -> str | None:
    """The ``expect_end`` for how the call ended (none for an error: it is not a script)."""
    if result is None:
        return None
    if result.outcome == "hangup":
        return "caller-hangup" if result.hangup_by == "caller" else "ivr-hangup"
    return result.outcome if result.outcome in ("transfer", "reject") else None
