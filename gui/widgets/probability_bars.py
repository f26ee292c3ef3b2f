"""Class probabilities as a bar chart, the most likely class highlighted (pyqtgraph)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Slot
from PySide6.QtWidgets import QWidget

from gui import theme
from gui.widgets.curve_plot import style_plot

PERCENT_TICKS = [(v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
MAX_VERTICAL = 12  # up to this many short class names stand as vertical bars in class order
MAX_HORIZONTAL = 10  # otherwise only the most likely ones are listed
_RESET = {"x": None, "y": None, "x1": None, "y1": None}  # BarGraphItem keeps these unless cleared


class ProbabilityPlot(pg.PlotWidget):
    """Class probabilities as bars (objectName ``probabilityPlot``), the top class highlighted.

    Up to 12 short class names (digits) stand as vertical bars in class order, so each digit keeps
    its place; otherwise the ten most likely classes lie as horizontal bars, best at the top.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent=parent, background=theme.colours()["plot_bg"])
        self.setObjectName("probabilityPlot")
        self.setAccessibleName(self.tr("Class probabilities"))
        self.setMinimumSize(300, 200)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        style_plot(self)
        self.bars = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], pen=None, brush=theme.colours()["bar"])
        item.addItem(self.bars)
        self.classes: list[str] = []
        self.vertical = True
        self.values = np.zeros(0)
        theme.notifier().changed.connect(self.restyle)

    @Slot()
    def restyle(self) -> None:
        """Redraw in the theme just applied."""
        style_plot(self)
        self.show_probabilities(self.values)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # pyqtgraph asks for 640x480, which made Try it taller than a 720-px screen; the bars take
        # the room their column has (they stretch), so ask for no more than the minimum.
        return self.minimumSize()

    def set_classes(self, classes: list[str]) -> None:
        """Lay the axes out for these class names (call when the model changes)."""
        self.classes = [str(c) for c in classes]
        n = len(self.classes)
        self.vertical = n <= MAX_VERTICAL and all(len(c) <= 3 for c in self.classes)
        item = self.getPlotItem()
        value_axis, class_axis = ("left", "bottom") if self.vertical else ("bottom", "left")
        item.setLabel(value_axis, self.tr("probability"))
        item.setLabel(class_axis, "")
        item.showGrid(x=not self.vertical, y=self.vertical, alpha=0.2)
        item.getAxis(value_axis).setTicks([PERCENT_TICKS, []])
        if self.vertical:
            item.getAxis("bottom").setTicks([list(enumerate(self.classes))])
            item.setXRange(-0.6, n - 0.4, padding=0)
            item.setYRange(0, 1.04, padding=0)
        else:
            item.setXRange(0, 1.04, padding=0)
            item.setYRange(-0.6, min(n, MAX_HORIZONTAL) - 0.4, padding=0)
        self.show_probabilities(np.zeros(n))

    def show_probabilities(self, probs: np.ndarray) -> None:
        """Update the bars in place (one ``setOpts``)."""
        probs = np.asarray(probs, dtype=np.float64)
        self.values = probs
        top = int(np.argmax(probs)) if probs.shape[0] and probs.max() > 0 else -1
        if self.vertical:
            self._show_vertical(probs, top)
        else:
            self._show_horizontal(probs, top)

    def _show_vertical(self, probs: np.ndarray, top: int) -> None:
        n = probs.shape[0]
        where = np.arange(n, dtype=np.float64)
        bar, top_bar = theme.colours()["bar"], theme.colours()["bar_top"]
        brushes = [top_bar if i == top else bar for i in range(n)]
        self.bars.setOpts(**_RESET, x0=where - 0.35, width=0.7, y0=np.zeros(n), height=probs, brushes=brushes)

    def _show_horizontal(self, probs: np.ndarray, top: int) -> None:
        order = np.argsort(-probs, kind="stable")[:MAX_HORIZONTAL]
        where = np.arange(len(order), dtype=np.float64)[::-1]
        names = [(where[r], self.classes[i]) for r, i in enumerate(order) if i < len(self.classes)]
        self.getPlotItem().getAxis("left").setTicks([names])
        bar, top_bar = theme.colours()["bar"], theme.colours()["bar_top"]
        brushes = [top_bar if i == top else bar for i in order]
        self.bars.setOpts(
            **_RESET,
            x0=np.zeros(len(order)),
            width=probs[order],
            y0=where - 0.35,
            height=0.7,
            brushes=brushes,
        )
