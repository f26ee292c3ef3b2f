"""'Add to dataset': save the canvas drawing, under a label the user confirms, in an image folder.

The drawing is written as drawn (dark on light PNG) to ``<root>/<label>/<time>.png``, so the folder
loads as ``folder:<root>`` in Taller and grows a user's own digit set.
"""

from __future__ import annotations

import json
import re
import time
from html import escape
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoints import atomic_write
from engine.data.folder import DIGIT_MARKER
from engine.data.registry import folder_path
from gui.widgets.drawing_canvas import DrawingCanvas

DEFAULT_DATASET = Path("data") / "my-digits"
_LABEL_OK = re.compile(r"^[^/\\:*?\"<>|\x00-\x1f]{1,64}$")


def count_samples(root: Path) -> dict[str, int]:
    """PNG files per class folder under ``root``."""
    if not root.is_dir():
        return {}
    return {
        d.name: sum(1 for f in d.glob("*.png") if not f.name.startswith("."))
        for d in sorted(root.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    }


def check_label(label: str) -> None:
    """Raise ValueError unless ``label`` can be a class folder's name on every system."""
    if not _LABEL_OK.match(label) or label.startswith(".") or label != label.rstrip(". "):
        raise ValueError(
            QCoreApplication.translate(
                "dataset_saver", "“{label}” cannot be a class folder name; use letters, digits, - or _"
            ).format(label=label)
        )


def new_png_path(folder: Path) -> Path:
    """A time-stamped ``.png`` path in ``folder`` that does not exist yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
    path, n = folder / f"{stamp}.png", 1
    while path.exists():
        path, n = folder / f"{stamp}-{n}.png", n + 1
    return path


def mark_drawn_digits(root: Path) -> None:
    """Mark ``root`` as drawn digits: the folder then loads framed like MNIST, as the canvas is read."""
    marker = root / DIGIT_MARKER
    if not marker.exists():
        atomic_write(marker, lambda tmp: tmp.write_text(json.dumps({"content": "drawn digits"})))


class DatasetSaver(QWidget):
    """ "Add to dataset": a button, then an inline row to confirm the label and the folder.

    Signals
    -------
    saved(str)      path of the PNG just written
    failed(str)     why a drawing was not saved
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(
        self, canvas: DrawingCanvas, root: str | Path = DEFAULT_DATASET, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("datasetSaver")
        self.canvas = canvas
        self.root = Path(root)
        self._build()
        self.addToDatasetButton.clicked.connect(self.begin)
        self.confirmButton.clicked.connect(self.confirm)
        self.cancelButton.clicked.connect(self.confirmRow.hide)
        self.folderButton.clicked.connect(self.choose_folder)
        canvas.changed.connect(self.update_enabled)
        self.set_root(self.root)
        self.update_enabled()

    def _build(self) -> None:
        self.addToDatasetButton = QPushButton(self.tr("Add to dataset…"), objectName="addToDatasetButton")
        self.addToDatasetButton.setToolTip(
            self.tr("Save this drawing with its label into an image-folder dataset")
        )
        self.confirmRow = self._build_confirm_row()
        self.confirmRow.hide()
        self.countLabel = QLabel(objectName="datasetCountLabel", wordWrap=True)
        self.countLabel.setProperty("role", "caption")
        self.countLabel.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.addToDatasetButton)
        column.addWidget(self.confirmRow)
        column.addWidget(self.countLabel)

    def _build_confirm_row(self) -> QWidget:
        self.labelCombo = QComboBox(objectName="datasetLabelCombo", editable=True)
        self.labelCombo.setAccessibleName(self.tr("Label of the drawing"))
        self.labelCombo.setToolTip(self.tr("The class this drawing shows (type a name to start a new class)"))
        self.labelCombo.setMinimumContentsLength(6)
        self.folderLabel = QLabel(objectName="datasetFolderLabel", wordWrap=True)
        self.folderButton = QToolButton(objectName="datasetFolderButton", text=self.tr("Change…"))
        self.confirmButton = QPushButton(self.tr("Save"), objectName="confirmAddButton")
        self.confirmButton.setToolTip(self.tr("Save the drawing under this label"))
        self.cancelButton = QPushButton(self.tr("Cancel"), objectName="cancelAddButton")
        row = QWidget(objectName="addToDatasetRow")
        grid = QGridLayout(row)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel(self.tr("Label")), 0, 0)
        grid.addWidget(self.labelCombo, 0, 1)
        grid.addWidget(self.confirmButton, 0, 2)
        grid.addWidget(self.cancelButton, 0, 3)
        grid.addWidget(QLabel(self.tr("Folder")), 1, 0)
        grid.addWidget(self.folderLabel, 1, 1, 1, 2)
        grid.addWidget(self.folderButton, 1, 3)
        grid.setColumnStretch(1, 1)
        return row

    def set_root(self, root: str | Path) -> None:
        """Save drawings under ``root`` from now on."""
        self.root = Path(root)
        self.folderLabel.setText(escape(str(self.root)))
        self.folderLabel.setToolTip(
            self.tr("Drawings are saved under {folder}").format(folder=self.root.resolve())
        )
        self.folderButton.setToolTip(self.tr("Choose another dataset folder"))

    def is_source_of(self, meta: dict[str, Any]) -> bool:
        """True for a model (checkpoint ``meta``) trained on this dataset folder."""
        folder = folder_path(str(meta.get("dataset", "")))
        return folder is not None and folder.resolve() == self.root.resolve()

    def set_classes(self, classes: list[str]) -> None:
        """Offer the model's classes and the folders already in the dataset as labels."""
        current = self.labelCombo.currentText()
        self.labelCombo.clear()
        self.labelCombo.addItems(list(dict.fromkeys([*map(str, classes), *count_samples(self.root)])))
        if current:
            self.labelCombo.setCurrentText(current)

    def suggest(self, label: str) -> None:
        """Preset the label (the predicted class) unless the user is confirming one right now."""
        if not self.confirmRow.isVisible():
            self.labelCombo.setCurrentText(str(label))

    @Slot()
    def update_enabled(self) -> None:
        can_add = self.isEnabled() and not self.canvas.is_empty()
        self.addToDatasetButton.setEnabled(can_add)
        self.confirmButton.setEnabled(can_add)

    @Slot()
    def begin(self) -> None:
        """Show the inline row that asks to confirm the label."""
        self.confirmRow.show()
        self.labelCombo.setFocus()
        self.labelCombo.lineEdit().selectAll()

    @Slot()
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Dataset folder for your drawings"), str(self.root)
        )
        if folder:
            self.set_root(folder)

    @Slot()
    def confirm(self) -> Path | None:
        """Save under the label in the combo box; the canvas is cleared for the next drawing."""
        label = self.labelCombo.currentText().strip()
        try:
            path = self.save(label)
        except (ValueError, OSError) as exc:
            self.failed.emit(self.tr("The drawing was not saved: {reason}").format(reason=exc))
            return None
        self.confirmRow.hide()
        self._show_counts(label)
        self.saved.emit(str(path))
        self.canvas.clear()
        return path

    def _show_counts(self, label: str) -> None:
        counts = count_samples(self.root)
        per_class = " · ".join(f"{c}: {n}" for c, n in counts.items())
        self.countLabel.setText(
            self.tr(
                "Saved as “{label}”. {folder} now holds %n drawing(s) ({counts}). "
                "Train on it by choosing this image folder as the data.",
                "",
                sum(counts.values()),
            ).format(label=escape(label), folder=escape(str(self.root)), counts=escape(per_class))
        )
        self.countLabel.show()

    def save(self, label: str) -> Path:
        """Write the drawing to ``<root>/<label>/<time>.png`` atomically; returns the path."""
        if self.canvas.is_empty():
            raise ValueError(self.tr("the canvas is empty; draw something first"))
        check_label(label)
        path = new_png_path(self.root / label)
        picture = Image.fromarray(self.canvas.image(ratio=1.0))  # the same size from every screen
        mark_drawn_digits(self.root)
        return atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))
