"""How many threads PyTorch computes with: the physical cores this process may use.

Hyper-threads share one core's vector units, so a second thread per core adds contention, not
speed, to convolutions and matrix products. Cores outside the process's affinity mask (``taskset``,
a container's CPU set, a job scheduler) are not ours to use. ``OMP_NUM_THREADS``, when set, is
the user's explicit word and wins.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

SYSFS_CPU = Path("/sys/devices/system/cpu")


def allowed_cpus() -> set[int]:
    """The logical CPUs this process may run on (all of them where there is no affinity mask)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; Windows and macOS have no such call
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def physical_cores(cpus: set[int], sysfs: Path = SYSFS_CPU) -> int:
    """How many distinct physical cores the logical CPUs ``cpus`` belong to.

    Read from Linux's topology files (package and core id of each CPU); where they are missing
    (Windows, macOS) every logical CPU counts as a core, the safe over-estimate torch uses too.
    """
    cores = set()
    for cpu in cpus:
        topology = sysfs / f"cpu{cpu}" / "topology"
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return max(1, len(cpus))
        cores.add((package, core))
    return max(1, len(cores))


def training_threads(leave_free: int = 0) -> int:
    """Intra-op threads for training: ``OMP_NUM_THREADS`` if set, else the usable physical cores.

    ``leave_free`` cores are kept for other work (the window's event loop), never going below one.
    """
    explicit = os.environ.get("OMP_NUM_THREADS", "").strip()
    if explicit.isdigit() and int(explicit) > 0:
        return int(explicit)
    return max(1, physical_cores(allowed_cpus()) - leave_free)


def use_training_threads(leave_free: int = 0) -> int:
    """Set PyTorch's intra-op thread count for this process (see ``training_threads``); returns it."""
    threads = training_threads(leave_free)
    torch.set_num_threads(threads)
    return threads
