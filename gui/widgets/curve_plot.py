"""Training curves: one metric's train and validation values per epoch, runs overlaid, phase markers.

Each curve is created once and updated with ``setData`` as epochs end (pyqtgraph's own advice).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QWidget

from engine.report.style import TRAIN_COLOUR, VAL_COLOUR  # the same colours as the exported charts
from gui import theme


def add_phase_marker(plot_widget: pg.PlotWidget, epoch: float, label: str) -> pg.InfiniteLine:
    """Draw a dashed vertical line with ``label`` at x = ``epoch`` on a pyqtgraph plot.

    For the "phase" event pass ``event["epoch"] - 0.5``: the line then sits between the last
    epoch of the frozen phase and the first fine-tuning epoch.
    """
    line = pg.InfiniteLine(
        pos=epoch,
        angle=90,
        movable=False,
        pen=pg.mkPen(theme.colours()["plot_marker"], style=Qt.PenStyle.DashLine),
        label=label,
        labelOpts={"position": 0.9, "color": theme.colours()["plot_fg"]},
    )
    line.setObjectName("phaseMarker")
    plot_widget.addItem(line)
    return line


def style_axes(item: pg.PlotItem) -> None:
    """Axes and tick labels in the theme's plot colours, as on every plot of the window.

    Every axis shows plain units: pyqtgraph's automatic SI prefix would turn a loss of 0.4-0.8 into
    "loss (x0.001)" with ticks 400-800.
    """
    colours = theme.colours()
    for axis in ("left", "bottom", "right", "top"):
        item.getAxis(axis).enableAutoSIPrefix(False)
    for axis in ("left", "bottom"):
        item.getAxis(axis).setPen(colours["plot_axis"])
        item.getAxis(axis).setTextPen(colours["plot_fg"])  # after setPen, which recolours the label too


def style_plot(widget: pg.PlotWidget) -> None:
    """Background, axes, title and legend of a plot in the applied theme's colours."""
    colours = theme.colours()
    widget.setBackground(colours["plot_bg"])
    item = widget.getPlotItem()
    style_axes(item)
    if item.titleLabel.text:
        item.titleLabel.setText(item.titleLabel.text, color=colours["plot_fg"])
    if item.legend is not None:
        item.legend.setLabelTextColor(colours["plot_fg"])
        item.legend.setBrush(pg.mkBrush(theme.colour("legend_bg")))
        for _, label in item.legend.items:
            label.setText(label.text, color=colours["plot_fg"])


def epoch_ticks(item: pg.PlotItem, epochs: int) -> None:
    """A tick per epoch on the x axis for short runs (every second one up to 20), automatic beyond."""
    axis = item.getAxis("bottom")
    if epochs <= 20:
        axis.setTickSpacing(major=1 if epochs <= 10 else 2, minor=1)
    else:
        axis.setTickSpacing()


def _curve(item: pg.PlotItem, name: str, colour: str, symbol: str) -> pg.PlotDataItem:
    pen = pg.mkPen(colour, width=2)
    return item.plot(
        [], [], name=name, pen=pen, symbol=symbol, symbolSize=6, symbolBrush=colour, symbolPen=None
    )


class CurvePlot(pg.PlotWidget):
    """Train and validation curves of one metric, one point per finished epoch."""

    def __init__(
        self, name: str, title: str, unit: str, legend_corner: str = "top", parent: QWidget | None = None
    ):
        super().__init__(parent=parent, background=theme.colours()["plot_bg"])
        self.setObjectName(name)
        self.setAccessibleName(title)
        self.setMinimumSize(220, 170)
        item = self.getPlotItem()
        item.setTitle(title, color=theme.colours()["plot_fg"], size="10pt")
        item.setLabel("bottom", self.tr("epoch"))
        item.setLabel("left", unit)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setMenuEnabled(False)
        # Loss falls and accuracy rises: put each legend where its curves are not.
        item.addLegend(
            offset=(-8, 8) if legend_corner == "top" else (-8, -8),
            labelTextColor=theme.colours()["plot_fg"],
            brush=pg.mkBrush(theme.colour("legend_bg")),
        )
        self.train = _curve(item, self.tr("train"), TRAIN_COLOUR, "o")
        self.val = _curve(item, self.tr("validation"), VAL_COLOUR, "s")
        style_plot(self)
        theme.notifier().changed.connect(self.restyle)
        self._x: list[float] = []
        self._train: list[float] = []
        self._val: list[float] = []
        self._markers: list[pg.InfiniteLine] = []
        self.set_epoch_range(5)

    @Slot()
    def restyle(self) -> None:
        """Redraw in the theme just applied."""
        style_plot(self)

    def set_epoch_range(self, epochs: int) -> None:
        """Show epochs 1..epochs on the x axis before the points arrive."""
        self._epochs_shown = max(1, epochs)
        self.getPlotItem().setXRange(0.5, self._epochs_shown + 0.5, padding=0)
        epoch_ticks(self.getPlotItem(), epochs)

    def clear_points(self) -> None:
        """Remove every point and marker."""
        self._x, self._train, self._val = [], [], []
        self.train.setData([], [])
        self.val.setData([], [])
        for marker in self._markers:
            self.getPlotItem().removeItem(marker)
        self._markers = []

    def add_point(self, x: float, train: float | None, val: float | None) -> None:
        """Append one epoch's values (None leaves a gap in that curve)."""
        self._x.append(x)
        self._train.append(float("nan") if train is None else float(train))
        self._val.append(float("nan") if val is None else float(val))
        self.train.setData(self._x, self._train, connect="finite")
        self.val.setData(self._x, self._val, connect="finite")
        if x > self._epochs_shown:
            self._epochs_shown = int(x)
            self.getPlotItem().enableAutoRange(axis="x")
            epoch_ticks(self.getPlotItem(), int(x))

    def mark(self, x: float, label: str) -> None:
        """A dashed vertical line, e.g. where fine-tuning unfroze layers."""
        self._markers.append(add_phase_marker(self, x, label))


class RunsPlot(pg.PlotWidget):
    """Several runs' curves of one metric: validation solid with dots, train dashed, a colour per run."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent=parent, background=theme.colours()["plot_bg"])
        self.setObjectName("runsPlot")
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", self.tr("epoch"))
        item.addLegend(offset=(-8, 8))
        style_plot(self)
        theme.notifier().changed.connect(self.restyle)

    @Slot()
    def restyle(self) -> None:
        """Redraw in the theme just applied."""
        style_plot(self)

    def show_runs(self, runs: list[tuple[str, str, dict]], key: str, scale: float, label: str) -> None:
        """Draw ``runs`` as (name, colour, curves); ``curves["val_" + key]`` is (epochs, values).

        ``key`` is "acc" or "loss"; values are multiplied by ``scale`` and the y axis says ``label``.
        """
        item = self.getPlotItem()
        item.clear()  # also empties the legend
        item.setLabel("left", label)
        if runs:
            title = self.tr("validation solid, train dashed")
        else:
            title = self.tr("Select one or more runs above to compare them")
        item.setTitle(title, color=theme.colours()["plot_fg"], size="9pt")
        # No runs: a title alone, not empty axes with made-up numbers.
        for axis in ("left", "bottom"):
            item.showAxis(axis, bool(runs))
        item.showGrid(x=bool(runs), y=bool(runs), alpha=0.2)
        longest = max([1] + [self._plot_run(run, key, scale) for run in runs])
        # Accuracy rises and loss falls: keep the legend where the curves are not.
        item.legend.setOffset((-8, -8) if key == "acc" else (-8, 8))
        epoch_ticks(item, longest)

    def _plot_run(self, run: tuple[str, str, dict], key: str, scale: float) -> int:
        name, colour, curves = run
        longest = 1
        for part, style in (("val", Qt.PenStyle.SolidLine), ("train", Qt.PenStyle.DashLine)):
            x, y = curves[f"{part}_{key}"]
            longest = max(longest, int(x.max(initial=1)))
            self.getPlotItem().plot(
                x,
                y * scale,
                name=name if part == "val" else None,  # one legend entry per run
                pen=pg.mkPen(colour, width=2, style=style),
                symbol="o" if part == "val" else None,
                symbolSize=5,
                symbolBrush=colour,
                symbolPen=None,
            )
        return longest
