"""The task base every panel runs its long jobs on: real threads, real signals."""

from __future__ import annotations

import threading
import time

import shiboken6
from PySide6.QtWidgets import QPushButton, QWidget

from engine.errors import DatasetError
from engine.throttle import PROGRESS_INTERVAL, throttled
from gui.tasks import Task, TaskRunner, run_task, stop_all
from gui.widgets.message_label import MessageLabel

TIMEOUT = 5000


def make_owner(qtbot) -> QWidget:
    owner = QWidget()
    qtbot.addWidget(owner)
    return owner


def test_result_arrives_in_the_gui_thread_after_the_thread_ended(qtbot):
    owner = make_owner(qtbot)
    seen = {}

    def job(on_event, stop):
        seen["job_thread"] = threading.get_ident()
        return 42

    def done(value):
        seen["value"], seen["done_thread"] = value, threading.get_ident()

    task = run_task(owner, job, on_done=done)  # a plain function: still called in the GUI thread
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        pass
    assert seen["value"] == 42
    assert seen["done_thread"] == threading.get_ident() != seen["job_thread"]
    assert not task.is_running() and task.thread.isFinished()


def test_a_taller_error_reaches_the_user_as_its_message(qtbot):
    def job(on_event, stop):
        raise DatasetError("MNIST is not in /data: press Download")

    owner = make_owner(qtbot)  # held: a task goes with its owner
    task = Task(job, parent=owner)
    with qtbot.waitSignal(task.failed, timeout=TIMEOUT) as failed:
        task.start()
    assert failed.args == ["MNIST is not in /data: press Download"]


def test_an_unexpected_error_is_named_by_its_type(qtbot):
    def job(on_event, stop):
        raise KeyError("weights")

    owner = make_owner(qtbot)  # held: a task goes with its owner
    task = Task(job, parent=owner)
    with qtbot.waitSignal(task.failed, timeout=TIMEOUT) as failed:
        task.start()
    assert failed.args[0].startswith("Unexpected error (KeyError)") and "weights" in failed.args[0]


def test_out_of_memory_says_what_to_try(qtbot):
    def job(on_event, stop):
        raise MemoryError()

    owner = make_owner(qtbot)  # held: a task goes with its owner
    task = Task(job, parent=owner)
    with qtbot.waitSignal(task.failed, timeout=TIMEOUT) as failed:
        task.start()
    assert "Out of memory" in failed.args[0] and "batch size" in failed.args[0]


def test_stop_is_cooperative_and_the_job_returns_what_it_has(qtbot):
    owner = make_owner(qtbot)
    runner = TaskRunner(owner, "countTask")
    started = threading.Event()

    def job(on_event, stop):
        count = 0
        started.set()
        while not stop.is_set():
            count += 1
            time.sleep(0.001)
        return count

    outcome = []
    assert runner.start(job, on_done=outcome.append)
    assert started.wait(TIMEOUT / 1000)
    assert not runner.start(job)  # one at a time
    assert runner.stop() and runner.stopping()
    assert not runner.stop()  # asked already
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=TIMEOUT)
    assert outcome and outcome[0] > 0
    assert not runner.stopping()


def test_engine_progress_is_throttled_once_and_every_other_event_and_the_last_batch_arrive(qtbot):
    batches = 2000

    def job(on_event, stop):  # an engine job paces its progress through engine.throttle
        emit = throttled(on_event)
        for batch in range(1, batches + 1):
            emit({"event": "progress", "batch": batch, "batches": batches})
            time.sleep(0.0001)  # ~0.2 s in all: a few intervals' worth
        emit({"event": "epoch_end", "epoch": 1})

    progress, epochs = [], []
    events = {"progress": progress.append, "epoch_end": epochs.append}
    started = time.monotonic()
    owner = make_owner(qtbot)
    task = run_task(owner, job, on_events=events)
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        pass
    took = time.monotonic() - started
    assert 1 <= len(progress) <= took / PROGRESS_INTERVAL + 2
    assert progress[-1]["batch"] == batches  # the bar always reaches its end
    assert epochs == [{"event": "epoch_end", "epoch": 1}]


def test_the_window_passes_on_every_event_a_job_sends(qtbot):
    def job(on_event, stop):
        for batch in range(1, 51):
            on_event({"event": "progress", "batch": batch, "batches": 50})

    progress, done = [], []
    owner = make_owner(qtbot)
    run_task(owner, job, on_done=done.append, on_events={"progress": progress.append})
    qtbot.waitUntil(lambda: bool(done), timeout=TIMEOUT)
    assert [e["batch"] for e in progress] == list(range(1, 51))


def test_runner_disables_busy_widgets_and_reports_failures_in_order(qtbot):
    owner = make_owner(qtbot)
    button = QPushButton("Go", owner)
    label = MessageLabel("messageLabel", owner)
    owner.show()
    runner = TaskRunner(owner, "failingTask", busy_widgets=[button])
    order = []
    runner.runningChanged.connect(lambda running: order.append(("running", running)))

    def job(on_event, stop):
        raise ValueError("bad value")

    def failed(message):
        order.append(("failed", runner.is_running(), button.isEnabled()))
        label.show_error(message)

    runner.start(job, on_failed=failed, on_finished=lambda: order.append(("finished",)))
    assert not button.isEnabled() and runner.is_running()
    qtbot.waitUntil(lambda: ("finished",) in order, timeout=TIMEOUT)
    assert order == [("running", True), ("running", False), ("failed", False, True), ("finished",)]
    assert label.isVisible() and label.role() == "error" and "ValueError" in label.text()
    label.show_message("")
    assert not label.isVisible() and label.role() == ""


def test_stop_all_waits_for_every_task_of_an_owner(qtbot):
    owner = make_owner(qtbot)

    def job(on_event, stop):
        stop.wait(30)  # ends only when asked to

    tasks = [run_task(owner, job, name=f"waiting{i}") for i in range(3)]
    threads = [task.thread for task in tasks]
    stop_all(owner)
    assert all(thread.isFinished() for thread in threads)


def test_a_task_whose_owner_is_destroyed_is_asked_to_stop_and_reports_nothing(qtbot):
    owner = QWidget()
    stopped, outcome = threading.Event(), []

    def job(on_event, stop):
        stop.wait(30)
        stopped.set()

    task = run_task(owner, job, on_done=outcome.append, on_failed=outcome.append)
    thread = task.thread
    shiboken6.delete(owner)  # e.g. a panel closed while its job runs
    assert stopped.wait(TIMEOUT / 1000)
    qtbot.waitUntil(thread.isFinished, timeout=TIMEOUT)
    qtbot.wait(50)
    assert outcome == []
