"""A tab page that scrolls only when the window is smaller than its panel's minimum.

``QScrollArea.setWidgetResizable(True)`` sizes a panel with wrapping labels by its layout's
height-for-width, which adds up the parts' *preferred* heights (pyqtgraph plots ask for 480 px):
on a 720-px screen pages scrolled although everything fitted at its minimum, and the bottom of
Try it and Evaluate sat below the fold. ``PageScroll`` gives the panel the viewport's size, or its
minimum where that is larger, so the stretchable parts (plots, tables) share what the screen has.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class PageScroll(QScrollArea):
    """``panel`` in a frameless scroll area named ``<panel objectName>Scroll``."""

    def __init__(self, panel: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"{panel.objectName()}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(panel)
        panel.installEventFilter(self)  # its layout changed (a message shown, a table filled): refit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.fit_panel()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_panel()

    def fit_panel(self) -> None:
        """Size the panel to the viewport, or to its minimum where that is larger."""
        panel = self.widget()
        if panel is None:
            return
        room = self.maximumViewportSize()  # without scroll bars
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize())
        width = max(room.width(), least.width())
        height = max(room.height(), self._least_height(panel, width))
        if height > room.height():  # the vertical bar takes its width from the panel
            width = max(room.width() - self.verticalScrollBar().sizeHint().width(), least.width())
            height = max(room.height(), self._least_height(panel, width))
        if panel.size().toTuple() != (width, height):
            panel.resize(width, height)

    @staticmethod
    def _least_height(panel: QWidget, width: int) -> int:
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize()).height()
        layout = panel.layout()
        if layout is not None and layout.hasHeightForWidth():
            least = max(least, layout.minimumHeightForWidth(width))
        return least
