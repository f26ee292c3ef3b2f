"""The Training tab's live curves: loss and accuracy side by side, one point per epoch, folds apart.

``EpochCurves`` owns both plots and their per-fold curves; the Training panel feeds it the engine's
events (``epoch_end``, ``phase``) and clears it at each run. Every item lives on a plot that this
widget owns (parented), so nothing outlives its view.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QWidget

from gui.widgets.curve_plot import CurvePlot
from gui.widgets.kfold_view import FoldCurves


class EpochCurves(QWidget):
    """Loss and accuracy plots of the current run (train and validation; one curve per K-Fold fold)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("epochCurves")
        self.lossPlot = CurvePlot("lossPlot", self.tr("Loss"), self.tr("loss"), parent=self)
        self.accuracyPlot = CurvePlot(
            "accuracyPlot", self.tr("Accuracy"), self.tr("accuracy (%)"), legend_corner="bottom", parent=self
        )
        self.accuracyPlot.getPlotItem().setYRange(0, 100, padding=0.02)
        self.accuracyPlot.getPlotItem().getViewBox().setLimits(yMin=-5, yMax=105)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.lossPlot)
        row.addWidget(self.accuracyPlot)
        self.foldLoss = FoldCurves(self.lossPlot, self.tr("validation"))
        self.foldAccuracy = FoldCurves(self.accuracyPlot, self.tr("validation"), scale=100)
        self._x = 0

    @property
    def last_epoch(self) -> int:
        """How many epochs of the (non-fold) run are drawn."""
        return self._x

    def clear(self, epochs: int = 5) -> None:
        """Remove every point, fold curve and marker; show epochs 1..``epochs`` on the x axes."""
        self._x = 0
        self.foldLoss.clear()
        self.foldAccuracy.clear()
        for plot in (self.lossPlot, self.accuracyPlot):
            plot.clear_points()
            plot.set_epoch_range(epochs)

    def add_epoch(self, event: dict[str, Any]) -> None:
        """Draw one ``epoch_end`` event: on the fold's own curve under K-Fold, else the next point."""
        if event.get("fold"):
            self.foldLoss.add_event(event, "val_loss")
            self.foldAccuracy.add_event(event, "val_acc")
            return
        self._x += 1
        self.lossPlot.add_point(self._x, event.get("train_loss"), event.get("val_loss"))
        acc = [event.get(k) for k in ("train_acc", "val_acc")]
        self.accuracyPlot.add_point(self._x, *(None if a is None else 100 * a for a in acc))

    def mark(self, x: float, label: str) -> None:
        """A dashed vertical line on both plots (where fine-tuning unfroze layers)."""
        for plot in (self.lossPlot, self.accuracyPlot):
            plot.mark(x, label)
