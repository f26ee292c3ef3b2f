"""The Compare tab's two progress bars: the whole plan's (runs done, time left) and the run going on.

The time left starts from the queue's estimate (``compare_start``), is corrected by the queue as runs
end (``compare_run_end``'s ``eta``: the estimate scaled by how the finished runs went) and counts
down in between; while a run reports its own time left, the plan's is never shorter than that.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QProgressBar, QVBoxLayout, QWidget

from gui.language import duration


def _bar(name: str) -> QProgressBar:
    bar = QProgressBar(objectName=name)
    bar.setRange(0, 1000)
    bar.setTextVisible(True)
    return bar


class QueueProgress(QWidget):
    """``overall`` (every run of the plan) above ``run`` (the one training now)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareProgressBox")
        self.overall = _bar("compareProgress")
        self.overall.setAccessibleName(self.tr("Comparison progress"))
        self.run = _bar("compareRunProgress")
        self.run.setAccessibleName(self.tr("Progress of the run going on"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.overall)
        layout.addWidget(self.run)
        self.reset(self.tr("No comparison running"))

    def reset(self, text: str) -> None:
        """Nothing counted yet; the plan's bar says ``text``."""
        self._runs, self._done = 0, 0
        self._left: float | None = None
        self._left_at, self._run_eta = time.monotonic(), None
        self.overall.setValue(0)
        self.overall.setFormat(text)
        self.run.setValue(0)
        self.run.setFormat("")
        self.run.hide()  # shown while a run trains: an empty bar would look stuck

    def started(self, runs: int, estimate: Any) -> None:
        """The queue began: ``runs`` in all, about ``estimate`` seconds for those not finished."""
        self._runs = int(runs or 0)
        self._set_left(estimate)
        self._show(0.0)

    def run_started(self, name: str) -> None:
        self._run_eta = None
        self.run.show()
        self.run.setValue(0)
        self.run.setFormat(self.tr("{variant}: starting…").format(variant=name))
        self._show(0.0)

    def progress(self, event: dict[str, Any], stopping: bool) -> None:
        """A run's progress event (with its ``variant``)."""
        epoch, epochs = int(event.get("epoch", 1)), max(1, int(event.get("epochs", 1)))
        batch, batches = int(event.get("batch", 0)), max(1, int(event.get("batches", 1)))
        done = min(1.0, ((epoch - 1) + batch / batches) / epochs)
        self._run_eta = event.get("eta")
        self.run.setValue(int(1000 * done))
        text = self.tr("{variant}: epoch {epoch}/{epochs} · batch {batch}/{batches}").format(
            variant=event.get("variant", ""), epoch=epoch, epochs=epochs, batch=batch, batches=batches
        )
        self.run.setFormat(text + (self.tr(" · stopping…") if stopping else ""))
        self._show(done)

    def stopping(self) -> None:
        self.run.setFormat(self.tr("Stopping after this batch…"))

    def run_ended(self, finished: bool, eta: Any) -> None:
        """A run ended (``finished``, or announced again on resume); ``eta``: the queue's time left."""
        self._done += int(finished)
        self._set_left(eta)
        self._run_eta = None
        self._show(0.0)

    def show_done(self, done: int, total: int, text: str) -> None:
        """A comparison read back or ended: ``done`` of ``total`` runs finished, as ``text`` says."""
        self.overall.setValue(int(1000 * done / max(1, total)))
        self.overall.setFormat(text)
        self.run.setValue(0)
        self.run.setFormat("")
        self.run.hide()

    def _set_left(self, seconds: Any) -> None:
        self._left = None if seconds is None else float(seconds)
        self._left_at = time.monotonic()

    def _show(self, current: float) -> None:
        """Runs finished plus the share of the one going on, and the time left."""
        if not self._runs:
            return
        self.overall.setValue(int(1000 * min(1.0, (self._done + current) / self._runs)))
        text = self.tr("Run {run} of {runs}").format(run=min(self._runs, self._done + 1), runs=self._runs)
        left = None
        if self._left is not None:
            left = max(0.0, self._left - (time.monotonic() - self._left_at))
        if self._run_eta is not None:
            left = max(left or 0.0, float(self._run_eta))
        if left is not None:
            text += self.tr(" · about {time} left").format(time=duration(left))
        self.overall.setFormat(text)
