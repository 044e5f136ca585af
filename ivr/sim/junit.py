"""A run of call scripts as JUnit XML (``ivr call --script DIR --junit FILE``), for CI servers.

The usual shape (pytest's, Jenkins', GitLab's and GitHub's readers take it): a
``<testsuites>`` root holding one ``<testsuite>`` named after the scripts' folder, with the
counts (``tests``, ``failures``, ``errors``, ``skipped``), when it started and how long it
took; in it one ``<testcase>`` per script, in the order they ran: ``classname`` the folder's
name, ``name`` the script file's stem, ``file`` its path, ``time`` the wall seconds it took
(its fresh database included). A script whose expectation did not hold has a ``<failure>``
(``message``: the report's first line; its text: the whole report, as printed); one that could
not run (malformed YAML, an unknown step) has an ``<error>``. The reports mask what a caller
keyed for a secret (:mod:`ivr.sim.keyed`); the transcripts, which do not, are left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ivr.sim.suite import ScriptRun, SuiteRun

# Characters XML 1.0 cannot hold at all, escaped or not (an app error's body may have some).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """``value`` as XML can hold it: each character it cannot, as U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _counts(element: ET.Element, suite: SuiteRun) -> None:
    """Set the counts every reader looks for."""
    failures = sum(run.failure is not None for run in suite.runs)
    errors = sum(run.error is not None for run in suite.runs)
    element.attrib.update(tests=str(len(suite.runs)), failures=str(failures),
                          errors=str(errors), skipped="0", time=_seconds(suite.seconds))


def _testcase(parent: ET.Element, run: ScriptRun, classname: str) -> None:
    case = ET.SubElement(parent, "testcase", classname=classname, name=run.path.stem,
                         file=str(run.path), time=_seconds(run.seconds))
    if run.passed:
        return
    tag, text = ("failure", run.failure) if run.failure is not None else ("error", run.error)
    kind = "ScriptFailure" if tag == "failure" else "ScriptError"
    report = _text(text or "").strip()
    outcome = ET.SubElement(case, tag, message=report.splitlines()[0] if report else tag,
                            type=kind)
    outcome.text = report


def junit_xml(suite: SuiteRun, name: str) -> str:
    """The suite as a JUnit XML document; ``name`` names the suite and each case's class."""
    root = ET.Element("testsuites", name="ivr call")
    _counts(root, suite)
    testsuite = ET.SubElement(root, "testsuite", name=name)
    _counts(testsuite, suite)
    # Local time without a zone, as the JUnit schema (Ant's) has it.
    started = suite.started.astimezone().replace(tzinfo=None)
    testsuite.set("timestamp", started.isoformat(timespec="seconds"))
    for run in suite.runs:
        _testcase(testsuite, run, name)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
