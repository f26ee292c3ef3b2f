"""The Training panel: Train/Stop, progress, loss and accuracy curves, the log, save and open.

The run itself happens in a worker thread (``gui.tasks.Task``) calling ``engine.train.run.run``;
this panel only draws what the worker reports. A run "ends" when its thread has finished, so by
the time ``runFinished``/``runFailed`` are emitted the panel is ready for the next run.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QWidget,
)

from engine.checkpoints import MODELS_DIR
from engine.formatting import accuracy_text, interval_note, model_line
from engine.names import display_name
from engine.train.request import RunRequest
from engine.train.runs import runs_root
from gui.language import duration, short
from gui.tasks import TaskRunner, stop_all
from gui.training import training_ui
from gui.training.device_status import device_status
from gui.training.filter_view import run_folder_of
from gui.training.model_files import ModelFiles, meta_of
from gui.training.process_run import ProcessRun
from gui.training.run_jobs import resume_job, train_job
from gui.training.run_lines import epoch_line, fold_line, phase_line, progress


class TrainingPanel(QWidget):
    """Runs training in a worker thread and shows it; saves and opens checkpoints.

    Signals
    -------
    trainRequested()          the Train button was pressed (the window gathers the configs)
    epochEnded(dict)          an epoch_end event, after its points were drawn
    runningChanged(bool)      a run started (True) or its thread ended (False)
    runFinished(object)       RunResult of a run that ended normally (also when stopped)
    runFailed(str)            message of a run that failed
    modelLoaded(object)       LoadedCheckpoint opened from a file (.model, .meta, .path)
    modelChanged(object)      the current model changed: RunResult or LoadedCheckpoint (.model, .meta)
    modelSaved(str)           path of a checkpoint just written
    statusMessage(str)        short text for the status bar
    """

    trainRequested = Signal()
    epochEnded = Signal(object)
    runningChanged = Signal(bool)
    runFinished = Signal(object)
    runFailed = Signal(str)
    modelLoaded = Signal(object)
    modelChanged = Signal(object)
    modelSaved = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, models_dir: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.models_dir = Path(MODELS_DIR if models_dir is None else models_dir)
        self.result = None  # last RunResult
        self.current = None  # RunResult or LoadedCheckpoint shown now
        self.training = TaskRunner(self, "trainingTask")
        self.training.runningChanged.connect(self.runningChanged)
        self.processRun = ProcessRun(self)  # "Run on N processes" and "Copy as command"
        self.processRun.runningChanged.connect(self.runningChanged)
        self.files = ModelFiles(self, self.models_dir)
        self.saveAction, self.openAction = self.files.saveAction, self.files.openAction
        self.saveModelButton, self.openModelButton = self.files.saveModelButton, self.files.openModelButton
        self._train_cfg = None
        self._filters_stale = False  # an epoch ended; its filters are read once its files are written
        self._build()
        self._update_buttons()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        training_ui.build(self)  # the widgets and their layout
        self.training.runningChanged.connect(self.lrFinder.set_blocked)
        self.lrFinder.statusMessage.connect(self.statusMessage)

        self.trainButton.clicked.connect(self.trainRequested)
        self.stopButton.clicked.connect(self.stop)
        self.resumeButton.clicked.connect(self.resume_run)
        self.processRun.runningChanged.connect(self._update_buttons)
        self.processRun.failed.connect(self._on_run_failed)
        self.processRun.logged.connect(self.log)
        self.processRun.notice.connect(self.messageLabel.show_message)
        self.processRun.modelReady.connect(self._on_process_model)
        self.saveAction.triggered.connect(self.save_model)
        self.openAction.triggered.connect(self.open_model)
        self.files.busyChanged.connect(self._update_buttons)
        self.files.saved.connect(self._on_saved)
        self.files.opened.connect(partial(self.show_opened, announce=True))
        self.files.failed.connect(self._on_file_error)
        self.files.statusMessage.connect(self.statusMessage)

    # ---- public API ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.training.is_running() or self.processRun.is_running()

    def start_run(self, request: RunRequest) -> bool:
        """Start the engine's runner on ``request`` in a worker thread; False if a run is going already."""
        if self.is_running():
            return False
        data_cfg, model_cfg, train_cfg = request.data_cfg, request.model_cfg, request.train_cfg
        self._reset_view(train_cfg.epochs)
        self._train_cfg = train_cfg
        # K-Fold: one curve per fold over the same epochs, and a table that fills as folds end.
        self.kfoldTable.clear(train_cfg.kfold or None)
        self.kfoldTable.setVisible(bool(train_cfg.kfold))
        self.log(
            self.tr(
                "Training {model} on {dataset}: %n epoch(s), batch size {batch}, "
                "{optimizer} at learning rate {lr}",
                "",
                train_cfg.epochs,
            ).format(
                model=model_cfg.arch,
                dataset=data_cfg.dataset,
                batch=train_cfg.batch_size,
                optimizer=train_cfg.optimizer,
                lr=short(train_cfg.lr, 6),
            )
        )
        self.trainingProgress.setFormat(self.tr("Starting…"))
        if self.processControls.processes() > 1:  # the same run as a command on N processes
            return self.processRun.start_for_panel(data_cfg, model_cfg, train_cfg, self._events())
        self.training.start(
            train_job(request),
            on_done=self._on_run_succeeded,
            on_failed=self._on_run_failed,
            on_events=self._events(),
        )
        self._update_buttons()
        return True

    @Slot()
    def resume_run(self, run_dir: str | Path | None = None) -> bool:
        """Continue the run in ``run_dir`` (asks for the folder when None) in a worker thread."""
        if run_dir is None:
            run_dir = QFileDialog.getExistingDirectory(self, self.tr("Resume run"), str(runs_root()))
        if not run_dir or self.training.is_running():
            return False
        self._reset_view(1)
        self._train_cfg = None
        self.kfoldTable.hide()
        self.trainingProgress.setFormat(self.tr("Resuming…"))
        job = resume_job(run_dir)
        self.training.start(job, self._on_run_succeeded, self._on_run_failed, on_events=self._events())
        self._update_buttons()
        return True

    @Slot()
    def stop(self) -> None:
        """Ask the run to stop after the current batch."""
        if self.processRun.is_running() and not self.processRun.stopping():
            self.processRun.stop()  # SIGTERM: the processes stop after the batch and save
            self.log(self.tr("Stopping after this batch…"))
            self._update_buttons()
        elif self.training.stop():
            self.log(self.tr("Stopping after this batch…"))
            self.trainingProgress.setFormat(self.tr("Stopping…"))
            self._update_buttons()

    def shutdown(self) -> None:
        """Stop the run and file jobs (if any) and wait for their threads; for the window's closeEvent."""
        stop_all(self)
        self.processRun.shutdown()

    def log(self, line: str) -> None:
        self.trainingLog.appendPlainText(display_name(line))  # Qt drops what is not UTF-8

    def show_history(self, history: list[dict[str, Any]]) -> None:
        """Draw saved epoch events (e.g. from a checkpoint's metadata) as curves."""
        self._clear_plots(len(history))
        for event in history:
            self.curves.add_epoch({**event, "fold": 0})

    # ---- run events ---------------------------------------------------------------------------
    def _on_status(self, event: dict) -> None:
        message = str(event.get("message", ""))
        self.log(message)
        self.statusMessage.emit(message)

    def _on_warning(self, event: dict) -> None:
        message = self.tr("Warning: {message}").format(message=event.get("message", ""))
        self.log(message)
        self.statusMessage.emit(message)
        if "record" in event:  # about the run itself (not learning): in sight until the next run
            self.messageLabel.show_message(message, role="warning")

    @Slot(object)
    def _on_progress(self, event: dict) -> None:
        if self._filters_stale:  # the next epoch runs: the last one's files are written
            self._filters_stale = False
            self.filterView.reload()
        folds = getattr(self._train_cfg, "kfold", 0) or 0
        done, text = progress(event, folds, self.training.stopping())
        self.trainingProgress.setValue(int(1000 * done))
        self.trainingProgress.setFormat(text)

    @Slot(object)
    def _on_epoch(self, event: dict) -> None:
        self.curves.add_epoch(event)
        self._filters_stale = True
        self.log(epoch_line(event))
        if event.get("device"):  # where it runs, and on CUDA the memory in use
            self.statusMessage.emit(device_status(event))
        self.epochEnded.emit(event)

    @Slot(object)
    def _on_phase(self, event: dict) -> None:
        self.log(phase_line(event))
        if event.get("fold", 0) > 1:
            return  # every fold unfreezes at the same epoch: one marker says it
        self.curves.mark(event.get("epoch", self.curves.last_epoch + 1) - 0.5, "unfrozen")

    @Slot(object)
    def _on_fold(self, event: dict) -> None:
        self.log(fold_line(event))
        self.kfoldTable.add_fold(event)

    @Slot(object)
    def _on_run_succeeded(self, result) -> None:
        self._finish(result)
        self._update_buttons()
        self.runFinished.emit(result)
        self.modelChanged.emit(result)

    @Slot(str)
    def _on_run_failed(self, message: str) -> None:
        self.trainingProgress.setFormat(self.tr("Failed"))
        self.messageLabel.show_error(message)
        self.log(self.tr("Run failed: {reason}").format(reason=message.splitlines()[0] if message else ""))
        self.statusMessage.emit(self.tr("Training failed"))
        self._update_buttons()
        self.runFailed.emit(message)

    @Slot(str)
    def _on_process_model(self, path: str) -> None:
        self.trainingProgress.setValue(1000)
        self.files.open(path)  # shown here, in Evaluation and in Runs, like a file the user opened

    def _finish(self, result) -> None:
        self.result = self.current = result
        self.filterView.set_folder(run_folder_of(result))
        if getattr(result, "save_error", None):  # the model is still here: Save model keeps it
            self.messageLabel.show_error(result.save_error)
            self.log(result.save_error)
        test = result.test or {}
        test_text = ""
        if test.get("accuracy") is not None:
            accuracy = accuracy_text(test["accuracy"], test.get("n"))  # its interval on a small test set
            test_text = self.tr(" · test accuracy {accuracy}").format(accuracy=accuracy)
        took = duration(result.seconds)
        epochs = len(result.history)
        if getattr(result, "error", None):
            summary = self.tr("Ended after %n good epoch(s) ({took}){test}", "", epochs)
            kept = self.tr(" Save model keeps the last good model.") if result.history else ""
            self.messageLabel.show_error(f"{result.error}.{kept}")
        elif result.stopped:
            summary = self.tr("Stopped after %n epoch(s) ({took}){test}", "", epochs)
        else:
            summary = self.tr("Finished in {took}{test}")
        summary = summary.format(took=took, test=test_text)
        if not (getattr(result, "error", None) or result.stopped):
            self.trainingProgress.setValue(1000)
        self.trainingProgress.setFormat(summary)
        self.log(summary)
        self.modelInfoLabel.setText(model_line(meta_of(result), html=True))
        self.modelInfoLabel.setToolTip(interval_note(test.get("n")))
        self.modelInfoLabel.show()
        self.statusMessage.emit(self.tr("{summary} · Save model (Ctrl+S) keeps it").format(summary=summary))

    # ---- save and open ------------------------------------------------------------------------
    @Slot()
    def save_model(self, path: str | Path | None = None) -> bool:
        """Write the current model to ``path`` (asks with a file dialog when None), in a worker."""
        if self.current is None or self.training.is_running():
            return False
        return self.files.save(self.current.model, meta_of(self.current), path)

    @Slot()
    def open_model(self, path: str | Path | None = None) -> bool:
        """Load a checkpoint (asks with a file dialog when None), in a worker; shows its curves."""
        return not self.training.is_running() and self.files.open(path)

    def _on_saved(self, path: str) -> None:
        self.log(self.tr("Saved model to {path}").format(path=path))
        self.messageLabel.show_message(self.tr("Saved model to {path}").format(path=path), role="ok")
        self.statusMessage.emit(self.tr("Saved {file}").format(file=Path(path).name))
        self.modelSaved.emit(path)

    def show_finished(self, result) -> None:
        """Show a finished run (RunResult) as its end did: summary, curves, model line; no signal."""
        self._finish(result)
        self.show_history(result.history)
        self._update_buttons()

    def show_opened(self, loaded, announce: bool = False) -> None:
        """Show an opened model (LoadedCheckpoint): its curves and name; ``announce`` emits
        ``modelLoaded`` and ``modelChanged`` (a file the user just opened)."""
        self.current = loaded
        meta = loaded.meta
        self.filterView.set_folder(run_folder_of(loaded))
        self.show_history(meta.get("history") or [])
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat(self.tr("Opened {file}").format(file=Path(loaded.path).name))
        self.modelInfoLabel.setText(f"{Path(loaded.path).name}: {model_line(meta, html=True)}")
        self.modelInfoLabel.setToolTip(str(loaded.path))
        self.modelInfoLabel.show()
        self.log(self.tr("Opened model {path}").format(path=loaded.path))
        self.statusMessage.emit(self.tr("Opened {file}").format(file=Path(loaded.path).name))
        self.messageLabel.show_message(loaded.note, role="warning")  # a stand-in for a damaged file
        if loaded.note:
            self.log(loaded.note)
            self.statusMessage.emit(loaded.note.splitlines()[0])
        self._update_buttons()
        if announce:
            self.modelLoaded.emit(loaded)
            self.modelChanged.emit(loaded)

    def _on_file_error(self, message: str) -> None:
        self.messageLabel.show_error(message)
        self.log(message)
        self.statusMessage.emit(message.splitlines()[0])

    # ---- helpers ------------------------------------------------------------------------------
    def _events(self) -> dict:
        return {
            "status": self._on_status,
            "warning": self._on_warning,
            "progress": self._on_progress,
            "epoch_end": self._on_epoch,
            "phase": self._on_phase,
            "fold_end": self._on_fold,
            "run_folder": lambda event: self.filterView.set_folder(event.get("path")),
        }

    def _reset_view(self, epochs: int) -> None:
        self.messageLabel.show_message("")
        self.modelInfoLabel.hide()  # it described the previous model
        self.trainingLog.clear()
        self.trainingProgress.setValue(0)
        self._clear_plots(epochs)
        self.filterView.set_folder(None)

    def _clear_plots(self, epochs: int = 5) -> None:
        self.curves.clear(epochs)

    def _update_buttons(self, *_) -> None:
        running = self.is_running()
        self.trainButton.setEnabled(not running)
        self.stopButton.setEnabled(running and not (self.training.stopping() or self.processRun.stopping()))
        self.resumeButton.setEnabled(not running)
        self.files.set_enabled(save=not running and self.current is not None, open_=not running)
