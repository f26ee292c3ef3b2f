"""The Inside view's lower half: the layer clicked in the strip, large.

Its maps (or, for a fully connected layer, its units as bars) fill the left; click one and the right
shows which pixels of the input drive it: the gradient of that map's mean with respect to the input
(``engine.inside.drivers``, computed with the next prediction on the inference thread), drawn on the
input as the class map is. The first layer also shows its filters, one picture each.
"""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.inside import LayerView
from engine.mosaic import stretch
from gui import theme
from gui.try_it.inside_tiles import fit, paint_bars
from gui.try_it.prediction_view import overlay_heat
from gui.widgets.image_grid import to_qimage

DRIVERS_SIZE = 120


class PictureGrid(QWidget):
    """Pictures in rows of ``cols``, as large as the width allows up to ``largest``; click picks one.

    Signals
    -------
    picked(int)   the position of the picture clicked
    """

    picked = Signal(int)

    def __init__(self, cols: int, largest: int, name: str, parent: QWidget | None = None):
        super().__init__(parent, objectName=name)
        self.cols, self.largest = cols, largest
        self.images: list[QImage] = []
        self.selected: int | None = None
        self.pickable = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        theme.notifier().changed.connect(self.update)

    def set_images(self, images: list[QImage], pickable: bool = False) -> None:
        self.images, self.pickable = images, pickable
        self.setCursor(Qt.CursorShape.PointingHandCursor if pickable else Qt.CursorShape.ArrowCursor)
        self.updateGeometry()
        self.update()

    def cell(self) -> float:
        return max(8.0, min(float(self.largest), (self.width() - 2 * (self.cols - 1)) / self.cols))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        rows = max(1, -(-len(self.images) // self.cols))
        return QSize(self.cols * (self.largest + 2), rows * (self.largest + 2))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        rows = max(1, -(-len(self.images) // self.cols))
        cell = max(8.0, min(float(self.largest), (width - 2 * (self.cols - 1)) / self.cols))
        return int(rows * (cell + 2))

    def rect_of(self, i: int) -> QRectF:
        row, col = divmod(i, self.cols)
        side = self.cell()
        return QRectF(col * (side + 2), row * (side + 2), side, side)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        for i, image in enumerate(self.images):
            rect = self.rect_of(i)
            painter.drawImage(fit(rect, image.width(), image.height()), image)
            if i == self.selected:
                pen = QPen(theme.colour("cell_highlight"))
                pen.setWidth(3)
                painter.setPen(pen)
                painter.drawRect(rect.adjusted(1, 1, -1, -1))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self.pickable and event.button() == Qt.MouseButton.LeftButton:
            for i in range(len(self.images)):
                if self.rect_of(i).contains(event.position()):
                    self.picked.emit(i)
                    return
        super().mousePressEvent(event)


class UnitBars(QWidget):
    """A fully connected layer's units as bars; click a bar to pick that unit."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="insideUnitBars")
        self.values = np.zeros(0, np.float32)
        self.labels: list[str] = []
        self.setMinimumHeight(160)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        theme.notifier().changed.connect(self.update)

    def set_values(self, values: np.ndarray, labels: list[str]) -> None:
        self.values, self.labels = np.asarray(values, np.float32), labels
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        labels = self.labels if len(self.labels) <= 24 else []
        paint_bars(painter, QRectF(self.rect()).adjusted(2, 2, -2, -2), self.values, labels)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if len(self.values) and event.button() == Qt.MouseButton.LeftButton:
            i = int(event.position().x() / max(1.0, self.width() / len(self.values)))
            self.picked.emit(min(max(i, 0), len(self.values) - 1))


class InsideDetail(QWidget):
    """One layer large: its maps or units, what drives the one picked, and the first layer's filters.

    Signals
    -------
    mapChosen(str, int)   a map (channel) or unit of a layer was clicked: its layer and index
    """

    mapChosen = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="insideDetail")
        self.view: LayerView | None = None
        self.chosen: int | None = None  # the channel or unit whose drivers are shown
        self.titleLabel = QLabel(objectName="insideDetailTitle", wordWrap=True)
        self.titleLabel.setTextFormat(Qt.TextFormat.RichText)
        self.mapGrid = PictureGrid(4, 64, "insideMapGrid")
        self.unitBars = UnitBars()
        self.driversLabel = QLabel(objectName="insideDrivers")
        self.driversLabel.setFixedSize(DRIVERS_SIZE, DRIVERS_SIZE)
        self.driversLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.driversCaption = QLabel(objectName="insideDriversCaption", wordWrap=True)
        self.driversCaption.setProperty("role", "caption")
        self.filtersCaption = QLabel(objectName="insideFiltersCaption", wordWrap=True)
        self.filterGrid = PictureGrid(8, 20, "insideFilterGrid")
        side = QVBoxLayout()
        side.addWidget(self.driversLabel)
        side.addWidget(self.driversCaption)
        side.addWidget(self.filtersCaption)
        side.addWidget(self.filterGrid)
        side.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.mapGrid)
        left.addWidget(self.unitBars)
        left.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(left, 3)
        row.addLayout(side, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 0)
        column.addWidget(self.titleLabel)
        column.addLayout(row, 1)
        self.mapGrid.picked.connect(self._on_picked)
        self.unitBars.picked.connect(self._on_picked)
        self.show_layer(None, None)

    def show_layer(self, view: LayerView | None, model_input: np.ndarray | None) -> None:
        """Show ``view`` (None: a hint to click a layer); a different layer forgets the map picked."""
        if view is None or self.view is None or view.name != self.view.name:
            self.chosen = None
        self.view = view
        conv = view is not None and view.kind == "conv"
        self.mapGrid.setVisible(conv)
        self.unitBars.setVisible(view is not None and not conv)
        if view is None:
            self.titleLabel.setText(self.tr("Click a layer above to see it large."))
            self._show_filters(None)
            self.show_drivers(None, None, None)
            return
        self.titleLabel.setText(f"<b>{escape(view.name)}</b> · {escape(view.explanation)}")
        if conv:
            self.mapGrid.set_images([to_qimage(m) for m in stretch(view.maps)], pickable=True)
            self.mapGrid.selected = self._position()
        else:
            self.unitBars.set_values(view.activity, [str(i) for i in view.index])
        self._show_filters(view)
        if self.chosen is None:
            self.show_drivers(None, None, model_input)

    def _position(self) -> int | None:
        if self.view is None or self.chosen is None:
            return None
        where = np.flatnonzero(self.view.index == self.chosen)
        return int(where[0]) if len(where) else None

    def _on_picked(self, position: int) -> None:
        if self.view is None or position >= len(self.view.index):
            return
        self.chosen = int(self.view.index[position])
        self.mapGrid.selected = position
        self.mapGrid.update()
        self.driversCaption.setText(self.tr("Working out which pixels drive it…"))
        self.mapChosen.emit(self.view.name, self.chosen)

    def show_drivers(
        self, heat: np.ndarray | None, error: str | None, model_input: np.ndarray | None
    ) -> None:
        """The pixels that drive the picked map, over the input (or why they are missing)."""
        if model_input is None:
            self.driversLabel.setPixmap(QPixmap())
        else:
            image = to_qimage(overlay_heat(model_input, heat))
            self.driversLabel.setPixmap(
                QPixmap.fromImage(image).scaled(
                    DRIVERS_SIZE - 2,
                    DRIVERS_SIZE - 2,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )
        if error:
            text = self.tr("Which pixels drive it could not be worked out: {reason}").format(reason=error)
        elif heat is not None and self.chosen is not None and self.view is not None:
            what = self.tr("map {n}") if self.view.kind == "conv" else self.tr("unit {n}")
            text = self.tr(
                "Bright: the pixels that change {what} of {layer} most (the gradient of its mean with "
                "respect to the input)."
            ).format(what=what.format(n=self.chosen), layer=self.view.name)
        elif self.view is not None:
            text = self.tr("Click a map to see which pixels of the input drive it.")
        else:
            text = ""
        self.driversCaption.setText(text)

    def _show_filters(self, view: LayerView | None) -> None:
        filters = None if view is None else view.filters
        self.filtersCaption.setVisible(filters is not None)
        self.filterGrid.setVisible(filters is not None)
        if filters is None:
            return
        h, w = filters.shape[-2:]
        self.filtersCaption.setText(
            self.tr(
                "Its %n filter(s) of {h}×{w}: light weights add, dark ones subtract, grey is zero.",
                "",
                len(filters),
            ).format(h=h, w=w)
        )
        self.filterGrid.set_images([to_qimage(f) for f in filters])
