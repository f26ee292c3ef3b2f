"""Long work off the GUI thread: the one base every panel's jobs run on.

A job is any callable ``fn(on_event, stop)``: it may report plain event dicts through ``on_event``
(``{"event": "progress", "batch": 3, "batches": 10, ...}``) and should check the
``threading.Event`` ``stop`` every batch. Engine calls such as ``engine.train.run`` have that shape.

- ``Worker`` calls the job in its own QThread and turns every exception into a message for the user
  (``error_message``), so nothing is lost in the thread. It passes every event on: the engine's jobs
  send "progress" at a readable pace already (``engine.throttle``, the one place that throttles).
- ``Task`` owns a worker and its thread and re-emits everything in the GUI thread.
- ``run_task(owner, fn, on_done=..., on_failed=..., on_events=...)`` starts a task with callbacks,
  for jobs that may overlap (their results carry a request number the panel checks).
- ``TaskRunner`` is a panel's job that runs one at a time: start, stop, busy widgets, outcome.

Usage in a panel::

    self.evaluation = TaskRunner(self, "evaluationTask", busy_widgets=[self.evaluateButton])
    ...
    self.evaluation.start(job, on_done=self._show, on_failed=self.messageLabel.show_error,
                          on_events={"progress": self._on_progress})
    ...
    self.evaluation.stop()          # cooperative: the job sees ``stop`` set at its next check

Callbacks may be any callable (lambdas too): the task calls them from its own slots, in the GUI
thread, never from the worker's. Pass them to ``run_task``/``TaskRunner.start`` rather than
connecting a lambda to a Task's signals: the task deletes itself when done, and a lambda connected
to a deleted sender has crashed PySide6 here. The event dicts travel as ``Signal(object)``, so
they arrive as-is (``Signal(dict)`` would convert them to a QVariantMap on the way).
"""

from __future__ import annotations

import atexit
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from engine.errors import describe, user_message

TaskFn = Callable[[Callable[[dict[str, Any]], None], threading.Event], Any]
EventHandlers = Mapping[str, Callable[[dict[str, Any]], None]]


def error_message(exc: BaseException) -> str:
    """The text a user sees for an exception raised by a task (the CLI's classification).

    Expected failures (Taller's errors, OSError, out of memory) say what to do; a bug's traceback
    goes to a log file that the message names.
    """
    return describe(exc)


class Worker(QObject):
    """Runs ``fn(on_event, stop)`` once, in the thread it was moved to, and reports by signal.

    Signals (emitted in the worker's thread)
    -------
    eventReceived(dict)   each event of the job
    runFinished(object)   fn's return value
    runFailed(str)        a message for the user
    done()                after runFinished or runFailed
    """

    eventReceived = Signal(object)
    runFinished = Signal(object)
    runFailed = Signal(str)
    done = Signal()

    def __init__(self, fn: TaskFn, stop: threading.Event):
        super().__init__()
        self._fn = fn
        self._stop = stop

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._on_event, self._stop)
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost in the thread
            message = error_message(exc)
            if user_message(exc) is None:
                traceback.print_exc(file=sys.stderr)  # a bug: also on the terminal, for developers
            self.runFailed.emit(message)
        else:
            self.runFinished.emit(result)
        finally:
            self._fn = None  # let the job's data and model go as soon as it is done
            self.done.emit()

    def _on_event(self, event: dict[str, Any]) -> None:
        self.eventReceived.emit(dict(event))


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

    Signals (in the GUI thread)
    -------
    eventReceived(dict)   each event of the job, as the worker let it through
    succeeded(object)     fn's return value        } after the thread has ended, so the
    failed(str)           a message for the user   } caller may start the next task
    finished()            after either of them
    """

    eventReceived = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        fn: TaskFn,
        parent: QObject | None = None,
        name: str = "task",
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_events: EventHandlers | None = None,
    ):
        super().__init__(parent)
        self.setObjectName(name)
        # Plain Python callbacks called from this object's slots, not connected to its signals:
        # a lambda connected to a signal of this self-deleting object has crashed PySide6.
        self._callbacks: tuple = (on_done, on_failed, dict(on_events or {}))
        self.stop_event = threading.Event()
        self.worker = Worker(fn, self.stop_event)
        self.thread = QThread()  # no parent: _LIVE keeps it until it has finished
        self.thread.setObjectName(f"{name}Thread")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # Direct: quit from the worker thread, so it works even while the GUI thread waits.
        self.worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished)
        # Queued to this (GUI-thread) object, in order, so all arrive before thread.finished does.
        self.worker.eventReceived.connect(self._relay_event)
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
        """Ask the job to stop at its next check; returns at once."""
        self.stop_event.set()

    def stop_and_wait(self) -> None:
        """Request a stop and block until the thread has ended (never terminates it)."""
        if not self._running:
            return
        self.request_stop()
        self.thread.quit()
        self.thread.wait()

    @Slot(object)
    def _relay_event(self, event: dict[str, Any]) -> None:
        self.eventReceived.emit(event)
        handler = self._callbacks[2].get(str(event.get("event")))
        if handler is not None:
            handler(event)

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
        ok, value = self._outcome or (False, self.tr("The task ended without a result."))
        on_done, on_failed, _ = self._callbacks
        self._callbacks = (None, None, {})  # the closures may hold a model: let it go with the task
        if ok:
            self.succeeded.emit(value)
            if on_done is not None:
                on_done(value)
        else:
            self.failed.emit(value)
            if on_failed is not None:
                on_failed(value)
        self.finished.emit()
        self.deleteLater()


def run_task(
    owner: QObject,
    fn: TaskFn,
    name: str = "task",
    on_done: Callable[[Any], None] | None = None,
    on_failed: Callable[[str], None] | None = None,
    on_events: EventHandlers | None = None,
) -> Task:
    """Start ``fn(on_event, stop)`` in a new Task parented to ``owner``; returns the started task.

    Parameters
    ----------
    owner
        The panel (or window) the task belongs to: ``stop_all(owner)`` stops it, and destroying
        the owner asks it to stop and drops its outcome.
    on_done, on_failed
        Called with fn's return value, or with the message for the user, in the GUI thread.
    on_events
        Handlers by event kind (``{"progress": ..., "epoch_end": ...}``), each called with the
        event dict in the GUI thread; kinds without a handler are ignored.
    """
    task = Task(fn, owner, name, on_done, on_failed, on_events)
    task.start()
    return task


class TaskRunner(QObject):
    """A panel's job that runs one at a time: start, stop, busy widgets and the outcome.

    The ``busy_widgets`` are disabled while a job runs. When its thread has ended the runner is
    idle again, then ``runningChanged(False)`` is emitted, then ``on_done`` or ``on_failed`` is
    called, then ``on_finished``: each may start the next job.

    Signals
    -------
    runningChanged(bool)   a job started (True) or ended (False)
    """

    runningChanged = Signal(bool)

    def __init__(self, owner: QObject, name: str, busy_widgets: Iterable[QObject] = ()):
        super().__init__(owner)
        self.setObjectName(f"{name}Runner")
        self._owner, self._name = owner, name
        self._busy_widgets = tuple(busy_widgets)
        self._callbacks: tuple = (None, None, None)
        self.task: Task | None = None

    def start(
        self,
        fn: TaskFn,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        on_events: EventHandlers | None = None,
    ) -> bool:
        """Start ``fn(on_event, stop)``; False (and nothing started) while a job is running."""
        if self.task is not None:
            return False
        self._callbacks = (on_done, on_failed, on_finished)
        self.task = run_task(self._owner, fn, self._name, self._on_succeeded, self._on_failed, on_events)
        for widget in self._busy_widgets:
            widget.setEnabled(False)
        self.runningChanged.emit(True)
        return True

    def is_running(self) -> bool:
        return self.task is not None

    def stop(self) -> bool:
        """Ask the running job to stop; True if this request is new (not already stopping)."""
        if self.task is None or self.task.stop_event.is_set():
            return False
        self.task.request_stop()
        return True

    def stopping(self) -> bool:
        """True between a stop request and the end of the job."""
        return self.task is not None and self.task.stop_event.is_set()

    def shutdown(self) -> None:
        """Stop the job (if any) and wait for its thread; for a window's closeEvent."""
        if self.task is not None:
            self.task.stop_and_wait()

    @Slot(object)
    def _on_succeeded(self, value: Any) -> None:
        on_done, _, on_finished = self._end()
        if on_done is not None:
            on_done(value)
        if on_finished is not None:
            on_finished()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        _, on_failed, on_finished = self._end()
        if on_failed is not None:
            on_failed(message)
        if on_finished is not None:
            on_finished()

    def _end(self) -> tuple:
        callbacks, self._callbacks, self.task = self._callbacks, (None, None, None), None
        for widget in self._busy_widgets:
            widget.setEnabled(True)
        self.runningChanged.emit(False)
        return callbacks


def stop_all(owner: QObject) -> None:
    """Stop and wait for every running Task under ``owner`` (call it from closeEvent)."""
    for task in owner.findChildren(Task):
        task.stop_and_wait()
