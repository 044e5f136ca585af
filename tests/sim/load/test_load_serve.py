"""``ivr load`` against a real ``ivr serve`` with worker processes, both run as an operator
would: the shipped mix, a few callers for a few seconds, every request accounted for."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.config import DEV_AUTH_TOKEN
from ivr.sim.load.mix import DEFAULT_MIX
from tests.import_graph import ROOT
from tests.load_helpers import report_svgs, report_tables
from tests.server_helpers import serving

pytestmark = pytest.mark.slow  # a real `ivr serve` with two worker processes, and a real run

IVR = Path(sys.executable).parent / "ivr"


def test_the_default_mix_against_ivr_serve(database_url: str, tmp_path: Path) -> None:
    report = tmp_path / "load.html"
    with serving(database_url, tmp_path, 2) as (base, _):
        run = subprocess.run(
            [str(IVR), "load", "--url", base, "--callers", "4", "--think", "0.1",
             "--duration", "3", "--mix", str(ROOT / DEFAULT_MIX), "--report", str(report)],
            env={"PATH": "/usr/bin:/bin", "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN},
            capture_output=True, text=True, timeout=120, check=False)

    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    requests = int(re.match(r"Requests: (\d+) in", lines[1]).group(1))  # type: ignore[union-attr]
    completed = int(re.match(r"Calls: (\d+) completed", lines[2]).group(1))  # type: ignore[union-attr]
    assert completed > 0
    assert lines[3:5] == ["Errors: 0", "Expectation mismatches: 0"]
    assert lines[6].split() == ["turn", "requests", "p50", "ms", "p95", "ms", "p99", "ms", "max",
                                "ms", "errors"]
    rows = {name: int(count) for name, count, *_ in (line.rsplit(None, 6) for line in lines[7:])}
    assert rows.pop("all") == requests == sum(rows.values())
    assert rows["call start"] == rows["status callback"] >= completed
    seconds = report_tables(report.read_text())["seconds"][1:]
    assert sum(int(row[1]) for row in seconds) == requests
    assert len(report_svgs(report.read_text())) == 2
