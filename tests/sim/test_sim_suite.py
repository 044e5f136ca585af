"""A folder of scripts as a suite: in order, each on its own database, one after another or
several at once in worker processes, with the same output and results either way."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from ivr.sim.suite import MAX_JOBS, SuiteRun, run_script_dir, run_suite
from tests.sim.script_folder_helpers import (
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


def run_folder(app: Flask, folder: Path, jobs: int = 1) -> tuple[SuiteRun, list[str]]:
    """The suite's runs and every line it printed."""
    printed: list[str] = []
    suite = run_script_dir(app, folder, echo=printed.append, jobs=jobs)
    return suite, printed


def test_a_folder_runs_in_order_each_script_kept_whole(demo_app: Flask, tmp_path: Path) -> None:
    folder = two_pass_one_fails(tmp_path / "calls")
    suite, printed = run_folder(demo_app, folder)
    assert [run.path.name for run in suite.runs] == \
        ["balance.yaml", "hang_up.yaml", "wrong_balance.yaml"]
    assert [run.passed for run in suite.runs] == [True, True, False]
    assert suite.passed == 2
    balance, hang_up, wrong = suite.runs
    assert balance.output[-1] == "PASS The balance after the PIN (6 steps)"
    assert hang_up.output[0] == "IVR: Para español, oprima 9."
    assert hang_up.output[-2:] == ("caller hangs up", "PASS Hang up at once (2 steps)")
    assert wrong.failure is not None and wrong.error is None
    assert wrong.failure.startswith("Script 'A balance the account does not have' failed at "
                                    'step 4 (expect: "You owe one hundred dollars."):')
    assert wrong.verdict == f"FAIL wrong_balance.yaml\n{wrong.failure}"
    # What was printed: each script's lines whole, its FAIL block after it, then the count.
    assert printed == [*balance.output, *hang_up.output, *wrong.output, wrong.verdict,
                       "2 passed, 1 failed"]
    assert all(run.seconds > 0 for run in suite.runs)


def test_a_script_that_cannot_be_read_is_an_error_not_a_failure(demo_app: Flask,
                                                                 tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "calls", broken=UNREADABLE, hang_up=HANG_UP)
    suite, printed = run_folder(demo_app, folder)
    broken = suite.runs[0]
    assert broken.error == "step 1: unknown step 'pres'"
    assert broken.failure is None and not broken.passed
    assert printed[:2] == ["FAIL broken.yaml\nstep 1: unknown step 'pres'",
                           "IVR: Para español, oprima 9."]
    assert printed[-1] == "1 passed, 1 failed"


@pytest.mark.slow
def test_scripts_at_once_give_what_one_after_another_gives(demo_app: Flask,
                                                           tmp_path: Path) -> None:
    folder = two_payments(tmp_path / "calls")
    write_folder(folder, wrong_balance=WRONG_BALANCE, broken=UNREADABLE)
    one_by_one, printed_one_by_one = run_folder(demo_app, folder)
    at_once, printed_at_once = run_folder(demo_app, folder, jobs=2)

    def results(suite: SuiteRun) -> list[tuple[str, str | None, str | None]]:
        return [(run.path.name, run.failure, run.error) for run in suite.runs]

    assert results(at_once) == results(one_by_one)
    # Both payments pass: each script had a database of its own, in its worker too.
    assert [run.passed for run in at_once.runs] == [False, True, True, False]
    assert [same_every_time(line) for line in printed_at_once] == \
        [same_every_time(line) for line in printed_one_by_one]
    assert printed_at_once[-1] == "2 passed, 2 failed"
    wrong = at_once.runs[-1]
    assert wrong.failure is not None and "turn 2  caller presses <PIN, 4 digits>" in wrong.failure
    assert PIN not in wrong.failure


def test_only_the_lines_own_app_runs_scripts_at_once(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "calls", a=HANG_UP, b=HANG_UP)
    paths = sorted(folder.glob("*.yaml"))
    with pytest.raises(ValueError, match="only in process"):
        run_suite(menu_app(), paths, jobs=2)  # another app: its data is shared by every call
    for jobs in (0, MAX_JOBS + 1):
        with pytest.raises(ValueError, match=f"jobs must be from 1 to {MAX_JOBS}"):
            run_suite(menu_app(), paths, jobs=jobs)


def _kill_the_workers(stuck: Path) -> None:
    """Kill every worker process once the pool has started (the script ``stuck``, a FIFO
    nobody writes to, keeps one busy); after a minute, unblock it instead of hanging."""
    deadline = time.monotonic() + 60
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    for worker in multiprocessing.active_children():
        worker.kill()
    try:
        descriptor = os.open(stuck, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return  # no reader left: the worker that held it is gone
    os.write(descriptor, HANG_UP.encode())
    os.close(descriptor)


@pytest.mark.slow
def test_a_worker_process_that_dies_fails_its_scripts_and_the_run_still_reports(
        demo_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed (the kernel's OOM killer, a crash in a C extension) is an error of the
    scripts it had, not the end of the run: the others are told, and --junit is written."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where a killed worker's scratch copy stays
    folder = write_folder(tmp_path / "calls", b_hang_up=HANG_UP)
    stuck = folder / "a_stuck.yaml"
    os.mkfifo(stuck)
    killer = threading.Thread(target=_kill_the_workers, args=(stuck,))
    killer.start()
    try:
        suite, printed = run_folder(demo_app, folder, jobs=2)
    finally:
        killer.join()
    assert [run.path.name for run in suite.runs] == ["a_stuck.yaml", "b_hang_up.yaml"]
    stuck_run = suite.runs[0]
    assert stuck_run.error is not None and "a worker process died" in stuck_run.error
    assert printed[0] == f"FAIL a_stuck.yaml\n{stuck_run.error}"
    assert printed[-1].endswith(" failed")
