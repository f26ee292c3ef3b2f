"""Runs compared side by side: every run of the session and checkpoints reopened from disk.

One table row per run (dataset, model, starting point, parameters, epochs, final losses and
accuracies, test accuracy, wall time); selecting rows overlays their curves, validation solid and
train dashed, one colour per run. K-Fold runs show the fold mean (± std) and their mean curve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoints import read_payload
from engine.errors import CheckpointError
from engine.formatting import finite
from engine.report.style import FOLD_COLOURS
from gui.panels.runs_table import RunsTable, default_name, run_row, write_csv
from gui.tasks import TaskRunner, stop_all
from gui.widgets.curve_plot import RunsPlot
from gui.widgets.message_label import MessageLabel

METRICS = {"Accuracy (%)": ("acc", 100.0), "Loss": ("loss", 1.0)}


def mean_curves(history: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-epoch curves of a run: its history, or the mean over folds for a K-Fold run.

    Returns ``{"train_loss": (epochs, values), ...}`` for train/val loss and accuracy.
    """
    out = {}
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        by_epoch: dict[int, list[float]] = {}
        for n, h in enumerate(history):
            value = h.get(key)
            if finite(value):
                by_epoch.setdefault(int(h.get("epoch", n + 1)), []).append(float(value))
        epochs = sorted(by_epoch)
        out[key] = (np.array(epochs, dtype=float), np.array([np.mean(by_epoch[e]) for e in epochs]))
    return out


class RunsPanel(QWidget):
    """A table of runs; select rows to overlay their curves; export the table as CSV.

    Signals
    -------
    statusMessage(str)   short text for the status bar
    """

    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self._runs: list[dict[str, Any]] = []  # {"meta", "name", "colour"}
        self.reading = TaskRunner(self, "runsFileTask")
        self.reading.runningChanged.connect(self._update_buttons)
        self._build()

    def _build(self) -> None:
        bar = self._build_bar()
        self.messageLabel = MessageLabel("runsMessage", selectable=False)
        self.runsTable = RunsTable()
        self.runsPlot = RunsPlot()
        split = QSplitter(Qt.Orientation.Vertical, objectName="runsSplitter")
        split.addWidget(self.runsTable)
        split.addWidget(self.runsPlot)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.messageLabel)
        layout.addWidget(split, 1)

        self.runsTable.itemSelectionChanged.connect(self._redraw_plot)
        self.runsMetricCombo.currentIndexChanged.connect(self._redraw_plot)
        self.addRunButton.clicked.connect(lambda: self.add_files())
        self.removeRunButton.clicked.connect(self.remove_selected)
        self.exportRunsButton.clicked.connect(lambda: self.export_csv())
        self._update_buttons()
        self._redraw_plot()

    def _build_bar(self) -> QHBoxLayout:
        self.addRunButton = QPushButton("Add from file…", objectName="addRunButton")
        self.addRunButton.setToolTip("Add saved models (.pt) to the comparison")
        self.removeRunButton = QPushButton("Remove", objectName="removeRunButton")
        self.exportRunsButton = QPushButton("Export CSV…", objectName="exportRunsButton")
        self.runsMetricCombo = QComboBox(objectName="runsMetricCombo")
        self.runsMetricCombo.addItems(list(METRICS))
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Select runs to overlay their curves:"))
        bar.addStretch(1)
        bar.addWidget(QLabel("Plot"))
        bar.addWidget(self.runsMetricCombo)
        for b in (self.addRunButton, self.removeRunButton, self.exportRunsButton):
            bar.addWidget(b)
        return bar

    # ---- public API ---------------------------------------------------------------------------
    def add_run(self, meta: dict[str, Any], name: str | None = None, select: bool = True) -> int:
        """Add a run (its metadata: a RunResult's ``meta`` or a checkpoint's); returns its run id."""
        run_id = len(self._runs)
        name = name or default_name(meta, run_id)
        colour = FOLD_COLOURS[run_id % len(FOLD_COLOURS)]
        self._runs.append({"meta": meta, "name": name, "colour": colour})
        self.runsTable.add_row(run_id, run_row(meta, name), colour)
        if select:
            self._select_ids(self.selected_ids() + [run_id])
        self._update_buttons()
        return run_id

    @Slot(object)
    def add_result(self, result) -> int:
        """Add a finished run (RunResult); connect the window's runFinished here."""
        return self.add_run(result.meta)

    @Slot(object)
    def add_checkpoint(self, loaded) -> int:
        """Add an opened model (LoadedCheckpoint) under its file name."""
        return self.add_run(loaded.meta, name=Path(loaded.path).name)

    def add_files(self, paths: list[str] | None = None) -> bool:
        """Read checkpoints' metadata in a worker and add one row each (asks with a dialog when None)."""
        if self.reading.is_running():
            return False
        if not paths:
            paths, _ = QFileDialog.getOpenFileNames(
                self, "Add saved models to the comparison", str(Path.home()), "Taller models (*.pt)"
            )
            if not paths:
                return False
        return self.reading.start(
            _read_metas(list(paths)), on_done=self._on_files_read, on_failed=self._show_error
        )

    def run_count(self) -> int:
        return sum(1 for r in self._runs if r is not None)

    def runs(self) -> list[dict[str, Any]]:
        """(meta, name, colour) of every run, in the order added."""
        return [dict(r) for r in self._runs if r is not None]

    def selected_ids(self) -> list[int]:
        return self.runsTable.selected_ids()

    def select_runs(self, run_ids: list[int]) -> None:
        self._select_ids(list(run_ids))

    def plotted_names(self) -> list[str]:
        """Legend names of the runs drawn now (each run has a validation and a train curve)."""
        return [item.name() for item in self.runsPlot.getPlotItem().listDataItems() if item.name()]

    def table_rows(self) -> list[list[str]]:
        """The table's text, top to bottom as shown."""
        return self.runsTable.texts()

    @Slot()
    def remove_selected(self) -> None:
        ids = set(self.selected_ids())
        self.runsTable.remove_ids(ids)
        for run_id in ids:
            self._runs[run_id] = None  # ids stay stable; the table no longer shows it
        self._update_buttons()
        self._redraw_plot()

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the table (as shown, with plain numbers) to a CSV file; asks with a dialog when None."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export the runs table", str(Path.home() / "runs.csv"), "CSV files (*.csv)"
            )
            if not path:
                return None
        runs = [(self._runs[i]["meta"], self._runs[i]["name"]) for i in self.runsTable.ids_shown()]
        try:
            out = write_csv(path, runs)
        except OSError as e:
            self._show_error(f"Cannot write {path}: {e.strerror or e}. Choose another place.")
            return None
        self.statusMessage.emit(f"Runs table written to {out}")
        return out

    def shutdown(self) -> None:
        stop_all(self)

    # ---- plot ---------------------------------------------------------------------------------
    @Slot()
    def _redraw_plot(self) -> None:
        label = self.runsMetricCombo.currentText()
        key, scale = METRICS[label]
        runs = [self._runs[i] for i in self.selected_ids()]
        curves = [(r["name"], r["colour"], mean_curves(r["meta"].get("history") or [])) for r in runs]
        self.runsPlot.show_runs(curves, key, scale, label)

    # ---- helpers ------------------------------------------------------------------------------
    def _select_ids(self, ids: list[int]) -> None:
        self.runsTable.select_ids(ids)
        self._redraw_plot()
        self._update_buttons()

    def _update_buttons(self, *_) -> None:
        has_rows = self.runsTable.rowCount() > 0
        self.exportRunsButton.setEnabled(has_rows)
        self.removeRunButton.setEnabled(has_rows)
        self.addRunButton.setEnabled(not self.reading.is_running())

    def _show_error(self, message: str) -> None:
        self.messageLabel.show_error(message)
        if message:
            self.statusMessage.emit(message.splitlines()[0])

    @Slot(object)
    def _on_files_read(self, read: tuple[list[tuple[dict, str]], list[str]]) -> None:
        metas, errors = read
        for meta, name in metas:
            self.add_run(meta, name)
        self._show_error("\n".join(errors))
        if metas:
            self.statusMessage.emit(f"Added {len(metas)} saved run(s) to the comparison")


def _read_metas(paths: list[str]):
    """The worker's function: each checkpoint's metadata (not the model), with a message per bad file."""

    def job(on_event, stop):
        metas, errors = [], []
        for path in paths:
            if stop.is_set():
                break
            try:
                metas.append((read_payload(path)["meta"], Path(path).name))
            except CheckpointError as e:
                errors.append(str(e))
        return metas, errors

    return job
