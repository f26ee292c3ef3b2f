"""How much memory the machine has free, to choose between holding a dataset and streaming it.

psutil answers on every OS when it is installed; without it, Linux's ``/proc/meminfo``, Windows'
``GlobalMemoryStatusEx`` and POSIX ``sysconf`` are asked in turn, and ``FALLBACK_BYTES`` is
assumed when none answers (a cautious guess: larger folders then stream).
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

FALLBACK_BYTES = 4 * 1024**3


def available_memory() -> int:
    """Bytes of memory the OS could give this process now without swapping."""
    try:
        import psutil  # optional: a well-kept answer on every OS when it is installed

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    for ask in (_linux, _windows, _posix):
        try:
            got = ask()
        except (OSError, ValueError, AttributeError):
            got = None
        if got:
            return got
    return FALLBACK_BYTES


def _linux() -> int | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        return None
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def _windows() -> int | None:
    if sys.platform != "win32":
        return None

    class MemoryStatus(ctypes.Structure):
        _fields_ = [  # noqa: RUF012 - ctypes reads this class attribute
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatus()
    status.dwLength = ctypes.sizeof(MemoryStatus)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullAvailPhys)


def _posix() -> int | None:
    # Free pages only (macOS has no "available"): an underestimate, which errs towards streaming.
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
