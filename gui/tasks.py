"""Long work off the GUI thread: one worker QObject moved to its own QThread per task.

Any engine call that takes ``(on_event, stop)`` runs here: dataset loading, downloads, training,
evaluation. The worker turns the engine's event dicts into signals and never touches a widget;
every exception ends as ``runFailed(message)``, so nothing is lost inside the thread.

Usage::

    task = Task(lambda on_event, stop: training.run(d, m, t, on_event=on_event, stop=stop), parent=self)
    task.worker.epochEnded.connect(self.on_epoch)      # connect bound methods of QObjects only:
    task.worker.runFinished.connect(self.on_finished)  # a lambda would run in the worker thread
    task.start()
    ...
    task.request_stop()          # cooperative: the engine checks the Event every batch

The dict-carrying signals are declared ``Signal(object)`` so the engine's dict arrives as-is
(``Signal(dict)`` would convert it to a QVariantMap on the way).
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from engine.errors import TallerError

TaskFn = Callable[[Callable[[dict[str, Any]], None], threading.Event], Any]


def error_message(exc: BaseException) -> str:
    """The text a user sees for an exception raised by a task."""
    if isinstance(exc, TallerError):
        return exc.message
    if isinstance(exc, MemoryError):
        return "Out of memory: try a smaller batch size, a smaller model or a smaller image size."
    text = str(exc).strip()
    return f"Unexpected error ({type(exc).__name__}): {text or 'no details'}. See the terminal for details."


class Worker(QObject):
    """Runs ``fn(on_event, stop)`` once and reports through signals.

    Signals
    -------
    statusMessage(str)            "status" events
    batchProgress(int, int)       batch, batches of the current epoch
    progressed(dict)              the whole "progress" event (epoch, epochs, batch, batches, eta, fold)
    epochEnded(dict)              "epoch_end" events
    phaseStarted(dict)            "phase" events (two-phase fine-tuning)
    foldEnded(dict)               "fold_end" events (K-Fold)
    eventReceived(dict)           every event, for panels that want other kinds
    runFinished(object)           fn's return value
    runFailed(str)                a message for the user
    done()                        after runFinished or runFailed
    """

    statusMessage = Signal(str)
    batchProgress = Signal(int, int)
    progressed = Signal(object)
    epochEnded = Signal(object)
    phaseStarted = Signal(object)
    foldEnded = Signal(object)
    eventReceived = Signal(object)
    runFinished = Signal(object)
    runFailed = Signal(str)
    done = Signal()

    def __init__(self, fn: TaskFn, stop: threading.Event, min_interval: float = 0.05):
        super().__init__()
        self._fn = fn
        self._stop = stop
        self._min_interval = min_interval
        self._last_progress = 0.0

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._on_event, self._stop)
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost in the thread
            if not isinstance(exc, TallerError):
                traceback.print_exc(file=sys.stderr)
            self.runFailed.emit(error_message(exc))
        else:
            self.runFinished.emit(result)
        finally:
            self._fn = None  # let the job's data and model go as soon as it is done
            self.done.emit()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "progress" and not self._progress_due(event):
            return
        event = dict(event)
        self.eventReceived.emit(event)
        if kind == "status":
            self.statusMessage.emit(str(event.get("message", "")))
        elif kind == "progress":
            self.progressed.emit(event)
            self.batchProgress.emit(int(event.get("batch", 0)), int(event.get("batches", 0)))
        elif kind == "epoch_end":
            self.epochEnded.emit(event)
        elif kind == "phase":
            self.phaseStarted.emit(event)
        elif kind == "fold_end":
            self.foldEnded.emit(event)

    def _progress_due(self, event: dict[str, Any]) -> bool:
        # The engine throttles already; this keeps the GUI safe from a chattier caller.
        now = time.monotonic()
        last_batch = event.get("batch") == event.get("batches")
        if last_batch or now - self._last_progress >= self._min_interval:
            self._last_progress = now
            return True
        return False


# Threads that have not completely finished, with their workers. Held here rather than by the
# Task so that a window destroyed without closeEvent (or an owner deleted early) never destroys
# a running QThread ("QThread: Destroyed while thread is still running"). The worker is
# released only once isFinished() is true: Python then deletes it in the GUI thread, and nothing
# else ever does (a deleteLater in the finishing thread could race Python's own deletion).
_LIVE: dict[QThread, tuple[Worker, threading.Event]] = {}


def _prune() -> None:
    for thread in [t for t in _LIVE if not shiboken6.isValid(t) or t.isFinished()]:
        del _LIVE[thread]


def wait_all() -> None:
    """Stop and wait for every task's thread (at exit, and between tests)."""
    for thread, (_, stop) in list(_LIVE.items()):
        if shiboken6.isValid(thread):
            stop.set()
            thread.quit()
            thread.wait()
    _prune()


atexit.register(wait_all)


class Task(QObject):
    """A Worker and the QThread it runs in; start it, ask it to stop, wait for it.

    Parent the task to a widget of the window: ``stop_all(window)`` on close finds it. The task
    deletes itself once the thread has finished; drop references to it in a slot connected to
    ``finished`` (or ``succeeded``/``failed``). If the parent is destroyed first, the run is asked
    to stop and its thread ends on its own.

    Signals (in the GUI thread, after the thread has ended, so the caller may start the next task)
    -------
    succeeded(object)   fn's return value
    failed(str)         the message of the exception fn raised
    finished()          after either of them
    """

    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, fn: TaskFn, parent: QObject | None = None, name: str = "task"):
        super().__init__(parent)
        self.setObjectName(name)
        self.stop_event = threading.Event()
        self.worker = Worker(fn, self.stop_event)
        self.thread = QThread()  # no parent: _LIVE keeps it until it has finished
        self.thread.setObjectName(f"{name}Thread")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # Direct: quit from the worker thread, so it works even while the GUI thread waits.
        self.worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished)
        # Queued to this (GUI-thread) object, so they arrive before thread.finished does.
        self.worker.runFinished.connect(self._store_result)
        self.worker.runFailed.connect(self._store_error)
        stop = self.stop_event
        self.destroyed.connect(lambda *_: stop.set())  # owner gone: nobody will show the result
        self._running = False
        self._outcome: tuple[bool, Any] | None = None

    def start(self) -> None:
        _prune()
        _LIVE[self.thread] = (self.worker, self.stop_event)
        self._running = True
        self.thread.start()

    def is_running(self) -> bool:
        return self._running

    def request_stop(self) -> None:
        """Ask the engine to stop at the next batch; returns at once."""
        self.stop_event.set()

    def stop_and_wait(self) -> None:
        """Request a stop and block until the thread has ended (never terminates it)."""
        if not self._running:
            return
        self.request_stop()
        self.thread.quit()
        self.thread.wait()

    @Slot(object)
    def _store_result(self, result: Any) -> None:
        self._outcome = (True, result)

    @Slot(str)
    def _store_error(self, message: str) -> None:
        self._outcome = (False, message)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._running = False
        _prune()  # earlier tasks; this thread may still be finishing
        ok, value = self._outcome or (False, "The task ended without a result.")
        if ok:
            self.succeeded.emit(value)
        else:
            self.failed.emit(value)
        self.finished.emit()
        self.deleteLater()


def stop_all(owner: QObject) -> None:
    """Stop and wait for every running Task under ``owner`` (call it from closeEvent)."""
    for task in owner.findChildren(Task):
        task.stop_and_wait()
