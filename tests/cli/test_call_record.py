"""``ivr call --record FILE.yaml``: an interactive call saved as a script that passes."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import Result
from flask import Flask

from ivr.cli.call import call_command
from ivr.config import override_settings


def call(app: Flask, args: list[str], keys: list[str]) -> Result:
    typed = "".join(f"{line}\n" for line in keys)
    return app.test_cli_runner().invoke(call_command, args, input=typed)


def recorded_and_replayed(app: Flask, path: Path, keys: list[str]) -> dict[str, object]:
    """Record the call typed as ``keys`` to ``path``, check its script passes; the script."""
    result = call(app, ["--record", str(path)], keys)
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"saved the call as {path} ({len(keys)} caller actions)\n")
    ran = call(app, ["--script", str(path), "-q"], [])
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith(f"PASS {path.stem}")
    script: dict[str, object] = yaml.safe_load(path.read_text())
    return script


def test_a_keyed_card_payment_is_saved_with_demo_values(demo_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    script = recorded_and_replayed(demo_app, path, [
        "1", "1111", "2468", "1", "4012888888881881#", "0731", "987", "60601#", "1", ""])
    assert (script["from"], script["to"], script["language"]) == \
        ("+14155550100", "+18005550199", "en-US")
    steps = script["steps"]
    assert isinstance(steps, list)
    pressed = [step["press"] for step in steps if isinstance(step, dict) and "press" in step]
    assert pressed == ["1", "0000", "2468", "1", "4242424242424242#", "1229", "123",
                       "94105#", "1"]
    assert steps[-3:] == ["silence", {"expect_prompt": "end.goodbye"},
                          {"expect_end": "ivr-hangup"}]
    text = path.read_text()
    assert not [typed for typed in ("4012888888881881", "0731", "987", "60601", "1111")
                if typed in text]
    assert '- press: "0000"  # <PIN, 4 digits>: a demo value' in text


def test_pay_fields_words_and_a_message_are_saved(demo_app: Flask, tmp_path: Path) -> None:
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    path = tmp_path / "pay.yaml"
    script = recorded_and_replayed(demo_app, path, [
        "1", "2468", "pay by card", "5105105105105100#", "0731", "987", "60601#", "2",
        "7", "30 #", "h"])
    steps = script["steps"]
    assert isinstance(steps, list)
    assert {"say": "pay by card"} in steps
    # A card number the README does not publish is saved as its approved test card.
    assert "5105105105105100" not in path.read_text()
    assert {"press": "4242424242424242#"} in steps
    assert {"record": {"seconds": 30, "then": "#"}} in steps
    assert steps[-2:] == ["hangup", {"expect_end": "caller-hangup"}]


def test_a_call_switched_to_spanish_keeps_the_key_and_names_no_language(
        demo_app: Flask, tmp_path: Path) -> None:
    script = recorded_and_replayed(demo_app, tmp_path / "es.yaml", ["9", "1", "2468", "h"])
    assert "language" not in script
    assert {"press": "9"} in script["steps"]  # type: ignore[operator]


def test_record_cannot_go_with_a_script(demo_app: Flask, tmp_path: Path) -> None:
    result = call(demo_app, ["--record", str(tmp_path / "x.yaml"), "--script",
                             str(tmp_path)], [])
    assert result.exit_code == 2
    assert result.output == \
        "error: --record saves an interactive call; it cannot go with --script\n"
    assert not (tmp_path / "x.yaml").exists()


def test_an_existing_file_is_refused_before_the_call_unless_forced(
        demo_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "kept.yaml"
    path.write_text("mine\n")
    refused = call(demo_app, ["--record", str(path)], ["1"])
    assert (refused.exit_code, refused.output) == \
        (1, f"error: {path} already exists (--force overwrites it)\n")
    assert path.read_text() == "mine\n"
    forced = call(demo_app, ["--record", str(path), "--force"], ["1", "h"])
    assert forced.exit_code == 0, forced.output
    assert path.read_text().startswith("# recorded with ivr call --record\nname: \"kept\"\n")


def test_a_card_number_keyed_at_a_menu_or_the_amount_is_not_saved(
        demo_app: Flask, tmp_path: Path) -> None:
    # Keyed ahead at the greeting's menu, and where the amount is asked: the call log keeps
    # neither (<keys, 16 digits>), and the script must not either.
    path = tmp_path / "ahead.yaml"
    script = recorded_and_replayed(demo_app, path, [
        "5105105105105100", "1", "2468", "3", "1", "5105105105105100#", "h"])
    assert "5105105105105100" not in path.read_text()
    pressed = [step["press"] for step in script["steps"]  # type: ignore[attr-defined]
               if isinstance(step, dict) and "press" in step]
    assert pressed[0] == "7" * 16 and pressed[-1] == "7" * 16 + "#"


def test_a_secret_keyed_with_a_star_in_it_is_not_saved(demo_app: Flask,
                                                        tmp_path: Path) -> None:
    # A star among the digits (a slip of the finger) does not make them any less the PIN
    # or the card's number.
    path = tmp_path / "slip.yaml"
    recorded_and_replayed(demo_app, path, [
        "1", "93*17", "2468", "1", "5105*105105105100#", "h"])
    text = path.read_text()
    assert not [typed for typed in ("93*17", "5105*1051", "105105100") if typed in text]


def test_a_card_number_said_in_another_language_than_the_calls_is_not_saved(
        demo_app: Flask, tmp_path: Path) -> None:
    # A caller on a Spanish call may still say their number in English (the call log reads
    # numbers in every language the line speaks, for that reason).
    path = tmp_path / "said.yaml"
    words = "four one one one one one one one one one one one one one one one"
    recorded_and_replayed(demo_app, path, ["9", "1", "2468", words, "h"])
    assert "four one one one" not in path.read_text()


def test_a_recording_still_passes_after_the_day_it_was_made(demo_app: Flask,
                                                           tmp_path: Path) -> None:
    # Jordan's balance is due December 5th: heard as due before then, past due after it.
    # The script keeps the day it was recorded on (as the shipped scripts name theirs).
    path = tmp_path / "day.yaml"
    script = recorded_and_replayed(demo_app, path, ["1", "2468", "h"])
    assert script["today"] == "2026-11-21"
    override_settings(demo_app, IVR_TODAY="2026-12-10")
    ran = call(demo_app, ["--script", str(path), "-q"], [])
    assert ran.exit_code == 0, ran.output


def test_a_file_in_a_missing_folder_is_refused_before_the_call(demo_app: Flask,
                                                              tmp_path: Path) -> None:
    # Found only once the caller had hung up, the whole call typed would be lost.
    path = tmp_path / "missing" / "call.yaml"
    refused = call(demo_app, ["--record", str(path)], ["1", "2468", "h"])
    assert (refused.exit_code, refused.output) == \
        (1, f"error: {path}: no folder {path.parent}\n")


def test_numbers_said_at_a_menu_are_not_saved_and_the_words_still_choose(
        demo_app: Flask, tmp_path: Path) -> None:
    # A PIN said where a menu listens (the call log keeps it as <words with a number>), and
    # a card number said with the words of an option, which the line still acts on.
    path = tmp_path / "menu.yaml"
    script = recorded_and_replayed(demo_app, path, [
        "1", "2468", "my pin is nine three one seven",
        "pay by card four one one one one one one one one one one one one one one one", "h"])
    text = path.read_text()
    assert "nine three one seven" not in text and "four one one one" not in text
    said = [step["say"] for step in script["steps"]  # type: ignore[attr-defined]
            if isinstance(step, dict) and "say" in step]
    assert said == ["my pin is 7 7 7 7", "pay by card" + " 7" * 16]
