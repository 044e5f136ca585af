"""``ivr call --script ... --junit FILE --jobs N``: fit for CI.

The JUnit file is read back as a CI server reads it; ``--jobs`` is checked against a run one
script at a time, in the real ``ivr`` script too (its workers are spawned processes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask

from ivr.cli.call import call_command
from tests.sim.script_folder_helpers import (
    BALANCE,
    HANG_UP,
    PIN,
    UNREADABLE,
    WRONG_BALANCE,
    same_every_time,
    two_pass_one_fails,
    two_payments,
    write_folder,
)
from tests.sim.sim_helpers import menu_app

IVR = Path(sys.executable).parent / "ivr"


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    """``ivr call`` in ``app``: its exit code and output (stdout and stderr)."""
    result = app.test_cli_runner().invoke(call_command, list(args))
    return result.exit_code, result.output


def cases(report: Path) -> dict[str, ET.Element]:
    """The test cases of a JUnit file, by name."""
    root = ET.parse(report).getroot()
    return {case.get("name") or "": case for case in root.iter("testcase")}


def counts(report: Path) -> tuple[str | None, ...]:
    """The one suite's tests, failures and errors."""
    (suite,) = ET.parse(report).getroot().findall("testsuite")
    return tuple(suite.get(key) for key in ("tests", "failures", "errors"))


def test_junit_for_a_folder_two_pass_one_fails(demo_app: Flask, tmp_path: Path) -> None:
    folder = two_pass_one_fails(tmp_path / "calls")
    report = tmp_path / "junit.xml"
    code, output = invoke(demo_app, "--script", str(folder), "-q", "--junit", str(report))
    assert code == 1  # a script failed, and the report is written all the same
    assert output.splitlines()[-1] == "2 passed, 1 failed"
    assert counts(report) == ("3", "1", "0")
    found = cases(report)
    assert list(found) == ["balance", "hang_up", "wrong_balance"]
    assert {case.get("classname") for case in found.values()} == {"calls"}
    assert all(float(case.get("time") or "") > 0 for case in found.values())
    assert [list(found["balance"]), list(found["hang_up"])] == [[], []]
    (failure,) = list(found["wrong_balance"])
    assert failure.get("message") == ("Script 'A balance the account does not have' failed at "
                                      'step 4 (expect: "You owe one hundred dollars."):')
    report_text = failure.text or ""
    assert "  turn 2  IVR: Enter your PIN.\n  turn 2  caller presses <PIN, 4 digits>\n" \
        in report_text
    assert 'expected to hear: "You owe one hundred dollars."' in report_text
    assert report_text in output  # the report in the file is the one printed
    assert PIN not in report.read_text(encoding="utf-8")


def test_junit_counts_a_script_that_cannot_be_read_as_an_error(demo_app: Flask,
                                                               tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "calls", broken=UNREADABLE, hang_up=HANG_UP)
    report = tmp_path / "junit.xml"
    code, _ = invoke(demo_app, "--script", str(folder), "-q", "--junit", str(report))
    assert code == 1
    assert counts(report) == ("2", "0", "1")
    (error,) = list(cases(report)["broken"])
    assert (error.tag, error.get("message")) == ("error", "step 1: unknown step 'pres'")


def test_junit_for_one_script_file(demo_app: Flask, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "calls", balance=BALANCE, wrong=WRONG_BALANCE,
                          broken=UNREADABLE)
    report = tmp_path / "junit.xml"
    code, output = invoke(demo_app, "--script", str(folder / "balance.yaml"), "--junit",
                          str(report))
    assert (code, counts(report)) == (0, ("1", "0", "0"))
    assert list(cases(report)) == ["balance"]
    assert "PASS The balance after the PIN (6 steps)" in output
    code, output = invoke(demo_app, "--script", str(folder / "wrong.yaml"), "--junit",
                          str(report))
    assert (code, counts(report)) == (1, ("1", "1", "0"))
    assert "FAIL wrong.yaml\nScript 'A balance the account does not have' failed" in output
    code, output = invoke(demo_app, "--script", str(folder / "broken.yaml"), "--junit",
                          str(report))
    assert (code, counts(report)) == (2, ("1", "0", "1"))  # a usage error, reported too
    assert "unknown step 'pres'" in output


@pytest.mark.parametrize("jobs", ["0", "33", "two"])
def test_jobs_must_be_a_sane_number(demo_app: Flask, tmp_path: Path, jobs: str) -> None:
    folder = write_folder(tmp_path / "calls", hang_up=HANG_UP)
    code, output = invoke(demo_app, "--script", str(folder), "--jobs", jobs)
    assert code == 2
    assert "Invalid value for '--jobs'" in output
    assert "PASS" not in output


def test_jobs_only_where_each_script_has_its_own_database(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "calls", a=HANG_UP, b=HANG_UP)
    code, output = invoke(menu_app(), "--script", str(folder), "--jobs", "2")
    assert code == 1
    assert output.splitlines() == ["error: --jobs: the scripts share the server's data here, "
                                   "so they run one at a time (leave --jobs out)"]


def test_junit_and_jobs_are_for_scripts(demo_app: Flask, tmp_path: Path) -> None:
    code, output = invoke(demo_app, "--junit", str(tmp_path / "junit.xml"))
    assert code == 2
    assert "--junit and --jobs are for --script" in output
    folder = write_folder(tmp_path / "calls", a=HANG_UP)
    code, output = invoke(demo_app, "--script", str(folder), "--junit",
                          str(tmp_path / "missing" / "junit.xml"))
    assert (code, output.splitlines()) == (1, [f"error: --junit: no folder {tmp_path}/missing"])


@pytest.mark.slow
def test_the_ivr_script_runs_two_at_a_time_as_it_runs_one(tmp_path: Path) -> None:
    folder = two_payments(tmp_path / "calls")
    write_folder(folder, wrong_balance=WRONG_BALANCE)
    env = {name: value for name, value in os.environ.items() if not name.startswith("IVR_")}
    env["IVR_DATABASE_URL"] = f"sqlite:///{tmp_path}/line.sqlite3"
    runs = {}
    for jobs in ("1", "2"):
        report = tmp_path / f"junit-{jobs}.xml"
        runs[jobs] = subprocess.run(
            [str(IVR), "call", "--script", str(folder), "--jobs", jobs, "--junit", str(report)],
            capture_output=True, text=True, env=env, timeout=300, check=False)
        assert runs[jobs].returncode == 1, runs[jobs].stderr
        assert counts(report) == ("3", "1", "0")
        assert [case.tag for case in cases(report)["wrong_balance"]] == ["failure"]
    assert same_every_time(runs["2"].stdout) == same_every_time(runs["1"].stdout)
    assert runs["2"].stdout.splitlines()[-1] == "2 passed, 1 failed"
    assert runs["2"].stderr == runs["1"].stderr == ""
    assert (cases(tmp_path / "junit-2.xml")["wrong_balance"][0].text ==
            cases(tmp_path / "junit-1.xml")["wrong_balance"][0].text)
