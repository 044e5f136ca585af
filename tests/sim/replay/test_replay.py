"""``ivr calls replay``'s engine: calls logged through the real webhooks, played again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from flows.context import Context
from flows.outcomes import Outcome
from flows.spec import Entry
from flows.state import CallState, Step
from flows.table import STEPS
from ivr.config import override_settings
from ivr.errors import CallNotLogged
from ivr.sim.replay.run import ReplayResult, replay_call, report_lines
from ivr.sim.script import load_script, run_script

CALLS = Path(__file__).resolve().parents[3] / "fixtures" / "calls"


SCRIPTS = sorted(CALLS.glob("*.yaml"))


def logged_call(app: Flask, name: str) -> str:
    """Place the shipped script ``name`` through the app's webhooks; its call SID. Its
    settings stay the line's, so a replay runs on the same."""
    script = load_script(CALLS / f"{name}.yaml")
    if script.settings:
        override_settings(app, **script.settings)
    return run_script(app, script, quiet=True).call_sid


def turn_at(result: ReplayResult, step: str) -> int:
    """The number of the logged turn answered at ``step``."""
    return next(turn.number for turn in result.recorded if turn.before == step)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_every_shipped_call_replays_with_the_same_answers(demo_app: Flask, script: Path) -> None:
    result = replay_call(demo_app, logged_call(demo_app, script.stem))
    assert report_lines(result)[-1:] == [
        f"replayed {len(result.recorded)} turns: the current code answers the same"], \
        "\n".join(report_lines(result))
    assert [turn.prompts for turn in result.replayed] == \
        [turn.prompts for turn in result.recorded]


def test_a_setting_changed_since_the_call_is_reported_at_its_turn(demo_app: Flask) -> None:
    call_sid = logged_call(demo_app, "pay_other_amount")  # $10.50
    override_settings(demo_app, IVR_MIN_PAYMENT_CENTS=2000)
    result = replay_call(demo_app, call_sid)
    number = turn_at(result, "pay_other_amount")
    assert result.difference is not None and result.difference.number == number
    assert result.difference.recorded is not None and result.difference.now is not None
    assert result.difference.recorded.after == "pay_when"
    assert (result.difference.now.after, result.difference.now.prompts[0]) == \
        ("pay_other_amount", "error.amount_below_minimum")
    assert report_lines(result)[0] == (f"turn {number} of {len(result.recorded)} answers "
                                       f"differently (after entry 10*50 at pay_other_amount):")


def test_a_prompt_changed_in_the_code_is_reported_at_its_turn(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    call_sid = logged_call(demo_app, "balance_and_due_date")
    pin = STEPS[Step.PIN]
    assert isinstance(pin, Entry)
    monkeypatch.setitem(STEPS, Step.PIN, replace(pin, prompt="ask.account_number"))
    result = replay_call(demo_app, call_sid)
    assert result.difference is not None and result.difference.number == 2
    lines = report_lines(result)
    assert lines[1:3] == ["  recorded: pin: ask.pin [en-US]",
                          "  now:      pin: ask.account_number [en-US]"]


def test_a_turn_the_current_code_fails_is_reported_missing_with_why(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    call_sid = logged_call(demo_app, "balance_and_due_date")

    def broken(state: CallState, keys: str, ctx: Context) -> Outcome:
        raise RuntimeError("a bug in the new code")

    pin = STEPS[Step.PIN]
    assert isinstance(pin, Entry)
    monkeypatch.setitem(STEPS, Step.PIN, replace(pin, handler=broken))
    result = replay_call(demo_app, call_sid)
    assert result.difference is not None and result.difference.number == 3
    assert result.difference.now is None
    lines = report_lines(result)
    assert lines[2] == "  now:      no turn (the replayed call had ended)"
    assert "the replayed script stopped:" in lines


def test_a_pay_mode_call_keys_the_declining_test_card_and_star(demo_app: Flask) -> None:
    result = replay_call(demo_app, logged_call(demo_app, "pay_mode_decline_and_star"))
    assert result.same, "\n".join(report_lines(result))
    presses = [line for line in result.script.splitlines() if "- press:" in line]
    assert any('"4000000000009995#"' in line for line in presses)  # insufficient funds
    assert any('"*"' in line for line in presses)


def test_an_unknown_call_is_refused(demo_app: Flask) -> None:
    with pytest.raises(CallNotLogged, match="no call CAnothing in the call log"):
        replay_call(demo_app, "CAnothing")


def test_a_replay_charges_the_sandbox_whatever_gateway_the_line_has(demo_app: Flask) -> None:
    call_sid = logged_call(demo_app, "pay_full_balance")
    # Nothing answers there: a replay charging the line's own gateway would not be approved.
    override_settings(demo_app, IVR_PAYMENT_GATEWAY="stripe", IVR_STRIPE_API_KEY="sk_test_x",
                      IVR_STRIPE_API_BASE="http://127.0.0.1:9")
    result = replay_call(demo_app, call_sid)
    assert result.same, "\n".join(report_lines(result))
    assert "info.payment_approved" in {prompt for turn in result.replayed
                                       for prompt in turn.prompts}
