"""For the load tests: the app served over HTTP from a thread, a stub line that fails on
purpose, mixes written on the fly, and the HTML report read back as a document."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask, Response
from werkzeug.serving import make_server

from ivr.sim.load.stats import (
    APOLOGY,
    COMPLETED,
    CUT,
    FAILED,
    HTTP_ERROR,
    CallRecord,
    Recorder,
    Sample,
)

SVG = "{http://www.w3.org/2000/svg}"
# A line that says goodbye at once: a call of it is its first request and the status callback.
GOODBYE = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Goodbye.</Say><Hangup/></Response>'
HANG_UP_SCRIPT = "name: Hear goodbye\nsteps:\n  - expect_end: ivr-hangup\n"


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``app`` served over HTTP on a loopback port, from threads of this process."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def stub_line(first_request: Callable[[int], Response | str]) -> tuple[Flask, list[int]]:
    """A line whose ``/voice`` answers ``first_request(n)`` for its n-th call (from 1), and
    whose status callback answers 200; also the list of every ``/voice`` call's n."""
    app = Flask("stub_line")
    numbers: list[int] = []
    lock = threading.Lock()

    @app.post("/voice")
    def voice() -> Response | str:
        with lock:
            numbers.append(len(numbers) + 1)
            number = numbers[-1]
        return first_request(number)

    @app.post("/voice/status")
    def status() -> str:
        return ""

    return app, numbers


def every_third_fails(number: int) -> Response | str:
    """HTTP 500 for calls 3, 6, 9...; goodbye for the others."""
    if number % 3 == 0:
        return Response("boom", status=500)
    return Response(GOODBYE, mimetype="text/xml")


def slow_goodbye(seconds: float) -> Callable[[int], Response | str]:
    """Goodbye, ``seconds`` late."""
    def answer(_number: int) -> Response | str:
        time.sleep(seconds)
        return Response(GOODBYE, mimetype="text/xml")
    return answer


def recorded_run() -> Recorder:
    """Requests in seconds 0 and 2 of a run (none in second 1), and four calls."""
    recorder = Recorder(clock=lambda: 0.0)
    for at, turn, seconds, error in [(0.1, "pin", 0.030, None), (0.5, "pin", 0.010, None),
                                     (0.9, "call start", 0.002, None),
                                     (2.2, "pin", 0.050, HTTP_ERROR),
                                     (2.7, "call start", 0.004, None)]:
        recorder.request(Sample(at, turn, seconds, error))
    for record in [CallRecord("a", COMPLETED), CallRecord("a", CUT), CallRecord("b", FAILED),
                   CallRecord("b", FAILED, APOLOGY, "b: step 3 (expect)")]:
        recorder.call(record)
    return recorder


def write_mix(folder: Path, text: str, **scripts: str) -> Path:
    """A mix file ``text`` in ``folder``, with ``scripts`` (file name: YAML) beside it."""
    for name, body in scripts.items():
        (folder / name).write_text(body, encoding="utf-8")
    path = folder / "mix.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class _Tables(HTMLParser):
    """The rows of each table, by the id of the element around it; and each inline SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.where = ""
        self.cell: list[str] | None = None
        self.row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("id")
        if tag == "div" and found:
            self.where = found
            self.tables[found] = []
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.where:
            self.tables[self.where].append(self.row)

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def report_tables(page: str) -> dict[str, list[list[str]]]:
    """Each table of the report (header row first), by its ``div``'s id."""
    parser = _Tables()
    parser.feed(page)
    parser.close()
    return parser.tables


def report_svgs(page: str) -> list[ET.Element]:
    """The report's inline SVG charts, each parsed as an XML document."""
    charts = []
    rest = page
    while "<svg" in rest:
        start = rest.index("<svg")
        end = rest.index("</svg>", start) + len("</svg>")
        charts.append(ET.fromstring(rest[start:end]))
        rest = rest[end:]
    return charts


def polyline_points(chart: ET.Element, name: str) -> list[tuple[float, float]]:
    """Every point of the chart's lines of class ``name`` (p50, p95, p99)."""
    points = []
    for line in chart.iter(f"{SVG}polyline"):
        if line.get("class") == name:
            for pair in (line.get("points") or "").split():
                x, y = pair.split(",")
                points.append((float(x), float(y)))
    return points
