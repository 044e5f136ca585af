"""The load generator against the line served over HTTP from this process, and against stub
lines that fail on purpose: every request and call is accounted for, errors are counted as
errors and expectation mismatches apart from them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from flask import Flask, Response

from flows.speech import load_catalog
from ivr.config import DEV_AUTH_TOKEN
from ivr.sim.load.callers import MAX_CALLERS, LoadPlan, LoadRun, is_loopback
from ivr.sim.load.mix import DEFAULT_MIX, load_mix
from ivr.sim.load.stats import (
    APOLOGY,
    APPLICATION_ERROR,
    COMPLETED,
    CUT,
    FAILED,
    HTTP_ERROR,
    TIMEOUT,
    LoadSummary,
)
from tests.app_helpers import balance
from tests.import_graph import ROOT
from tests.load_helpers import (
    HANG_UP_SCRIPT,
    every_third_fails,
    served,
    slow_goodbye,
    stub_line,
    write_mix,
)


def run(url: str, mix: Path = ROOT / DEFAULT_MIX, **plan: float) -> LoadSummary:
    """One quick run: 3 callers, hardly any think time; it ends once ``max_calls`` calls
    have (the duration is only an upper bound)."""
    settings: dict[str, float] = {"callers": 3, "think": 0.02, "duration": 60, "grace": 10}
    settings.update(plan)
    max_calls = settings.pop("max_calls", None)
    return LoadRun(LoadPlan(url, mix=load_mix(mix), max_calls=None if max_calls is None
                            else int(max_calls), **settings),  # type: ignore[arg-type]
                   token=DEV_AUTH_TOKEN).run()


def turns(summary: LoadSummary) -> dict[str, int]:
    return {stats.turn: stats.requests for stats in summary.turns}


def test_the_default_mix_runs_without_errors_and_every_request_is_counted_by_turn(
        demo_app: Flask) -> None:
    with served(demo_app) as url:
        summary = run(url, max_calls=9, seed=1)

    counted = turns(summary)
    assert summary.calls == {COMPLETED: 9}
    assert not summary.errors and not summary.mismatches
    assert summary.overall is not None
    assert sum(counted.values()) == summary.overall.requests == summary.requests
    assert counted["call start"] == counted["status callback"] == 9
    # Each call of the mix answers the PIN question (the wrong PIN's call twice).
    assert counted["pin"] >= 9
    # Each payment's turns, one each: the card number keyed, authorised, charged.
    payments = counted.get("authorise", 0)
    assert counted.get("card number", 0) == payments == counted.get("charge (caller holding)", 0)
    assert balance(demo_app) == 12045 - payments * 1050
    assert sum(point.requests for point in summary.series) == summary.requests


def test_max_calls_stops_the_calls_started_and_the_run_ends_with_the_last(
        demo_app: Flask) -> None:
    with served(demo_app) as url:
        summary = run(url, callers=2, max_calls=2, duration=600)

    assert sum(summary.calls.values()) == 2
    assert len(summary.series) < 600  # it did not wait out the duration


def test_calls_still_going_after_the_grace_period_are_cut(demo_app: Flask) -> None:
    with served(demo_app) as url:
        summary = run(url, callers=2, think=3, duration=0.5, grace=0.2)

    assert set(summary.calls) == {CUT}
    assert not summary.errors and not summary.mismatches
    # A cut caller hangs up: the status callback still reports each call's end.
    assert turns(summary)["status callback"] == summary.calls[CUT]


def test_http_errors_are_counted_per_request_and_fail_their_calls(tmp_path: Path) -> None:
    line, numbers = stub_line(every_third_fails)
    mix = write_mix(tmp_path, "calls: [{script: bye.yaml}]\n", **{"bye.yaml": HANG_UP_SCRIPT})
    with served(line) as url:
        summary = run(url, mix, max_calls=9)

    assert len(numbers) == 9
    assert summary.errors == {HTTP_ERROR: 3}
    assert summary.calls == {COMPLETED: 6, FAILED: 3}
    assert not summary.mismatches  # an error is not also a mismatch
    assert turns(summary) == {"call start": 9, "status callback": 9}
    assert [stats.errors for stats in summary.turns if stats.turn == "call start"] == [3]


def test_a_late_answer_is_a_timeout(tmp_path: Path) -> None:
    line, _ = stub_line(slow_goodbye(1.0))
    mix = write_mix(tmp_path, "calls: [{script: bye.yaml}]\n", **{"bye.yaml": HANG_UP_SCRIPT})
    with served(line) as url:
        summary = run(url, mix, callers=1, max_calls=1, timeout=0.2)

    assert summary.errors == {TIMEOUT: 1}
    assert summary.calls == {FAILED: 1}


@pytest.mark.parametrize(("answer", "error"), [
    ("<html>not TwiML</html>", APPLICATION_ERROR),
    (f"<Response><Say>{load_catalog('en-US')['end.application_error']}</Say>"
     "<Hangup/></Response>", APOLOGY),
])
def test_an_answer_twilio_would_refuse_or_the_lines_apology_is_an_error(
        tmp_path: Path, answer: str, error: str) -> None:
    line, _ = stub_line(lambda _number: Response(answer, mimetype="text/xml"))
    mix = write_mix(tmp_path, "calls: [{script: bye.yaml}]\n", **{"bye.yaml": HANG_UP_SCRIPT})
    with served(line) as url:
        summary = run(url, mix, callers=1, max_calls=2)

    assert summary.errors == {error: 2}
    assert summary.calls == {FAILED: 2}


def test_a_check_that_does_not_hold_is_a_mismatch_and_the_caller_carries_on(
        demo_app: Flask, tmp_path: Path) -> None:
    script = ("name: Expects the wrong words, then pays no heed\nsteps:\n"
              "  - expect: \"Welcome to the moon\"\n  - press: \"1\"\n  - press: \"2468\"\n"
              "  - expect_prompt: option.now_by_card\n  - hangup\n")
    mix = write_mix(tmp_path, "calls: [{script: moon.yaml}]\n", **{"moon.yaml": script})
    with served(demo_app) as url:
        summary = run(url, mix, callers=1, max_calls=2)

    assert summary.mismatches == {"moon: step 1 (expect)": 2}
    assert summary.calls == {COMPLETED: 2} and not summary.errors
    assert turns(summary)["pin"] == 2  # the call went on past the failed check


@pytest.mark.parametrize("url", ["http://localhost:5000", "127.0.0.1:5000", "http://[::1]:80",
                                 "http://127.8.9.10", "http://app.localhost:8000"])
def test_loopback_urls(url: str) -> None:
    assert is_loopback(url)


@pytest.mark.parametrize("url", ["http://10.0.0.1:5000", "https://ivr.example.com",
                                 "http://0.0.0.0:5000", "http://localhost.example.com",
                                 # Python reads the host after the @ (localhost); requests,
                                 # which makes the calls, the one before the backslash.
                                 "http://10.0.0.1\\@localhost:5000",
                                 "http://ivr.example.com\\@127.0.0.1"])
def test_other_urls_are_not_loopback(url: str) -> None:
    assert not is_loopback(url)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("callers", MAX_CALLERS + 1, "--callers must be from 1 to 2000, got 2001"),
    ("callers", 0, "--callers must be from 1 to 2000, got 0"),
    ("duration", 3601, "--duration must be from 0.1 to 3600, got 3601"),
    ("think", -1, "--think must be from 0 to 60, got -1"),
    ("ramp", 3601, "--ramp must be from 0 to 3600, got 3601"),
])
def test_a_plan_outside_the_bounds_is_refused(field: str, value: float, message: str) -> None:
    plan = {"callers": 1, "think": 1.0, "duration": 1.0, field: value}
    with pytest.raises(ValueError, match=message):
        LoadPlan("http://127.0.0.1:5000", mix=load_mix(ROOT / DEFAULT_MIX), **plan)  # type: ignore[arg-type]


def test_the_first_calls_are_spread_over_the_ramp_not_the_think_time(tmp_path: Path) -> None:
    # Each call lasts longer than the run starts calls for: one call a caller.
    line, _ = stub_line(slow_goodbye(1.5))
    mix = write_mix(tmp_path, "calls: [{script: bye.yaml}]\n", **{"bye.yaml": HANG_UP_SCRIPT})
    with served(line) as url:
        summary_run = LoadRun(LoadPlan(url, 4, 0.0, 1.2, load_mix(mix), grace=5, seed=3,
                                       ramp=1.0), token=DEV_AUTH_TOKEN)
        summary_run.run()

    # Each caller's wait before its first call, drawn as the run draws it (its own seed).
    waits = sorted(random.Random(3 * 1_000_003 + number).uniform(0, 1.0) for number in range(4))
    starts = sorted(sample.at for sample in summary_run.recorder.samples
                    if sample.turn == "call start")
    assert waits[-1] > 0.5  # with no think time, the callers would all have dialled at once
    assert len(starts) == 4 and all(start >= wait for start, wait in zip(starts, waits,
                                                                          strict=True))


def test_a_proxy_named_in_the_environment_is_not_asked_for_this_machine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    line, numbers = stub_line(slow_goodbye(0))
    mix = write_mix(tmp_path, "calls: [{script: bye.yaml}]\n", **{"bye.yaml": HANG_UP_SCRIPT})
    with served(line) as url:
        summary = run(url, mix, callers=1, max_calls=2)

    assert not summary.errors and summary.calls == {COMPLETED: 2} and len(numbers) == 2
