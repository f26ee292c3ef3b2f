"""A confusion-matrix heatmap (pyqtgraph): counts in the cells, a normalise toggle, clickable cells.

Rows are true classes, columns predictions, as scikit-learn's ``confusion_matrix``. Unnormalised,
the colour follows the count; normalised, each row is divided by its total (scikit-learn's
``normalize="true"``), so the diagonal reads as each class's recall.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QGraphicsRectItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.report.style import row_fractions
from gui import theme
from gui.language import number, percent
from gui.widgets.curve_plot import style_plot

EMPTY_TEXT = QT_TRANSLATE_NOOP(
    "ConfusionMatrixView", "The confusion matrix appears here after a run, or after Evaluate."
)


def heat_map() -> pg.ColorMap:
    """Low-to-high counts in the theme's colours (light: the report's white-to-dark-blue "Blues")."""
    return pg.ColorMap(pos=[0.0, 1.0], color=[theme.colour("heat_low"), theme.colour("heat_high")])


MAX_TEXT_CLASSES = 30  # beyond this the numbers would not fit in the cells


class _HeatmapItem(pg.ImageItem):
    """An ImageItem that reports clicks and hovers in cell coordinates."""

    def __init__(self, view: ConfusionMatrixView):
        super().__init__(axisOrder="row-major")
        self._view = view

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's name
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._view.click_at(ev.pos())
        else:
            super().mouseClickEvent(ev)

    def hoverEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's name
        if ev.isExit():
            self._view.hover_at(None)
            return
        ev.acceptClicks(Qt.MouseButton.LeftButton)
        self._view.hover_at(ev.pos())


class ConfusionMatrixView(QWidget):
    """Heatmap of a confusion matrix with a count (or share) in every cell.

    Signals
    -------
    cellClicked(int, int)   (true class index, predicted class index) of a clicked cell
    """

    cellClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setAccessibleName(self.tr("Confusion matrix"))
        self._counts = np.zeros((0, 0), dtype=np.int64)
        self._classes: list[str] = []
        self._texts: list[list[pg.TextItem]] = []
        self._selected: tuple[int, int] | None = None

        self.normaliseCheck = QCheckBox(
            self.tr("Normalise rows (share of each true class)"), objectName="normaliseCheck"
        )
        self.normaliseCheck.setToolTip(
            self.tr(
                "Divide each row by its total: the diagonal becomes each class's recall, "
                "and small classes are as visible as large ones."
            )
        )
        self.hintLabel = QLabel(self.tr("Click a cell to see its test images."), objectName="confusionHint")
        self.hintLabel.setProperty("role", "caption")
        top = QHBoxLayout()
        top.addWidget(self.normaliseCheck)
        top.addStretch(1)
        top.addWidget(self.hintLabel)

        self.placeholder = QLabel(self.tr(EMPTY_TEXT), objectName="confusionPlaceholder", wordWrap=True)
        self.placeholder.setProperty("role", "placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot = pg.PlotWidget(background=theme.colours()["plot_bg"], objectName="confusionPlot")
        self.plot.setMinimumSize(260, 240)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setLabel("left", self.tr("true class"))
        item.setLabel("bottom", self.tr("predicted class"))
        vb = item.getViewBox()
        vb.setMouseEnabled(x=False, y=False)
        vb.invertY(True)  # row 0 at the top, as the matrix is printed
        vb.setAspectLocked(True)
        self.image = _HeatmapItem(self)
        self.image.setColorMap(heat_map())
        item.addItem(self.image)
        self._highlight = QGraphicsRectItem(0, 0, 1, 1)
        self._highlight.setZValue(20)
        self._highlight.hide()
        item.addItem(self._highlight)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.placeholder, 1)
        self.normaliseCheck.toggled.connect(self._redraw)
        self.restyle()
        self._show_placeholder(True)
        theme.notifier().changed.connect(self.restyle)

    def restyle(self) -> None:
        """Take the colours of the theme just applied (heatmap, axes, outline, cell numbers)."""
        style_plot(self.plot)
        pen = pg.mkPen(theme.colours()["cell_highlight"], width=3)
        pen.setCosmetic(True)
        self._highlight.setPen(pen)
        self.image.setColorMap(heat_map())
        self._redraw()

    def _show_placeholder(self, empty: bool) -> None:
        # An empty matrix is a sentence, not axes from -500 to 500.
        self.placeholder.setVisible(empty)
        self.plot.setVisible(not empty)
        self.normaliseCheck.setVisible(not empty)
        self.hintLabel.setVisible(not empty)

    # ---- public API ---------------------------------------------------------------------------
    def set_matrix(self, confusion, classes: list[str]) -> None:
        """Show a ``(K, K)`` count matrix; rows are true classes, columns predictions."""
        counts = np.asarray(confusion, dtype=np.int64).reshape(len(classes), len(classes))
        self._counts, self._classes = counts, [str(c) for c in classes]
        self._selected = None
        self._highlight.hide()
        self._build_texts()
        self._set_ticks()
        k = max(1, len(classes))
        self.plot.getPlotItem().getViewBox().setRange(xRange=(0, k), yRange=(0, k), padding=0.02)
        self._show_placeholder(not classes)
        self._redraw()

    def clear(self) -> None:
        self.set_matrix(np.zeros((0, 0)), [])

    def classes(self) -> list[str]:
        return list(self._classes)

    def is_normalised(self) -> bool:
        return self.normaliseCheck.isChecked()

    def values(self) -> np.ndarray:
        """What the cells show: counts, or row shares when normalised."""
        return row_fractions(self._counts) if self.is_normalised() else self._counts.astype(np.float64)

    def cell_text(self, true: int, pred: int) -> str:
        """The text drawn in a cell ('' when there are too many classes to print numbers)."""
        return self._texts[true][pred].textItem.toPlainText() if self._texts else ""

    def cell_texts(self) -> list[list[str]]:
        return [[t.textItem.toPlainText() for t in row] for row in self._texts]

    def selected_cell(self) -> tuple[int, int] | None:
        return self._selected

    def select_cell(self, true: int, pred: int) -> None:
        """Outline a cell (without emitting); e.g. when a most-confused pair is chosen elsewhere."""
        if not (0 <= true < len(self._classes) and 0 <= pred < len(self._classes)):
            return
        self._selected = (true, pred)
        self._highlight.setRect(pred, true, 1, 1)
        self._highlight.show()

    def click_cell(self, true: int, pred: int) -> None:
        """What a click on the cell does: outline it and emit ``cellClicked``."""
        if 0 <= true < len(self._classes) and 0 <= pred < len(self._classes):
            self.select_cell(true, pred)
            self.cellClicked.emit(true, pred)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """(true, predicted) under a point in matrix coordinates, or None outside the matrix."""
        row, col = math.floor(pos.y()), math.floor(pos.x())
        k = len(self._classes)
        return (row, col) if 0 <= row < k and 0 <= col < k else None

    def scene_point(self, true: int, pred: int) -> QPointF:
        """The scene position of a cell's centre (for tests that click with the mouse)."""
        return self.plot.getPlotItem().getViewBox().mapViewToScene(QPointF(pred + 0.5, true + 0.5))

    def click_at(self, pos: QPointF) -> None:
        cell = self.cell_at(pos)
        if cell is not None:
            self.click_cell(*cell)

    def hover_at(self, pos: QPointF | None) -> None:
        cell = None if pos is None else self.cell_at(pos)
        self.plot.setToolTip(self._describe(*cell) if cell else "")

    # ---- drawing ------------------------------------------------------------------------------
    def _describe(self, true: int, pred: int) -> str:
        count = int(self._counts[true, pred])
        total = int(self._counts[true].sum())
        share = ""
        if total:
            share = self.tr(" ({share} of {true})").format(
                share=percent(count / total), true=self._classes[true]
            )
        return self.tr("true {true} → predicted {predicted}: %n image(s){share}", "", count).format(
            true=self._classes[true], predicted=self._classes[pred], share=share
        )

    def _build_texts(self) -> None:
        item = self.plot.getPlotItem()
        for row in self._texts:
            for text in row:
                item.removeItem(text)
        self._texts = []
        k = len(self._classes)
        if k == 0 or k > MAX_TEXT_CLASSES:
            return
        font = QFont()
        font.setPointSize(10 if k <= 10 else 8 if k <= 20 else 7)
        for i in range(k):
            row = []
            for j in range(k):
                text = pg.TextItem("", anchor=(0.5, 0.5))
                text.setFont(font)
                text.setPos(j + 0.5, i + 0.5)
                text.setZValue(10)
                item.addItem(text)
                row.append(text)
            self._texts.append(row)

    def _set_ticks(self) -> None:
        item = self.plot.getPlotItem()
        ticks = [[(i + 0.5, name[:12]) for i, name in enumerate(self._classes)]]
        item.getAxis("left").setTicks(ticks)
        item.getAxis("bottom").setTicks(ticks)

    def _redraw(self) -> None:
        k = len(self._classes)
        if k == 0:
            self.image.clear()
            return
        values = self.values()
        top = 1.0 if self.is_normalised() else max(1.0, float(values.max()))
        self.image.setImage(values, levels=(0.0, top), autoLevels=False)
        self.image.setRect(0, 0, k, k)
        for i, row in enumerate(self._texts):
            for j, text in enumerate(row):
                value = values[i, j]
                label = number(value, 2) if self.is_normalised() else str(int(value))
                strong = value / top > 0.55
                key = "heat_text_light" if strong else ("heat_text_dark" if value else "heat_zero")
                text.setText(label, color=theme.colours()[key])
