"""K-Fold cross-validation views: a live per-fold table with mean ± std, and one curve per fold.

Both are fed by the engine's events as the worker re-emits them: ``fold_end`` dicts for the
table (``KFoldTable.add_fold``), ``epoch_end`` dicts (which carry ``fold``) for the curves
(``FoldCurves.add_point``).
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.evaluation import mean_std
from engine.report.style import FOLD_COLOURS
from gui.language import number, percent

COLUMNS = (  # translated where shown
    QT_TRANSLATE_NOOP("KFoldTable", "Fold"),
    QT_TRANSLATE_NOOP("KFoldTable", "Epochs"),
    QT_TRANSLATE_NOOP("KFoldTable", "Train accuracy"),
    QT_TRANSLATE_NOOP("KFoldTable", "Validation loss"),
    QT_TRANSLATE_NOOP("KFoldTable", "Validation accuracy"),
)
KEYS = (None, "epochs_run", "train_acc", "val_loss", "val_acc")


def fold_summary(folds: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """(mean, population std) of each fold metric, the way ``engine.train.run`` reports K-Fold."""
    out = {}
    for key in ("train_acc", "val_loss", "val_acc"):
        values = [float(f[key]) for f in folds if f.get(key) is not None and math.isfinite(float(f[key]))]
        out[key] = mean_std(values) if values else (float("nan"), float("nan"))
    return out


class KFoldTable(QWidget):
    """One row per finished fold and a last row with mean ± std, updated as folds end."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kfoldTable")
        self.setAccessibleName(self.tr("K-Fold cross-validation results"))
        self._folds: list[dict[str, Any]] = []
        self._total: int | None = None
        self.titleLabel = QLabel(objectName="kfoldTitle")
        self.table = QTableWidget(0, len(COLUMNS), objectName="kfoldGrid")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.table, 1)
        self.clear()

    # ---- public API ---------------------------------------------------------------------------
    def clear(self, folds: int | None = None) -> None:
        """Empty the table; ``folds`` (K) lets the title say how many folds to expect."""
        self._folds, self._total = [], folds
        self.table.setRowCount(0)
        self._update_title()

    def add_fold(self, event: dict[str, Any]) -> None:
        """Add (or replace) a fold from a ``fold_end`` event and refresh mean ± std."""
        fold = int(event.get("fold", len(self._folds) + 1))
        self._folds = [f for f in self._folds if f["fold"] != fold] + [dict(event, fold=fold)]
        self._folds.sort(key=lambda f: f["fold"])
        self._total = int(event.get("folds") or self._total or 0) or None
        self._redraw()

    def set_folds(self, folds: list[dict[str, Any]]) -> None:
        """Show saved folds at once (``meta["kfold"]["folds"]`` of a run or checkpoint)."""
        self.clear(len(folds) or None)
        for fold in folds:
            self.add_fold(fold)

    def folds(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self._folds]

    def summary(self) -> dict[str, tuple[float, float]]:
        """(mean, std) of train accuracy, validation loss and validation accuracy over the folds."""
        return fold_summary(self._folds)

    def row_texts(self) -> list[list[str]]:
        t = self.table
        return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]

    # ---- drawing ------------------------------------------------------------------------------
    def _redraw(self) -> None:
        rows = [self._fold_cells(f) for f in self._folds]
        if self._folds:
            rows.append(self._summary_cells())
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # the whole text where the column is too narrow
                item.setTextAlignment(
                    (Qt.AlignmentFlag.AlignRight if c else Qt.AlignmentFlag.AlignLeft)
                    | Qt.AlignmentFlag.AlignVCenter
                )
                if r == len(self._folds):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self._update_title()

    def _fold_cells(self, f: dict[str, Any]) -> list[str]:
        return [
            self.tr("Fold {n}").format(n=f["fold"]),
            str(f.get("epochs_run", "–")),
            percent(f.get("train_acc"), 2),
            number(f.get("val_loss")),
            percent(f.get("val_acc"), 2),
        ]

    def _summary_cells(self) -> list[str]:
        s = self.summary()
        (ta, tas), (vl, vls), (va, vas) = s["train_acc"], s["val_loss"], s["val_acc"]
        return [
            self.tr("Mean ± std"),
            "",
            f"{percent(ta, 2)} ± {number(100 * tas, 2)}",
            f"{number(vl)} ± {number(vls, 4)}",
            f"{percent(va, 2)} ± {number(100 * vas, 2)}",
        ]

    def _update_title(self) -> None:
        total = self._total
        done = len(self._folds)
        if not done:
            if total:
                text = self.tr("K-Fold cross-validation: {k} folds, none finished yet").format(k=total)
            else:
                text = self.tr("No K-Fold run yet")
        else:
            va, vas = self.summary()["val_acc"]
            accuracy = self.tr("validation accuracy {mean} ± {std}").format(
                mean=percent(va, 2), std=number(100 * vas, 2)
            )
            if total:
                text = self.tr("K-Fold cross-validation: {done} of {k} folds · {accuracy}")
            else:
                text = self.tr("K-Fold cross-validation: {done} folds · {accuracy}")
            text = text.format(done=done, k=total, accuracy=accuracy)
        self.titleLabel.setText(text)


class FoldCurves:
    """One curve per fold on a pyqtgraph plot, created once per fold and updated with ``setData``.

    Parameters
    ----------
    plot_widget : pg.PlotWidget or pg.PlotItem
        Where the curves go; a legend is added if the plot has none.
    label : str
        Legend text after "fold N", e.g. "validation".
    dashed : bool
        Dashed lines, to tell e.g. train curves (dashed) from validation ones (solid) in one plot.
    scale : float
        Multiplies the values (100 to show accuracies in percent).
    """

    def __init__(self, plot_widget, label: str = "", dashed: bool = False, scale: float = 1.0):
        self.plot = plot_widget.getPlotItem() if hasattr(plot_widget, "getPlotItem") else plot_widget
        if self.plot.legend is None:
            self.plot.addLegend(offset=(-8, 8))
        self.label = label
        self.dashed = dashed
        self.scale = scale
        self._curves: dict[int, pg.PlotDataItem] = {}
        self._points: dict[int, tuple[list[float], list[float]]] = {}

    def add_point(self, fold: int, epoch: float, value: float | None) -> pg.PlotDataItem:
        """Append (epoch, value) to fold ``fold``'s curve; the curve is created on its first point."""
        fold = int(fold)
        if fold not in self._curves:
            self._curves[fold] = self._new_curve(fold)
            self._points[fold] = ([], [])
        xs, ys = self._points[fold]
        xs.append(float(epoch))
        ys.append(float("nan") if value is None else float(value) * self.scale)
        self._curves[fold].setData(xs, ys, connect="finite")
        return self._curves[fold]

    def add_event(self, event: dict[str, Any], key: str) -> pg.PlotDataItem:
        """Convenience: ``add_point(event["fold"], event["epoch"], event[key])`` for an epoch_end event."""
        return self.add_point(event.get("fold") or 0, event.get("epoch", 0), event.get(key))

    def clear(self) -> None:
        for curve in self._curves.values():
            self.plot.removeItem(curve)
            if self.plot.legend is not None:
                self.plot.legend.removeItem(curve)
        self._curves.clear()
        self._points.clear()

    def folds(self) -> list[int]:
        return sorted(self._curves)

    def curve(self, fold: int) -> pg.PlotDataItem:
        return self._curves[fold]

    def colour(self, fold: int) -> str:
        return FOLD_COLOURS[(max(1, fold) - 1) % len(FOLD_COLOURS)]

    def _new_curve(self, fold: int) -> pg.PlotDataItem:
        colour = self.colour(fold)
        pen = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine if self.dashed else Qt.PenStyle.SolidLine)
        name = QCoreApplication.translate("kfold_view", "fold {n}").format(n=fold)
        name += f" {self.label}" if self.label else ""
        return self.plot.plot(
            [], [], name=name, pen=pen, symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None
        )
