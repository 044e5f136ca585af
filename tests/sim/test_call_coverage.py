"""``ivr call --script ... --coverage`` and ``--min-coverage``: what the scripts reached of the
flow, counted from each scratch database's call log, and the project's own scripts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from ivr.cli.call import call_command

CALLS = Path(__file__).resolve().parents[2] / "fixtures" / "calls"
BALANCE = CALLS / "bilingual_balance.yaml"
SUMMARY = re.compile(r"coverage: transitions (\d+)/(\d+) \(([\d.]+)%\), steps (\d+)/(\d+), "
                     r"menu options (\d+)/(\d+)")


def ivr_call(app: Flask, *args: str) -> tuple[int, list[str]]:
    """``ivr call ARGS`` in ``app``: its exit status and its lines (standard error too)."""
    result = app.test_cli_runner().invoke(call_command, list(args))
    return result.exit_code, result.output.splitlines()


def missed(lines: list[str], measure: str) -> set[str]:
    """The things a coverage report lists under ``<measure> missed (N):``."""
    found: set[str] = set()
    listing = False
    for line in lines:
        if line.startswith(f"{measure} missed"):
            listing = True
        elif listing and line.startswith("  "):
            found.add(line.strip())
        else:
            listing = False
    return found


def test_coverage_follows_the_scripts_and_lists_what_they_missed(demo_app: Flask) -> None:
    code, lines = ivr_call(demo_app, "--script", str(BALANCE), "-q", "--coverage")
    assert code == 0, lines
    assert lines[0].startswith("PASS Balance and due date")
    summary = SUMMARY.fullmatch(lines[1])
    assert summary is not None, lines[1]
    reached, total = int(summary[1]), int(summary[2])
    assert 0 < reached < total and len(missed(lines, "transitions")) == total - reached
    # The balance is said after the PIN, at the offer to pay now; the caller hangs up there.
    assert {"confirm_account -> pin", "pin -> pay_now"}.isdisjoint(missed(lines, "transitions"))
    assert {"pay_now -> card_number", "pay_now -> main_menu"} <= missed(lines, "transitions")
    assert missed(lines, "menu options") >= {"pay_now: 1 option.now_by_card",
                                             "pay_now: next option.more"}
    assert "confirm_account: 1 option.this_account" not in missed(lines, "menu options")


def test_below_the_minimum_the_report_is_followed_by_one_error_line(demo_app: Flask) -> None:
    code, lines = ivr_call(demo_app, "--script", str(BALANCE), "-q", "--min-coverage", "100")
    assert code == 1
    assert SUMMARY.fullmatch(lines[1]) is not None
    assert re.fullmatch(r"error: the scripts reach [\d.]+% of the transitions \(\d+/\d+\), "
                        r"below --min-coverage 100", lines[-1]), lines[-1]
    code, lines = ivr_call(demo_app, "--script", str(BALANCE), "-q", "--min-coverage", "1")
    assert code == 0 and SUMMARY.fullmatch(lines[1]) is not None


def test_coverage_needs_the_call_log_so_not_a_server_at_a_url(demo_app: Flask) -> None:
    # Refused before anything is sent: nothing answers at this URL.
    code, lines = ivr_call(demo_app, "--script", str(BALANCE), "--url", "127.0.0.1:9",
                           "--coverage")
    assert (code, len(lines)) == (2, 1)
    assert lines[0].startswith("error: --coverage: a server at --url keeps its call log")
    code, _ = ivr_call(demo_app, "--script", str(BALANCE), "--url", "127.0.0.1:9",
                       "--min-coverage", "90")
    assert code == 2


def test_coverage_is_for_scripts(demo_app: Flask) -> None:
    code, lines = ivr_call(demo_app, "--coverage")
    assert code == 2 and "--coverage and --min-coverage are for --script" in lines[-1]


@pytest.mark.slow
def test_the_shipped_scripts_take_every_transition_step_and_option(demo_app: Flask) -> None:
    # A transition (or step, or option) added to the table needs a script: this fails without.
    code, lines = ivr_call(demo_app, "--script", str(CALLS), "-q", "--min-coverage", "100")
    assert code == 0, "\n".join(lines[-20:])
    summary = SUMMARY.search("\n".join(lines))
    assert summary is not None
    assert (summary[1], summary[3]) == (summary[2], "100")
    assert (summary[4], summary[6]) == (summary[5], summary[7])  # every step and option
    assert all(missed(lines, measure) == set()
               for measure in ("transitions", "steps", "menu options"))
