"""The machine a run measured: processor, cores, memory, the databases' versions, its load.

Figures mean little without the machine they came from, so every run prints this first
and keeps it in its JSON. The load average is there because the numbers are only as quiet
as the machine was: other work on the same cores shows in every figure.
"""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.capacity import ROOT

THIS_IVR = Path(sys.executable).parent / "ivr"  # this checkout's command


def _cpu_model() -> str:
    """The processor's model name, as /proc/cpuinfo gives it (else what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    """Physical memory in GB (None where /proc/meminfo is not)."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def postgres_version(url: str) -> str:
    """The server's version (``15.20``), asked of the PostgreSQL at ``url``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def commit_of(folder: Path) -> str:
    """The commit checked out in ``folder``, with ``+changes`` when the tree differs from it
    (empty when it is no git checkout)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                                  check=False).stdout.strip()
        except OSError:
            return ""
    commit = git("rev-parse", "--short", "HEAD")
    return f"{commit}+changes" if commit and git("status", "--porcelain") else commit


def line_of(ivr: Path) -> str:
    """Which line an ``ivr`` command is: this checkout's, or another's and its commit."""
    if ivr == THIS_IVR:
        return "this checkout's line"
    checkout = ivr.resolve().parent.parent.parent  # CHECKOUT/.venv/bin/ivr
    commit = commit_of(checkout)
    return f"the line of {ivr}" + (f" (commit {commit})" if commit else "")


def describe(postgres_url: str | None) -> dict[str, object]:
    """Everything said about the machine, as a JSON object."""
    memory = _memory_gb()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": None if memory is None else round(memory, 1),
        "postgresql": postgres_version(postgres_url) if postgres_url else None,
        "sqlite": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "commit": commit_of(ROOT),
    }


def machine_lines(machine: dict[str, object]) -> list[str]:
    """The machine in two lines, for the top of the output."""
    memory = machine["memory_gb"]
    postgres = machine["postgresql"] or "not used (no --database-url)"
    load = ", ".join(str(value) for value in machine["load_average"])  # type: ignore[attr-defined]
    return [f"Machine: {machine['cpu']}, {machine['cores']} cores, {memory} GB RAM; "
            f"PostgreSQL {postgres}; SQLite {machine['sqlite']}; Python {machine['python']}",
            f"Load average at the start: {load} (other work on these cores shows in every "
            f"figure); open files limit {machine['open_files_limit']}; "
            f"commit {machine['commit']}"]
