"""How many CPUs this process may use, and so how many server workers it should run.

A turn is CPU work under one interpreter lock per process: workers beyond the CPUs only take
turns on them. Measured on 2 cores with PostgreSQL, 4 workers answered no more requests a
second than 2, and a PIN turn was slower. Each worker's threads cover the waits (the database,
a gateway), so one worker per usable CPU is the default of ``ivr serve --workers``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

MAX_WORKERS = 64  # the most ``ivr serve --workers`` takes
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUPS = Path("/proc/self/cgroup")


def default_workers() -> int:
    """Server worker processes for this machine: one per CPU this process may use (at most
    :data:`MAX_WORKERS`)."""
    return min(usable_cpus(), MAX_WORKERS)


def usable_cpus(affinity: int | None = None, root: Path = CGROUP_ROOT,
                cgroups: Path = PROC_CGROUPS) -> int:
    """The CPUs this process may run on (``affinity``: their count, else the OS's answer),
    fewer when a cgroup CPU quota allows fewer (a container's ``--cpus``, systemd's
    ``CPUQuota``); at least 1."""
    cpus = affinity if affinity is not None else _affinity()
    quota = cgroup_cpu_quota(root, cgroups)
    return max(1, min(cpus, math.ceil(quota)) if quota is not None else cpus)


def _affinity() -> int:
    """The CPUs the scheduler lets this process use (all of them where it cannot say)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cgroup_cpu_quota(root: Path = CGROUP_ROOT, cgroups: Path = PROC_CGROUPS) -> float | None:
    """The CPUs this process's cgroup quota allows (cgroup v2 ``cpu.max``, or v1
    ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``); None when unlimited or unknown."""
    try:
        lines = cgroups.read_text().splitlines()
    except OSError:
        return None
    files: tuple[str, ...]
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: "0::/its/path"
            mount, files = root, ("cpu.max",)
        elif "cpu" in controllers.split(","):  # cgroup v1: "1:cpu,cpuacct:/its/path"
            mount, files = root / controllers, ("cpu.cfs_quota_us", "cpu.cfs_period_us")
        else:
            continue
        # Its own folder; or, in a container that sees its cgroup at the top, the top one.
        for folder in (mount / path.lstrip("/"), mount):
            quota = _read(*(folder / name for name in files))
            if quota is not None:
                return quota
    return None


def _read(quota_file: Path, period_file: Path | None = None) -> float | None:
    """Quota over period from cgroup files ("max" or -1: unlimited); None when unreadable."""
    try:
        words = quota_file.read_text().split()
        if period_file is not None:
            words = [words[0], period_file.read_text().split()[0]]
        quota, period = words[0], int(words[1])
        return None if quota in ("max", "-1") or period <= 0 else int(quota) / period
    except (OSError, ValueError, IndexError):
        return None
