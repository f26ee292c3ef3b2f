"""A square canvas to write a digit on with the mouse: smooth round strokes, Undo and Clear.

Strokes are kept as point lists, so Undo drops the last one and the picture is rendered again. The
picture is dark ink on white paper, rendered at the screen's device-pixel ratio (sharp on HiDPI);
``image()`` hands it over as a grey uint8 array, the way a scan of paper would look, and the
engine's preparation (``engine.data.prepare.prepare``) turns it into what the model was trained on.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QShortcut,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from gui import theme

INK = QColor(17, 17, 17)
PAPER = QColor(255, 255, 255)
HINT = QColor(107, 107, 107)  # contrast 5.3:1 on the paper
CANVAS_SIZE = 280  # ten times MNIST's 28: room for a digit written at a natural size
DEFAULT_PEN = 18  # logical px; about MNIST's stroke relative to a digit filling most of the canvas
MIN_STEP = 0.75  # logical px: closer mouse samples add nothing but cost


def smooth_path(points: list[QPointF]) -> QPainterPath:
    """A path through the midpoints of successive samples, bending at each sample (quadratic).

    Mouse samples are a polyline with visible corners; curving through the midpoints keeps the
    stroke's shape while removing the corners, and the first and last samples stay as ends.
    """
    path = QPainterPath(points[0])
    if len(points) == 2:
        path.lineTo(points[1])
        return path
    for here, after in zip(points[1:-1], points[2:], strict=False):
        path.quadTo(here, (here + after) / 2.0)
    if len(points) > 2:
        path.lineTo(points[-1])
    return path


class DrawingCanvas(QWidget):
    """The drawing surface (objectName ``drawingCanvas``) plus its controls in ``controls``.

    ``controls`` is a row with the pen width (``penWidthSpin``), Undo (``undoButton``, Ctrl+Z) and
    Clear (``clearButton``); the owner places it in its own layout.

    Signals
    -------
    strokeStarted()    the mouse went down on the canvas
    strokeFinished()   the mouse was released: a stroke was added
    changed()          the picture changed: a stroke was added, undone or everything cleared
    """

    strokeStarted = Signal()
    strokeFinished = Signal()
    changed = Signal()

    def __init__(self, size: int = CANVAS_SIZE, pen_width: int = DEFAULT_PEN, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("drawingCanvas")
        self.setAccessibleName(self.tr("Drawing canvas"))
        self.setToolTip(
            self.tr("Draw with the mouse; each stroke updates the prediction (Ctrl+Z undoes a stroke)")
        )
        self.setFixedSize(size, size)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._strokes: list[tuple[float, list[QPointF]]] = []  # (pen width, points) per stroke
        self._current: list[QPointF] | None = None
        self._pen_width = float(pen_width)
        self._base = self._blank()  # finished strokes; the stroke in progress is drawn on a copy
        self._image = self._base
        self._build_controls(pen_width)

    # ---- controls ------------------------------------------------------------------------------
    def _build_controls(self, pen_width: int) -> None:
        # A hidden child until the owner puts it in a layout, so it never leaks as a window.
        self.controls = QWidget(self, objectName="canvasControls")
        self.controls.hide()
        self.penWidthSpin = QSpinBox(objectName="penWidthSpin", minimum=2, maximum=60, suffix=self.tr(" px"))
        self.penWidthSpin.setValue(int(pen_width))
        self.penWidthSpin.setToolTip(self.tr("Pen width for the next strokes"))
        self.penWidthSpin.setAccessibleName(self.tr("Pen width"))
        self.undoButton = QPushButton(self.tr("Undo"), objectName="undoButton")
        self.undoButton.setToolTip(self.tr("Remove the last stroke (Ctrl+Z)"))
        self.clearButton = QPushButton(self.tr("Clear"), objectName="clearButton")
        self.clearButton.setToolTip(self.tr("Start again on a blank canvas"))
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(0, 0, 0, 0)
        pen_label = QLabel(self.tr("Pen"))
        pen_label.setBuddy(self.penWidthSpin)
        row.addWidget(pen_label)
        row.addWidget(self.penWidthSpin)
        row.addStretch(1)
        row.addWidget(self.undoButton)
        row.addWidget(self.clearButton)
        self.penWidthSpin.valueChanged.connect(self.set_pen_width)
        self.undoButton.clicked.connect(self.undo)
        self.clearButton.clicked.connect(self.clear)
        self.undoShortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self, self.undo)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.undoButton.setEnabled(bool(self._strokes))
        self.clearButton.setEnabled(bool(self._strokes))

    # ---- public API ------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.size()

    def pen_width(self) -> float:
        return self._pen_width

    @Slot(int)
    def set_pen_width(self, width: float) -> None:
        """Pen width in logical pixels for the strokes that follow (drawn ones keep theirs)."""
        self._pen_width = float(width)
        if self.penWidthSpin.value() != int(round(width)):
            self.penWidthSpin.setValue(int(round(width)))

    def is_empty(self) -> bool:
        return not self._strokes

    def strokes(self) -> list[list[tuple[float, float]]]:
        """The finished strokes as lists of ``(x, y)`` in logical pixels."""
        return [[(p.x(), p.y()) for p in points] for _, points in self._strokes]

    def add_stroke(self, points: list[tuple[float, float]], width: float | None = None) -> None:
        """Add a stroke through ``points`` (logical pixels) as if drawn with the mouse."""
        if not points:
            return
        width = self._pen_width if width is None else float(width)
        self._strokes.append((width, [QPointF(*p) for p in points]))
        self._render_all()
        self._after_change()
        self.strokeFinished.emit()

    @Slot()
    def undo(self) -> None:
        """Remove the last stroke."""
        if self._current is not None or not self._strokes:
            return
        self._strokes.pop()
        self._render_all()
        self._after_change()

    @Slot()
    def clear(self) -> None:
        """Remove every stroke."""
        if self._current is not None or not self._strokes:
            return
        self._strokes.clear()
        self._render_all()
        self._after_change()

    def image(self, ratio: float | None = None) -> np.ndarray:
        """What was drawn, as grey uint8 ``(H, W)``: dark ink on white paper.

        By default at the screen's resolution (``devicePixelRatio`` x the logical size, what the
        user sees); ``ratio=1.0`` renders the strokes at the logical size instead, the same on every
        screen (the panel predicts from that: a HiDPI canvas would only cost more to prepare).
        """
        if ratio is not None and ratio != self._image.devicePixelRatio():
            image = self._blank(ratio)
            for width, points in self._strokes:
                self._paint_stroke(image, width, points)
        else:
            if self._image.devicePixelRatio() != self._ratio():
                self._render_all()
            image = self._image
        h, w = image.height(), image.width()
        raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
        # RGB32 holds B, G, R, X per pixel; ink and paper are grey, so one channel is the picture.
        return raw.reshape(h, image.bytesPerLine())[:, : 4 * w].reshape(h, w, 4)[:, :, 1].copy()

    # ---- rendering ---------------------------------------------------------------------------------
    def _ratio(self) -> float:
        return self.devicePixelRatioF()

    def _blank(self, ratio: float | None = None) -> QImage:
        ratio = self._ratio() if ratio is None else ratio
        side = max(1, math.ceil(self.width() * ratio)), max(1, math.ceil(self.height() * ratio))
        image = QImage(*side, QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(ratio)
        image.fill(PAPER)
        return image

    @staticmethod
    def _paint_stroke(image: QImage, width: float, points: list[QPointF]) -> None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if len(points) == 1 or all(p == points[0] for p in points):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(INK)
            painter.drawEllipse(points[0], width / 2.0, width / 2.0)
        else:
            pen = QPen(INK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(smooth_path(points))
        painter.end()

    def _render_all(self) -> None:
        self._base = self._blank()
        for width, points in self._strokes:
            self._paint_stroke(self._base, width, points)
        self._image = self._base
        self.update()

    def _render_current(self) -> None:
        # The whole stroke in progress is stroked once on a copy, so overlapping pieces of it never
        # darken the anti-aliased edges twice and what is shown equals what Undo would re-render.
        self._image = self._base.copy()
        self._paint_stroke(self._image, self._pen_width, self._current)
        self.update()

    def _after_change(self) -> None:
        self._update_buttons()
        self.changed.emit()

    # ---- events --------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if self._image.devicePixelRatio() != self._ratio():
            self._render_all()  # moved to a screen with another scale factor
        painter = QPainter(self)
        painter.drawImage(QPointF(0, 0), self._image)
        if not self._strokes and self._current is None:
            painter.setPen(HINT)  # on the paper, which stays white in every theme
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Draw a digit here"))
        painter.setPen(theme.colour("frame"))
        painter.drawRect(QRectF(0.5, 0.5, self.width() - 1.0, self.height() - 1.0))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._current = [event.position()]
        self._render_current()
        self.strokeStarted.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._current is None:
            return super().mouseMoveEvent(event)
        point = event.position()
        last = self._current[-1]
        if math.hypot(point.x() - last.x(), point.y() - last.y()) >= MIN_STEP:
            self._current.append(point)
            self._render_current()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._current is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        point = event.position()
        if point != self._current[-1]:
            self._current.append(point)
        self._strokes.append((self._pen_width, self._current))
        self._current = None
        self._render_current_into_base()
        self._after_change()
        self.strokeFinished.emit()

    def _render_current_into_base(self) -> None:
        width, points = self._strokes[-1]
        self._paint_stroke(self._base, width, points)
        self._image = self._base
        self.update()
