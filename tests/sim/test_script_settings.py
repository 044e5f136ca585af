"""A script's ``settings`` steps: the line's settings changed from that point of the call on,
in process (``ivr/sim/script_settings.py``), and read by the loader (``script_load.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request

from ivr.config import DEV_CARD_DATA_KEY, settings_of
from ivr.errors import ScriptError, ScriptFailure
from ivr.sim.script import load_script, run_script

# A valid card store key (32 bytes, base64) other than the development one.
ROTATED_KEY = "cm90YXRlZC1jYXJkLWRhdGEta2V5LW5vdC1zZWNyZXQ="
SHORT_KEY = "c2hvcnQta2V5"  # "short-key": 9 bytes
AGENT, OTHER_AGENT = "+18005550123", "+18005550199"


def script(*steps: Any, **extra: Any) -> dict[str, Any]:
    """A script mapping as YAML would give it."""
    return {"name": "settings mid-call", "steps": list(steps), **extra}


def test_a_settings_step_is_read_and_shown_by_its_names_only() -> None:
    loaded = load_script(script({"press": "1"},
                                {"settings": {"IVR_CARD_DATA_KEY": ROTATED_KEY,
                                              "IVR_AGENT_NUMBER": AGENT}}))
    step = loaded.steps[1]
    assert (step.kind, step.value) == ("settings", "IVR_CARD_DATA_KEY, IVR_AGENT_NUMBER")
    assert step.settings == {"IVR_CARD_DATA_KEY": ROTATED_KEY, "IVR_AGENT_NUMBER": AGENT}
    assert step.describe() == "step 2 (settings: IVR_CARD_DATA_KEY, IVR_AGENT_NUMBER)"
    assert ROTATED_KEY not in repr(step)  # the card store's key is a secret
    assert loaded.bilingual


@pytest.mark.parametrize("value", ["IVR_AGENT_NUMBER", ["IVR_AGENT_NUMBER"], {}, None])
def test_a_settings_step_takes_a_mapping_of_settings(value: object) -> None:
    with pytest.raises(ScriptError, match=r"^step 2: settings takes a mapping of the line's "
                                          r"settings to their values"):
        load_script(script({"press": "1"}, {"settings": value}))


def test_a_settings_step_takes_only_the_lines_settings() -> None:
    with pytest.raises(ScriptError, match=r"^step 1: settings: not settings of the line: "
                                          r"IVR_NO_SUCH_SETTING, TESTING$"):
        load_script(script({"settings": {"TESTING": True, "IVR_AGENT_NUMBER": AGENT,
                                         "IVR_NO_SUCH_SETTING": 1}}))


def watch_agent_number(app: Flask) -> list[tuple[str, str]]:
    """Each request the line gets: its path and the agent number the line's settings hold."""
    seen: list[tuple[str, str]] = []
    app.before_request(lambda: seen.append((request.path, settings_of(app).agent_number)))
    return seen


def test_a_settings_step_applies_from_that_step_on_then_all_is_restored(
        demo_app: Flask) -> None:
    before = settings_of(demo_app)
    seen = watch_agent_number(demo_app)
    run_script(demo_app, script({"press": "1"}, {"settings": {"IVR_AGENT_NUMBER": OTHER_AGENT}},
                                {"press": "2468"}, "hangup", {"expect_end": "caller-hangup"},
                                settings={"IVR_AGENT_NUMBER": AGENT}), quiet=True)
    # The greeting and the "1" before the step; the PIN and the status callback after it.
    assert [number for _path, number in seen] == [AGENT, AGENT, OTHER_AGENT, OTHER_AGENT]
    assert seen[-1][0] == "/voice/status"
    assert settings_of(demo_app) == before


def test_the_card_being_keyed_is_lost_when_the_key_changes_mid_call(demo_app: Flask) -> None:
    keyed = ({"press": "1"}, {"press": "2468"}, {"press": "1"},
             {"press": "4242424242424242#"}, {"press": "1230"})
    lost = ({"press": "123"}, {"expect_prompt": "error.card_entry_lost"},
            {"press": "*"}, {"press": "9"}, {"expect_end": "hangup"})
    same_key = {"settings": {"IVR_CARD_DATA_KEY": DEV_CARD_DATA_KEY}}
    assert settings_of(demo_app).card_data_key == DEV_CARD_DATA_KEY
    with pytest.raises(ScriptFailure, match=r"expected to hear prompt error\.card_entry_lost"):
        run_script(demo_app, script(*keyed, same_key, *lost), quiet=True)
    rotated = {"settings": {"IVR_CARD_DATA_KEY": ROTATED_KEY}}
    run_script(demo_app, script(*keyed, rotated, *lost), quiet=True)
    assert settings_of(demo_app).card_data_key == DEV_CARD_DATA_KEY


def test_a_bad_value_fails_the_script_naming_the_step_never_the_value(demo_app: Flask) -> None:
    before = settings_of(demo_app)
    bad = script({"press": "1"}, {"settings": {"IVR_AGENT_NUMBER": OTHER_AGENT}},
                 {"settings": {"IVR_CARD_DATA_KEY": SHORT_KEY}}, "hangup")
    with pytest.raises(ScriptError) as failed:
        run_script(demo_app, bad, quiet=True)
    assert str(failed.value).startswith("step 3 (settings: IVR_CARD_DATA_KEY): "
                                        "IVR_CARD_DATA_KEY must be 32 bytes")
    assert SHORT_KEY not in str(failed.value)
    assert settings_of(demo_app) == before  # the step before it is undone too


def test_a_settings_step_after_the_call_ended_was_never_reached(demo_app: Flask) -> None:
    late = script("hangup", {"settings": {"IVR_AGENT_NUMBER": AGENT}},
                  {"expect_end": "caller-hangup"})
    with pytest.raises(ScriptFailure, match=r"at step 2 \(settings: IVR_AGENT_NUMBER\):"
                                            r"(.|\n)*this step was never reached"):
        run_script(demo_app, late, quiet=True)


@pytest.mark.parametrize("names", [("IVR_PAYMENT_GATEWAY", "IVR_STRIPE_API_KEY"),
                                   ("IVR_DATABASE_URL",), ("IVR_LOG_FILE",)])
def test_a_setting_read_once_when_the_line_starts_is_refused_mid_call(
        names: tuple[str, ...]) -> None:
    # The line builds its gateway, database engine and logging when it starts: a step could
    # change the value read, but not what was built (the sandbox would go on charging).
    changed = {name: "x" for name in names} | {"IVR_AGENT_NUMBER": AGENT}
    with pytest.raises(ScriptError, match=rf"^step 2: settings: {', '.join(names)}: read "
                                          r"once, when the line starts"):
        load_script(script({"press": "1"}, {"settings": changed}))
