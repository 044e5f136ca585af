"""A real ``ivr serve`` for the load runs, and the CPU time its processes use.

The server is started as an operator starts it (``ivr serve --workers N``: gunicorn, its
workers, their threads), with its log in the run's folder. Its CPU time is read from
``/proc`` for the server and every process under it, and for the PostgreSQL backends
serving its database when they run on this machine, so a run can say how much CPU each
request cost the line and its database, and how much the load generator took from the
same cores.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from benchmarks.capacity.databases import TODAY
from ivr.config import DEV_AUTH_TOKEN

HEALTHY_WITHIN = 90.0  # seconds: migrating and forking workers on a busy machine


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once ``GET /healthz`` answers 200; raise with the log's end if it never does."""
    deadline = time.monotonic() + HEALTHY_WITHIN
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    tail = log.read_text(errors="replace").strip().splitlines()[-5:]
    raise RuntimeError("ivr serve did not become healthy: " + " | ".join(tail))


@contextlib.contextmanager
def serving(ivr: Path, url: str, folder: Path,
            workers: int) -> Iterator[tuple[str, int]]:
    """``ivr serve --workers N`` on ``url`` until the block ends: its base URL and pid.
    On an empty database it migrates it and loads the demo accounts first, as it does for
    an operator."""
    port = free_port()
    environ = {**os.environ, "IVR_DATABASE_URL": url, "IVR_TODAY": TODAY,
               "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN, "IVR_SMS_BACKEND": "console"}
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(ivr), "serve", "--port", str(port), "--workers",
                                    str(workers)], env=environ, stdout=out,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, process, log)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stat(pid: str) -> tuple[int, float] | None:
    """A process's parent and its CPU seconds (its own, and its reaped children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None  # it ended while we looked
    ticks = os.sysconf("SC_CLK_TCK")
    # After the name: state, ppid, ...; utime, stime, cutime, cstime are fields 12-15 here.
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / ticks


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by process ``root`` and every process under it (Linux)."""
    stats = {pid: stat for pid in os.listdir("/proc") if pid.isdigit()
             if (stat := _stat(pid)) is not None}
    inside, total = {root}, 0.0
    for _ in range(4):  # gunicorn is two levels deep: the server, its workers
        inside |= {int(pid) for pid, (parent, _) in stats.items() if parent in inside}
    for pid, (_, seconds) in stats.items():
        if int(pid) in inside:
            total += seconds
    return total


def database_cpu_seconds(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving ``database`` on this
    machine (told by their process titles: ``postgres: ... USER DATABASE HOST STATE``); 0
    when the server is elsewhere. Connections the pool keeps last the whole run; one closed
    meanwhile takes its seconds with it, so this is at least what the database used."""
    total = 0.0
    for pid in (name for name in os.listdir("/proc") if name.isdigit()):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title and \
                (stat := _stat(pid)) is not None:
            total += stat[1]
    return total


def drained(pid: int, idle_below: float = 0.05, within: float = 120.0) -> bool:
    """Wait until the server (``pid`` and its workers) uses less than ``idle_below`` of a
    core over a second: the requests of a run that ended are all answered, and the next run
    starts on an idle server. Whether it drained ``within`` that many seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = tree_cpu_seconds(pid)
        time.sleep(1.0)
        if tree_cpu_seconds(pid) - before < idle_below:
            return True
    return False
