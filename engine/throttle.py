"""The one pace of "progress" events: at most one per ``PROGRESS_INTERVAL``, and always the last.

A bar redrawn more often shows nothing more and costs the window's thread its time (Anki updates
progress at most every 0.1 s; Orange's ``TaskState`` throttles the same way). Every engine job that
reports progress (training, evaluation, saving a gathered dataset, the ONNX export) goes through
``Throttle`` or ``throttled``, so whoever listens — the window's tasks, the command line's bars, the
JSON lines of a ``--devices`` run — gets them already at that pace and throttles nothing itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

PROGRESS_INTERVAL = 0.1  # seconds between progress events: a bar needs no more

Callback = Callable[[dict[str, Any]], None]


class Throttle:
    """``due()`` is True at most once per ``interval`` seconds, and always for the last step.

    ``started`` counts the interval from now (the first step waits for it); otherwise the first
    step is due at once.
    """

    def __init__(self, interval: float = PROGRESS_INTERVAL, started: bool = False):
        self.interval = interval
        self._last = time.perf_counter() if started else -math.inf

    def due(self, last: bool = False) -> bool:
        now = time.perf_counter()
        if last or now - self._last >= self.interval:
            self._last = now
            return True
        return False


def is_last(event: dict[str, Any]) -> bool:
    """Whether a progress event is the last of its count (batch of batches, done of total, step of steps)."""
    for done, total in (("batch", "batches"), ("done", "total"), ("step", "steps")):
        if done in event and total in event:
            return event[done] >= event[total]
    return False


def throttled(on_event: Callback | None, interval: float = PROGRESS_INTERVAL) -> Callback:
    """``on_event`` with its "progress" events let through by one ``Throttle`` (others pass as they come)."""
    throttle = Throttle(interval)

    def emit(event: dict[str, Any]) -> None:
        if on_event is None:
            return
        if event.get("event") != "progress" or throttle.due(last=is_last(event)):
            on_event(event)

    return emit
