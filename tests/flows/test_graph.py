"""The step table as a graph to draw: every transition a move, labelled with what takes it,
and the key labels true to how a menu numbers its options."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest

from flows.graph import CANCEL_LABEL, UNKNOWN_KEY, Move, moves, nodes, option_keys, step_moves
from flows.outcomes import Go, Outcome
from flows.spec import NEXT, Each, End, Entry, Menu, Option
from flows.state import CallState, Step
from flows.table import CANCELLABLE_STEPS, START_STEPS, STEPS, TRANSITIONS
from tests.flow_helpers import Caller, make_ports

S = Step


def _act(state: CallState, ctx: object) -> Outcome:
    return Go(S.MAIN_MENU)


def _each(count: int) -> Each[int]:
    return Each(lambda state, ctx: list(range(count)), "option.use_saved",
                lambda item: {"method": "x"}, lambda state, item, ctx: Go(S.MAIN_MENU))


def _move(source: Step, target: Step, sure: bool) -> Move:
    return next(move for move in moves(STEPS)
                if (move.source, move.target, move.sure) == (source, target, sure))


def test_every_transition_is_a_move_and_every_move_a_transition() -> None:
    drawn = {(move.source, move.target) for move in moves(STEPS)}
    declared = {(step, target) for step, targets in TRANSITIONS.items() for target in targets}
    assert drawn == declared
    assert len(declared) > 50


def test_every_step_is_a_node_with_its_marks() -> None:
    drawn = nodes(STEPS)
    assert [node.step for node in drawn] == list(STEPS)
    assert {node.step for node in drawn if node.start} == START_STEPS
    assert {node.step for node in drawn if node.cancellable} == CANCELLABLE_STEPS
    assert {node.step for node in drawn if node.kind == "end"} == {S.AGENT, S.ENDED}
    assert {node.kind for node in drawn} == {"menu", "entry", "capture", "hold", "record",
                                             "end"}


def test_an_option_naming_a_step_is_a_sure_move_labelled_with_its_key() -> None:
    assert _move(S.MAIN_MENU, S.MANAGE, sure=True).label == "4"
    assert _move(S.CONFIRM_ACCOUNT, S.ACCOUNT_NUMBER, sure=True).label == "2"
    assert _move(S.PAY_METHOD, S.BANK_TYPE, sure=True).label == "n+2"
    assert _move(S.PAY_NOW, S.MAIN_MENU, sure=True).label == "n+4"


def test_an_actions_move_is_labelled_with_the_keys_that_run_actions() -> None:
    # Only option 2 of PAY_CHOICE runs an action (1 and 9 name their steps).
    assert _move(S.PAY_CHOICE, S.SCHEDULE_DATE, sure=False).label == "2"
    assert _move(S.MANAGE, S.AUTOPAY_CONFIRM, sure=False).label == "2"
    assert _move(S.MAIN_MENU, S.PAY_NOW, sure=False).label == "1, 2, 3, 0, 9"
    assert _move(S.PAY_NOW, S.CARD_NUMBER, sure=False).label == \
        "1, 2, 3..n+2 each now_with_saved, n+3"
    assert _move(S.CANCEL_SCHEDULED, S.MANAGE, sure=False).label == "1..n each cancel_this"


def test_other_kinds_are_labelled_with_what_moves_them() -> None:
    assert _move(S.PIN, S.PAY_NOW, sure=False).label == "entry"
    assert _move(S.CARD_CAPTURE, S.PAY_CONFIRM, sure=False).label == "pay result"
    assert _move(S.DISPUTE_RECORD, S.DISPUTE_DONE, sure=False).label == "recorded"
    assert _move(S.CHARGING, S.AFTER_PAYMENT, sure=False).label == "hold ends"
    assert _move(S.AGENT, S.CALLBACK_OFFER, sure=False).label == "call comes back"


@pytest.mark.parametrize("step", sorted(CANCELLABLE_STEPS))
def test_star_cancels_from_every_cancellable_entry(step: Step) -> None:
    assert _move(step, S.MAIN_MENU, sure=True).label == CANCEL_LABEL


def test_an_entry_that_star_does_not_cancel_has_no_cancel_move() -> None:
    assert all(move.label != CANCEL_LABEL for move in step_moves(S.PIN, STEPS[S.PIN]))


def test_a_menu_answering_silence_with_an_action_says_so() -> None:
    spec = Menu(on_silence=_act, goes=frozenset({S.NEXT_STEPS}), options=(
        Option("1", "option.balance", S.MANAGE),))
    assert step_moves(S.MAIN_MENU, spec) == [Move(S.MAIN_MENU, S.MANAGE, "1", sure=True),
                                           Move(S.MAIN_MENU, S.NEXT_STEPS, "silence",
                                                sure=False)]


def test_an_end_without_a_then_moves_nowhere() -> None:
    assert step_moves(S.ENDED, End()) == []


def test_an_entrys_goes_and_its_cancel_to_the_same_step_are_two_moves() -> None:
    spec = Entry(cancellable=True, prompt="ask.amount", handler=lambda state, keys, ctx:
                 Go(S.MAIN_MENU), goes=frozenset({S.MAIN_MENU}))
    assert step_moves(S.PAY_OTHER_AMOUNT, spec) == [
        Move(S.PAY_OTHER_AMOUNT, S.MAIN_MENU, CANCEL_LABEL, sure=True),
        Move(S.PAY_OTHER_AMOUNT, S.MAIN_MENU, "entry", sure=False)]


def test_the_table_menus_keys_are_labelled_as_numbered() -> None:
    assert option_keys(STEPS[S.PAY_NOW].options) == [  # type: ignore[attr-defined]
        "1", "2", "3..n+2 each now_with_saved", "n+3", "n+4"]
    assert option_keys(STEPS[S.PAY_METHOD].options) == [  # type: ignore[attr-defined]
        "1..n each use_saved", "n+1", "n+2", "9"]


def test_keys_after_an_option_not_always_offered_may_be_lower() -> None:
    options = (Option(NEXT, "option.balance", S.MANAGE, when=lambda state, ctx: False),
               Option(NEXT, "option.history", S.MANAGE))
    assert option_keys(options) == ["1", "2 or lower"]


def test_a_named_key_after_a_numbered_list_leaves_the_next_number_unknown() -> None:
    options = (_each(2), Option("5", "option.balance", S.MANAGE),
               Option(NEXT, "option.history", S.MANAGE), _each(1))
    assert option_keys(options) == ["1..n each use_saved", "5", UNKNOWN_KEY,
                                    "from the next free key each use_saved"]


def test_two_numbered_lists_count_apart() -> None:
    options = (_each(1), _each(2), Option(NEXT, "option.history", S.MANAGE))
    assert option_keys(options) == ["1..n each use_saved", "n+1..n+n2 each use_saved", "n+n2+1"]


def _numbers(label: str, counts: dict[str, int]) -> list[int]:
    """The keys a label stands for, once its counts are known ("3..n+2" with n=2: 3, 4)."""
    def value(expression: str) -> int:
        return sum(counts[term] if term in counts else int(term)
                   for term in expression.split("+"))
    span = re.fullmatch(r"(\S+)\.\.(\S+) each \S+", label)
    if span:
        return list(range(value(span[1]), value(span[2]) + 1))
    return [value(label)]


MENUS: list[tuple[Option | Each[Any], ...]] = [
    (Option("1", "option.balance", S.MANAGE),
     Option("2", "option.pay", S.MANAGE, when=lambda state, ctx: False),
     _each(0), Option(NEXT, "option.history", _act), Option(NEXT, "option.more", S.MANAGE)),
    (_each(3), Option(NEXT, "option.history", _act), Option("9", "option.more", S.MANAGE)),
    (_each(2), _each(1), Option(NEXT, "option.history", _act)),
]


@pytest.mark.parametrize("options", MENUS)
def test_the_labels_name_the_keys_the_menu_offers(options: Sequence[Option | Each[Any]]) -> None:
    caller = Caller(make_ports())
    offered = [offer.key for offer in Menu(options=tuple(options)).offers(caller.state,
                                                                          caller.ctx)]
    sizes = [len(choice.items(caller.state, caller.ctx)) for choice in options
             if isinstance(choice, Each)]
    counts = dict(zip(["n", "n2"], sizes, strict=False))
    labelled = [_numbers(label, counts) if label[0] in "n123456789" else [label]
                for label, choice in zip(option_keys(options), options, strict=True)
                if not isinstance(choice, Option) or choice.when is None]
    assert offered == [str(key) for keys in labelled for key in keys]
