"""The Runs panel's table: one row per run, cells that sort by value, and the same rows as CSV.

``run_row`` and ``csv_row`` turn a run's metadata (a RunResult's ``meta`` or a checkpoint's) into
cells; ``RunsTable`` shows them and keeps each row's run id, so rows can be sorted by any column
and still be found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from engine.formatting import dataset_name, finite
from engine.names import display_name
from engine.report.exports import write_csv as write_rows
from gui.language import duration, integer, number, percent

COLUMNS = (  # the table's headers, translated when shown (the CSV's columns stay English)
    QT_TRANSLATE_NOOP("RunsTable", "Run"),
    QT_TRANSLATE_NOOP("RunsTable", "Dataset"),
    QT_TRANSLATE_NOOP("RunsTable", "Model"),
    QT_TRANSLATE_NOOP("RunsTable", "Starting point"),
    QT_TRANSLATE_NOOP("RunsTable", "Trainable / total params"),
    QT_TRANSLATE_NOOP("RunsTable", "Epochs"),
    QT_TRANSLATE_NOOP("RunsTable", "Train loss"),
    QT_TRANSLATE_NOOP("RunsTable", "Train acc"),
    QT_TRANSLATE_NOOP("RunsTable", "Val loss"),
    QT_TRANSLATE_NOOP("RunsTable", "Val acc"),
    QT_TRANSLATE_NOOP("RunsTable", "Test acc"),
    QT_TRANSLATE_NOOP("RunsTable", "Wall time"),
)
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
RUN_FILES = ("model.pt", "best.pt", "last.pt")  # a run folder's checkpoints (engine.train.runs)
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # on a row's first cell
Cell = tuple[str, Any]  # (text shown, value it sorts by)


def checkpoint_name(path: str | Path) -> str:
    """A run folder's checkpoint (model.pt, best.pt, last.pt) is named after its folder
    (runs/digits-cnn-3), as the run is in the table before and after a restart; another file by its name."""
    path = Path(path)
    return path.parent.name if path.name in RUN_FILES else path.name


def run_name(meta: dict[str, Any], run_id: int) -> str:
    """A finished run's name: its run folder's (``digits-cnn-1``, the name it has after a restart too),
    else ``default_name``."""
    folder = meta.get("run_dir")
    return Path(str(folder)).name if folder else default_name(meta, run_id)


def default_name(meta: dict[str, Any], run_id: int) -> str:
    """'Run 3 · cnn on digits (5-fold)' for a run added without a name."""
    folds = len((meta.get("kfold") or {}).get("folds") or [])
    name = QCoreApplication.translate("runs_table", "Run {number} · {model} on {dataset}").format(
        number=run_id + 1, model=meta.get("arch", "?"), dataset=dataset_name(meta.get("dataset"))
    )
    if not folds:
        return name
    return name + QCoreApplication.translate("runs_table", " ({k}-fold)").format(k=folds)


def starting_point(meta: dict[str, Any]) -> str:
    """'random', 'ImageNet' or 'from NAME.pt', plus how many layers were frozen."""
    model = meta.get("model_config") or {}
    if model.get("pretrained"):
        start = "ImageNet"
    elif model.get("init_checkpoint"):
        start = QCoreApplication.translate("runs_table", "from {file}").format(
            file=Path(str(model["init_checkpoint"])).name
        )
    else:
        start = QCoreApplication.translate("runs_table", "random")
    frozen = meta.get("frozen") or model.get("frozen") or []
    if not frozen:
        return start
    return QCoreApplication.translate("runs_table", "{start}, {n} frozen").format(start=start, n=len(frozen))


def _mean(values) -> float | None:
    vals = [float(v) for v in values if finite(v)]
    return sum(vals) / len(vals) if vals else None


def _plain(v: Any) -> Any:
    return f"{v:.6g}" if finite(v) else ""


def _wall_seconds(meta: dict[str, Any]) -> float | None:
    seconds = meta.get("seconds")
    history = meta.get("history") or []
    if seconds is None and history:
        seconds = sum(float(h.get("seconds") or 0) for h in history)
    return seconds


def _kfold_cells(kf: dict[str, Any], history: list) -> list[Cell]:
    """Epochs, train loss, train acc, val loss and val acc of a K-Fold run: means over its folds."""
    folds = kf.get("folds") or []
    epochs = max((f.get("epochs_run", 0) for f in folds), default=0)
    train_loss, train_acc, val_loss = (
        _mean(f.get(k) for f in folds) for k in ("train_loss", "train_acc", "val_loss")
    )
    val_acc = (f"{percent(kf['val_acc_mean'], 2)} ± {number(100 * kf['val_acc_std'], 1)}", kf["val_acc_mean"])
    return [
        (
            QCoreApplication.translate("runs_table", "{epochs} × {k} folds").format(
                epochs=epochs, k=len(folds)
            ),
            len(history),
        ),
        (number(train_loss), train_loss),
        (percent(train_acc, 2), train_acc),
        (number(val_loss), val_loss),
        val_acc,
    ]


def _last_epoch_cells(history: list, unfinished: bool = False) -> list[Cell]:
    """Epochs, train loss, train acc, val loss and val acc of a run: its last epoch."""
    last = history[-1] if history else {}
    train_loss, train_acc, val_loss = last.get("train_loss"), last.get("train_acc"), last.get("val_loss")
    epochs = (
        QCoreApplication.translate("runs_table", "no epoch finished") if unfinished else str(len(history))
    )
    return [
        (epochs, len(history)),
        (number(train_loss), train_loss),
        (percent(train_acc, 2), train_acc),
        (number(val_loss), val_loss),
        (percent(last.get("val_acc"), 2), last.get("val_acc")),
    ]


def run_row(meta: dict[str, Any], name: str) -> list[Cell]:
    """The table cells of a run as (text, sort value) pairs, in ``COLUMNS`` order."""
    history = meta.get("history") or []
    kf = meta.get("kfold")
    trainable, total = meta.get("trainable_params"), meta.get("total_params")
    known = trainable is not None and total is not None
    test = (meta.get("test") or {}).get("accuracy")
    seconds = _wall_seconds(meta)
    return [
        (name, name),
        (dataset_name(meta.get("dataset")), str(meta.get("dataset", ""))),
        (str(meta.get("arch", "?")), str(meta.get("arch", ""))),
        (starting_point(meta), starting_point(meta)),
        (f"{integer(trainable)} / {integer(total)}", trainable) if known else ("–", None),
        *(_kfold_cells(kf, history) if kf else _last_epoch_cells(history, bool(meta.get("unfinished")))),
        (percent(test, 2), test),
        (duration(seconds) if seconds is not None else "–", seconds),
    ]


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


def write_csv(path: str | Path, runs: list[tuple[dict[str, Any], str]]) -> Path:
    """Write ``runs`` as (meta, name) pairs to a CSV file, one ``csv_row`` each, atomically."""
    rows = [list(CSV_COLUMNS)] + [csv_row(meta, name) for meta, name in runs]
    return write_rows(Path(path), rows)  # names that are not UTF-8 written as shown


class _Cell(QTableWidgetItem):
    """A table cell that sorts by its value, not its text (so 9% sorts below 10%)."""

    def __init__(self, text: str, value: Any):
        super().__init__(display_name(text))  # Qt would drop the letters of a Latin-1 name
        self.setData(Qt.ItemDataRole.UserRole, value)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        if a is None or b is None:  # empty cells sort first
            return a is None and b is not None
        return str(a) < str(b)


class RunsTable(QTableWidget):
    """The ``runsTable``: a row per run, sortable by any column, rows found by run id."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("runsTable")
        # Two-line headers and the accuracies next to the model: they show without scrolling.
        self.setHorizontalHeaderLabels([self.tr(name).replace(" ", "\n", 1) for name in COLUMNS])
        header = self.horizontalHeader()
        for visual, name in enumerate(("Val acc", "Test acc"), start=COLUMNS.index("Model") + 1):
            header.moveSection(header.visualIndex(COLUMNS.index(name)), visual)
        self.setAccessibleName(self.tr("Runs compared"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        # No sort column until the user clicks a header: runs stay in the order they were added.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)

    def add_row(self, run_id: int, cells: list[Cell], colour: str) -> None:
        """Append a run's cells; its name is written in the run's colour."""
        self.setSortingEnabled(False)  # inserting while sorted would scatter the new row's cells
        row = self.rowCount()
        self.insertRow(row)
        for col, (text, value) in enumerate(cells):
            cell = _Cell(text, value)
            cell.setToolTip(text)  # the whole text where the column is too narrow for it
            if col == 0:
                cell.setData(RUN_ID_ROLE, run_id)
                cell.setForeground(pg.mkColor(colour))
            self.setItem(row, col, cell)
        self.setSortingEnabled(True)

    def id_at(self, row: int) -> int:
        return self.item(row, 0).data(RUN_ID_ROLE)

    def ids_shown(self) -> list[int]:
        """Run ids top to bottom, as sorted now."""
        return [self.id_at(r) for r in range(self.rowCount())]

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.selectedItems()})
        return [self.id_at(r) for r in rows]

    def select_ids(self, ids: list[int]) -> None:
        """Select exactly the rows of ``ids``, without ``itemSelectionChanged``."""
        self.blockSignals(True)
        self.clearSelection()
        mode = self.selectionMode()
        self.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.rowCount()):
            if self.id_at(row) in ids:
                self.selectRow(row)
        self.setSelectionMode(mode)
        self.blockSignals(False)

    def remove_ids(self, ids: set[int]) -> None:
        for row in sorted((r for r in range(self.rowCount()) if self.id_at(r) in ids), reverse=True):
            self.removeRow(row)

    def filter_rows(self, text: str) -> None:
        """Show only the rows with ``text`` in some cell (case-insensitive); empty shows them all."""
        needle = text.strip().casefold()
        for row in range(self.rowCount()):
            cells = (self.item(row, c).text().casefold() for c in range(self.columnCount()))
            self.setRowHidden(row, bool(needle) and not any(needle in cell for cell in cells))

    def texts(self) -> list[list[str]]:
        """The table's text, top to bottom as shown."""
        return [[self.item(r, c).text() for c in range(self.columnCount())] for r in range(self.rowCount())]
