"""Filters as they learn: the first layer's weights of a run, epoch by epoch, beside the log.

The run folder's ``filters.npz`` (``engine.filter_history``) holds the weights the run started from
and those after every epoch; the slider picks one, *Play* steps through them, so a student sees
random noise turn into edge and stroke detectors, and how little ImageNet filters move when frozen.
During a run the view reads the file again after each epoch (it is small); the slider follows the
newest epoch unless the user moved it back.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget

from engine.filter_history import FILTERS, FilterHistory, read_history
from engine.mosaic import grid
from gui import theme
from gui.language import percent
from gui.widgets.image_grid import to_qimage

PLAY_MS = 700  # one epoch per step while playing
SIDE = 300  # the view's width it asks for, in pixels


def run_folder_of(source) -> Path | None:
    """The run folder of a model shown in the Training tab: a RunResult's, or a checkpoint's own
    folder when its filters lie beside it (a run's model.pt), else the folder its metadata names."""
    folder = getattr(source, "run_dir", None)
    if folder:
        return Path(folder)
    path = getattr(source, "path", None)
    if path is not None and (Path(path).parent / FILTERS).is_file():
        return Path(path).parent
    folder = (getattr(source, "meta", None) or {}).get("run_dir")
    return Path(folder) if folder else None


class FilterHistoryView(QWidget):
    """The first layer's filters of one run, with an epoch slider and Play."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("filterHistoryView")
        self.folder: Path | None = None
        self.history: FilterHistory | None = None
        self.titleLabel = QLabel(objectName="filterTitle", wordWrap=True)
        self.picture = QLabel(objectName="filterPicture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumHeight(60)
        # The pictures fit the room the label has; they never ask for more (no layout feedback).
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image = QImage()
        self.picture.setAccessibleName(self.tr("First-layer filters"))
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="filterSlider")
        self.slider.setAccessibleName(self.tr("Epoch of the filters shown"))
        self.playButton = QPushButton(self.tr("Play"), objectName="filterPlayButton")
        self.playButton.setToolTip(self.tr("Step through the epochs, from the start to the last"))
        self.epochLabel = QLabel(objectName="filterEpochLabel", wordWrap=True)
        self.epochLabel.setProperty("role", "caption")
        controls = QHBoxLayout()
        controls.addWidget(self.playButton)
        controls.addWidget(self.slider, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 0, 0, 0)
        column.addWidget(self.titleLabel)
        column.addWidget(self.picture, 1)
        column.addLayout(controls)
        column.addWidget(self.epochLabel)
        self.timer = QTimer(self, interval=PLAY_MS)
        self.timer.timeout.connect(self._step)
        self.playButton.clicked.connect(self.toggle_play)
        self.slider.valueChanged.connect(self._show_entry)
        theme.notifier().changed.connect(self._restyle)
        self.set_folder(None)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(SIDE + 8, 200)

    def set_folder(self, folder: str | Path | None) -> None:
        """Show the filter history of the run in ``folder`` (None: nothing to show)."""
        self.folder = Path(folder) if folder else None
        self.history = None
        self.reload()

    @Slot()
    def reload(self) -> None:
        """Read the folder's file again (after an epoch); the slider stays on the newest if it was there."""
        at_end = self.history is None or self.slider.value() >= len(self.history) - 1
        try:
            self.history = read_history(self.folder) if self.folder is not None else None
        except ValueError:
            self.history = None
            self._say(
                self.tr("The filter history in {folder} cannot be read; a new run writes it again.").format(
                    folder=self.folder
                )
            )
            return
        if self.history is None or not len(self.history):
            self._say(self.tr("First-layer filters appear here, epoch by epoch, once a run has started."))
            return
        n, c, h, w = self.history.weights.shape[1:]
        self.titleLabel.setText(
            self.tr("First-layer filters of {layer}: %n filter(s) of {h}×{w}", "", n).format(
                layer=self.history.layer, h=h, w=w
            )
        )
        for widget in (self.slider, self.playButton):
            widget.setEnabled(len(self.history) > 1)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.history) - 1)
        if at_end:
            self.slider.setValue(len(self.history) - 1)
        self.slider.blockSignals(False)
        self._show_entry(self.slider.value())

    def _say(self, text: str) -> None:
        self.stop()
        self.titleLabel.setText(text)
        self.picture.clear()
        self.image = QImage()
        self.epochLabel.clear()
        for widget in (self.slider, self.playButton):
            widget.setEnabled(False)

    @Slot(int)
    def _show_entry(self, i: int) -> None:
        history = self.history
        if history is None or not 0 <= i < len(history):
            return
        images = history.images(i)
        cols = math.ceil(math.sqrt(2 * len(images)))  # twice as wide as tall, like the room beside the log
        # Gaps in the window's own grey: mid-grey is a weight of zero, so it cannot part the filters.
        gap = theme.colour("window").lightness()
        self.image = to_qimage(grid(images, cols=cols, gap=1, background=gap))
        self._fit()
        epoch, phase = int(history.epochs[i]), int(history.phases[i])
        when = (
            self.tr("As the run started")
            if epoch == 0
            else self.tr("After epoch {epoch}").format(epoch=epoch)
        )
        if phase > 1:
            when += self.tr(" (phase 2: unfrozen)")
        moved = self.tr("{when} · moved {share} from the start").format(
            when=when, share=percent(history.moved(i), 1)
        )
        self.epochLabel.setText(moved)

    @Slot()
    def _restyle(self) -> None:
        self._show_entry(self.slider.value())

    def _fit(self) -> None:
        if self.image.isNull():
            return
        w, h = self.image.width(), self.image.height()
        factor = max(1, int(min(self.picture.width() / w, self.picture.height() / h)))
        # Whole multiples, nearest neighbour: each weight stays a square of its own.
        self.picture.setPixmap(QPixmap.fromImage(self.image).scaled(w * factor, h * factor))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    @Slot()
    def toggle_play(self) -> None:
        """Play from the start (or from where the slider is), or stop playing."""
        if self.timer.isActive():
            self.stop()
            return
        if self.history is None or len(self.history) < 2:
            return
        if self.slider.value() >= len(self.history) - 1:
            self.slider.setValue(0)
        self.playButton.setText(self.tr("Stop"))
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.playButton.setText(self.tr("Play"))

    @Slot()
    def _step(self) -> None:
        if self.history is None or self.slider.value() >= len(self.history) - 1:
            self.stop()
            return
        self.slider.setValue(self.slider.value() + 1)
