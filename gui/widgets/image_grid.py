"""Small images in the window: the one pixels-to-QImage converter, thumbnails and two image grids.

``PreviewGrid`` is the Data panel's fixed grid of samples with a caption each; ``ImageGallery`` is
the Evaluation panel's wrapping list of thumbnails whose items carry a test index.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

THUMB = 56


def to_qimage(pixels) -> QImage:
    """uint8 pixels as a QImage that owns them.

    Parameters
    ----------
    pixels : torch.Tensor or numpy.ndarray
        ``(C, H, W)`` with C = 1 (grey) or 3 (RGB), as the engine holds images, or ``(H, W)`` grey.
        A CPU tensor is read without a copy.
    """
    pixels = np.asarray(pixels, dtype=np.uint8)
    if pixels.ndim == 3:
        pixels = pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy()  # detach from the numpy buffer, which is freed after this call


def scaled_pixmap(image: QImage, side: int) -> QPixmap:
    """``image`` fitted into a ``side`` square: small digits enlarged without blur, photos shrunk smoothly."""
    mode = (
        Qt.TransformationMode.SmoothTransformation
        if image.width() > side
        else Qt.TransformationMode.FastTransformation
    )
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, mode)


def thumbnail(image, side: int = THUMB) -> QPixmap:
    """A square icon of a uint8 ``(C, H, W)`` image (see ``to_qimage``)."""
    return scaled_pixmap(to_qimage(image), side)


class PreviewGrid(QWidget):
    """A grid of small sample images, each with its class name underneath."""

    def __init__(self, columns: int = 8, rows: int = 3, tile: int = 44, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("previewGrid")
        self.setAccessibleName(self.tr("Sample images"))
        self._tile = tile
        self._tiles: list[tuple[QLabel, QLabel]] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for i in range(columns * rows):
            grid.addLayout(self._make_tile(), i // columns, i % columns)

    def _make_tile(self) -> QVBoxLayout:
        picture, caption = QLabel(), QLabel()
        picture.setFixedSize(self._tile, self._tile)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        picture.setObjectName("previewTile")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setObjectName("previewCaption")
        caption.setMaximumWidth(self._tile + 8)
        cell = QVBoxLayout()
        cell.setSpacing(1)
        cell.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
        cell.addWidget(caption)
        self._tiles.append((picture, caption))
        return cell

    @property
    def capacity(self) -> int:
        return len(self._tiles)

    def shown(self) -> int:
        """How many tiles hold an image."""
        return sum(1 for picture, _ in self._tiles if not picture.pixmap().isNull())

    def captions(self) -> list[tuple[str, str]]:
        """(text shown, tooltip) of the caption of each tile that holds an image."""
        return [(c.text(), c.toolTip()) for picture, c in self._tiles if not picture.pixmap().isNull()]

    def set_samples(self, images: list[QImage], captions: list[str]) -> None:
        """Show ``images`` with their ``captions`` in the first tiles; empty the rest."""
        self.setVisible(bool(images))  # no empty black tiles while there is nothing to show
        for i, (picture, caption) in enumerate(self._tiles):
            if i < len(images):
                picture.setPixmap(scaled_pixmap(images[i], self._tile))
                picture.setToolTip(captions[i])
                shown = caption.fontMetrics().elidedText(
                    captions[i], Qt.TextElideMode.ElideRight, self._tile + 8
                )
                caption.setText(shown)  # cut with "…", never mid-word unmarked ("automobil")
                caption.setToolTip(captions[i] if shown != captions[i] else "")
            else:
                picture.clear()
                picture.setToolTip("")
                caption.clear()
                caption.setToolTip("")


class ImageGallery(QListWidget):
    """Thumbnails with a caption each, wrapping to the width; item data holds the test index."""

    def __init__(self, name: str, accessible: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 64, THUMB + 40))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def set_images(self, entries: list[tuple[int, QPixmap, str, str]]) -> None:
        """``entries``: (test index, pixmap, caption, tooltip)."""
        self.clear()
        for index, pixmap, caption, tip in entries:
            item = QListWidgetItem(QIcon(pixmap), caption)
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            item.setToolTip(tip)
            self.addItem(item)

    def indices(self) -> list[int]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def captions(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]
