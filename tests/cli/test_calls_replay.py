"""``ivr calls replay CALLSID``: the report, its exit status, the script shown and saved."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from flask import Flask

from ivr.cli.call import call_command
from ivr.cli.calls_replay import replay_command
from ivr.config import override_settings
from ivr.sim.script import run_script

# A card payment with a card, expiry, code and ZIP that no demo value has.
CARD_CALL = """\
name: A card payment
from: "+14155550100"
steps:
  - press: "1"
  - press: "2468"
  - press: "1"
  - press: "4012888888881881#"
  - press: "0731"
  - press: "987"
  - press: "60601#"
  - press: "1"
  - expect_prompt: info.payment_approved
  - hangup
"""
SECRETS = ("4012888888881881", "1881", '"0731', '"987', "60601")


def logged_card_call(app: Flask, tmp_path: Path) -> str:
    path = tmp_path / "card.yaml"
    path.write_text(CARD_CALL)
    return run_script(app, path, quiet=True).call_sid


def replay(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(replay_command, list(args))


def test_a_call_the_current_code_answers_alike_exits_0(demo_app: Flask, tmp_path: Path) -> None:
    result = replay(demo_app, logged_card_call(demo_app, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output == "replayed 10 turns: the current code answers the same\n"


def test_a_card_payment_replays_with_demo_values_and_never_prints_the_callers(
        demo_app: Flask, tmp_path: Path) -> None:
    call_sid = logged_card_call(demo_app, tmp_path)
    saved = tmp_path / "regression.yaml"
    result = replay(demo_app, call_sid, "--show-script", "--save", str(saved))
    assert result.exit_code == 0, result.output
    assert '- press: "4242424242424242#"  # turn 5: <card number, 16 digits>' in result.output
    assert not [secret for secret in SECRETS if secret in result.output + saved.read_text()]
    assert result.output.endswith(f"saved the script as {saved}\n")
    # The script saved is a regression test for `ivr call --script`.
    ran = demo_app.test_cli_runner().invoke(call_command, ["--script", str(saved), "-q"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith(f"PASS replay of {call_sid}")


def test_a_call_answered_differently_now_exits_1_naming_the_turn(
        demo_app: Flask, tmp_path: Path) -> None:
    call_sid = logged_card_call(demo_app, tmp_path)
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    result = replay(demo_app, call_sid)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "turn 4 of 10 answers differently (after key 1 at pay_now):",
        "  recorded: card_number: ask.card_number, option.cancel_entry [en-US]",
        "  now:      card_capture: ask.capture_charge [en-US]"]


def test_an_unknown_call_is_one_line_and_exit_1(demo_app: Flask) -> None:
    result = replay(demo_app, "CAnothing")
    assert result.exit_code == 1
    assert result.output == "error: no call CAnothing in the call log\n"


def test_save_keeps_an_existing_file_unless_forced(demo_app: Flask, tmp_path: Path) -> None:
    call_sid = logged_card_call(demo_app, tmp_path)
    kept = tmp_path / "kept.yaml"
    kept.write_text("mine\n")
    result = replay(demo_app, call_sid, "--save", str(kept))
    assert (result.exit_code, kept.read_text()) == (1, "mine\n")
    assert result.output == f"error: {kept} already exists (--force overwrites it)\n"
    assert replay(demo_app, call_sid, "--save", str(kept), "--force").exit_code == 0
    assert kept.read_text().startswith(f"# the caller's actions on call {call_sid}\n")


def test_a_saved_replay_still_passes_after_the_day_it_was_made(demo_app: Flask,
                                                              tmp_path: Path) -> None:
    # The balance said due before December 5th is past due after it: the regression test
    # saved keeps the line's day of the replay.
    saved = tmp_path / "regression.yaml"
    assert replay(demo_app, logged_card_call(demo_app, tmp_path), "--save",
                  str(saved)).exit_code == 0
    assert 'today: "2026-11-21"' in saved.read_text()
    override_settings(demo_app, IVR_TODAY="2026-12-10")
    ran = demo_app.test_cli_runner().invoke(call_command, ["--script", str(saved), "-q"])
    assert ran.exit_code == 0, ran.output
