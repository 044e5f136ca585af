"""A load test's results: the text ``ivr load`` prints, and its HTML (or SVG) report.

The report is one self-contained page: the summary, an inline SVG of the response time
over the run (p50, p95 and p99 of the requests started in each second), one of the
requests per second (failed ones in red), and the same numbers as tables.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

from ivr.sim.load.chart import latency_chart, throughput_chart
from ivr.sim.load.stats import COMPLETED, CUT, FAILED, LoadSummary, TurnStats

HEADINGS = ("turn", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.1f}"


def _cells(stats: TurnStats) -> tuple[str, ...]:
    return (stats.turn, str(stats.requests), _ms(stats.p50), _ms(stats.p95), _ms(stats.p99),
            _ms(stats.slowest), str(stats.errors))


def _rows(summary: LoadSummary) -> list[tuple[str, ...]]:
    """The table of turns, busiest first, then all of them together."""
    overall = [_cells(summary.overall)] if summary.overall else []
    return [_cells(stats) for stats in summary.turns] + overall


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{what} {count}" for what, count in sorted(counts.items()))


def headline(summary: LoadSummary) -> list[str]:
    """Requests, calls, errors and mismatches, a line each."""
    calls = summary.calls
    errors = sum(summary.errors.values())
    mismatched = sum(summary.mismatches.values())
    lines = [
        f"Requests: {summary.requests} in {summary.elapsed:.1f} s; "
        f"{summary.per_second:.1f} per second while calls were started "
        f"(the first {summary.window:.1f} s)",
        f"Calls: {calls[COMPLETED]} completed, {calls[CUT]} cut at the end, "
        f"{calls[FAILED]} failed",
        f"Errors: {errors} ({_counted(summary.errors)})" if errors else "Errors: 0",
        f"Expectation mismatches: {mismatched} call{'' if mismatched == 1 else 's'}"
        if mismatched else "Expectation mismatches: 0",
    ]
    lines += [f"  {where}: {count}" for where, count in sorted(summary.mismatches.items())]
    return lines


def text_table(summary: LoadSummary) -> list[str]:
    """Response times per turn and overall, aligned in columns."""
    rows = [HEADINGS, *_rows(summary)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADINGS))]
    return ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                      for column, (cell, width) in enumerate(zip(row, widths, strict=True)))
            .rstrip() for row in rows]


def summary_text(summary: LoadSummary) -> list[str]:
    """Everything ``ivr load`` prints at the end."""
    return [*headline(summary), "", *text_table(summary)]


def _table(headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in headings)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _per_second_rows(summary: LoadSummary) -> list[tuple[str, ...]]:
    return [(str(point.second), str(point.requests), str(point.errors), _ms(point.p50),
             _ms(point.p95), _ms(point.p99)) for point in summary.series]


_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg text { font-size: 11px; fill: #444; }
"""


def html_report(summary: LoadSummary, title: str) -> str:
    """The self-contained HTML page for ``summary``; ``title`` says what was run."""
    charts = "\n".join(ET.tostring(chart, encoding="unicode")
                       for chart in (latency_chart(summary.series),
                                     throughput_chart(summary.series)))
    facts = "".join(f"<li>{html.escape(line.strip())}</li>" for line in headline(summary))
    per_second = ("second", "requests", "errors", "p50 ms", "p95 ms", "p99 ms")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body><h1>Load test</h1>
<p id="run">{html.escape(title)}</p>
<ul id="summary">{facts}</ul>
<h2>Response time over the run</h2>
{charts}
<h2>Per turn</h2>
<div id="turns">{_table(HEADINGS, _rows(summary))}</div>
<h2>Per second</h2>
<div id="seconds">{_table(per_second, _per_second_rows(summary))}</div>
</body></html>
"""


def svg_report(summary: LoadSummary) -> str:
    """The latency chart alone, as an SVG document."""
    return ET.tostring(latency_chart(summary.series), encoding="unicode",
                       xml_declaration=True)
