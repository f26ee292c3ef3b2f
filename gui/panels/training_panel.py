"""The Training panel: Train/Stop, progress, loss and accuracy curves, the log, save and open.

The run itself happens in a worker thread (``gui.tasks.Task``) calling ``engine.train.run.run``;
this panel only draws what the worker reports. A run "ends" when its thread has finished, so by
the time ``runFinished``/``runFailed`` are emitted the panel is ready for the next run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoints import MODELS_DIR
from engine.formatting import duration, model_line, number, percent
from engine.train.runs import runs_root
from gui.panels.lr_finder import LrFinder
from gui.panels.model_files import ModelFiles
from gui.panels.run_jobs import resume_job, train_job
from gui.tasks import TaskRunner, stop_all
from gui.widgets.curve_plot import CurvePlot
from gui.widgets.kfold_view import FoldCurves, KFoldTable
from gui.widgets.message_label import MessageLabel


def epoch_line(event: dict[str, Any]) -> str:
    """One log line for an epoch_end event."""
    fold = f"Fold {event['fold']} · " if event.get("fold") else ""
    return (
        f"{fold}Epoch {event.get('epoch')}/{event.get('epochs')}: "
        f"train loss {number(event.get('train_loss'))}, accuracy {percent(event.get('train_acc'))} · "
        f"validation loss {number(event.get('val_loss'))}, accuracy {percent(event.get('val_acc'))} · "
        f"{duration(event.get('seconds', float('nan')))}"
    )


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
        self.files = ModelFiles(self, self.models_dir)
        self.saveAction, self.openAction = self.files.saveAction, self.files.openAction
        self.saveModelButton, self.openModelButton = self.files.saveModelButton, self.files.openModelButton
        self._x = 0
        self._train_cfg = None
        self._build()
        self._update_buttons()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.trainButton = QPushButton("Train", objectName="trainButton")
        self.trainButton.setToolTip("Train the model on the chosen data with these settings")
        self.trainButton.setDefault(True)
        self.stopButton = QPushButton("Stop", objectName="stopButton")
        self.stopButton.setToolTip("Stop after the current batch; the model keeps what it learned so far")
        self.resumeButton = QPushButton("Resume…", objectName="resumeButton")
        self.resumeButton.setToolTip("Continue a stopped or crashed run from its folder at its next epoch")
        buttons = QHBoxLayout()
        for button in (self.trainButton, self.stopButton, self.resumeButton):
            button.setMinimumWidth(90)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.openModelButton)
        buttons.addWidget(self.saveModelButton)

        self.trainingProgress = QProgressBar(objectName="trainingProgress")
        self.trainingProgress.setRange(0, 1000)
        self.trainingProgress.setValue(0)
        self.trainingProgress.setTextVisible(True)
        self.trainingProgress.setFormat("Ready")
        self.trainingProgress.setAccessibleName("Training progress")
        self.messageLabel = MessageLabel("trainingMessageLabel")
        self.modelInfoLabel = QLabel(objectName="modelInfoLabel", wordWrap=True)
        self.modelInfoLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.modelInfoLabel.hide()

        self.lossPlot = CurvePlot("lossPlot", "Loss", "loss")
        self.accuracyPlot = CurvePlot("accuracyPlot", "Accuracy", "accuracy (%)", legend_corner="bottom")
        self.accuracyPlot.getPlotItem().setYRange(0, 100, padding=0.02)
        self.accuracyPlot.getPlotItem().getViewBox().setLimits(yMin=-5, yMax=105)
        plots = QWidget()
        plots_row = QHBoxLayout(plots)
        plots_row.setContentsMargins(0, 0, 0, 0)
        plots_row.addWidget(self.lossPlot)
        plots_row.addWidget(self.accuracyPlot)
        self.trainingLog = QPlainTextEdit(objectName="trainingLog", readOnly=True)
        self.trainingLog.setMaximumBlockCount(5000)
        self.trainingLog.setPlaceholderText("Each epoch adds a line here.")
        self.trainingLog.setAccessibleName("Training log")
        self.trainingLog.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        splitter = QSplitter(Qt.Orientation.Vertical, objectName="trainingSplitter")
        self.kfoldTable = KFoldTable()
        self.kfoldTable.hide()
        self.foldLoss = FoldCurves(self.lossPlot, "validation")
        self.foldAccuracy = FoldCurves(self.accuracyPlot, "validation", scale=100)
        splitter.addWidget(plots)
        splitter.addWidget(self.kfoldTable)
        splitter.addWidget(self.trainingLog)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.trainingProgress)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.modelInfoLabel)
        self.lrFinder = LrFinder()
        layout.addWidget(self.lrFinder)
        layout.addWidget(splitter, 1)
        self.training.runningChanged.connect(self.lrFinder.set_blocked)
        self.lrFinder.statusMessage.connect(self.statusMessage)

        self.trainButton.clicked.connect(self.trainRequested)
        self.stopButton.clicked.connect(self.stop)
        self.resumeButton.clicked.connect(self.resume_run)
        self.saveAction.triggered.connect(self.save_model)
        self.openAction.triggered.connect(self.open_model)
        self.files.busyChanged.connect(self._update_buttons)
        self.files.saved.connect(self._on_saved)
        self.files.opened.connect(self._on_opened)
        self.files.failed.connect(self._on_file_error)
        self.files.statusMessage.connect(self.statusMessage)

    # ---- public API ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.training.is_running()

    def start_run(self, data_cfg, model_cfg, train_cfg, data=None) -> bool:
        """Start ``engine.train.run.run`` in a worker thread; False if a run is going already."""
        if self.training.is_running():
            return False
        self._reset_view(train_cfg.epochs)
        self._train_cfg = train_cfg
        # K-Fold: one curve per fold over the same epochs, and a table that fills as folds end.
        self.kfoldTable.clear(train_cfg.kfold or None)
        self.kfoldTable.setVisible(bool(train_cfg.kfold))
        self.log(
            f"Training {model_cfg.arch} on {data_cfg.dataset}: {train_cfg.epochs} epochs, "
            f"batch size {train_cfg.batch_size}, {train_cfg.optimizer} at learning rate {train_cfg.lr:g}"
        )
        self.trainingProgress.setFormat("Starting…")
        self.training.start(
            train_job(data_cfg, model_cfg, train_cfg, data),
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
            run_dir = QFileDialog.getExistingDirectory(self, "Resume run", str(runs_root()))
        if not run_dir or self.training.is_running():
            return False
        self._reset_view(1)
        self._train_cfg = None
        self.kfoldTable.hide()
        self.trainingProgress.setFormat("Resuming…")
        job = resume_job(run_dir)
        self.training.start(job, self._on_run_succeeded, self._on_run_failed, on_events=self._events())
        self._update_buttons()
        return True

    @Slot()
    def stop(self) -> None:
        """Ask the run to stop after the current batch."""
        if self.training.stop():
            self.log("Stopping after this batch…")
            self.trainingProgress.setFormat("Stopping…")
            self._update_buttons()

    def shutdown(self) -> None:
        """Stop the run and file jobs (if any) and wait for their threads; for the window's closeEvent."""
        stop_all(self)

    def log(self, line: str) -> None:
        self.trainingLog.appendPlainText(line)

    def show_history(self, history: list[dict[str, Any]]) -> None:
        """Draw saved epoch events (e.g. from a checkpoint's metadata) as curves."""
        self._clear_plots(len(history))
        for event in history:
            self._add_epoch_point(event)

    # ---- run events ---------------------------------------------------------------------------
    def _on_status(self, event: dict) -> None:
        message = str(event.get("message", ""))
        self.log(message)
        self.statusMessage.emit(message)

    @Slot(object)
    def _on_progress(self, event: dict) -> None:
        epoch, epochs = event.get("epoch", 1), max(1, event.get("epochs", 1))
        batch, batches = event.get("batch", 0), max(1, event.get("batches", 1))
        done = ((epoch - 1) + batch / batches) / epochs
        folds = getattr(self._train_cfg, "kfold", 0) or 0
        fold = event.get("fold", 0)
        if folds and fold:
            done = ((fold - 1) + done) / folds
        self.trainingProgress.setValue(int(1000 * min(1.0, done)))
        prefix = f"Fold {fold}/{folds} · " if folds and fold else ""
        eta = event.get("eta")
        left = f" · {duration(eta)} left" if eta is not None else ""
        stopping = " · stopping…" if self.training.stopping() else ""
        self.trainingProgress.setFormat(
            f"{prefix}Epoch {epoch}/{epochs} · batch {batch}/{batches}{left}{stopping}"
        )

    @Slot(object)
    def _on_epoch(self, event: dict) -> None:
        if event.get("fold"):
            self.foldLoss.add_event(event, "val_loss")
            self.foldAccuracy.add_event(event, "val_acc")
        else:
            self._add_epoch_point(event)
        self.log(epoch_line(event))
        self.epochEnded.emit(event)

    @Slot(object)
    def _on_phase(self, event: dict) -> None:
        names = event.get("unfrozen") or []
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        self.log(
            f"Phase {event.get('phase', 2)} from epoch {event.get('epoch')}: unfroze {shown or 'all layers'}"
        )
        if event.get("fold", 0) > 1:
            return  # every fold unfreezes at the same epoch: one marker says it
        x = event.get("epoch", self._x + 1) - 0.5
        for plot in (self.lossPlot, self.accuracyPlot):
            plot.mark(x, "unfrozen")

    @Slot(object)
    def _on_fold(self, event: dict) -> None:
        self.log(
            f"Fold {event.get('fold')}/{event.get('folds')} done: validation loss "
            f"{number(event.get('val_loss'))}, accuracy {percent(event.get('val_acc'))}"
        )
        self.kfoldTable.add_fold(event)

    @Slot(object)
    def _on_run_succeeded(self, result) -> None:
        self._finish(result)
        self._update_buttons()
        self.runFinished.emit(result)
        self.modelChanged.emit(result)

    @Slot(str)
    def _on_run_failed(self, message: str) -> None:
        self.trainingProgress.setFormat("Failed")
        self.messageLabel.show_error(message)
        self.log(f"Run failed: {message.splitlines()[0] if message else ''}")
        self.statusMessage.emit("Training failed")
        self._update_buttons()
        self.runFailed.emit(message)

    def _finish(self, result) -> None:
        self.result = self.current = result
        test = result.test or {}
        test_text = (
            f" · test accuracy {percent(test['accuracy'])}" if test.get("accuracy") is not None else ""
        )
        took = duration(result.seconds)
        if getattr(result, "error", None):
            summary = f"Ended after {len(result.history)} good epochs ({took}){test_text}"
            kept = " Save model keeps the last good model." if result.history else ""
            self.messageLabel.show_error(f"{result.error}.{kept}")
        elif result.stopped:
            summary = f"Stopped after {len(result.history)} epochs ({took}){test_text}"
        else:
            summary = f"Finished in {took}{test_text}"
            self.trainingProgress.setValue(1000)
        self.trainingProgress.setFormat(summary)
        self.log(summary)
        self.modelInfoLabel.setText(model_line(self._meta_of(result), html=True))
        self.modelInfoLabel.setToolTip("")
        self.modelInfoLabel.show()
        self.statusMessage.emit(f"{summary} · Save model (Ctrl+S) keeps it")

    # ---- save and open ------------------------------------------------------------------------
    @Slot()
    def save_model(self, path: str | Path | None = None) -> bool:
        """Write the current model to ``path`` (asks with a file dialog when None), in a worker."""
        if self.current is None or self.training.is_running():
            return False
        return self.files.save(self.current.model, self._meta_of(self.current), path)

    @Slot()
    def open_model(self, path: str | Path | None = None) -> bool:
        """Load a checkpoint (asks with a file dialog when None), in a worker; shows its curves."""
        return not self.training.is_running() and self.files.open(path)

    def _on_saved(self, path: str) -> None:
        self.log(f"Saved model to {path}")
        self.messageLabel.show_message(f"Saved model to {path}", role="ok")
        self.statusMessage.emit(f"Saved {Path(path).name}")
        self.modelSaved.emit(path)

    def _on_opened(self, loaded) -> None:
        self.current = loaded
        meta = loaded.meta
        self.show_history(meta.get("history") or [])
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat(f"Opened {Path(loaded.path).name}")
        self.modelInfoLabel.setText(f"{Path(loaded.path).name}: {model_line(meta, html=True)}")
        self.modelInfoLabel.setToolTip(str(loaded.path))
        self.modelInfoLabel.show()
        self.messageLabel.show_message("")
        self.log(f"Opened model {loaded.path}")
        self.statusMessage.emit(f"Opened {Path(loaded.path).name}")
        self.modelLoaded.emit(loaded)
        self.modelChanged.emit(loaded)

    def _on_file_error(self, message: str) -> None:
        self.messageLabel.show_error(message)
        self.log(message)
        self.statusMessage.emit(message.splitlines()[0])

    # ---- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _meta_of(source) -> dict[str, Any]:
        meta = dict(getattr(source, "meta", None) or {})
        history = getattr(source, "history", None)
        if history is not None:
            meta.setdefault("history", history)
        test = getattr(source, "test", None)
        if test is not None:
            meta.setdefault("test", test)
        return meta

    def _events(self) -> dict:
        return {
            "status": self._on_status,
            "progress": self._on_progress,
            "epoch_end": self._on_epoch,
            "phase": self._on_phase,
            "fold_end": self._on_fold,
        }

    def _reset_view(self, epochs: int) -> None:
        self.messageLabel.show_message("")
        self.modelInfoLabel.hide()  # it described the previous model
        self.trainingLog.clear()
        self.trainingProgress.setValue(0)
        self._clear_plots(epochs)

    def _clear_plots(self, epochs: int = 5) -> None:
        self._x = 0
        self.foldLoss.clear()
        self.foldAccuracy.clear()
        for plot in (self.lossPlot, self.accuracyPlot):
            plot.clear_points()
            plot.set_epoch_range(epochs)

    def _add_epoch_point(self, event: dict) -> None:
        self._x += 1
        self.lossPlot.add_point(self._x, event.get("train_loss"), event.get("val_loss"))
        acc = [event.get(k) for k in ("train_acc", "val_acc")]
        self.accuracyPlot.add_point(self._x, *(None if a is None else 100 * a for a in acc))

    def _update_buttons(self, *_) -> None:
        running = self.training.is_running()
        self.trainButton.setEnabled(not running)
        self.stopButton.setEnabled(running and not self.training.stopping())
        self.resumeButton.setEnabled(not running)
        self.files.set_enabled(save=not running and self.current is not None, open_=not running)
