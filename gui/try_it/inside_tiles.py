"""The Inside view's tiles: one small picture per step from the input to the answer.

Each tile paints itself (``QPainter``, the theme's colours at paint time, so light and dark both
read): a title (the layer's dotted name), a body and a caption. ``MapsTile`` shows a convolution's
most active maps as a grid of small greyscale images, ``BarsTile`` a fully connected layer's units
as bars (also the answer's probabilities, ``ProbabilitiesTile``), ``PictureTile`` the input. A tile
keeps its widgets between updates; only its pixels change, so a drawing's update costs no layout.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui import theme
from gui.widgets.image_grid import to_qimage

COLS = 4  # maps per row in a tile
# Sized so that the simple CNN's whole path, input to softmax, fits the results column of a 1280x720
# window; a larger model's strip scrolls.
CELL = 17  # a map's side in a tile, in pixels
GAP = 2
PAD = 4
BODY = COLS * CELL + (COLS - 1) * GAP  # 74: a tile's body is square
MAX_LABELLED = 12  # classes named under their bars; more: only the top class is named


def fit(rect: QRectF, width: int, height: int) -> QRectF:
    """The largest rectangle of ``width``:``height`` centred in ``rect``."""
    scale = min(rect.width() / max(1, width), rect.height() / max(1, height))
    w, h = width * scale, height * scale
    return QRectF(rect.x() + (rect.width() - w) / 2, rect.y() + (rect.height() - h) / 2, w, h)


class Tile(QWidget):
    """A titled, captioned box that can be selected; subclasses paint ``body``.

    Signals
    -------
    clicked(str)   the tile was clicked; its key (the layer's name, or "input"/"softmax")
    """

    clicked = Signal(str)

    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key, self.title, self.caption = key, title, ""
        self.selected = False
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)  # the words are the tile's label, the picture its body
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        theme.notifier().changed.connect(self.update)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # A long name is shortened from the left ("…block1.conv"); the tooltip and the layer shown
        # large below name it whole.
        return QSize(BODY + 2 * PAD, BODY + 2 * self.fontMetrics().height() + 2 * PAD + 4)

    def body(self) -> QRectF:
        line = self.fontMetrics().height()
        return QRectF((self.width() - BODY) / 2, PAD + line + 2, BODY, BODY)

    def blank(self) -> None:
        """Show nothing until the next input (the tile stays, so the next one costs no layout)."""
        self.caption = ""
        self.clear_body()
        self.update()

    def clear_body(self) -> None:
        """Forget the body's picture."""

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        colours = theme.colours()
        painter.fillRect(self.rect(), theme.to_qcolor(colours["base"]))
        pen = QPen(theme.to_qcolor(colours["highlight" if self.selected else "border"]))
        pen.setWidth(2 if self.selected else 1)
        painter.setPen(pen)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        metrics = self.fontMetrics()
        line = metrics.height()
        painter.setPen(theme.to_qcolor(colours["text"]))
        width = self.width() - 2 * PAD
        title = metrics.elidedText(self.title, Qt.TextElideMode.ElideLeft, width)
        painter.drawText(QRect(PAD, PAD, width, line), Qt.AlignmentFlag.AlignLeft, title)
        painter.setPen(theme.to_qcolor(colours["muted"]))
        caption = metrics.elidedText(self.caption, Qt.TextElideMode.ElideRight, width)
        painter.drawText(
            QRect(PAD, self.height() - PAD - line, width, line), Qt.AlignmentFlag.AlignLeft, caption
        )
        self.paint_body(painter, self.body())
        painter.end()

    def paint_body(self, painter: QPainter, rect: QRectF) -> None:
        """Draw the tile's picture in ``rect``."""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.key)
        super().mousePressEvent(event)


class PictureTile(Tile):
    """One picture (the model's input), fitted into the body without blurring its pixels."""

    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(key, title, parent)
        self.image = QImage()

    def clear_body(self) -> None:
        self.image = QImage()

    def set_picture(self, pixels: np.ndarray, caption: str) -> None:
        self.image, self.caption = to_qimage(pixels), caption
        self.update()

    def paint_body(self, painter: QPainter, rect: QRectF) -> None:
        if not self.image.isNull():
            painter.drawImage(fit(rect, self.image.width(), self.image.height()), self.image)


class MapsTile(Tile):
    """A convolution's maps, the most active first, ``COLS`` to a row."""

    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(key, title, parent)
        self.images: list[QImage] = []

    def clear_body(self) -> None:
        self.images = []

    def set_maps(self, thumbs: np.ndarray, caption: str) -> None:
        self.images, self.caption = [to_qimage(t) for t in thumbs], caption
        self.update()

    def paint_body(self, painter: QPainter, rect: QRectF) -> None:
        for i, image in enumerate(self.images):
            row, col = divmod(i, COLS)
            cell = QRectF(rect.x() + col * (CELL + GAP), rect.y() + row * (CELL + GAP), CELL, CELL)
            # Shrunk smoothly (a 28-px map in 17 px would alias), enlarged as squares.
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, image.width() > CELL)
            painter.drawImage(fit(cell, image.width(), image.height()), image)


class BarsTile(Tile):
    """Values as bars from a baseline: up for positive, down for negative; the largest highlighted."""

    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(key, title, parent)
        self.values = np.zeros(0, np.float32)
        self.labels: list[str] = []

    def clear_body(self) -> None:
        self.values = np.zeros(0, np.float32)

    def set_values(self, values: np.ndarray, caption: str, labels: list[str] | None = None) -> None:
        self.values, self.labels, self.caption = np.asarray(values, np.float32), list(labels or []), caption
        self.update()

    def paint_body(self, painter: QPainter, rect: QRectF) -> None:
        paint_bars(painter, rect, self.values, self.labels if len(self.labels) <= MAX_LABELLED else [])


def paint_bars(painter: QPainter, rect: QRectF, values: np.ndarray, labels: list[str]) -> None:
    """``values`` as bars filling ``rect`` (with a row of ``labels`` under them when given)."""
    colours = theme.colours()
    n = len(values)
    if not n:
        return
    if labels:
        line = painter.fontMetrics().height()
        text_rect = QRectF(rect.x(), rect.bottom() - line, rect.width(), line)
        rect = QRectF(rect.x(), rect.y(), rect.width(), rect.height() - line - 2)
    finite = np.nan_to_num(values)
    low, high = min(0.0, float(finite.min())), max(0.0, float(finite.max()))
    span = (high - low) or 1.0
    base = rect.y() + rect.height() * high / span
    step = rect.width() / n
    top = int(np.argmax(finite))
    painter.setPen(Qt.PenStyle.NoPen)
    for i, v in enumerate(finite):
        painter.setBrush(theme.to_qcolor(colours["bar_top" if i == top else "bar"]))
        height = rect.height() * float(v) / span
        x = rect.x() + i * step
        painter.drawRect(QRectF(x + step * 0.1, base - max(height, 0.0), max(1.0, step * 0.8), abs(height)))
    painter.setPen(theme.to_qcolor(colours["plot_axis"]))
    painter.drawLine(QPointF(rect.x(), base), QPointF(rect.right(), base))
    if labels:
        painter.setPen(theme.to_qcolor(colours["text"]))
        for i, label in enumerate(labels):
            cell = QRectF(text_rect.x() + i * step, text_rect.y(), step, text_rect.height())
            painter.drawText(cell, Qt.AlignmentFlag.AlignHCenter, label)
