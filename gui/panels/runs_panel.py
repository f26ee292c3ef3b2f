"""Runs compared side by side: every run of the session and checkpoints reopened from disk.

One table row per run (dataset, model, starting point, parameters, epochs, final losses and
accuracies, test accuracy, wall time); selecting rows overlays their curves, validation solid and
train dashed, one colour per run. K-Fold runs show the fold mean (± std) and their mean curve.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.report import FOLD_COLOURS, format_seconds
from gui.tasks import Task

COLUMNS = (
    "Run",
    "Dataset",
    "Model",
    "Starting point",
    "Trainable / total params",
    "Epochs",
    "Train loss",
    "Train acc",
    "Val loss",
    "Val acc",
    "Test acc",
    "Wall time",
)
METRICS = {"Accuracy (%)": ("acc", 100.0), "Loss": ("loss", 1.0)}


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def mean_curves(history: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-epoch curves of a run: its history, or the mean over folds for a K-Fold run.

    Returns ``{"train_loss": (epochs, values), ...}`` for train/val loss and accuracy.
    """
    out = {}
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        by_epoch: dict[int, list[float]] = {}
        for n, h in enumerate(history):
            value = h.get(key)
            if _finite(value):
                by_epoch.setdefault(int(h.get("epoch", n + 1)), []).append(float(value))
        epochs = sorted(by_epoch)
        out[key] = (np.array(epochs, dtype=float), np.array([np.mean(by_epoch[e]) for e in epochs]))
    return out


def run_row(meta: dict[str, Any], name: str) -> list[tuple[str, Any]]:
    """The table cells of a run as (text, sort value) pairs, in ``COLUMNS`` order."""
    history = meta.get("history") or []
    kf = meta.get("kfold")
    last = history[-1] if history else {}
    trainable, total = meta.get("trainable_params"), meta.get("total_params")
    test = (meta.get("test") or {}).get("accuracy")
    seconds = meta.get("seconds")
    if seconds is None and history:
        seconds = sum(float(h.get("seconds") or 0) for h in history)
    if kf:
        folds = kf.get("folds") or []
        epochs = (
            f"{max((f.get('epochs_run', 0) for f in folds), default=0)} × {len(folds)} folds",
            len(history),
        )
        train_loss = _mean(f.get("train_loss") for f in folds)
        train_acc = _mean(f.get("train_acc") for f in folds)
        val_loss = _mean(f.get("val_loss") for f in folds)
        val_acc = (f"{_pct(kf['val_acc_mean'])} ± {100 * kf['val_acc_std']:.1f}", kf["val_acc_mean"])
    else:
        epochs = (str(len(history)), len(history))
        train_loss, train_acc, val_loss = last.get("train_loss"), last.get("train_acc"), last.get("val_loss")
        val_acc = (_pct(last.get("val_acc")), last.get("val_acc"))
    params = (
        (f"{trainable:,} / {total:,}", trainable)
        if trainable is not None and total is not None
        else ("–", None)
    )
    return [
        (name, name),
        (str(meta.get("dataset", "?")).replace("folder:", "folder "), str(meta.get("dataset", ""))),
        (str(meta.get("arch", "?")), str(meta.get("arch", ""))),
        (starting_point(meta), starting_point(meta)),
        params,
        epochs,
        (_num(train_loss), train_loss),
        (_pct(train_acc), train_acc),
        (_num(val_loss), val_loss),
        val_acc,
        (_pct(test), test),
        (format_seconds(seconds) if seconds is not None else "–", seconds),
    ]


CSV_COLUMNS = (
    "run",
    "dataset",
    "model",
    "starting point",
    "trainable params",
    "total params",
    "epochs",
    "folds",
    "train loss",
    "train acc",
    "val loss",
    "val acc",
    "val acc std",
    "test acc",
    "wall time (s)",
)


def csv_row(meta: dict[str, Any], name: str) -> list[Any]:
    """The run as plain values for CSV (numbers unformatted, empty when unknown), ``CSV_COLUMNS`` order."""
    cells = run_row(meta, name)
    kf = meta.get("kfold") or {}
    folds = kf.get("folds") or []
    epochs = (
        max((f.get("epochs_run", 0) for f in folds), default=0) if folds else len(meta.get("history") or [])
    )
    values = [cells[i][1] for i in (6, 7, 8, 9)]
    return [
        name,
        meta.get("dataset", ""),
        meta.get("arch", ""),
        starting_point(meta),
        meta.get("trainable_params", ""),
        meta.get("total_params", ""),
        epochs,
        len(folds) or "",
        *(_plain(v) for v in values),
        _plain(kf.get("val_acc_std")),
        _plain(cells[10][1]),
        _plain(cells[11][1]),
    ]


def _plain(v: Any) -> Any:
    return f"{v:.6g}" if _finite(v) else ""


def starting_point(meta: dict[str, Any]) -> str:
    """'random', 'ImageNet' or 'from NAME.pt', plus how many layers were frozen."""
    model = meta.get("model_config") or {}
    if model.get("pretrained"):
        start = "ImageNet"
    elif model.get("init_checkpoint"):
        start = f"from {Path(str(model['init_checkpoint'])).name}"
    else:
        start = "random"
    frozen = meta.get("frozen") or model.get("frozen") or []
    return f"{start}, {len(frozen)} frozen" if frozen else start


def _mean(values) -> float | None:
    vals = [float(v) for v in values if _finite(v)]
    return sum(vals) / len(vals) if vals else None


def _pct(v: Any) -> str:
    return f"{100 * v:.2f}%" if _finite(v) else "–"


def _num(v: Any) -> str:
    return f"{v:.4f}" if _finite(v) else "–"


class _Cell(QTableWidgetItem):
    """A table cell that sorts by its value, not its text (so 9% sorts below 10%)."""

    def __init__(self, text: str, value: Any):
        super().__init__(text)
        self.setData(Qt.ItemDataRole.UserRole, value)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        if a is None or b is None:  # empty cells sort first
            return a is None and b is not None
        return str(a) < str(b)


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
        self._file_task: Task | None = None
        self._build()

    def _build(self) -> None:
        self.addRunButton = QPushButton("Add from file…", objectName="addRunButton")
        self.addRunButton.setToolTip("Add saved models (.pt) to the comparison")
        self.removeRunButton = QPushButton("Remove", objectName="removeRunButton")
        self.exportRunsButton = QPushButton("Export CSV…", objectName="exportRunsButton")
        self.runsMetricCombo = QComboBox(objectName="runsMetricCombo")
        self.runsMetricCombo.addItems(list(METRICS))
        self.messageLabel = QLabel(objectName="runsMessage", wordWrap=True)
        self.messageLabel.hide()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Select runs to overlay their curves:"))
        bar.addStretch(1)
        bar.addWidget(QLabel("Plot"))
        bar.addWidget(self.runsMetricCombo)
        for b in (self.addRunButton, self.removeRunButton, self.exportRunsButton):
            bar.addWidget(b)

        self.runsTable = QTableWidget(0, len(COLUMNS), objectName="runsTable")
        self.runsTable.setHorizontalHeaderLabels(list(COLUMNS))
        self.runsTable.setAccessibleName("Runs compared")
        self.runsTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runsTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runsTable.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.runsTable.verticalHeader().hide()
        self.runsTable.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runsTable.horizontalHeader().setStretchLastSection(True)
        # No sort column until the user clicks a header: runs stay in the order they were added.
        self.runsTable.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.runsTable.setSortingEnabled(True)

        self.runsPlot = pg.PlotWidget(background="w", objectName="runsPlot")
        item = self.runsPlot.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "epoch")
        item.addLegend(offset=(-8, 8), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 200))
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTextPen("#444")
            item.getAxis(axis).setPen("#999")

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

    # ---- public API ---------------------------------------------------------------------------
    def add_run(self, meta: dict[str, Any], name: str | None = None, select: bool = True) -> int:
        """Add a run (its metadata: a RunResult's ``meta`` or a checkpoint's); returns its run id."""
        run_id = len(self._runs)
        if not name:
            folds = len((meta.get("kfold") or {}).get("folds") or [])
            dataset = str(meta.get("dataset", "?")).replace("folder:", "folder ")
            name = f"Run {run_id + 1} · {meta.get('arch', '?')} on {dataset}" + (
                f" ({folds}-fold)" if folds else ""
            )
        colour = FOLD_COLOURS[run_id % len(FOLD_COLOURS)]
        self._runs.append({"meta": meta, "name": name, "colour": colour})
        table = self.runsTable
        table.setSortingEnabled(False)  # inserting while sorted would scatter the new row's cells
        row = table.rowCount()
        table.insertRow(row)
        for col, (text, value) in enumerate(run_row(meta, name)):
            cell = _Cell(text, value)
            if col == 0:
                cell.setData(Qt.ItemDataRole.UserRole + 1, run_id)
                cell.setForeground(pg.mkColor(colour))
            table.setItem(row, col, cell)
        table.setSortingEnabled(True)
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
        if self._file_task is not None:
            return False
        if not paths:
            paths, _ = QFileDialog.getOpenFileNames(
                self, "Add saved models to the comparison", str(Path.home()), "Taller models (*.pt)"
            )
            if not paths:
                return False
        task = Task(_read_metas(list(paths)), parent=self, name="runsFileTask")
        task.succeeded.connect(self._on_files_read)
        task.failed.connect(self._show_error)
        task.finished.connect(self._on_file_task_finished)
        self._file_task = task
        task.start()
        self._update_buttons()
        return True

    def run_count(self) -> int:
        return sum(1 for r in self._runs if r is not None)

    def runs(self) -> list[dict[str, Any]]:
        """(meta, name, colour) of every run, in the order added."""
        return [dict(r) for r in self._runs if r is not None]

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.runsTable.selectedItems()})
        return [self._id_at(r) for r in rows]

    def select_runs(self, run_ids: list[int]) -> None:
        self._select_ids(list(run_ids))

    def plotted_names(self) -> list[str]:
        """Legend names of the runs drawn now (each run has a validation and a train curve)."""
        return [item.name() for item in self.runsPlot.getPlotItem().listDataItems() if item.name()]

    def table_rows(self) -> list[list[str]]:
        """The table's text, top to bottom as shown."""
        t = self.runsTable
        return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]

    @Slot()
    def remove_selected(self) -> None:
        ids = set(self.selected_ids())
        for row in sorted(
            (r for r in range(self.runsTable.rowCount()) if self._id_at(r) in ids), reverse=True
        ):
            self.runsTable.removeRow(row)
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
        from engine.checkpoints import atomic_write

        rows = [list(CSV_COLUMNS)]
        for r in range(self.runsTable.rowCount()):
            run = self._runs[self._id_at(r)]
            rows.append(csv_row(run["meta"], run["name"]))

        def write(tmp: Path) -> None:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(rows)

        try:
            out = atomic_write(Path(path), write)
        except OSError as e:
            self._show_error(f"Cannot write {path}: {e.strerror or e}. Choose another place.")
            return None
        self.statusMessage.emit(f"Runs table written to {out}")
        return out

    def shutdown(self) -> None:
        if self._file_task is not None:
            self._file_task.stop_and_wait()

    # ---- plot ---------------------------------------------------------------------------------
    @Slot()
    def _redraw_plot(self) -> None:
        item = self.runsPlot.getPlotItem()
        item.clear()  # also empties the legend
        key, scale = METRICS[self.runsMetricCombo.currentText()]
        item.setLabel("left", self.runsMetricCombo.currentText())
        ids = self.selected_ids()
        longest = 1
        item.setTitle(
            "validation solid, train dashed" if ids else "Select one or more runs above",
            color="#555",
            size="9pt",
        )
        for run_id in ids:
            run = self._runs[run_id]
            curves = mean_curves(run["meta"].get("history") or [])
            for part, style in (("val", Qt.PenStyle.SolidLine), ("train", Qt.PenStyle.DashLine)):
                x, y = curves[f"{part}_{key}"]
                longest = max(longest, int(x.max(initial=1)))
                item.plot(
                    x,
                    y * scale,
                    name=run["name"] if part == "val" else None,  # one legend entry per run
                    pen=pg.mkPen(run["colour"], width=2, style=style),
                    symbol="o" if part == "val" else None,
                    symbolSize=5,
                    symbolBrush=run["colour"],
                    symbolPen=None,
                )
        # Accuracy rises and loss falls: keep the legend where the curves are not.
        item.legend.setOffset((-8, -8) if key == "acc" else (-8, 8))
        bottom = item.getAxis("bottom")
        if longest <= 20:
            bottom.setTickSpacing(major=1 if longest <= 10 else 2, minor=1)
        else:
            bottom.setTickSpacing()

    # ---- helpers ------------------------------------------------------------------------------
    def _id_at(self, row: int) -> int:
        return self.runsTable.item(row, 0).data(Qt.ItemDataRole.UserRole + 1)

    def _select_ids(self, ids: list[int]) -> None:
        table = self.runsTable
        table.blockSignals(True)
        table.clearSelection()
        mode = table.selectionMode()
        table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(table.rowCount()):
            if self._id_at(row) in ids:
                table.selectRow(row)
        table.setSelectionMode(mode)
        table.blockSignals(False)
        self._redraw_plot()
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_rows = self.runsTable.rowCount() > 0
        self.exportRunsButton.setEnabled(has_rows)
        self.removeRunButton.setEnabled(has_rows)
        self.addRunButton.setEnabled(self._file_task is None)

    def _show_error(self, message: str) -> None:
        self.messageLabel.setText(message)
        self.messageLabel.setProperty("role", "error" if message else "")
        self.messageLabel.style().unpolish(self.messageLabel)
        self.messageLabel.style().polish(self.messageLabel)
        self.messageLabel.setVisible(bool(message))
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

    @Slot()
    def _on_file_task_finished(self) -> None:
        self._file_task = None
        self._update_buttons()


def _read_metas(paths: list[str]):
    """The worker's function: each checkpoint's metadata (not the model), with a message per bad file."""

    def job(on_event, stop):
        from engine.checkpoints import CheckpointError, read_payload

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
