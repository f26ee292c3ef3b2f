"""The window never shows one thing while doing another: plain axes, the wheel, tab keys, quiet Runs."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from gui.widgets.curve_plot import CurvePlot, RunsPlot


def _left_axis(plot):
    return plot.getPlotItem().getAxis("left")


def test_axes_show_plain_units(qtbot):
    plot = CurvePlot("lossPlot", "Loss", "loss")
    qtbot.addWidget(plot)
    plot.show()
    for epoch, value in enumerate((0.0008, 0.0006, 0.0004), start=1):
        plot.add_point(epoch, value, value * 1.1)
    QApplication.processEvents()
    axis = _left_axis(plot)
    axis.setRange(0.0004, 0.0008)  # what the view sets when it draws these points
    assert axis.autoSIPrefixScale == 1.0
    assert "x0.001" not in axis.labelString() and "(x" not in axis.labelString()
    runs = RunsPlot()
    qtbot.addWidget(runs)
    runs.show_runs([], "loss", 1.0, "loss")
    _left_axis(runs).setRange(400.0, 800.0)
    assert _left_axis(runs).autoSIPrefixScale == 1.0
