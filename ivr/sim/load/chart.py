"""The load report's charts, drawn as SVG elements (no plotting library).

``latency_chart``: the p50, p95 and p99 response times of the requests started in each
second of the run, a line each (a second without requests leaves a gap).
``throughput_chart``: the requests started in each second, failed ones in red.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from ivr.sim.load.stats import SecondPoint

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 110, 24, 36  # margins: axis labels left, legend right
SVG_NS = "http://www.w3.org/2000/svg"
LINES = (("p50", "#1f77b4"), ("p95", "#ff7f0e"), ("p99", "#d62728"))
OK_COLOUR, ERROR_COLOUR = "#7f9fbf", "#d62728"
TICKS = 5


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


@dataclass(frozen=True)
class Frame:
    """Where ``seconds`` seconds and values up to ``top`` go on the plot."""

    seconds: int
    top: float

    def x(self, second: float) -> float:
        """The middle of ``second`` across the plot."""
        return LEFT + (second + 0.5) * (WIDTH - LEFT - RIGHT) / self.seconds

    def y(self, value: float) -> float:
        """``value`` up the plot (0 at the bottom)."""
        return TOP + (1 - value / self.top) * (HEIGHT - TOP - BOTTOM)


def _attribute(value: object) -> str:
    """An attribute's text: a coordinate to a tenth of a pixel."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: object) -> ET.Element:
    element = ET.SubElement(parent, tag, {key.replace("_", "-"): _attribute(value)
                                          for key, value in attributes.items()})
    element.text = text
    return element


def _canvas(title: str, label: str) -> ET.Element:
    svg = ET.Element("svg", {"xmlns": SVG_NS, "width": str(WIDTH), "height": str(HEIGHT),
                             "viewBox": f"0 0 {WIDTH} {HEIGHT}", "role": "img"})
    _add(svg, "title", title)
    _add(svg, "text", label, x=4, y=14)
    return svg


def _axes(svg: ET.Element, frame: Frame, unit: str) -> None:
    """The value axis with its ticks, and the seconds along the bottom."""
    bottom = HEIGHT - BOTTOM
    _add(svg, "line", x1=LEFT, y1=TOP, x2=LEFT, y2=bottom, stroke="#888")
    _add(svg, "line", x1=LEFT, y1=bottom, x2=WIDTH - RIGHT, y2=bottom, stroke="#888")
    for tick in range(TICKS + 1):
        value = frame.top * tick / TICKS
        y = frame.y(value)
        _add(svg, "line", x1=LEFT, y1=y, x2=WIDTH - RIGHT, y2=y, stroke="#eee")
        _add(svg, "text", f"{value:g} {unit}".strip(), x=LEFT - 6, y=y + 4, text_anchor="end")
    every = max(1, math.ceil(frame.seconds / 10))
    for second in range(0, frame.seconds, every):
        _add(svg, "text", f"{second}s", x=frame.x(second), y=bottom + 16, text_anchor="middle")


def _legend(svg: ET.Element, entries: list[tuple[str, str]]) -> None:
    for row, (name, colour) in enumerate(entries):
        y = TOP + 14 + row * 18
        _add(svg, "rect", x=WIDTH - RIGHT + 12, y=y - 9, width=12, height=10, fill=colour)
        _add(svg, "text", name, x=WIDTH - RIGHT + 30, y=y)


def _value_runs(series: list[SecondPoint],
                value: Callable[[SecondPoint], float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive seconds that have a value, as runs of (second, value)."""
    runs: list[list[tuple[int, float]]] = [[]]
    for point in series:
        measured = value(point)
        if measured is None:
            runs.append([])
        else:
            runs[-1].append((point.second, measured))
    return [run for run in runs if run]


def latency_chart(series: list[SecondPoint]) -> ET.Element:
    """p50/p95/p99 response time per second, in milliseconds."""
    highest = max((point.p99 or 0.0 for point in series), default=0.0) * 1000
    frame = Frame(max(1, len(series)), nice_top(highest))
    svg = _canvas("Response time per second (p50, p95, p99)", "response time")
    _axes(svg, frame, "ms")
    for name, colour in LINES:
        for run in _value_runs(series, attrgetter(name)):
            points = " ".join(f"{frame.x(second):.1f},{frame.y(seconds * 1000):.1f}"
                              for second, seconds in run)
            _add(svg, "polyline", points=points, fill="none", stroke=colour, stroke_width=2,
                 **{"class": name})
    _legend(svg, list(LINES))
    return svg


def throughput_chart(series: list[SecondPoint]) -> ET.Element:
    """Requests started per second; the failed part of each bar in red."""
    frame = Frame(max(1, len(series)), nice_top(max((p.requests for p in series), default=0)))
    svg = _canvas("Requests per second", "requests per second")
    _axes(svg, frame, "")
    width = max(1.0, (WIDTH - LEFT - RIGHT) / frame.seconds - 2)
    for point in series:
        x = frame.x(point.second) - width / 2
        for count, colour, name in ((point.requests, OK_COLOUR, "requests"),
                                    (point.errors, ERROR_COLOUR, "errors")):
            if count:
                top = frame.y(count)
                _add(svg, "rect", x=x, y=top, width=width, height=HEIGHT - BOTTOM - top,
                     fill=colour, **{"class": name})
    _legend(svg, [("requests", OK_COLOUR), ("failed", ERROR_COLOUR)])
    return svg
