"""The learning-rate finder of the Training tab: the range test in a worker, its curve drawn live.

``engine.train.lr_find`` does the work on a model of its own, so the model the user trains next
is not touched. The curve is smoothed loss against learning rate on a log axis; the suggestion
(steepest descent) is marked, and *Use this rate* puts it into the form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from engine.errors import TallerError
from engine.train.lr_find import lr_find
from gui import theme
from gui.language import short
from gui.tasks import TaskRunner
from gui.widgets.curve_plot import add_phase_marker, style_plot
from gui.widgets.message_label import MessageLabel

# () -> (data_cfg, model_cfg, train_cfg): what the forms describe now (raises ConfigError).
ConfigSource = Callable[[], tuple[Any, Any, Any]]
# data_cfg -> the ImageData already loaded for it, or None (then the worker loads it).
DataSource = Callable[[Any], Any]


class LrFinder(QWidget):
    """*Find learning rate*, Stop, a progress bar, the loss-vs-rate plot and *Use this rate*.

    Signals
    -------
    rateChosen(float)     the user put the suggested rate into the form
    statusMessage(str)    short text for the status bar
    """

    rateChosen = Signal(float)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lrFinder")
        self.finding = TaskRunner(self, "lrFindTask")
        self.finding.runningChanged.connect(self._update_buttons)
        self.source: ConfigSource | None = None
        self.data_for: DataSource | None = None
        self.suggestion: float | None = None
        self.points: tuple[list[float], list[float]] = ([], [])
        self._blocked = False
        self._marker = None
        self._build()
        self._update_buttons()

    def _build(self) -> None:
        self.findButton = QPushButton(self.tr("Find learning rate"), objectName="findLrButton")
        self.findButton.setToolTip(
            self.tr(
                "Train a copy of the model briefly while the rate grows, "
                "to see which rates make the loss fall"
            )
        )
        self.stopButton = QPushButton(self.tr("Stop"), objectName="stopLrButton")
        self.useButton = QPushButton(self.tr("Use this rate"), objectName="useLrButton")
        self.useButton.setToolTip(self.tr("Put the suggested learning rate into the form"))
        self.progress = QProgressBar(objectName="lrFindProgress", textVisible=True)
        self.progress.setFormat(self.tr("Learning-rate range test"))
        self.suggestionLabel = QLabel(objectName="lrSuggestionLabel")
        self.messageLabel = MessageLabel("lrFindMessage")
        self.plot = pg.PlotWidget(objectName="lrFindPlot")
        item = self.plot.getPlotItem()
        item.setLogMode(x=True, y=False)
        item.setLabel("bottom", self.tr("learning rate (log scale)"))
        item.setLabel("left", self.tr("smoothed loss"))
        style_plot(self.plot)
        self.plot.setMinimumHeight(140)
        self.plot.hide()
        self.curve = self.plot.plot([], [], pen=pg.mkPen(theme.colours()["plot_fg"], width=2))
        row = QHBoxLayout()
        for widget in (self.findButton, self.stopButton, self.progress, self.suggestionLabel, self.useButton):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.plot)
        self.findButton.clicked.connect(lambda: self.find())
        self.stopButton.clicked.connect(self.finding.stop)
        self.useButton.clicked.connect(self.use_suggestion)

    # ---- public API ---------------------------------------------------------------------------
    def set_config_source(self, source: ConfigSource, data_for: DataSource | None = None) -> None:
        """Where the settings to test come from (the window's forms), and the data loaded for them."""
        self.source, self.data_for = source, data_for

    @Slot(bool)
    def set_blocked(self, blocked: bool) -> None:
        """No range test while a run trains (they would share the CPU or GPU)."""
        self._blocked = blocked
        self._update_buttons()

    def find(self, configs: tuple | None = None, max_batches: int = 100, **ranges) -> bool:
        """Start the range test for ``configs`` (data, model, train configs and data), or the forms'."""
        if self.finding.is_running() or self._blocked:
            return False
        if configs is None and self.source is not None:
            try:
                data_cfg, model_cfg, train_cfg = self.source()
            except TallerError as e:
                self.messageLabel.show_error(e.message)
                return False
            configs = (data_cfg, model_cfg, train_cfg, self.data_for(data_cfg) if self.data_for else None)
        if configs is None:
            return False
        self.suggestion, self.points = None, ([], [])
        self.curve.setData([], [])
        self._clear_marker()
        self.plot.show()
        self.messageLabel.show_error("")
        self.suggestionLabel.setText("")
        self.progress.setRange(0, max_batches)
        self.progress.setValue(0)
        return self.finding.start(
            _job(configs, max_batches, ranges),
            on_done=self._on_done,
            on_failed=self.messageLabel.show_error,
            on_events={"lr_find": self._on_point},
        )

    @Slot()
    def use_suggestion(self) -> None:
        if self.suggestion is not None:
            self.rateChosen.emit(self.suggestion)
            self.statusMessage.emit(
                self.tr("Learning rate set to {rate}").format(rate=short(self.suggestion))
            )

    # ---- reactions ----------------------------------------------------------------------------
    def _on_point(self, event: dict[str, Any]) -> None:
        lrs, losses = self.points
        lrs.append(event["lr"])
        losses.append(event["loss"])
        self.curve.setData(lrs, losses)
        self.progress.setValue(event["batch"])

    def _on_done(self, result) -> None:
        self.curve.setData(result.lrs, result.losses)
        self.points = (list(result.lrs), list(result.losses))
        self.progress.setValue(self.progress.maximum())
        if result.losses:
            # The divergence at the end would squash the part that matters: clip it, as fastai does.
            top = min(max(result.losses), 1.5 * result.losses[0])
            self.plot.setYRange(min(result.losses), top, padding=0.05)
        self.suggestion = result.suggestion
        if result.suggestion is None:
            self.suggestionLabel.setText(self.tr("no suggestion"))
            self.messageLabel.show_error(self.tr("The loss never fell over the range: nothing to suggest."))
        else:
            self.suggestionLabel.setText(self.tr("Suggested: {rate}").format(rate=short(result.suggestion)))
            # The plot's x axis is log10 of the rate (log mode), so the marker is placed there.
            self._marker = add_phase_marker(self.plot, math.log10(result.suggestion), self.tr("suggested"))
        text = self.suggestionLabel.text()
        if result.stopped:
            self.statusMessage.emit(self.tr("Learning-rate range test stopped: {result}").format(result=text))
        else:
            self.statusMessage.emit(self.tr("Learning-rate range test done: {result}").format(result=text))
        self._update_buttons()

    def _clear_marker(self) -> None:
        if self._marker is not None:
            self.plot.removeItem(self._marker)
            self._marker = None

    def _update_buttons(self, *_) -> None:
        running = self.finding.is_running()
        self.findButton.setEnabled(not running and not self._blocked)
        self.stopButton.setEnabled(running)
        self.useButton.setEnabled(not running and self.suggestion is not None)
        self.progress.setVisible(running or bool(self.points[0]))

    def shutdown(self) -> None:
        self.finding.shutdown()


def _job(configs: tuple, max_batches: int, ranges: dict[str, float]):
    data_cfg, model_cfg, train_cfg, data = configs

    def job(on_event, stop):
        return lr_find(
            data_cfg, model_cfg, train_cfg, data, on_event, stop, max_batches=max_batches, **ranges
        )

    return job
