"""Runs compared side by side: every run of the session and checkpoints reopened from disk.

One table row per run (dataset, model, starting point, parameters, epochs, final losses and
accuracies, test accuracy, wall time); selecting rows overlays their curves, validation solid and
train dashed, one colour per run. K-Fold runs show the fold mean (± std) and their mean curve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal, Slot
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
from engine.codegen.notebook import write_code
from engine.errors import CheckpointError
from engine.formatting import finite
from engine.report.style import FOLD_COLOURS
from gui.runs.runs_library import RunsLibraryBar
from gui.runs.runs_table import (
    RUN_FILES,
    RunsTable,
    checkpoint_name,
    default_name,
    run_name,
    run_row,
    write_csv,
)
from gui.tasks import TaskRunner, stop_all
from gui.widgets.curve_plot import RunsPlot
from gui.widgets.message_label import MessageLabel

# label (translated when shown) -> history key, scale
METRICS = {
    QT_TRANSLATE_NOOP("RunsPanel", "Accuracy (%)"): ("acc", 100.0),
    QT_TRANSLATE_NOOP("RunsPanel", "Loss"): ("loss", 1.0),
}


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
        self.exporting = TaskRunner(self, "notebookExportTask")
        self.exporting.runningChanged.connect(self._update_buttons)
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
        self.library = RunsLibraryBar(self)  # filter, Open, Run again, Delete…: the runs on disk
        layout.addWidget(self.library)
        layout.addWidget(self.messageLabel)
        layout.addWidget(split, 1)

        self.runsTable.itemSelectionChanged.connect(self._redraw_plot)
        self.runsMetricCombo.currentIndexChanged.connect(self._redraw_plot)
        self.addRunButton.clicked.connect(lambda: self.add_files())
        self.removeRunButton.clicked.connect(self.remove_selected)
        self.exportRunsButton.clicked.connect(lambda: self.export_csv())
        self.exportNotebookButton.clicked.connect(lambda: self.export_notebook())
        self.runsTable.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()
        self._redraw_plot()

    def _build_bar(self) -> QHBoxLayout:
        self.addRunButton = QPushButton(self.tr("Add from file…"), objectName="addRunButton")
        self.addRunButton.setToolTip(self.tr("Add saved models (.pt) to the comparison"))
        self.removeRunButton = QPushButton(self.tr("Remove"), objectName="removeRunButton")
        self.exportRunsButton = QPushButton(self.tr("Export CSV…"), objectName="exportRunsButton")
        self.exportNotebookButton = QPushButton(
            self.tr("Export as notebook…"), objectName="exportNotebookButton"
        )
        self.exportNotebookButton.setToolTip(
            self.tr(
                "Write the selected run as a Jupyter notebook (or .py script) of plain PyTorch that redoes it"
            )
        )
        self.runsMetricCombo = QComboBox(objectName="runsMetricCombo")
        for label in METRICS:
            self.runsMetricCombo.addItem(self.tr(label), label)  # data: the untranslated key
        bar = QHBoxLayout()
        # No lead-in text: the plot below says to select runs, and a Spanish bar did not fit at 1280 px.
        bar.addStretch(1)
        bar.addWidget(QLabel(self.tr("Plot")))
        bar.addWidget(self.runsMetricCombo)
        for b in (self.addRunButton, self.removeRunButton, self.exportRunsButton, self.exportNotebookButton):
            bar.addWidget(b)
        return bar

    # ---- public API ---------------------------------------------------------------------------
    def add_run(
        self, meta: dict[str, Any], name: str | None = None, select: bool = True, checkpoint=None
    ) -> int:
        """Add a run (its metadata: a RunResult's ``meta`` or a checkpoint's, read from the file
        ``checkpoint``); returns its run id."""
        run_id = len(self._runs)
        name = name or default_name(meta, run_id)
        colour = FOLD_COLOURS[run_id % len(FOLD_COLOURS)]
        path = str(checkpoint) if checkpoint else None
        self._runs.append({"meta": meta, "name": name, "colour": colour, "checkpoint": path})
        self.runsTable.add_row(run_id, run_row(meta, name), colour)
        if select:
            self._select_ids(self.selected_ids() + [run_id])
        self._update_buttons()
        return run_id

    @Slot(object)
    def add_result(self, result) -> int:
        """Add a finished run (RunResult) named like its run folder; connect the window's runFinished here.

        A row that listed the same folder before its first epoch ended gives way to it."""
        folder = result.meta.get("run_dir")
        waiting = {i for i in self.all_ids() if folder and self._is_unfinished_row(i, folder)}
        if waiting:
            self.remove_ids(waiting)
        return self.add_run(result.meta, name=run_name(result.meta, len(self._runs)))

    @Slot(object)
    def add_checkpoint(self, loaded) -> int:
        """Add an opened model (LoadedCheckpoint) under its name (a run folder's name for its files);
        a run already listed from that file or folder is selected instead of added twice."""
        path = Path(loaded.path)
        folder = str(path.parent) if path.name in RUN_FILES else None
        same = [
            i
            for i in self.all_ids()
            if self._runs[i]["checkpoint"] == str(path)
            or (folder and str(self._runs[i]["meta"].get("run_dir")) == folder)
        ]
        if same:
            self._select_ids(same)
            return same[0]
        return self.add_run(loaded.meta, name=checkpoint_name(path), checkpoint=loaded.path)

    def _is_unfinished_row(self, run_id: int, folder: str) -> bool:
        meta = self._runs[run_id]["meta"]
        return bool(meta.get("unfinished")) and str(meta.get("run_dir")) == str(folder)

    def add_files(self, paths: list[str] | None = None) -> bool:
        """Read checkpoints' metadata in a worker and add one row each (asks with a dialog when None)."""
        if self.reading.is_running():
            return False
        if not paths:
            paths, _ = QFileDialog.getOpenFileNames(
                self,
                self.tr("Add saved models to the comparison"),
                str(Path.home()),
                self.tr("Taller models (*.pt)"),
            )
            if not paths:
                return False
        return self.reading.start(
            _read_metas(list(paths)), on_done=self._on_files_read, on_failed=self._show_error
        )

    def record(self, run_id: int) -> dict[str, Any]:
        """The run behind a row: its meta, name, colour and the checkpoint it was read from."""
        return self._runs[run_id]

    def all_ids(self) -> list[int]:
        return [i for i, r in enumerate(self._runs) if r is not None]

    def show_error(self, message: str) -> None:
        self._show_error(message)

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
        self.remove_ids(set(self.selected_ids()))

    def remove_ids(self, ids: set[int]) -> None:
        """Take runs out of the table (their files stay; the library bar deletes folders)."""
        self.runsTable.remove_ids(ids)
        for run_id in ids:
            self._runs[run_id] = None  # ids stay stable; the table no longer shows it
        self._update_buttons()
        self._redraw_plot()

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the table (as shown, with plain numbers) to a CSV file; asks with a dialog when None."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self,
                self.tr("Export the runs table"),
                str(Path.home() / "runs.csv"),
                self.tr("CSV files (*.csv)"),
            )
            if not path:
                return None
        runs = [(self._runs[i]["meta"], self._runs[i]["name"]) for i in self.runsTable.ids_shown()]
        try:
            out = write_csv(path, runs)
        except OSError as e:
            self._show_error(
                self.tr("Cannot write {path}: {reason}. Choose another place.").format(
                    path=path, reason=e.strerror or e
                )
            )
            return None
        self.statusMessage.emit(self.tr("Runs table written to {path}").format(path=out))
        return out

    def export_notebook(self, path: str | Path | None = None) -> bool:
        """Write the selected run's code in a worker: a notebook, or a script when ``path`` ends in .py.

        Asks with a dialog when ``path`` is None; False when nothing was started.
        """
        ids = self.selected_ids()
        if len(ids) != 1 or self.exporting.is_running():
            return False
        meta, name = self._runs[ids[0]]["meta"], self._runs[ids[0]]["name"]
        if not path:
            suggested = str(Path.home() / f"{Path(name).stem}.ipynb")
            path, _ = QFileDialog.getSaveFileName(
                self,
                self.tr("Export the run as code"),
                suggested,
                self.tr("Jupyter notebooks (*.ipynb);;Python scripts (*.py)"),
            )
            if not path:
                return False
        out = Path(path)
        return self.exporting.start(
            _write_code(meta, out), on_done=self._on_code_written, on_failed=self._show_error
        )

    def shutdown(self) -> None:
        stop_all(self)

    # ---- plot ---------------------------------------------------------------------------------
    @Slot()
    def _redraw_plot(self) -> None:
        label = self.runsMetricCombo.currentText()
        key, scale = METRICS[self.runsMetricCombo.currentData() or "Accuracy (%)"]
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
        one = len(self.selected_ids()) == 1
        self.exportNotebookButton.setEnabled(one and not self.exporting.is_running())
        self.addRunButton.setEnabled(not self.reading.is_running())
        self.library.update_buttons()

    def _show_error(self, message: str) -> None:
        self.messageLabel.show_error(message)
        if message:
            self.statusMessage.emit(message.splitlines()[0])

    @Slot(object)
    def _on_files_read(self, read: tuple[list[tuple[dict, str, str]], list[str]]) -> None:
        metas, errors = read
        for meta, name, path in metas:
            self.add_run(meta, name, checkpoint=path)
        self._show_error("\n".join(errors))
        if metas:
            self.statusMessage.emit(self.tr("Added %n saved run(s) to the comparison", "", len(metas)))

    @Slot(object)
    def _on_code_written(self, path: Path) -> None:
        self._show_error("")
        self.statusMessage.emit(self.tr("Run written as code to {path}").format(path=path))


def _write_code(meta: dict[str, Any], out: Path):
    """The worker's function: a notebook, or a Python script when ``out`` ends in .py."""

    def job(on_event, stop):
        if out.suffix.lower() == ".py":
            write_code(meta, script=out)
        else:
            write_code(meta, out=out)
        return out

    return job


def _read_metas(paths: list[str]):
    """The worker's function: each checkpoint's metadata (not the model), with a message per bad file."""

    def job(on_event, stop):
        metas, errors = [], []
        for path in paths:
            if stop.is_set():
                break
            try:
                # A run folder's files are named after its folder (runs/digits-cnn-3).
                metas.append((read_payload(path)["meta"], checkpoint_name(path), path))
            except CheckpointError as e:
                errors.append(str(e))
        return metas, errors

    return job
