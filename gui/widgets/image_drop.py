"""Dropping image files: a mixin that accepts a dragged file, and a drop area that shows it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImageReader, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

THUMBNAIL_BOX = QSize(260, 260)


def dropped_file(mime: QMimeData) -> str | None:
    """The first local file among dragged URLs, or None."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_file():
            return url.toLocalFile()
    return None


class FileDropMixin:
    """Accepts a dragged image file and hands its path to ``self.file_dropped(path)``.

    Put before the Qt class (``class X(FileDropMixin, QWidget)``) so its event handlers win.
    """

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        path = dropped_file(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.file_dropped(path)


class ImageDropArea(FileDropMixin, QLabel):
    """Shows the image being classified; accepts image files dragged onto it.

    Signals
    -------
    fileDropped(str)    path of the file dropped on the area
    """

    fileDropped = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("imageDropArea")
        self.setAccessibleName(self.tr("Image drop area"))
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(280, 280)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.show_hint()

    def show_hint(self) -> None:
        self.setPixmap(QPixmap())
        self.setText(self.tr("Drop an image file here\nor use “Open image…”"))

    def show_file(self, path: str) -> None:
        """Show a thumbnail of ``path`` (decoded at thumbnail size, so big photos stay cheap)."""
        reader = QImageReader(path)
        reader.setAutoTransform(True)  # phone photos: apply the EXIF rotation as the engine does
        size = reader.size()
        box = THUMBNAIL_BOX
        if size.isValid() and (size.width() > box.width() or size.height() > box.height()):
            reader.setScaledSize(size.scaled(box, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if image.isNull():
            self.setPixmap(QPixmap())
            self.setText(Path(path).name)
            return
        self.setText("")
        self.setPixmap(QPixmap.fromImage(image))

    def file_dropped(self, path: str) -> None:
        self.fileDropped.emit(path)
