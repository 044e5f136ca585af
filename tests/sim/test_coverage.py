"""What call scripts reached of the step table, counted from the call log's turns."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from flows import steps
from flows.spec import Entry, Menu, Option
from flows.state import Step
from flows.table import STEPS, TRANSITIONS
from ivr.sim.coverage import Measure, measure
from ivr.sim.logged_turns import Turn
from ivr.sim.script import run_script
from ivr.sim.suite import run_one
from tests.sim.sim_helpers import menu_app

S = Step
BALANCE = Path(__file__).resolve().parents[2] / "fixtures" / "calls" / "bilingual_balance.yaml"
# A flow of three steps and three transitions: a menu whose 1 leads to the PIN and 2 to an
# account number, which leads to the PIN.
TINY = {
    S.CONFIRM_ACCOUNT: Menu(start=True, options=(
        Option("1", "option.this_account", S.PIN),
        Option("2", "option.other_account", S.ACCOUNT_NUMBER))),
    S.ACCOUNT_NUMBER: Entry(prompt="ask.account_number", handler=steps.account_number,
                            goes=frozenset({S.PIN})),
    S.PIN: Entry(prompt="ask.pin", handler=steps.pin),
}
def moved(before: str | None, after: str, steps: tuple[str, ...] = (),
          option: str | None = None) -> Turn:
    """A logged turn that moved from ``before`` through ``steps`` to ``after``."""
    return Turn(0, before, after, "key", None, (), moved=steps, option=option)


START = moved(None, "confirm_account", ("confirm_account",))


def test_a_transition_is_reached_by_a_turn_that_takes_it_and_the_rest_are_listed() -> None:
    chose_1 = moved("confirm_account", "pin", ("pin",), "1 option.this_account")
    coverage = measure([START, chose_1], TINY)
    assert coverage.transitions == Measure(
        "transitions", 1, 3, ("confirm_account -> account_number", "account_number -> pin"))
    assert coverage.steps.missed == ("account_number",)
    assert coverage.options.missed == ("confirm_account: 2 option.other_account",)
    assert coverage.lines() == [
        "coverage: transitions 1/3 (33.3%), steps 2/3, menu options 1/2",
        "transitions missed (2):",
        "  confirm_account -> account_number",
        "  account_number -> pin",
        "steps missed (1):",
        "  account_number",
        "menu options missed (1):",
        "  confirm_account: 2 option.other_account"]


def test_a_turn_that_stays_put_reaches_no_transition_and_chooses_no_option() -> None:
    star = moved("confirm_account", "confirm_account")
    coverage = measure([START, star], TINY)
    assert (coverage.transitions.reached, coverage.options.reached) == (0, 0)
    assert coverage.steps.reached == 1


def test_a_step_passed_within_a_turn_counts_with_both_its_transitions() -> None:
    # A transfer no agent can take passes the agent step on its way to the callback offer:
    # main_menu -> agent is no transition of the table, agent -> callback_offer is.
    transfer = moved("main_menu", "callback_offer", ("agent", "callback_offer"),
                          "0 option.agent")
    coverage = measure([transfer])
    assert "agent -> callback_offer" not in coverage.transitions.missed
    assert coverage.transitions.reached == 1
    assert {"main_menu", "agent", "callback_offer"}.isdisjoint(coverage.steps.missed)
    assert "main_menu: 0 option.agent" not in coverage.options.missed


def test_the_end_of_a_call_is_a_step_reached() -> None:
    goodbye = moved("main_menu", "ended", (), "9 option.end_call")
    assert "ended" not in measure([goodbye]).steps.missed


def test_an_option_counts_only_at_its_own_menu() -> None:
    # "2 option.main_menu" is at several menus: choosing it at one reaches that one only.
    back = moved("dispute_empty", "main_menu", ("main_menu",), "2 option.main_menu")
    missed = measure([back]).options.missed
    assert "dispute_empty: 2 option.main_menu" not in missed
    assert "dispute_done: 2 option.main_menu" in missed


def test_nothing_reached_is_the_whole_table_missed() -> None:
    coverage = measure([])
    assert coverage.transitions.total == sum(len(t) for t in TRANSITIONS.values())
    assert coverage.steps.total == len(STEPS) == len(coverage.steps.missed)
    assert coverage.options.reached == 0 and coverage.options.total > len(TRANSITIONS)
    assert coverage.summary().startswith(
        f"coverage: transitions 0/{coverage.transitions.total} (0%), steps 0/{len(STEPS)}")


def test_the_threshold_applies_to_transitions_and_is_met_at_equality() -> None:
    coverage = measure([START, moved("confirm_account", "pin", ("pin",))], TINY)
    assert coverage.short_of(33) is None
    assert coverage.short_of(34) == ("the scripts reach 33.3% of the transitions (1/3), "
                                     "below --min-coverage 34")


def test_a_share_short_of_all_never_shows_as_100_percent() -> None:
    assert Measure("transitions", 1059, 1060, ("a -> b",)).shown_percent() == "99.9%"
    assert Measure("transitions", 3, 3, ()).shown_percent() == "100%"


def test_the_turns_of_a_failed_script_are_kept_for_coverage(demo_app: Flask,
                                                            tmp_path: Path) -> None:
    script = tmp_path / "fails.yaml"
    script.write_text('from: "+14155550100"\nsteps:\n  - press: "1"\n'
                      '  - expect: "words the line never says"\n')
    run = run_one(demo_app, script)
    assert run.failure is not None and run.turns is not None
    assert [turn.before for turn in run.turns] == [None, "confirm_account"]


def test_an_in_process_call_brings_its_turns_from_the_call_log(demo_app: Flask) -> None:
    result = run_script(demo_app, BALANCE, quiet=True)
    assert result.turns is not None
    assert [moves(turn) for turn in result.turns] == [
        moves(START), moves(moved("confirm_account", "pin", ("pin",), "1 option.this_account")),
        moves(moved("pin", "pay_now", ("pay_now",)))]
    assert [turn.number for turn in result.turns] == [1, 2, 3]


def moves(turn: Turn) -> tuple[object, ...]:
    """What coverage reads of a turn: where it was, went and passed, and the option chosen."""
    return turn.before, turn.after, turn.moved, turn.option


def test_an_app_that_is_not_the_line_has_no_call_log_to_read() -> None:
    result = run_script(menu_app(), {"steps": ["hangup"]}, quiet=True)
    assert result.turns is None
