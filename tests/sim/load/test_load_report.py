"""What ``ivr load`` prints, and its report: an HTML page (read back as a document) with an
SVG of the response time per second and one of the requests per second, and the tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ivr.sim.load.chart import nice_top
from ivr.sim.load.report import html_report, summary_text, svg_report
from ivr.sim.load.stats import summarise
from tests.load_helpers import (
    SVG,
    polyline_points,
    recorded_run,
    report_svgs,
    report_tables,
)


def test_the_text_lists_calls_errors_mismatches_and_a_row_per_turn() -> None:
    lines = summary_text(summarise(recorded_run(), elapsed=3.0, window=2.0))

    assert lines[:7] == [
        "Requests: 5 in 3.0 s; 1.5 per second while calls were started (the first 2.0 s)",
        "Calls: 1 completed, 1 cut at the end, 2 failed",
        "Errors: 2 (HTTP error 1, apology 1)",
        "Expectation mismatches: 1 call",
        "  b: step 3 (expect): 1",
        "",
        "turn        requests  p50 ms  p95 ms  p99 ms  max ms  errors",
    ]
    assert [line.split() for line in lines[7:]] == [
        ["pin", "3", "30.0", "50.0", "50.0", "50.0", "1"],
        ["call", "start", "2", "2.0", "4.0", "4.0", "4.0", "0"],
        ["all", "5", "10.0", "50.0", "50.0", "50.0", "1"],
    ]


def test_the_html_report_has_the_tables_and_a_point_per_second() -> None:
    page = html_report(summarise(recorded_run(), elapsed=3.0, window=2.0), "a <b> & c")

    tables = report_tables(page)
    assert [row[0] for row in tables["turns"]] == ["turn", "pin", "call start", "all"]
    assert [row[:3] for row in tables["seconds"]] == [
        ["second", "requests", "errors"], ["0", "3", "0"], ["1", "0", "0"], ["2", "2", "1"]]
    assert "a &lt;b&gt; &amp; c" in page


def test_the_latency_chart_draws_each_second_with_requests() -> None:
    summary = summarise(recorded_run(), elapsed=3.0, window=2.0)
    latency, throughput = report_svgs(html_report(summary, "x"))

    p50, p99 = polyline_points(latency, "p50"), polyline_points(latency, "p99")
    # Seconds 0 and 2 had requests, second 1 none: a point each, a gap between.
    assert len(p50) == len(p99) == 2
    assert len([line for line in latency.iter(f"{SVG}polyline")
                if line.get("class") == "p50"]) == 2
    assert p50[0][0] < p50[1][0]
    assert p99[1][1] < p50[1][1]  # second 2: its p99 (50 ms) is drawn above its p50 (4 ms)
    bars = [rect.get("class") for rect in throughput.iter(f"{SVG}rect")]
    assert (bars.count("requests"), bars.count("errors")) == (2, 1)


def test_the_svg_report_is_a_document_of_its_own() -> None:
    chart = ET.fromstring(svg_report(summarise(recorded_run(), elapsed=3.0, window=2.0)))

    assert chart.tag == f"{SVG}svg"
    assert len(polyline_points(chart, "p95")) == 2


def test_the_value_axis_ends_at_a_round_number() -> None:
    assert [nice_top(value) for value in (0, 0.4, 1, 3, 12, 180, 201)] == \
        [1, 1, 1, 5, 20, 200, 500]
