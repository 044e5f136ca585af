"""JUnit XML of a suite of scripts, read back as a CI server reads it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from ivr.sim.junit import junit_xml
from ivr.sim.suite import ScriptRun, SuiteRun

FAILURE = ("Script 'Wrong' failed at step 4 (expect: \"You owe <nothing> & more\"):\n"
           "the call so far:\n  turn 1  caller presses <PIN, 4 digits>")
SUITE = SuiteRun(
    [ScriptRun(Path("calls/balance.yaml"), ("PASS Balance (6 steps)",), seconds=0.4321),
     ScriptRun(Path("calls/broken.yaml"), error="step 1: unknown step 'pres'"),
     ScriptRun(Path("calls/wrong.yaml"), ("IVR: Hello.",), failure=FAILURE, seconds=1.5)],
    started=datetime(2026, 11, 21, 9, 30, tzinfo=UTC), seconds=2.25)


def parsed(suite: SuiteRun = SUITE, name: str = "calls") -> ET.Element:
    return ET.fromstring(junit_xml(suite, name))


def test_one_suite_with_the_counts() -> None:
    root = parsed()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    for element in (root, suite):
        assert {key: element.get(key) for key in ("tests", "failures", "errors", "skipped")} \
            == {"tests": "3", "failures": "1", "errors": "1", "skipped": "0"}
        assert element.get("time") == "2.250"
    assert suite.get("name") == "calls"
    started = datetime.fromisoformat(suite.get("timestamp") or "")
    assert started.tzinfo is None  # the JUnit schema's form: local time, no zone
    assert started.astimezone(UTC) == SUITE.started


def test_one_case_a_script_in_order_named_by_its_file() -> None:
    cases = parsed().findall("testsuite/testcase")
    assert [(case.get("classname"), case.get("name")) for case in cases] == \
        [("calls", "balance"), ("calls", "broken"), ("calls", "wrong")]
    assert [case.get("time") for case in cases] == ["0.432", "0.000", "1.500"]
    assert cases[0].get("file") == str(Path("calls/balance.yaml"))
    assert list(cases[0]) == []  # a pass has nothing in it


def test_a_failure_has_its_first_line_as_message_and_the_whole_report() -> None:
    wrong = parsed().find("testsuite/testcase[@name='wrong']")
    assert wrong is not None
    (failure,) = list(wrong)
    assert failure.tag == "failure"
    assert failure.get("type") == "ScriptFailure"
    assert failure.get("message") == FAILURE.splitlines()[0]
    assert failure.text == FAILURE


def test_a_script_that_could_not_run_is_an_error() -> None:
    broken = parsed().find("testsuite/testcase[@name='broken']")
    assert broken is not None
    (error,) = list(broken)
    assert (error.tag, error.get("type")) == ("error", "ScriptError")
    assert error.get("message") == error.text == "step 1: unknown step 'pres'"


def test_characters_xml_cannot_hold_are_replaced() -> None:
    run = ScriptRun(Path("x.yaml"), failure="application-error: HTTP 500\nbody \x1b[31m\x00end")
    failure = parsed(SuiteRun([run]), "x").find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.text == "application-error: HTTP 500\nbody \ufffd[31m\ufffdend"


def test_an_empty_report_still_has_a_message() -> None:
    run = ScriptRun(Path("x.yaml"), failure="")
    failure = parsed(SuiteRun([run]), "x").find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == "failure"
