"""``ivr load``: bad input is one error line and exit 2 before anything is called; a run
prints its numbers, writes its report and exits 1 when anything failed."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from ivr.cli import load as load_cli
from ivr.cli import main
from ivr.sim.load.mix import DEFAULT_MIX
from tests.import_graph import ROOT
from tests.load_helpers import (
    HANG_UP_SCRIPT,
    every_third_fails,
    report_svgs,
    report_tables,
    served,
    stub_line,
    write_mix,
)
from tests.server_helpers import free_port

QUICK = ["--callers", "3", "--think", "0.02", "--duration", "60", "--max-calls", "6"]


def ivr_load(*args: str) -> Result:
    return CliRunner().invoke(main, ["load", *args])


@pytest.mark.parametrize(("args", "message"), [
    ([], "--url is required: the base URL of a running server, such as http://127.0.0.1:5000"),
    (["--url", "ftp://127.0.0.1"], "--url: not an http(s) base URL such as "
                                   "http://127.0.0.1:5000: 'ftp://127.0.0.1'"),
    (["--url", "http://10.1.2.3:5000"], "--url: http://10.1.2.3:5000 is not this machine; to "
                                        "load another server, name it and add --allow-remote"),
    (["--url", "ivr.example.com"], "--url: http://ivr.example.com is not this machine; to load "
                                   "another server, name it and add --allow-remote"),
    (["--url", "http://user:pw@127.0.0.1:5000"], "--url: leave the user name and password "
                                                 "out (the line's webhooks are signed, not "
                                                 "logged in to)"),
    (["--callers", "2001"], "--callers must be from 1 to 2000, got 2001"),
    (["--callers", "ten"], "--callers: 'ten' is not a whole number"),
    (["--duration", "3601"], "--duration must be from 0.1 to 3600, got 3601"),
    (["--duration", "inf"], "--duration: 'inf' is not a number of seconds"),
    (["--think", "-2"], "--think must be from 0 to 60, got -2"),
    (["--ramp", "-1"], "--ramp must be from 0 to 3600, got -1"),
    (["--ramp", "soon"], "--ramp: 'soon' is not a number of seconds"),
    (["--max-calls", "0"], "--max-calls must be at least 1, got 0"),
    (["--timeout", "0"], "--timeout must be from 0.1 to 60, got 0"),
    (["--report", "out.png"], "--report: out.png must end in .html or .svg"),
    (["--report", "nowhere/out.html"], "--report: no directory nowhere"),
    (["--mix", "none.yaml"], "--mix: none.yaml: [Errno 2] No such file or directory: "
                             "'none.yaml'"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    url = [] if not args or args[0] == "--url" else ["--url", "http://127.0.0.1:9"]
    result = ivr_load(*url, "--mix", str(ROOT / DEFAULT_MIX), *args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_the_default_mix_is_the_checkouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = ivr_load("--url", "http://127.0.0.1:9")

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --mix: {DEFAULT_MIX}: ")
    assert result.stderr.endswith("(the default mix is in the checkout: run from there, or give "
                                  "--mix)\n")


def test_no_server_is_one_line_and_exit_1() -> None:
    port = free_port()
    result = ivr_load("--url", f"127.0.0.1:{port}", "--mix", str(ROOT / DEFAULT_MIX))

    assert (result.exit_code, result.stderr) == (
        1, f"error: no server answers at http://127.0.0.1:{port}\n")


def test_a_run_prints_its_numbers_and_writes_the_report(demo_app: Flask, tmp_path: Path) -> None:
    report = tmp_path / "load.html"
    with served(demo_app) as url:
        result = ivr_load("--url", url, "--mix", str(ROOT / DEFAULT_MIX), *QUICK,
                          "--report", str(report))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (f"ivr load: 3 callers, think 0.02 s, for 60 s against {url} "
                        f"(mix {ROOT / DEFAULT_MIX}, seed 0)")
    assert lines[2:5] == ["Calls: 6 completed, 0 cut at the end, 0 failed", "Errors: 0",
                          "Expectation mismatches: 0"]
    requests = int(re.match(r"Requests: (\d+) in", lines[1]).group(1))  # type: ignore[union-attr]
    assert lines[-1].split()[:2] == ["all", str(requests)]
    assert result.stderr == ("warning: the scripts' IVR_TODAY cannot be applied to a running "
                             f"server; ignored\nReport written to {report}\n")
    page = report.read_text()
    seconds = report_tables(page)["seconds"][1:]
    assert sum(int(row[1]) for row in seconds) == requests
    assert len(report_svgs(page)) == 2


def test_errors_make_the_exit_status_1(tmp_path: Path) -> None:
    line, _ = stub_line(every_third_fails)
    mix = write_mix(tmp_path, "calls: [{script: bye.yaml}]\n", **{"bye.yaml": HANG_UP_SCRIPT})
    with served(line) as url:
        result = ivr_load("--url", url, "--mix", str(mix), *QUICK, "--report",
                          str(tmp_path / "load.svg"))

    assert result.exit_code == 1
    assert "Calls: 4 completed, 0 cut at the end, 2 failed\nErrors: 2 (HTTP error 2)\n" in \
        result.stdout
    assert (tmp_path / "load.svg").read_text().startswith("<?xml")


class Terminal(io.StringIO):
    """Standard error as a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with load_cli._progress(duration=2, grace=5) as progress:
        progress.running(1.0, (12, 3, 0))
        progress.finishing(2)
    assert "12 requests, 3 calls, 0 errors" in terminal.getvalue()
    assert "waiting up to 5 s for 2 calls in progress" in terminal.getvalue()

    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with load_cli._progress(duration=2, grace=5) as progress:
        progress.running(1.0, (12, 3, 0))
        progress.finishing(2)
    assert piped.getvalue() == ""
