"""Try it's input column: a Draw tab (canvas, its controls, saving drawings) and an Image file tab.

``InputTabs`` only gathers input; the Inference panel decides what to predict and when. Switching
tabs from code (``show_tab``) does not emit ``currentChanged``, so the caller predicts once.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QSizePolicy, QTabWidget, QVBoxLayout, QWidget

from gui.try_it.dataset_saver import DatasetSaver
from gui.widgets.drawing_canvas import DrawingCanvas
from gui.widgets.image_drop import ImageDropArea

IMAGE_FILTER = QT_TRANSLATE_NOOP(
    "InputTabs", "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
)
CANVAS, FILE = 0, 1  # tab indexes


class InputTabs(QTabWidget):
    """The Draw and Image file tabs.

    Signals
    -------
    fileChosen(str)   an image file was dropped on the drop area or picked with Open image…
    """

    fileChosen = Signal(str)

    def __init__(self, dataset_root, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("inputTabs")
        self.file: str | None = None  # the image file shown in the Image file tab
        self.addTab(self._build_draw_tab(dataset_root), self.tr("Draw"))
        self.addTab(self._build_image_tab(), self.tr("Image file"))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.dropArea.fileDropped.connect(self.fileChosen)
        self.openImageButton.clicked.connect(self.open_image)

    def _build_draw_tab(self, dataset_root) -> QWidget:
        self.canvas = DrawingCanvas()
        self.saver = DatasetSaver(self.canvas, dataset_root)
        page = QWidget(objectName="drawPage")
        column = QVBoxLayout(page)
        column.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.canvas.controls)
        self.canvas.controls.show()
        column.addWidget(self.saver)
        column.addStretch(1)
        page.setMinimumWidth(self.canvas.width() + 24)
        return page

    def _build_image_tab(self) -> QWidget:
        self.dropArea = ImageDropArea()
        self.openImageButton = QPushButton(self.tr("Open image…"), objectName="openImageButton")
        self.openImageButton.setToolTip(
            self.tr("Choose an image file to classify (or drop one on the panel)")
        )
        self.fileLabel = QLabel(objectName="imageFileLabel", wordWrap=True)
        self.fileLabel.setProperty("role", "caption")
        page = QWidget(objectName="imagePage")
        column = QVBoxLayout(page)
        column.addWidget(self.dropArea, 1)
        column.addWidget(self.fileLabel)
        column.addWidget(self.openImageButton)
        return page

    def show_tab(self, index: int) -> None:
        """Switch tabs without ``currentChanged`` (the caller predicts)."""
        with QSignalBlocker(self):
            self.setCurrentIndex(index)

    def show_file(self, path: str) -> None:
        """Show ``path`` in the Image file tab (and switch to it, quietly)."""
        self.file = str(path)
        self.show_tab(FILE)
        self.dropArea.show_file(self.file)
        self.fileLabel.setText(escape(Path(self.file).name))

    @Slot()
    def open_image(self) -> None:
        """Ask for an image file; emits ``fileChosen`` with it."""
        start = str(Path(self.file).parent if self.file else Path.home())
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open image"), start, self.tr(IMAGE_FILTER))
        if path:
            self.fileChosen.emit(path)
