"""A class's pictures while gathering a dataset: a thumbnail grid that takes dropped files and folders.

Items hold a ``Path`` (a file to copy) or PNG ``bytes`` (a pasted or captured picture); the dialog
around it hands them to ``engine.data.gather.write_gathered``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

THUMB = 72
ITEM_ROLE = Qt.ItemDataRole.UserRole


def image_suffixes() -> set[str]:
    """File suffixes Qt can show as thumbnails (".png", ".jpg", ...)."""
    return {"." + bytes(f).decode().lower() for f in QImageReader.supportedImageFormats()}


def image_files(paths: list[Path]) -> list[Path]:
    """The image files among ``paths``, folders searched recursively, in name order."""
    suffixes = image_suffixes()
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        elif path.is_file() and path.suffix.lower() in suffixes:
            found.append(path)
    return found


def png_bytes(image: QImage) -> bytes:
    """A QImage encoded as PNG (what a pasted or captured picture is saved as)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _thumbnail(item: Path | bytes) -> QPixmap:
    if isinstance(item, bytes):
        image = QImage.fromData(item)
    else:
        reader = QImageReader(str(item))
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid():  # decode at thumbnail size: fast for large photos
            reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
    if image.isNull():
        return QPixmap()
    return QPixmap.fromImage(image).scaled(
        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class GatherGrid(QListWidget):
    """Thumbnails of one class's pictures; drop files or folders on it to add them.

    Signals
    -------
    changed()   pictures were added or removed
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gatherGrid")
        self.setAccessibleName(self.tr("Pictures of the chosen class"))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 12, THUMB + 12))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.viewport().setAcceptDrops(True)  # drops land on the viewport, which refuses them otherwise

    def add_items(self, items: list[Path | bytes]) -> int:
        """Add pictures (files or PNG bytes); returns how many were added."""
        for item in items:
            entry = QListWidgetItem(QIcon(_thumbnail(item)), "")
            entry.setData(ITEM_ROLE, item)
            entry.setToolTip(item.name if isinstance(item, Path) else self.tr("pasted picture"))
            self.addItem(entry)
        if items:
            self.changed.emit()
        return len(items)

    def add_paths(self, paths: list[Path]) -> int:
        """Add the image files among ``paths`` (folders searched); returns how many."""
        return self.add_items(list(image_files(paths)))

    def items(self) -> list[Path | bytes]:
        return [self.item(i).data(ITEM_ROLE) for i in range(self.count())]

    def take_selected(self) -> list[Path | bytes]:
        """Remove the selected pictures and return them (to delete, or to move to another class)."""
        rows = sorted((self.row(item) for item in self.selectedItems()), reverse=True)
        taken = [self.takeItem(row).data(ITEM_ROLE) for row in rows][::-1]
        if taken:
            self.changed.emit()
        return taken

    # ---- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        if mime.hasUrls():
            self.add_paths([Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()])
        elif mime.hasImage():
            self.add_items([png_bytes(QImage(mime.imageData()))])
        event.acceptProposedAction()
