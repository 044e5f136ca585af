"""The capacity benchmark (``python -m benchmarks.capacity``) cannot rot unseen: run at its
smallest size (``--smoke``: 3 calls a database, 50 and 100 rows, 5 callers for 2 s), it
produces every figure of issue 12's Targets, each judged, and counts what it should.

These check what was counted and produced, never how fast: the speed targets are for the
benchmark itself to report, on the machine it runs on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.capacity.cli import main
from benchmarks.capacity.databases import caller_ids, phone_of
from benchmarks.capacity.figures import FAIL, INFO, NOT_RUN, PASS, Figure, Target, amount
from benchmarks.capacity.imports import ImportPlan, import_section
from benchmarks.capacity.load import steady_summary
from benchmarks.capacity.machine import THIS_IVR
from ivr.logs import logging_restorer
from ivr.phones import to_e164
from ivr.settings_values import normalise_database_url
from ivr.sim.load.stats import Recorder, Sample
from tests.app_helpers import PG_URL
from tests.import_graph import ROOT

DATABASES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
SCALED = DATABASES[-1]  # the accounts are scaled up on PostgreSQL when there is one
TURNS = ("menu turn", "PIN turn", "authorising turn", "charge (caller holding)")
TURN_KINDS = ("balance and pay menu", "pin", "authorise", "charge (caller holding)")
SMOKE_CALLS = 3


def expected_figures() -> dict[str, str | None]:
    """Every figure a smoke run must print, with its target (None: shown for context)."""
    figures: dict[str, str | None] = {}
    for database in DATABASES:
        figures[f"{database}: PIN turn ÷ menu turn"] = "<= 1.5"
        figures.update({f"{database}: {turn} ÷ stateful floor": "<= 2.0" for turn in TURNS})
    figures.update({f"{SCALED}: {turn} at 1,000 ÷ at 100 accounts": "<= 1.2"
                    for turn in TURNS})
    for rows in ("50", "100"):
        figures[f"import {rows} rows: rows/s"] = ">= 10000"
        figures[f"import {rows} rows: peak memory"] = "< 300"
        figures[f"re-import {rows} rows unchanged: speed-up"] = ">= 3"
    runs = {"realistic, 5 callers, 0.2 s think": (None, None, None),
            "saturation, 5 callers, no think": (">= 430.0", None, None),
            "capacity, 5 callers, 0.2 s think": (None, "< 250.0", "== 0")}
    for run, (rate, p99, errors) in runs.items():
        figures.update({f"{run}: requests/s": rate, f"{run}: p99": p99,
                        f"{run}: errors": errors})
    return figures


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str]]:
    """One smoke run as a reader runs it: its JSON and what it printed."""
    results = tmp_path_factory.mktemp("capacity") / "capacity.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.capacity", "--smoke",
                          "--database-url", PG_URL, "--json", str(results)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    yield json.loads(results.read_text(encoding="utf-8")), run.stdout


def _target(figure: dict[str, Any]) -> str | None:
    target = figure["target"]
    return None if target is None else f"{target['op']} {target['value']:g}"


@pytest.mark.slow  # a real `ivr serve`, imports as child processes, calls on two databases
def test_a_smoke_run_measures_every_figure_and_judges_each_against_its_target(
        smoke: tuple[dict[str, Any], str]) -> None:
    document, printed = smoke
    figures = {figure["name"]: figure for figure in document["figures"]}
    assert {name: _target(figure) for name, figure in figures.items()} == \
        {name: None if target is None else f"{target.split()[0]} {float(target.split()[1]):g}"
         for name, target in expected_figures().items()}
    assert all(isinstance(figure["measured"], int | float) for figure in figures.values())
    assert {figure["result"] for figure in figures.values() if figure["target"]} <= {PASS, FAIL}
    summary = printed[printed.index("== Summary"):]
    assert all(name in summary for name in figures)


@pytest.mark.slow
def test_the_machine_is_printed_first_and_kept(smoke: tuple[dict[str, Any], str]) -> None:
    document, printed = smoke
    machine = document["machine"]
    assert printed.startswith(f"Machine: {machine['cpu']}, {machine['cores']} cores, ")
    assert (machine["postgresql"] is not None) == bool(PG_URL)
    assert f"PostgreSQL {machine['postgresql']}" in printed.splitlines()[0] or not PG_URL
    assert document["mode"] == "smoke" and len(machine["load_average_at_end"]) == 3


@pytest.mark.slow
def test_each_call_is_one_turn_of_each_kind_and_each_request_one_of_each_floor(
        smoke: tuple[dict[str, Any], str]) -> None:
    runs = smoke[0]["sections"]["turns"]["runs"]
    assert [(run["database"], run["accounts"]) for run in runs] == \
        [*((database, 100) for database in DATABASES), (SCALED, 1_000)]
    assert smoke[0]["sections"]["scale"]["runs"] == runs[-2:]
    for run in runs:
        kinds = {kind["kind"]: kind for kind in run["kinds"]}
        assert [kinds[kind]["requests"] for kind in TURN_KINDS] == [SMOKE_CALLS] * 4
        floors = [kinds.pop("fixed floor")["requests"], kinds.pop("stateful floor")["requests"]]
        assert floors == [sum(kind["requests"] for kind in kinds.values())] * 2


@pytest.mark.slow
def test_the_stateful_floor_locks_and_writes_one_row_in_one_transaction(
        smoke: tuple[dict[str, Any], str]) -> None:
    for run in smoke[0]["sections"]["turns"]["runs"]:
        kinds = {kind["kind"]: kind for kind in run["kinds"]}
        # SELECT ... FOR UPDATE and UPDATE; SQLite's BEGIN IMMEDIATE is its FOR UPDATE.
        statements = 3 if run["database"] == "sqlite" else 2
        assert (kinds["stateful floor"]["statements"], kinds["stateful floor"]
                ["transactions"]) == (statements, 1)
        assert (kinds["fixed floor"]["statements"], kinds["fixed floor"]["transactions"]) == \
            (0, 0)
        assert kinds["pin"]["statements"] > statements  # the line's turns were counted too


@pytest.mark.slow
def test_every_load_run_sent_requests_and_none_failed(
        smoke: tuple[dict[str, Any], str]) -> None:
    runs = smoke[0]["sections"]["load"]["runs"]
    assert [run["label"].split(",")[0] for run in runs] == ["realistic", "saturation",
                                                            "capacity"]
    for run in runs:
        assert run["requests"] > 0 and run["errors"] == {}
        assert sum(turn["requests"] for turn in run["turns"]) == run["requests"]


@pytest.fixture
def import_url() -> str | None:
    """The PostgreSQL the import runs on (None: SQLite), as the benchmark takes it."""
    return normalise_database_url(PG_URL) if PG_URL else None


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """An in-process line logs to /dev/null, as the benchmark's do; not for later tests."""
    restore = logging_restorer()
    yield
    restore()


@pytest.mark.slow  # imports as child processes
def test_a_larger_import_expected_over_the_budget_is_skipped_and_says_how_long(
        import_url: str | None, tmp_path: Path) -> None:
    section = import_section(THIS_IVR, import_url, tmp_path,
                             ImportPlan((20, 100_000_000), 300, 60),
                             say=lambda _message: None)
    figures = {figure.name: figure for figure in section.figures}
    assert figures["import 20 rows: rows/s"].measured is not None
    skipped = figures["import 100,000,000 rows: rows/s"]
    assert skipped.result == NOT_RUN and skipped.note.startswith("skipped: at ")
    assert "min, over the budget of 1 min" in skipped.note
    assert [run["import"]["rows"] for run in section.details["runs"]] == [20]  # type: ignore[attr-defined, index]


@pytest.mark.slow
def test_an_import_over_its_time_limit_is_stopped_and_not_imported_again(
        import_url: str | None, tmp_path: Path) -> None:
    section = import_section(THIS_IVR, import_url, tmp_path, ImportPlan((50,), 0.01, 60),
                             say=lambda _message: None)
    rate, _, again = section.figures
    assert rate.note.startswith("stopped after") and rate.result == NOT_RUN
    assert again.result == NOT_RUN and again.note == "the import did not finish"


def test_a_figure_is_judged_by_its_target_and_unmeasured_is_never_a_pass() -> None:
    at_most = Target("<=", 1.5)
    assert Figure("turns", "ratio", 1.5, "x", at_most).result == PASS
    assert Figure("turns", "ratio", 1.51, "x", at_most).result == FAIL
    assert Figure("load", "errors", 0, "", Target("==", 0)).result == PASS
    assert Figure("load", "rate", 99.0, "requests/s").result == INFO
    assert Figure("import", "rate", None, "rows/s", Target(">=", 1)).result == NOT_RUN
    assert (amount(2.314, "x"), amount(12034.4, "rows/s"), amount(0, "")) == \
        ("2.31x", "12,034 rows/s", "0")
    with pytest.raises(ValueError, match="unknown comparison"):
        Target("=>", 1)


def test_generated_accounts_have_real_telephones_a_mix_can_draw_from() -> None:
    assert caller_ids(10_000) == "+1650200XXXX" and caller_ids(1_000_000) == "+16502XXXXXX"
    assert [to_e164(phone_of(n)) for n in (0, 9_999, 999_999)] == \
        ["+16502000000", "+16502009999", "+16502999999"]
    with pytest.raises(ValueError, match="powers of ten"):
        caller_ids(5_000)


def test_a_load_runs_figures_count_only_the_requests_sent_once_settled_and_before_the_end(
        ) -> None:
    recorder = Recorder(clock=lambda: 0.0)
    recorder.samples = [Sample(0.4, "call start", 9.0), Sample(0.5, "pin", 0.1),
                        Sample(1.9, "pin", 0.2, "timeout"), Sample(2.0, "status callback", 3.0)]
    steady = steady_summary(recorder, start=0.5, end=2.0)
    assert steady.requests == 2 and dict(steady.errors) == {"timeout": 1}
    assert steady.overall is not None and steady.overall.slowest == 0.2
    assert steady.per_second == 2 / 1.5
    assert [point.requests for point in steady.series] == [1, 1]


@pytest.mark.parametrize(("args", "message"), [
    (["--only", "turns,speed"], "--only: no part named speed (the parts: turns, import, load)"),
    (["--database-url", "sqlite:///x.db"], "--database-url: a postgresql:// URL"),
    (["--ivr", "/nonexistent/ivr"], "--ivr: /nonexistent/ivr is not a command that can be run"),
])
def test_a_bad_option_is_one_line_and_exit_2(args: list[str], message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--smoke", *args])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == \
        f"python -m benchmarks.capacity: error: {message}"


def test_a_database_that_does_not_answer_is_one_error_line_and_exit_1(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["--smoke", "--database-url", "postgresql://postgres@127.0.0.1:9/none",
                 "--json", str(tmp_path / "capacity.json")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "capacity.json").exists()
