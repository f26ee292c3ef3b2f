"""The Training panel: Train/Stop, progress, loss and accuracy curves, the log, save and open.

The run itself happens in a worker thread (``gui.tasks.Task``) calling ``engine.training.run``;
this panel only draws what the worker reports. A run "ends" when its thread has finished, so by
the time ``runFinished``/``runFailed`` are emitted the panel is ready for the next run.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
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

from gui.tasks import Task
from gui.widgets.kfold_view import FoldCurves, KFoldTable

TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#ff7f0e"


def format_duration(seconds: float) -> str:
    """'8 s', '3 min 20 s', '1 h 05 min' for a time left or taken."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _pct(value: Any) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{100 * value:.1f}%"


def _num(value: Any) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4f}"


def epoch_line(event: dict[str, Any]) -> str:
    """One log line for an epoch_end event."""
    fold = f"Fold {event['fold']} · " if event.get("fold") else ""
    return (
        f"{fold}Epoch {event.get('epoch')}/{event.get('epochs')}: "
        f"train loss {_num(event.get('train_loss'))}, accuracy {_pct(event.get('train_acc'))} · "
        f"validation loss {_num(event.get('val_loss'))}, accuracy {_pct(event.get('val_acc'))} · "
        f"{format_duration(event.get('seconds', float('nan')))}"
    )


def model_summary(meta: dict[str, Any]) -> str:
    """A short description of a model from its checkpoint metadata."""
    parts = [f"<b>{meta.get('arch', '?')}</b>"]
    if meta.get("dataset"):
        parts.append(f"trained on {str(meta['dataset']).replace('folder:', 'folder ')}")
    classes = meta.get("classes") or []
    parts.append(f"{len(classes)} classes")
    spec = meta.get("spec") or {}
    if spec:
        parts.append(f"input {spec.get('channels')}×{spec.get('height')}×{spec.get('width')}")
    history = meta.get("history") or []
    if history:
        parts.append(f"{len(history)} epochs, validation accuracy {_pct(history[-1].get('val_acc'))}")
    test = meta.get("test") or {}
    if isinstance(test, dict) and test.get("accuracy") is not None:
        parts.append(f"test accuracy {_pct(test['accuracy'])}")
    return " · ".join(parts)


class CurvePlot(pg.PlotWidget):
    """Train and validation curves of one metric, one point per finished epoch."""

    def __init__(
        self, name: str, title: str, unit: str, legend_corner: str = "top", parent: QWidget | None = None
    ):
        super().__init__(parent=parent, background="w")
        self.setObjectName(name)
        self.setAccessibleName(title)
        self.setMinimumSize(220, 170)
        item = self.getPlotItem()
        item.setTitle(title, color="#333", size="10pt")
        item.setLabel("bottom", "epoch")
        item.setLabel("left", unit)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setMenuEnabled(False)
        # Loss falls and accuracy rises: put each legend where its curves are not.
        item.addLegend(
            offset=(-8, 8) if legend_corner == "top" else (-8, -8),
            labelTextColor="#333",
            brush=pg.mkBrush(255, 255, 255, 200),
        )
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTextPen("#444")
            item.getAxis(axis).setPen("#999")
        self.train = item.plot(
            [],
            [],
            name="train",
            pen=pg.mkPen(TRAIN_COLOUR, width=2),
            symbol="o",
            symbolSize=6,
            symbolBrush=TRAIN_COLOUR,
            symbolPen=None,
        )
        self.val = item.plot(
            [],
            [],
            name="validation",
            pen=pg.mkPen(VAL_COLOUR, width=2),
            symbol="s",
            symbolSize=6,
            symbolBrush=VAL_COLOUR,
            symbolPen=None,
        )
        self._x: list[float] = []
        self._train: list[float] = []
        self._val: list[float] = []
        self._markers: list[pg.InfiniteLine] = []
        self.set_epoch_range(5)

    def set_epoch_range(self, epochs: int) -> None:
        """Show epochs 1..epochs on the x axis before the points arrive."""
        self._epochs_shown = max(1, epochs)
        self.getPlotItem().setXRange(0.5, self._epochs_shown + 0.5, padding=0)
        self._integer_ticks(epochs)

    def _integer_ticks(self, epochs: int) -> None:
        axis = self.getPlotItem().getAxis("bottom")
        if epochs <= 20:
            axis.setTickSpacing(major=1 if epochs <= 10 else 2, minor=1)
        else:
            axis.setTickSpacing()  # automatic spacing for long runs

    def clear_points(self) -> None:
        self._x, self._train, self._val = [], [], []
        self.train.setData([], [])
        self.val.setData([], [])
        for marker in self._markers:
            self.getPlotItem().removeItem(marker)
        self._markers = []

    def add_point(self, x: float, train: float | None, val: float | None) -> None:
        self._x.append(x)
        self._train.append(float("nan") if train is None else float(train))
        self._val.append(float("nan") if val is None else float(val))
        self.train.setData(self._x, self._train, connect="finite")
        self.val.setData(self._x, self._val, connect="finite")
        if x > self._epochs_shown:
            self._epochs_shown = int(x)
            self.getPlotItem().enableAutoRange(axis="x")
            self._integer_ticks(int(x))

    def mark(self, x: float, label: str) -> None:
        """A dashed vertical line, e.g. where fine-tuning unfroze layers."""
        line = pg.InfiniteLine(
            pos=x,
            angle=90,
            pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine),
            label=label,
            labelOpts={"position": 0.9, "color": "#555"},
        )
        self.getPlotItem().addItem(line)
        self._markers.append(line)

    def point_count(self) -> int:
        return len(self._x)


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
        if models_dir is None:
            from engine.checkpoints import MODELS_DIR

            models_dir = MODELS_DIR
        self.models_dir = Path(models_dir)
        self.result = None  # last RunResult
        self.current = None  # RunResult or LoadedCheckpoint shown now
        self._task: Task | None = None
        self._file_task: Task | None = None
        self._file_done = None
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
        self.saveAction = QAction("&Save model…", self, shortcut=QKeySequence.StandardKey.Save)
        self.saveAction.setToolTip("Save the trained model to a file (Ctrl+S)")
        self.openAction = QAction("&Open model…", self, shortcut=QKeySequence.StandardKey.Open)
        self.openAction.setToolTip("Open a model saved earlier (Ctrl+O)")
        self.saveModelButton = QPushButton("Save model…", objectName="saveModelButton")
        self.openModelButton = QPushButton("Open model…", objectName="openModelButton")
        self.saveModelButton.setToolTip(self.saveAction.toolTip())
        self.openModelButton.setToolTip(self.openAction.toolTip())
        buttons = QHBoxLayout()
        for button in (self.trainButton, self.stopButton):
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
        self.messageLabel = QLabel(objectName="trainingMessageLabel", wordWrap=True)
        self.messageLabel.setProperty("role", "error")  # polished with the padding from the start
        self.messageLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.messageLabel.hide()
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
        layout.addWidget(splitter, 1)

        self.trainButton.clicked.connect(self.trainRequested)
        self.stopButton.clicked.connect(self.stop)
        self.saveAction.triggered.connect(self.save_model)
        self.openAction.triggered.connect(self.open_model)
        self.saveModelButton.clicked.connect(self.saveAction.trigger)
        self.openModelButton.clicked.connect(self.openAction.trigger)
        self.addAction(self.saveAction)
        self.addAction(self.openAction)

    # ---- public API ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._task is not None

    def start_run(self, data_cfg, model_cfg, train_cfg, data=None) -> bool:
        """Start ``engine.training.run`` in a worker thread; False if a run is going already."""
        if self._task is not None:
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
        task = Task(_runner(data_cfg, model_cfg, train_cfg, data), parent=self, name="trainingTask")
        worker = task.worker
        worker.statusMessage.connect(self._on_status)
        worker.progressed.connect(self._on_progress)
        worker.epochEnded.connect(self._on_epoch)
        worker.phaseStarted.connect(self._on_phase)
        worker.foldEnded.connect(self._on_fold)
        task.succeeded.connect(self._on_run_succeeded)
        task.failed.connect(self._on_run_failed)
        self._task = task
        task.start()
        self._update_buttons()
        self.runningChanged.emit(True)
        return True

    @Slot()
    def stop(self) -> None:
        """Ask the run to stop after the current batch."""
        if self._task is not None and not self._task.stop_event.is_set():
            self._task.request_stop()
            self.log("Stopping after this batch…")
            self.trainingProgress.setFormat("Stopping…")
            self._update_buttons()

    def shutdown(self) -> None:
        """Stop the run (if any) and wait for its thread; for the window's closeEvent."""
        for task in (self._task, self._file_task):
            if task is not None:
                task.stop_and_wait()

    def log(self, line: str) -> None:
        self.trainingLog.appendPlainText(line)

    def show_message(self, text: str, role: str = "error") -> None:
        """A non-modal message above the plots (empty text hides it)."""
        self.messageLabel.setText(text)
        self.messageLabel.setProperty("role", role)
        self.messageLabel.style().unpolish(self.messageLabel)
        self.messageLabel.style().polish(self.messageLabel)
        self.messageLabel.setVisible(bool(text))

    def show_history(self, history: list[dict[str, Any]]) -> None:
        """Draw saved epoch events (e.g. from a checkpoint's metadata) as curves."""
        self._clear_plots(len(history))
        for event in history:
            self._add_epoch_point(event)

    # ---- run events ---------------------------------------------------------------------------
    @Slot(str)
    def _on_status(self, message: str) -> None:
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
        left = f" · {format_duration(eta)} left" if eta is not None else ""
        stopping = " · stopping…" if self._task is not None and self._task.stop_event.is_set() else ""
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
            f"{_num(event.get('val_loss'))}, accuracy {_pct(event.get('val_acc'))}"
        )
        self.kfoldTable.add_fold(event)

    @Slot(object)
    def _on_run_succeeded(self, result) -> None:
        self._task = None
        self._finish(result)
        self._update_buttons()
        self.runningChanged.emit(False)
        self.runFinished.emit(result)
        self.modelChanged.emit(result)

    @Slot(str)
    def _on_run_failed(self, message: str) -> None:
        self._task = None
        self.trainingProgress.setFormat("Failed")
        self.show_message(message, role="error")
        self.log(f"Run failed: {message.splitlines()[0] if message else ''}")
        self.statusMessage.emit("Training failed")
        self._update_buttons()
        self.runningChanged.emit(False)
        self.runFailed.emit(message)

    def _finish(self, result) -> None:
        self.result = self.current = result
        test = result.test or {}
        test_text = f" · test accuracy {_pct(test['accuracy'])}" if test.get("accuracy") is not None else ""
        took = format_duration(result.seconds)
        if getattr(result, "error", None):
            summary = f"Ended after {len(result.history)} good epochs ({took}){test_text}"
            kept = " Save model keeps the last good model." if result.history else ""
            self.show_message(f"{result.error}.{kept}", role="error")
        elif result.stopped:
            summary = f"Stopped after {len(result.history)} epochs ({took}){test_text}"
        else:
            summary = f"Finished in {took}{test_text}"
            self.trainingProgress.setValue(1000)
        self.trainingProgress.setFormat(summary)
        self.log(summary)
        self.modelInfoLabel.setText(model_summary(self._meta_of(result)))
        self.modelInfoLabel.setToolTip("")
        self.modelInfoLabel.show()
        self.statusMessage.emit(f"{summary} · Save model (Ctrl+S) keeps it")

    # ---- save and open ------------------------------------------------------------------------
    def default_save_path(self) -> Path:
        from engine.checkpoints import default_checkpoint_name

        meta = self._meta_of(self.current)
        return self.models_dir / default_checkpoint_name(meta, time.strftime("%Y%m%d-%H%M"))

    @Slot()
    def save_model(self, path: str | Path | None = None) -> bool:
        """Write the current model to ``path`` (asks with a file dialog when None), in a worker."""
        if self.current is None or self._task is not None or self._file_task is not None:
            return False
        if not path:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            path, _ = QFileDialog.getSaveFileName(
                self, "Save model", str(self.default_save_path()), "Taller models (*.pt)"
            )
            if not path:
                return False
        path = Path(path)
        if path.suffix != ".pt":
            path = path.with_name(path.name + ".pt")
        model, meta = self.current.model, self._meta_of(self.current)

        def save(on_event, stop):
            from engine.checkpoints import save_checkpoint

            return str(save_checkpoint(path, model, meta))

        self._start_file_task(save, self._on_saved, f"Saving {path.name}…")
        return True

    @Slot()
    def open_model(self, path: str | Path | None = None) -> bool:
        """Load a checkpoint (asks with a file dialog when None), in a worker; shows its curves."""
        if self._task is not None or self._file_task is not None:
            return False
        if not path:
            start = str(self.models_dir if self.models_dir.is_dir() else Path.home())
            path, _ = QFileDialog.getOpenFileName(
                self, "Open model", start, "Taller models (*.pt);;All files (*)"
            )
            if not path:
                return False

        def load(on_event, stop):
            from engine.checkpoints import load_checkpoint

            return load_checkpoint(path)

        self._start_file_task(load, self._on_opened, f"Opening {Path(path).name}…")
        return True

    def _start_file_task(self, fn, on_done, message: str) -> None:
        task = Task(fn, parent=self, name="checkpointTask")
        task.succeeded.connect(self._on_file_succeeded)
        task.failed.connect(self._on_file_error)
        self._file_task, self._file_done = task, on_done
        self.statusMessage.emit(message)
        task.start()
        self._update_buttons()

    def _on_saved(self, path: str) -> None:
        self.log(f"Saved model to {path}")
        self.show_message(f"Saved model to {path}", role="ok")
        self.statusMessage.emit(f"Saved {Path(path).name}")
        self.modelSaved.emit(path)

    def _on_opened(self, loaded) -> None:
        self.current = loaded
        meta = loaded.meta
        self.show_history(meta.get("history") or [])
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat(f"Opened {Path(loaded.path).name}")
        self.modelInfoLabel.setText(f"{Path(loaded.path).name}: {model_summary(meta)}")
        self.modelInfoLabel.setToolTip(str(loaded.path))
        self.modelInfoLabel.show()
        self.show_message("")
        self.log(f"Opened model {loaded.path}")
        self.statusMessage.emit(f"Opened {Path(loaded.path).name}")
        self.modelLoaded.emit(loaded)
        self.modelChanged.emit(loaded)

    @Slot(object)
    def _on_file_succeeded(self, value) -> None:
        self._file_task = None
        self._update_buttons()
        self._file_done(value)

    @Slot(str)
    def _on_file_error(self, message: str) -> None:
        self._file_task = None
        self._update_buttons()
        self.show_message(message, role="error")
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

    def _reset_view(self, epochs: int) -> None:
        self.show_message("")
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

    def _update_buttons(self) -> None:
        running = self._task is not None
        busy_file = self._file_task is not None
        self.trainButton.setEnabled(not running)
        self.stopButton.setEnabled(running and not self._task.stop_event.is_set())
        self.saveAction.setEnabled(not running and not busy_file and self.current is not None)
        self.openAction.setEnabled(not running and not busy_file)
        self.saveModelButton.setEnabled(self.saveAction.isEnabled())
        self.openModelButton.setEnabled(self.openAction.isEnabled())


def _runner(data_cfg, model_cfg, train_cfg, data):
    def run(on_event, stop):
        from engine.training import run as train

        return train(data_cfg, model_cfg, train_cfg, on_event=on_event, stop=stop, data=data)

    return run
