"""The Compare tab's results: the table the course writes by hand, the variants' curves, the verdicts.

Rows are the engine's (``engine.compare.table.variant_rows``: a dict per variant, means over the
seeds with ``std`` and ``per_seed`` beside them); this module only writes them in the window's
language. The curves are drawn from the runs' epoch events as they arrive, or from their saved
histories for a comparison reopened from disk; with repeats a variant's curve is the mean over its
seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.formatting import finite
from engine.names import display_name
from engine.report.style import FOLD_COLOURS
from gui import theme
from gui.language import duration, integer, number, percent, short
from gui.widgets.curve_plot import RunsPlot

COLUMNS = (  # translated when shown, with their line breaks: the table fits the tab without scrolling
    QT_TRANSLATE_NOOP("CompareTable", "Variant"),
    QT_TRANSLATE_NOOP("CompareTable", "Status"),
    QT_TRANSLATE_NOOP("CompareTable", "Test accuracy\n(95 % interval)"),
    QT_TRANSLATE_NOOP("CompareTable", "Macro\nF1"),
    QT_TRANSLATE_NOOP("CompareTable", "Validation accuracy\nfinal / best"),
    QT_TRANSLATE_NOOP("CompareTable", "Train accuracy\nfinal / best"),
    QT_TRANSLATE_NOOP("CompareTable", "Best\nepoch"),
    QT_TRANSLATE_NOOP("CompareTable", "Trainable /\ntotal params"),
    QT_TRANSLATE_NOOP("CompareTable", "Wall\ntime"),
)
STATUS = {
    "pending": QT_TRANSLATE_NOOP("CompareTable", "waiting"),
    "running": QT_TRANSLATE_NOOP("CompareTable", "running"),
    "stopped": QT_TRANSLATE_NOOP("CompareTable", "stopped"),
    "finished": QT_TRANSLATE_NOOP("CompareTable", "done"),
    "failed": QT_TRANSLATE_NOOP("CompareTable", "failed"),
}
METRICS = {  # label -> history key, scale
    QT_TRANSLATE_NOOP("CompareResults", "Accuracy (%)"): ("acc", 100.0),
    QT_TRANSLATE_NOOP("CompareResults", "Loss"): ("loss", 1.0),
}
WINNER = "★"


def _tr(text: str) -> str:
    return QCoreApplication.translate("CompareTable", text)


def _acc(row: dict[str, Any], key: str) -> str:
    """A mean accuracy, with ± its std over the seeds (in points) when the plan repeats."""
    value = row.get(key)
    std = (row.get("std") or {}).get(key)
    if not finite(value):
        return "–"
    return f"{percent(value)} ± {number(100 * std, 1)}" if finite(std) else percent(value)


def _test_cell(row: dict[str, Any]) -> str:
    text = _acc(row, "test_acc")
    interval = row.get("test_ci")
    if interval and finite(row.get("test_acc")):
        low, high = interval
        text += f" ({percent(low, 0)}–{percent(high, 0)})"
    return text


def _pair(row: dict[str, Any], key: str) -> str:
    return f"{_acc(row, key)} / {_acc(row, 'best_' + key)}"


def _status_cell(row: dict[str, Any]) -> str:
    status = _tr(STATUS.get(str(row.get("status")), "pending"))
    repeats = int(row.get("repeats") or 1)
    if repeats > 1:
        return f"{status} ({row.get('finished', 0)}/{repeats})"
    return status


def _params(row: dict[str, Any]) -> str:
    trainable, total = row.get("trainable_params"), row.get("total_params")
    if not (finite(trainable) and finite(total)):
        return "–"
    return f"{integer(round(trainable))} / {integer(round(total))}"


def row_cells(row: dict[str, Any]) -> list[tuple[str, Any]]:
    """(text, sort value) of a variant's row, in ``COLUMNS`` order; the winner is starred."""
    name = display_name(str(row.get("variant", "")))
    best_epoch = row.get("best_epoch")
    seconds = row.get("wall_seconds") or row.get("seconds")
    return [
        (f"{WINNER} {name}" if row.get("winner") else name, name),
        (_status_cell(row), str(row.get("status"))),
        (_test_cell(row), row.get("test_acc")),
        (number(row["macro_f1"], 3) if finite(row.get("macro_f1")) else "–", row.get("macro_f1")),
        (_pair(row, "val_acc"), row.get("best_val_acc")),
        (_pair(row, "train_acc"), row.get("best_train_acc")),
        (short(best_epoch, 3) if finite(best_epoch) else "–", best_epoch),
        (_params(row), row.get("trainable_params")),
        (duration(seconds) if seconds else "–", seconds),
    ]


def seed_note(row: dict[str, Any]) -> str:
    """Every seed's test accuracy of a repeated variant, for its tool tip ('' for one seed)."""
    values = (row.get("per_seed") or {}).get("test_acc")
    if not values:
        return ""
    shown = ", ".join(
        f"{seed}: {percent(v)}" for seed, v in zip(row.get("seeds") or [], values, strict=False)
    )
    return QCoreApplication.translate("CompareTable", "Test accuracy by seed: {values}").format(values=shown)


class CompareTable(QTableWidget):
    """One row per variant, in the plan's order; a row is replaced as its runs end."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("compareTable")
        self.setHorizontalHeaderLabels([self.tr(name) for name in COLUMNS])
        self.setAccessibleName(self.tr("Variants compared"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setWordWrap(False)

    def set_row(self, index: int, row: dict[str, Any], colour: str) -> None:
        """Show ``row`` as row ``index`` (added if new); its name in its curve's colour."""
        if index >= self.rowCount():
            self.setRowCount(index + 1)
        tip = seed_note(row)
        for col, (text, value) in enumerate(row_cells(row)):
            cell = QTableWidgetItem(text)
            cell.setData(Qt.ItemDataRole.UserRole, value)
            cell.setToolTip(tip or text)
            if col == 0:
                cell.setForeground(pg.mkColor(colour))
            if row.get("winner"):
                font = QFont(cell.font())
                font.setBold(True)
                cell.setFont(font)
            self.setItem(index, col, cell)

    def texts(self) -> list[list[str]]:
        """The table's text, top to bottom."""
        return [
            [self.item(r, c).text() if self.item(r, c) else "" for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]


class CompareResults(QWidget):
    """The table, a plot of every variant's curves and the verdict sentences, kept in step.

    Signals
    -------
    winnerChanged(str)   the variant marked as winner ('' when none yet)
    """

    winnerChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareResults")
        self.table = CompareTable()
        self.plot = RunsPlot()
        self.plot.setObjectName("comparePlot")
        self.plot.setMinimumHeight(160)
        self.metricCombo = QComboBox(objectName="compareMetricCombo")
        for label in METRICS:
            self.metricCombo.addItem(self.tr(label), label)
        # Scrolls: every pair has a sentence, ten of them for five variants.
        self.verdictsView = QPlainTextEdit(objectName="compareVerdicts", readOnly=True)
        self.verdictsView.setFrameShape(QFrame.Shape.NoFrame)
        self.verdictsView.setMinimumWidth(200)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        metric = QHBoxLayout()
        metric.addWidget(QLabel(self.tr("Plot")))
        metric.addWidget(self.metricCombo, 1)
        side_layout.addLayout(metric)
        side_layout.addWidget(self.verdictsView, 1)
        below = QSplitter(Qt.Orientation.Horizontal, objectName="compareBelowSplitter")
        below.addWidget(self.plot)
        below.addWidget(side)
        below.setStretchFactor(0, 3)
        below.setStretchFactor(1, 2)
        below.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Vertical, objectName="compareSplitter")
        split.addWidget(self.table)
        split.addWidget(below)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.metricCombo.currentIndexChanged.connect(self.redraw)
        self.clear()

    # ---- what is shown ------------------------------------------------------------------------
    def clear(self, variants: list[str] | None = None) -> None:
        """Empty everything; ``variants`` (the plan's names) get their rows and colours now."""
        self._names = list(variants or [])
        self._histories: dict[str, dict[int, dict[int, dict]]] = {}  # variant -> run -> epoch -> event
        self.winner = ""
        self.notes: list[str] = []
        self.table.setRowCount(0)
        for name in self._names:
            self.set_row({"variant": name, "status": "pending"})
        self.show_verdicts([])
        self.redraw()

    def set_row(self, row: dict[str, Any]) -> None:
        """Show a variant's row (a compare_run_end event's, or a reopened comparison's)."""
        name = str(row.get("variant"))
        if name not in self._names:
            self._names.append(name)
        index = self._names.index(name)
        self.table.set_row(index, row, self.colour(name))
        if row.get("winner") and self.winner != name:
            self.winner = name
            self.winnerChanged.emit(name)

    def set_rows(self, rows: list[dict[str, Any]], winner: str | None) -> None:
        """Every row at once, ``winner`` marked (the table at the end, or read back from disk)."""
        self.winner = ""
        for row in rows:
            self.set_row({**row, "winner": row.get("variant") == winner})
        if not winner:
            self.winnerChanged.emit("")

    def show_verdicts(self, verdicts: list[dict[str, Any]], notes: list[str] | None = None) -> None:
        """The verdict sentences (the engine's, in the user's language), real differences first, and
        the plan's notes on how it is fair (None: those shown already)."""
        self.notes = list(self.notes if notes is None else notes)
        notes = self.notes
        self._verdicts = [display_name(str(v.get("sentence", ""))) for v in verdicts]
        lines = [f"• {sentence}" for sentence in self._verdicts]
        if not lines:
            lines = [self.tr("Whether a difference is real shows here once two variants have finished.")]
        if notes:
            lines += ["", self.tr("How the comparison is fair:")] + [f"• {note}" for note in notes]
        self.verdictsView.setPlainText("\n".join(lines))

    def verdict_lines(self) -> list[str]:
        """The verdict sentences shown, best-supported first."""
        return list(self._verdicts)

    def colour(self, name: str) -> str:
        index = self._names.index(name) if name in self._names else len(self._names)
        return FOLD_COLOURS[index % len(FOLD_COLOURS)]

    # ---- curves -------------------------------------------------------------------------------
    def add_epoch(self, event: dict[str, Any]) -> None:
        """An epoch of one run of a variant ended (an epoch_end event with "variant" and "index")."""
        name = str(event.get("variant"))
        runs = self._histories.setdefault(name, {})
        runs.setdefault(int(event.get("index", 0)), {})[int(event.get("epoch", 0))] = event
        self.redraw()

    def set_histories(self, histories: dict[str, list[list[dict[str, Any]]]]) -> None:
        """Saved histories per variant (one list of epochs per run) of a comparison read back."""
        self._histories = {
            name: {
                i: {int(float(h.get("epoch") or n + 1)): h for n, h in enumerate(run)}
                for i, run in enumerate(runs)
            }
            for name, runs in histories.items()
        }
        self.redraw()

    def plotted_names(self) -> list[str]:
        return [item.name() for item in self.plot.getPlotItem().listDataItems() if item.name()]

    @Slot()
    def redraw(self, *_) -> None:
        key, scale = METRICS[self.metricCombo.currentData() or "Accuracy (%)"]
        curves = [
            (name, self.colour(name), _mean_curves(self._histories[name]))
            for name in self._names
            if self._histories.get(name)
        ]
        self.plot.show_runs(curves, key, scale, self.metricCombo.currentText())
        if not curves:
            title = self.tr("Each variant's curves show here as its epochs end")
            self.plot.getPlotItem().setTitle(title, color=theme.colours()["plot_fg"], size="9pt")


def _mean_curves(runs: dict[int, dict[int, dict]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A variant's curves: per epoch, the mean over its runs (seeds) of each value."""
    out = {}
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        by_epoch: dict[int, list[float]] = {}
        for epochs in runs.values():
            for epoch, event in epochs.items():
                try:
                    value = float(event.get(key))
                except (TypeError, ValueError):
                    continue
                if finite(value):
                    by_epoch.setdefault(epoch, []).append(value)
        xs = sorted(by_epoch)
        out[key] = (np.array(xs, dtype=float), np.array([np.mean(by_epoch[e]) for e in xs]))
    return out
