"""Hands a run to other processes: "Copy as command" and "Run on N processes" in the Training tab.

"Copy as command" puts the ``python main.py train ...`` line of the current forms on the clipboard
(``engine.cli_args.train_arguments``), for a bigger machine. With more than one process chosen, Train
starts that command as a child process (``QProcess``: no thread) with ``--devices N --events jsonl
--out RUN_DIR``: torchrun runs N processes, rank 0 prints one JSON line per event, and the panel draws
them as it draws a run of its own. Stop sends SIGTERM (the ranks stop after the current batch and
save the finished epochs), then kills the child if it has not ended after ``GRACE_MS``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

import engine
from engine.cli_args import train_arguments
from engine.train.runs import new_run_dir, runs_root

GRACE_MS = 30_000  # time to finish the batch and write the files before the child is killed
ENGINE_ROOT = Path(engine.__file__).resolve().parent.parent


def command_line(arguments: list[str]) -> str:
    """``python main.py ARGS`` quoted for this system's shell."""
    words = ["python", "main.py", *arguments]
    return subprocess.list2cmdline(words) if os.name == "nt" else shlex.join(words)


def most_processes() -> int:
    """How many processes this machine can run a training on: its GPUs, else its CPU cores."""
    # deferred: torch is loaded by then (the window trains with it); this keeps the import cheap.
    import torch

    return max(2, torch.cuda.device_count() or os.cpu_count() or 2)


class ProcessControls(QWidget):
    """The "Parallel processes" box and the "Copy as command" button beside Train."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.processesSpin = QSpinBox(objectName="processesSpin")
        self.processesSpin.setRange(1, most_processes())
        self.processesSpin.setValue(1)
        self.processesSpin.setToolTip(
            self.tr(
                "How many copies of the training run side by side, each on its share of the data "
                "(one per GPU, or CPU cores). 1: train in this window. More: the same training runs as "
                "a command (PyTorch's torchrun, DistributedDataParallel); its curves follow it here"
            )
        )
        self.processesSpin.setAccessibleName(self.tr("Parallel processes"))
        self.processesLabel = QLabel(self.tr("Parallel processes:"), objectName="processesLabel")
        self.processesLabel.setToolTip(self.processesSpin.toolTip())
        self.processesLabel.setBuddy(self.processesSpin)
        self.copyButton = QPushButton(self.tr("Copy as command"), objectName="copyCommandButton")
        self.copyButton.setToolTip(
            self.tr("Copy the main.py train command of these settings, to run them on a bigger machine")
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.processesLabel)
        layout.addWidget(self.processesSpin)
        layout.addWidget(self.copyButton)

    def processes(self) -> int:
        return self.processesSpin.value()


class ProcessRun(QObject):
    """One training run in a child process, reported as the engine's events.

    It knows nothing of the Training panel: the panel connects these signals to its own slots, as it
    does a ``ModelFiles``'s, and passes its event handlers to ``start_for_panel``.

    Signals
    -------
    event(dict)            an engine event (a JSON line of the child's output)
    finished(str)          the child ended; the run folder (its model.pt may be missing if no epoch ended)
    failed(str)            the run did not start, failed, or ended before an epoch did: the message
    runningChanged(bool)   the child started (True) or ended (False)
    logged(str)            a line for the run's log
    modelReady(str)        the model.pt of a run that ended with at least one epoch, to open
    notice(str, str)       text and role ("ok", "error") for the panel's message (Copy as command)
    """

    event = Signal(object)
    finished = Signal(str)
    failed = Signal(str)
    runningChanged = Signal(bool)
    logged = Signal(str)
    modelReady = Signal(str)
    notice = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.controls = ProcessControls()
        self.configs = None  # the window's current_configs(), for Copy as command
        self.process: QProcess | None = None
        self.run_dir: Path | None = None
        self._stopping = False
        self._buffer = b""
        self._errors: list[str] = []
        self._handlers: dict = {}  # event name -> the panel's handler, as a TaskRunner's on_events
        self.controls.copyButton.clicked.connect(self.copy_command)
        self.event.connect(self._on_event)
        self.finished.connect(self._on_finished_run)

    def is_running(self) -> bool:
        return self.process is not None

    def stopping(self) -> bool:
        return self._stopping

    def arguments(self, data_cfg, model_cfg, train_cfg, processes: int) -> list[str]:
        """The child's ``train`` arguments; ``--devices`` only when more than one process."""
        args = train_arguments(data_cfg, model_cfg, train_cfg)
        return args + (["--devices", str(processes)] if processes > 1 else [])

    def start(self, data_cfg, model_cfg, train_cfg, processes: int) -> bool:
        """Start the child in a new run folder; False when one runs already.

        Raises ValueError when the forms hold a setting the command line cannot say.
        """
        if self.process is not None:
            return False
        args = self.arguments(data_cfg, model_cfg, train_cfg, processes)
        self.run_dir = new_run_dir(runs_root(), data_cfg.dataset, model_cfg.arch)
        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        path = os.pathsep.join(filter(None, [str(ENGINE_ROOT), env.value("PYTHONPATH")]))
        env.insert("PYTHONPATH", path)
        env.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(env)
        process.readyReadStandardOutput.connect(self._read_output)
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self.process, self._stopping, self._buffer, self._errors = process, False, b"", []
        run_args = ["-m", "engine.cli", *args, "--events", "jsonl", "--out", str(self.run_dir)]
        process.start(sys.executable, run_args)
        self.runningChanged.emit(True)
        return True

    @Slot()
    def stop(self) -> None:
        """SIGTERM now (stop after the batch, save); kill after ``GRACE_MS`` if still running."""
        if self.process is None or self._stopping:
            return
        self._stopping = True
        self.process.terminate()
        QTimer.singleShot(GRACE_MS, self._kill)

    def shutdown(self, wait_ms: int = GRACE_MS) -> None:
        """Stop the child and wait for it (the window is closing)."""
        process = self.process
        if process is None:
            return
        self.stop()
        if not process.waitForFinished(wait_ms):
            process.kill()
            process.waitForFinished(5000)

    @Slot()
    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    @Slot()
    def _read_output(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("{"):
                continue  # the human lines (saved ..., test_accuracy=...) are for a terminal
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and "event" in event:
                self.event.emit(event)

    @Slot()
    def _read_errors(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        self._errors += [line for line in text.splitlines() if line.startswith("error:")]

    @Slot(QProcess.ProcessError)
    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._end(self.tr("Could not start {program}").format(program=sys.executable))

    @Slot(int, QProcess.ExitStatus)
    def _on_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        if code == 0 or self._stopping:
            self._end(None)
        else:
            first = self._errors[0][len("error:") :].strip() if self._errors else ""
            self._end(first or self.tr("The run ended with exit status {code}").format(code=code))

    def _end(self, error: str | None) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.deleteLater()
        self.runningChanged.emit(False)
        if error is None:
            self.finished.emit(str(self.run_dir))
        else:
            self.failed.emit(error)

    # ---- the Training panel's side ------------------------------------------------------------
    @Slot()
    def copy_command(self) -> str | None:
        """Put the ``main.py train`` line of the forms (``configs``) on the clipboard; returns it."""
        try:
            data_cfg, model_cfg, train_cfg = self.configs()
            args = self.arguments(data_cfg, model_cfg, train_cfg, self.controls.processes())
        except (TypeError, ValueError) as e:  # ConfigError is a ValueError; no forms attached: TypeError
            self.notice.emit(str(e), "error")
            return None
        text = command_line(args)
        QGuiApplication.clipboard().setText(text)
        self.notice.emit(self.tr("Copied: {command}").format(command=text), "ok")
        return text

    def start_for_panel(self, data_cfg, model_cfg, train_cfg, on_events: dict) -> bool:
        """Train's path when more than one process is chosen; ``on_events`` maps event names to
        handlers, as ``TaskRunner.start``'s does."""
        processes = self.controls.processes()
        self._handlers = on_events
        try:
            self.start(data_cfg, model_cfg, train_cfg, processes)
        except (ValueError, OSError) as e:  # a setting the command line cannot say; no run folder
            self.failed.emit(str(e))
            return False
        line = self.tr("Running on %n process(es) in {folder}", "", processes)
        self.logged.emit(line.format(folder=str(self.run_dir)))
        return True

    @Slot(object)
    def _on_event(self, event: dict) -> None:
        handler = self._handlers.get(event.get("event"))
        if handler is not None:
            handler(event)

    @Slot(str)
    def _on_finished_run(self, run_dir: str) -> None:
        model = Path(run_dir) / "model.pt"
        if not model.is_file():
            self.failed.emit(self.tr("The run ended before an epoch finished: nothing was saved"))
            return
        self.logged.emit(self.tr("Finished: {folder}").format(folder=run_dir))
        self.modelReady.emit(str(model))
