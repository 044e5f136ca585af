"""`ivr serve` runs one worker per CPU the process may use: its CPU affinity, cut by a cgroup
CPU quota (a container's --cpus, systemd's CPUQuota) in cgroup v2 or v1 files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivr.ops.cpus import MAX_WORKERS, cgroup_cpu_quota, default_workers, usable_cpus


def cgroups(tmp_path: Path, proc: str, files: dict[str, str]) -> tuple[Path, Path]:
    """A cgroup mount under ``tmp_path`` holding ``files`` (path: content), and a
    /proc/self/cgroup that reads ``proc``."""
    root = tmp_path / "cgroup"
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    (tmp_path / "proc").write_text(proc)
    return root, tmp_path / "proc"


V2 = "0::/system.slice/ivr.service\n"
V1 = "2:cpuacct:/\n1:cpu:/docker/abc\n0::/\n"


@pytest.mark.parametrize(("proc", "files", "cpus"), [
    (V2, {"system.slice/ivr.service/cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs: 2 workers
    (V2, {"system.slice/ivr.service/cpu.max": "100000 100000\n"}, 1),
    (V2, {"system.slice/ivr.service/cpu.max": "max 100000\n"}, 8),  # no quota
    (V2, {"system.slice/ivr.service/cpu.max": "1600000 100000\n"}, 8),  # more than it runs on
    ("0::/\n", {"cpu.max": "300000 100000\n"}, 3),  # a container sees its cgroup at the top
    (V1, {"cpu/docker/abc/cpu.cfs_quota_us": "200000\n",
          "cpu/docker/abc/cpu.cfs_period_us": "100000\n"}, 2),
    (V1, {"cpu/docker/abc/cpu.cfs_quota_us": "-1\n",
          "cpu/docker/abc/cpu.cfs_period_us": "100000\n"}, 8),
    (V1, {"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
    (V2, {"system.slice/ivr.service/cpu.max": "garbled\n"}, 8),
    (V2, {}, 8),  # no cgroup files: the affinity stands
])
def test_a_cgroup_quota_cuts_the_cpus_the_affinity_gives(
        tmp_path: Path, proc: str, files: dict[str, str], cpus: int) -> None:
    root, proc_file = cgroups(tmp_path, proc, files)
    assert usable_cpus(8, root, proc_file) == cpus


def test_without_proc_cgroup_no_quota_is_assumed(tmp_path: Path) -> None:
    assert cgroup_cpu_quota(tmp_path, tmp_path / "missing") is None
    assert usable_cpus(3, tmp_path, tmp_path / "missing") == 3


def test_the_default_never_runs_more_workers_than_cpus_the_process_may_use() -> None:
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count() or 1
    assert 1 <= default_workers() <= min(allowed, MAX_WORKERS)
