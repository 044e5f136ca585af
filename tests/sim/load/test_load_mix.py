"""A load test's mix: scripts with weights, read from YAML and checked before anything runs;
the shipped mix's scripts pass on the demo data, and keep passing call after call."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from flask import Flask

from ivr.errors import ScriptError
from ivr.sim.load.mix import DEFAULT_MIX, load_mix
from ivr.sim.script import run_script
from tests.import_graph import ROOT
from tests.load_helpers import HANG_UP_SCRIPT, write_mix


def test_the_default_mix_names_a_balance_a_payment_and_a_wrong_pin() -> None:
    mix = load_mix(ROOT / DEFAULT_MIX)

    assert [(entry.name, entry.weight) for entry in mix.entries] == [
        ("bilingual_balance", 4.0), ("bilingual_other_amount", 3.0),
        ("wrong_pin_then_right", 2.0)]
    assert mix.overrides() == ["IVR_TODAY"]


# The mixes shipped in fixtures/load (beside a script of their own).
MIX_FILES = [ROOT / DEFAULT_MIX, ROOT / "fixtures" / "load" / "balance_checks.yaml"]


@pytest.mark.parametrize("path", MIX_FILES, ids=[path.stem for path in MIX_FILES])
def test_their_scripts_pass_again_and_again_on_the_demo_data(demo_app: Flask,
                                                              path: Path) -> None:
    mix = load_mix(path)
    rng = random.Random(3)
    for _ in range(2):
        for entry in mix.entries:
            run_script(demo_app, entry.script, from_number=entry.from_number(rng))


def test_a_caller_id_with_xs_is_drawn_for_each_call(tmp_path: Path) -> None:
    mix = load_mix(write_mix(tmp_path, 'calls: [{script: bye.yaml, from: "+1650555XXXX"}]\n',
                             **{"bye.yaml": HANG_UP_SCRIPT}))
    rng = random.Random(0)
    drawn = {mix.entries[0].from_number(rng) for _ in range(20)}

    assert len(drawn) > 1
    assert all(re.fullmatch(r"\+1650555[0-9]{4}", number) for number in drawn)


def test_weights_share_out_the_calls(tmp_path: Path) -> None:
    mix = load_mix(write_mix(tmp_path, "calls:\n  - {script: a.yaml, weight: 1}\n"
                                       "  - {script: b.yaml, weight: 1000000}\n",
                             **{"a.yaml": HANG_UP_SCRIPT, "b.yaml": HANG_UP_SCRIPT}))
    picked = [mix.pick(random.Random(seed)).name for seed in range(20)]

    assert picked == ["b"] * 20


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n", "a mix is a mapping whose 'calls' lists"),
    ("calls: []\n", "a mix is a mapping whose 'calls' lists"),
    ("calls: [{script: bye.yaml}]\nrate: 3\n", "unknown keys rate"),
    ("calls: [bye.yaml]\n", "calls item 1: expected {script: PATH, weight: N}"),
    ("calls: [{script: bye.yaml, pace: 2}]\n", "calls item 1: unknown keys pace"),
    ("calls: [{script: bye.yaml, weight: 0}]\n", "weight must be a number above 0, got 0"),
    ("calls: [{script: bye.yaml, weight: lots}]\n", "weight must be a number above 0"),
    ("calls: [{script: bye.yaml, weight: .inf}]\n", "weight must be at most 1e+09, got inf"),
    # Each finite, but together too many to share out: no caller could pick a script.
    ("calls: [{script: bye.yaml, weight: 1.0e+308}, {script: bye.yaml, weight: 1.0e+308}]\n",
     "calls item 1: weight must be at most 1e+09, got 1e+308"),
    ("calls: [{script: gone.yaml}]\n", "calls item 1: no script file"),
    ("calls: [{script: bad.yaml}]\n", "bad.yaml: 'steps' must be a non-empty list"),
    ("calls: [{script: bye.yaml, from: 4155550100}]\n", "from must be a number such as"),
    ("calls: [{script: bye.yaml, from: '+1415555XX0Y'}]\n", "from must be a number such as"),
    ("calls: [{script: bye.yaml}\n", "mix.yaml: while parsing"),
])
def test_a_bad_mix_is_refused_saying_where(tmp_path: Path, text: str, message: str) -> None:
    path = write_mix(tmp_path, text, **{"bye.yaml": HANG_UP_SCRIPT, "bad.yaml": "name: x\n"})

    with pytest.raises(ScriptError, match=re.escape(message)):
        load_mix(path)


def test_a_missing_mix_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="No such file"):
        load_mix(tmp_path / "none.yaml")


def test_settings_changed_mid_call_are_named_among_those_no_server_takes(
        tmp_path: Path) -> None:
    rotates = ("name: Rotates the key\nsettings: {IVR_AGENT_NUMBER: '+18005550123'}\n"
               "steps:\n  - press: '1'\n"
               "  - settings: {IVR_CARD_DATA_KEY: 'cm90YXRlZC1jYXJkLWRhdGEta2V5LW5vdC1zZWNyZXQ='}\n"
               "  - hangup\n")
    mix = load_mix(write_mix(tmp_path, "calls: [{script: rotates.yaml}]\n",
                             **{"rotates.yaml": rotates}))

    assert mix.overrides() == ["IVR_AGENT_NUMBER", "IVR_CARD_DATA_KEY"]
