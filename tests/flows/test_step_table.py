"""The step table: its checks refuse a malformed table, and its menus take what they say."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flows import table
from flows.checks import (
    check,
)
from flows.context import Context
from flows.errors import StepTableError
from flows.keys import AGENT, BACK, SLOWER, STAR
from flows.machine import awaits_capture, holds_for_payment
from flows.outcomes import Go, Outcome
from flows.spec import CardCapture, End, Entry, Hold, Menu, Option, StepSpec
from flows.speech import Key
from flows.state import CallState, Step
from flows.table import STEPS
from tests.fake_ports import FakePorts
from tests.flow_helpers import (
    MORE,
    NOW_BY_BANK,
    NOW_BY_CARD,
    OTHER,
    VISA,
    Caller,
    make_ports,
    verified,
)

S = Step


def _keys(state: CallState, keys: str, ctx: Context) -> Outcome:
    return Go(S.PIN)


def _entry(**kwargs: object) -> Entry:
    return Entry(**{"prompt": "ask.pin", "handler": _keys, **kwargs})  # type: ignore[arg-type]


def _menu(*options: Option, **kwargs: object) -> Menu:
    return Menu(options=options, **kwargs)  # type: ignore[arg-type]


GOOD: dict[Step, StepSpec] = {
    S.ACCOUNT_NUMBER: _entry(start=True, goes=frozenset({S.PIN})),
    S.PIN: _entry(goes=frozenset({S.MAIN_MENU})),
    S.MAIN_MENU: _menu(Option("1", "option.balance", S.MAIN_MENU)),
    S.ENDED: End(),
}


def _with(**changes: StepSpec) -> dict[Step, StepSpec]:
    return {**GOOD, **{Step(name): spec for name, spec in changes.items()}}


def _without(step: Step) -> dict[Step, StepSpec]:
    return {name: spec for name, spec in GOOD.items() if name is not step}


BAD: list[tuple[str, Callable[[], dict[Step, StepSpec]], str]] = [
    ("target missing", lambda: _without(S.MAIN_MENU), "step pin leads to main_menu"),
    ("unreachable", lambda: _with(account_number=_entry(start=True, goes=frozenset())),
     "step pin cannot be reached"),
    ("no start", lambda: _with(account_number=_entry(goes=frozenset({S.PIN}))),
     "no step is marked as a start"),
    ("prompt not in the catalog", lambda: _with(pin=_entry(prompt="ask.nothing",
                                                           goes=frozenset({S.MAIN_MENU}))),
     "step pin says 'ask.nothing'"),
    ("menu without options", lambda: _with(main_menu=_menu()), "menu main_menu has no options"),
    ("key given twice", lambda: _with(main_menu=_menu(Option("1", "option.balance", S.MAIN_MENU),
                                                      Option("1", "option.pay", S.MAIN_MENU))),
     "menu main_menu gives key 1 to more than one option"),
    ("two keys", lambda: _with(main_menu=_menu(Option("12", "option.balance", S.MAIN_MENU))),
     "menu main_menu offers key '12'"),
    ("star taken", lambda: _with(main_menu=_menu(Option("*", "option.balance", S.MAIN_MENU))),
     "menu main_menu offers key '*'"),
    ("no kind", lambda: _with(main_menu=StepSpec()), "step main_menu is declared with no kind"),
    ("language key taken at the start", lambda: _with(
        account_number=_menu(Option("9", "option.other_account", S.PIN), start=True)),
     "menu account_number is a start step: its key 9 changes the call's language"),
]


def test_the_table_declares_every_step_and_passes_its_checks() -> None:
    assert set(table.STEPS) == set(Step)
    check(table.STEPS, names=frozenset(Step))
    check(GOOD)


@pytest.mark.parametrize(("why", "build", "message"), BAD, ids=[why for why, _, _ in BAD])
def test_a_malformed_table_is_refused_naming_the_step(
        why: str, build: Callable[[], dict[Step, StepSpec]], message: str) -> None:
    with pytest.raises(StepTableError, match=message):
        check(build())


def test_a_step_left_out_of_the_table_is_refused_by_name() -> None:
    with pytest.raises(StepTableError, match="step pay_choice is not declared"):
        check(GOOD, names=frozenset({*GOOD, S.PAY_CHOICE}))


def test_the_machine_refuses_a_move_the_table_does_not_declare() -> None:
    assert S.PAY_CONFIRM not in table.TRANSITIONS[S.MAIN_MENU]
    assert table.TRANSITIONS[S.CARD_NUMBER] >= {S.CARD_EXPIRY, S.MAIN_MENU}  # star cancels


# keys from the offer to pay now after the PIN (as account 1) to each menu
MENUS: list[tuple[str, dict[str, object], tuple[str, ...]]] = [
    ("pay now", {}, ()),
    ("pay now without banks", {"bank_payments": False}, ()),
    ("main menu", {}, (MORE,)),
    ("main menu with an agent", {"agent": True}, (MORE,)),
    ("next steps", {}, (MORE, "3")),
    ("pay choice", {}, (OTHER,)),
    ("pay when", {}, (OTHER, "1", "50")),
    ("pay method", {}, (OTHER, "1", "50", "1")),
    ("pay method without banks", {"bank_payments": False}, (OTHER, "1", "50", "1")),
    ("bank type", {}, (NOW_BY_BANK,)),
    ("read-back", {}, (NOW_BY_CARD, VISA, "1230", "123", "94105")),
    ("after payment", {}, (NOW_BY_CARD, VISA, "1230", "123", "94105", "1")),
    ("manage", {}, (MORE, "4")),
]


def _caller(ports: FakePorts, settings: dict[str, object], path: tuple[str, ...]) -> Caller:
    caller = verified(ports, **settings)
    caller.press_all(*path)
    assert caller.reply.ask is not None and caller.state.step in table.MENU_STEPS
    return caller


def _said_keys(caller: Caller) -> set[str]:
    assert caller.reply.ask is not None
    return {p.params["key"].key for p in caller.reply.ask.prompts
            if isinstance(p.params.get("key"), Key)}


@pytest.mark.parametrize(("where", "settings", "path"), MENUS, ids=[m[0] for m in MENUS])
def test_a_menu_takes_exactly_the_keys_it_says(where: str, settings: dict[str, object],
                                               path: tuple[str, ...]) -> None:
    said = _said_keys(_caller(make_ports(), settings, path))
    assert len(said) >= 2
    for key in "0123456789#*":
        caller = _caller(make_ports(), settings, path)
        heard = caller.press(key)
        refused = "Sorry, that is not one of the options." in heard
        # At every menu, star repeats it and 8 slows the call's prompts (each said at the
        # call's first menu), and 0 reaches an agent when agents take calls.
        agents = settings.get("agent") is True
        taken = key in said or key in (STAR, SLOWER) or (key == AGENT and agents)
        assert refused is not taken, f"{where}: key {key} said={sorted(said)}"
        assert caller.state.slower is (key == SLOWER and key not in said), where


def _option_keys(spec: Menu) -> set[str]:
    """The keys a menu names outright (not the numbered ones of its lists)."""
    return {o.key for o in spec.options if isinstance(o, Option)}


def test_every_menu_has_a_way_out() -> None:
    menus = {step: spec for step, spec in table.STEPS.items() if isinstance(spec, Menu)}
    backs = {step for step, spec in menus.items() if BACK in _option_keys(spec)}
    # yes or no, this or that: 1 and 2 are each a way out, and nothing else is offered
    two_way = {step for step, spec in menus.items() if _option_keys(spec) == {"1", "2"}
               and all(isinstance(o, Option) for o in spec.options)}
    # the offer to pay now and the menu after a payment: "more options" is the way on, and
    # back would cost every caller its words (after a payment, silence ends the call)
    more = {step for step, spec in menus.items() if step not in two_way | backs and any(
        isinstance(o, Option) and o.then is S.MAIN_MENU for o in spec.options)}
    assert backs and two_way and more == {S.PAY_NOW, S.AFTER_PAYMENT}
    assert not backs & two_way
    assert backs == set(menus) - two_way - more
    caller = verified(make_ports())
    caller.press_all(OTHER, "1", "50", "1")
    assert caller.state.step is S.PAY_METHOD
    caller.press(BACK)
    assert caller.state.step is S.MAIN_MENU and caller.state.draft is None


def test_the_web_layer_learns_holding_and_capturing_from_the_table() -> None:
    holding = {step for step in STEPS if holds_for_payment(CallState("CA1", step=step))}
    capturing = {step for step in STEPS if awaits_capture(CallState("CA1", step=step))}
    assert holding == {step for step, spec in STEPS.items() if isinstance(spec, Hold)} != set()
    assert capturing == {s for s, spec in STEPS.items() if isinstance(spec, CardCapture)} != set()


@pytest.mark.parametrize(("where", "settings", "path"), MENUS, ids=[m[0] for m in MENUS])
def test_back_leaves_each_menu_that_offers_it(where: str, settings: dict[str, object],
                                              path: tuple[str, ...]) -> None:
    caller = _caller(make_ports(), settings, path)
    menu, spec = caller.state.step, table.STEPS[caller.state.step]
    assert isinstance(spec, Menu)
    offered = BACK in _said_keys(caller)
    assert offered is (BACK in _option_keys(spec)), where
    caller.press(BACK)
    left = caller.reply.end is not None or caller.state.step is not menu
    assert left is offered, where
