"""A load test's numbers: nearest-rank percentiles per turn and overall, the errors and calls
counted, and a point for every second of the run."""

from __future__ import annotations

import pytest

from ivr.sim.load.stats import (
    APOLOGY,
    COMPLETED,
    CUT,
    FAILED,
    HTTP_ERROR,
    Recorder,
    percentile,
    summarise,
)
from tests.load_helpers import recorded_run


@pytest.mark.parametrize(("share", "expected"), [(50, 5), (95, 10), (99, 10), (10, 1), (11, 2)])
def test_percentiles_are_nearest_rank(share: float, expected: float) -> None:
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], share) == expected


def test_one_sample_is_every_percentile() -> None:
    assert [percentile([0.3], share) for share in (50, 95, 99)] == [0.3, 0.3, 0.3]


def test_the_summary_per_turn_and_overall() -> None:
    summary = summarise(recorded_run(), elapsed=3.0, window=2.0)

    pin = summary.turns[0]
    assert (pin.turn, pin.requests, pin.p50, pin.p95, pin.slowest, pin.errors) == \
        ("pin", 3, 0.030, 0.050, 0.050, 1)
    assert [stats.turn for stats in summary.turns] == ["pin", "call start"]
    assert summary.overall is not None and summary.overall.requests == summary.requests == 5
    assert (summary.sent_in_window, summary.per_second) == (3, 1.5)  # 3 in the first 2 s
    assert summary.errors == {HTTP_ERROR: 1, APOLOGY: 1}
    assert summary.calls == {COMPLETED: 1, CUT: 1, FAILED: 2}
    assert summary.mismatches == {"b: step 3 (expect)": 1}


def test_every_second_of_the_run_has_a_point_empty_ones_too() -> None:
    series = summarise(recorded_run(), elapsed=3.0, window=2.0).series

    assert [(point.second, point.requests, point.errors) for point in series] == \
        [(0, 3, 0), (1, 0, 0), (2, 2, 1)]
    assert (series[0].p50, series[0].p99) == (0.010, 0.030)
    assert (series[1].p50, series[1].p95, series[1].p99) == (None, None, None)


def test_a_run_without_requests() -> None:
    summary = summarise(Recorder(), elapsed=0.4)

    assert (summary.requests, summary.overall, summary.turns) == (0, None, [])
    assert [point.requests for point in summary.series] == [0]


def test_the_counts_shown_while_running() -> None:
    # Requests, calls ended, errors: the failed request, and the call that apologised.
    assert recorded_run().counts() == (5, 4, 2)
