"""The Data panel: which dataset, where its files are, and a look at it before training.

Loading (and downloading) runs in a worker thread; the panel only draws the result: a grid of
sample images with their labels, class counts and split sizes, or the engine's message saying
what is missing and what to do.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.config import FOLDER_PREFIX, DataConfig
from gui.settings import read_int, read_str
from gui.tasks import Task

FOLDER = "folder"
DOWNLOADABLE = ("mnist", "fashion-mnist", "cifar10")
NO_FILES = ("digits", "synth-digits", "digits+synth")  # built in: no data folder needed
IMAGE_SIZES = (0, 28, 32, 64, 96, 128, 224)  # 0 = keep each image folder's engine default


def dataset_choices() -> list[tuple[str, str]]:
    """(label, key) pairs for the dataset combo, in the engine's order; synthetic sets only when
    the engine has its generator."""
    from engine.config import DATASETS
    from engine.datasets import DATASET_LABELS

    has_synth = importlib.util.find_spec("engine.synth") is not None
    keys = [k for k in DATASETS if has_synth or "synth" not in k]
    return [(DATASET_LABELS.get(k, k), k) for k in keys] + [("Image folder…", FOLDER)]


def to_qimage(image: torch.Tensor) -> QImage:
    """A uint8 (C, H, W) tensor as a QImage that owns its pixels."""
    c, h, w = image.shape
    if c == 1:
        pixels = image[0].contiguous().numpy()
        qimage = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        pixels = image.permute(1, 2, 0).contiguous().numpy()
        qimage = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return qimage.copy()  # detach from the numpy buffer, which is freed after this call


def sample_indices(labels: torch.Tensor, count: int, seed: int = 0) -> list[int]:
    """Up to ``count`` indices, taking classes in turn so every class shows up."""
    if labels.numel() == 0:
        return []
    order = torch.randperm(labels.numel(), generator=torch.Generator().manual_seed(seed))
    shuffled = labels[order]
    per_class = [order[shuffled == c][:count].tolist() for c in torch.unique(labels).tolist()]
    picked: list[int] = []
    for rank in range(count):
        for indices in per_class:
            if rank < len(indices) and len(picked) < count:
                picked.append(indices[rank])
    return picked


class PreviewGrid(QWidget):
    """A grid of small sample images, each with its class name underneath."""

    def __init__(self, columns: int = 8, rows: int = 3, tile: int = 44, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("previewGrid")
        self.setAccessibleName("Sample images")
        self._tile = tile
        self._tiles: list[tuple[QLabel, QLabel]] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for i in range(columns * rows):
            picture, caption = QLabel(), QLabel()
            picture.setFixedSize(tile, tile)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setObjectName("previewTile")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setObjectName("previewCaption")
            caption.setMaximumWidth(tile + 8)
            cell = QVBoxLayout()
            cell.setSpacing(1)
            cell.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
            cell.addWidget(caption)
            grid.addLayout(cell, i // columns, i % columns)
            self._tiles.append((picture, caption))

    @property
    def capacity(self) -> int:
        return len(self._tiles)

    def shown(self) -> int:
        """How many tiles hold an image."""
        return sum(1 for picture, _ in self._tiles if not picture.pixmap().isNull())

    def set_samples(self, images: list[QImage], captions: list[str]) -> None:
        self.setVisible(bool(images))  # no empty black tiles while there is nothing to show
        for i, (picture, caption) in enumerate(self._tiles):
            if i < len(images):
                smooth = images[i].width() > self._tile  # keep small digits crisp, shrink photos smoothly
                mode = (
                    Qt.TransformationMode.SmoothTransformation
                    if smooth
                    else Qt.TransformationMode.FastTransformation
                )
                pixmap = QPixmap.fromImage(images[i]).scaled(
                    self._tile, self._tile, Qt.AspectRatioMode.KeepAspectRatio, mode
                )
                picture.setPixmap(pixmap)
                picture.setToolTip(captions[i])
                caption.setText(captions[i][:9])
            else:
                picture.clear()
                picture.setToolTip("")
                caption.clear()


class DataPanel(QWidget):
    """Dataset choice, data folder, preview, class counts and split sizes.

    Signals
    -------
    dataLoaded(object)   the ImageData now shown (after a load or a download)
    loadFailed(str)      the engine's message when the data cannot be loaded
    datasetChanged(str)  the dataset key ("digits", "mnist", ..., "folder")
    statusMessage(str)   short text for the status bar
    """

    dataLoaded = Signal(object)
    loadFailed = Signal(str)
    datasetChanged = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self._data = None
        self._loaded_key: tuple | None = None
        self._task: Task | None = None
        self._pending = False  # the queued load is a download
        self._pending_load = False
        self._data_dir = DataConfig().data_dir
        self._image_folder = ""
        self._split = (DataConfig().val_split, DataConfig().seed)
        self._previous_index = 0
        self._build()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.datasetCombo = QComboBox(objectName="datasetCombo")
        for label, key in dataset_choices():
            self.datasetCombo.addItem(label, key)
        self.datasetCombo.setToolTip("The images to learn from")
        self.folderLabel = QLabel("Data folder")
        self.dataFolderEdit = QLineEdit(self._data_dir, objectName="dataFolderEdit")
        self.dataFolderEdit.setClearButtonEnabled(True)
        self.browseButton = QToolButton(objectName="browseFolderButton", text="…")
        self.browseButton.setToolTip("Choose a folder")
        self.browseButton.setAccessibleName("Choose folder")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.dataFolderEdit, 1)
        folder_row.addWidget(self.browseButton)
        self.imageSizeCombo = QComboBox(objectName="imageSizeCombo")
        for size in IMAGE_SIZES:
            self.imageSizeCombo.addItem("automatic" if size == 0 else f"{size} × {size} px", size)
        self.imageSizeCombo.setToolTip("Every image in the folder is resized to this size")
        self.imageSizeLabel = QLabel("Image size")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Dataset", self.datasetCombo)
        form.addRow(self.folderLabel, folder_row)
        form.addRow(self.imageSizeLabel, self.imageSizeCombo)

        self.messageLabel = QLabel(objectName="dataMessageLabel", wordWrap=True)
        self.messageLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.messageLabel.setProperty("role", "error")
        self.downloadButton = QPushButton("Download", objectName="downloadButton")
        self.downloadButton.setToolTip(
            "Download the dataset into the data folder (needs an internet connection)"
        )
        self.previewGrid = PreviewGrid()
        self.previewGrid.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.classCountsLabel = QLabel(objectName="classCountsLabel", wordWrap=True)
        self.splitSizesLabel = QLabel(objectName="splitSizesLabel", wordWrap=True)
        for label in (self.classCountsLabel, self.splitSizesLabel):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.downloadButton, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.previewGrid, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.classCountsLabel)
        layout.addWidget(self.splitSizesLabel)

        self.datasetCombo.currentIndexChanged.connect(self._on_dataset_changed)
        self.datasetCombo.activated.connect(self._on_dataset_activated)
        self.dataFolderEdit.editingFinished.connect(self._on_folder_edited)
        self.browseButton.clicked.connect(self._browse)
        self.imageSizeCombo.currentIndexChanged.connect(self._on_image_size_changed)
        self.downloadButton.clicked.connect(self.download)
        self._show_message("")
        self._sync_folder_row()

    # ---- public API ---------------------------------------------------------------------------
    def dataset_key(self) -> str:
        return self.datasetCombo.currentData()

    def data_config(self, **overrides: Any) -> DataConfig:
        """The DataConfig the form describes; ``overrides`` fill fields set elsewhere (val_split...).

        Raises ConfigError (its text is meant for the user) when the choices are not valid.
        """
        key = self.dataset_key()
        dataset = f"{FOLDER_PREFIX}{self._image_folder}" if key == FOLDER else key
        size = self.imageSizeCombo.currentData() or None
        fields = {
            "dataset": dataset,
            "data_dir": self._data_dir,
            "image_size": size if key == FOLDER else None,
        }
        return DataConfig(**{**fields, **overrides})

    def current_data(self):
        """The ImageData shown in the preview, or None."""
        return self._data

    def data_for(self, cfg: DataConfig):
        """The loaded ImageData if it is what ``cfg`` would load (so a run need not load it again)."""
        return self._data if self._data is not None and self._loaded_key == _load_key(cfg) else None

    def set_dataset(self, key: str) -> None:
        index = self.datasetCombo.findData(key)
        if index >= 0:
            self.datasetCombo.setCurrentIndex(index)

    def set_image_folder(self, path: str | Path) -> None:
        """Use ``path`` (one sub-folder per class) as the dataset."""
        self._image_folder = str(path)
        if self.dataset_key() == FOLDER:
            self._sync_folder_row()
            self.reload()
        else:
            self.set_dataset(FOLDER)

    def set_split(self, val_split: float, seed: int) -> None:
        """Validation share and seed chosen elsewhere, for the split sizes shown here."""
        self._split = (val_split, seed)
        self._show_split_sizes()

    def set_inputs_enabled(self, enabled: bool) -> None:
        """Lock the choices (e.g. during a run) while the preview stays readable."""
        self.datasetCombo.setEnabled(enabled)
        self.imageSizeCombo.setEnabled(enabled)
        self.downloadButton.setEnabled(enabled and self._task is None)
        self.dataFolderEdit.setEnabled(enabled)
        self.browseButton.setEnabled(enabled)

    def is_loading(self) -> bool:
        return self._task is not None

    def reload(self) -> None:
        """Load the chosen dataset for the preview, in a worker thread."""
        self._start_load(download=False)

    def download(self) -> None:
        """Download the chosen dataset into the data folder, in a worker thread."""
        self._start_load(download=True)

    # ---- loading ------------------------------------------------------------------------------
    def _start_load(self, download: bool) -> None:
        if self._task is not None:
            self._pending = self._pending or download  # a queued download wins over a reload
            self._pending_load = True
            return
        try:
            cfg = self.data_config()
        except Exception as exc:  # ConfigError, e.g. no image folder chosen yet
            self._fail(str(exc))
            return
        if self.dataset_key() == FOLDER and not self._image_folder:
            self._fail("Choose a folder that holds one sub-folder of images per class.")
            return
        cfg = replace(cfg, download=download)
        verb = "Downloading" if download else "Loading"
        self._show_message(f"{verb} {self.datasetCombo.currentText().rstrip('…')}…", role="info")
        self.downloadButton.setEnabled(False)
        self.statusMessage.emit(f"{verb} {cfg.dataset}…")
        task = Task(_loader(cfg), parent=self, name="loadDataTask")
        task.worker.runFinished.connect(self._on_loaded)
        task.worker.runFailed.connect(self._fail)
        task.worker.statusMessage.connect(self.statusMessage)
        task.finished.connect(self._on_task_finished)
        self._task = task
        task.start()

    @Slot(object)
    def _on_loaded(self, loaded: tuple) -> None:
        key, data = loaded
        if key != _load_key(self.data_config()):
            return  # the choice changed while loading; the pending load shows the new one
        self._data, self._loaded_key = data, key
        self._show_message("")
        self._show_data(data)
        self.statusMessage.emit(f"{data.name}: {len(data.train_labels)} images, {len(data.classes)} classes")
        self.dataLoaded.emit(data)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._data, self._loaded_key = None, None
        # The engine's message already names the files and what to do (copy them or Download).
        self._show_message(message, role="error", download=self.dataset_key() in DOWNLOADABLE)
        self.previewGrid.set_samples([], [])
        self.classCountsLabel.clear()
        self.splitSizesLabel.clear()
        self.statusMessage.emit(message.splitlines()[0] if message else "")
        self.loadFailed.emit(message)

    @Slot()
    def _on_task_finished(self) -> None:
        self._task = None
        self.downloadButton.setEnabled(True)
        if self._pending_load:
            download, self._pending, self._pending_load = self._pending, False, False
            self._start_load(download)

    # ---- drawing ------------------------------------------------------------------------------
    def _show_message(self, text: str, role: str = "error", download: bool = False) -> None:
        self.messageLabel.setText(text)
        self.messageLabel.setProperty("role", role)
        self.messageLabel.style().unpolish(self.messageLabel)
        self.messageLabel.style().polish(self.messageLabel)
        self.messageLabel.setVisible(bool(text))
        self.downloadButton.setVisible(download)

    def _show_data(self, data) -> None:
        picked = sample_indices(data.train_labels, self.previewGrid.capacity)
        images = [to_qimage(data.train_images[i]) for i in picked]
        captions = [str(data.classes[int(data.train_labels[i])]) for i in picked]
        self.previewGrid.set_samples(images, captions)
        counts = torch.bincount(data.train_labels, minlength=len(data.classes)).tolist()
        parts = [f"{escape(str(name))}:&nbsp;{n}" for name, n in zip(data.classes, counts, strict=True)]
        if len(parts) > 20:
            parts = parts[:20] + [f"… and {len(parts) - 20} more"]
        c, h, w = data.spec.shape
        colour = "grey" if c == 1 else "colour"
        text = (
            f"<b>{len(data.classes)} classes</b>, {h}×{w} {colour} images. Images per class: "
            + " · ".join(parts)
        )
        if data.skipped:
            path, reason = data.skipped[0]
            text += (
                f"<br>{len(data.skipped)} files skipped (first: {escape(Path(path).name)}: {escape(reason)})"
            )
        self.classCountsLabel.setText(text)
        self._show_split_sizes()

    def _show_split_sizes(self) -> None:
        if self._data is None:
            return
        train, val, test = split_sizes(self._data, self._split[0])
        self.splitSizesLabel.setText(
            f"Split: <b>{train}</b> train · <b>{val}</b> validation · <b>{test}</b> test"
        )

    # ---- reactions ----------------------------------------------------------------------------
    @Slot(int)
    def _on_dataset_changed(self, index: int) -> None:
        self._sync_folder_row()
        self.datasetChanged.emit(self.dataset_key())
        if self.dataset_key() == FOLDER and not self._image_folder:
            self._show_message("Choose a folder that holds one sub-folder of images per class.", role="info")
            self.previewGrid.set_samples([], [])
            self.classCountsLabel.clear()
            self.splitSizesLabel.clear()
            self._data = None
            return
        self.reload()

    @Slot(int)
    def _on_dataset_activated(self, index: int) -> None:
        # Only a user's pick (not a programmatic change) opens the folder dialog.
        if self.dataset_key() == FOLDER and not self._image_folder:
            if not self._browse():
                self.datasetCombo.setCurrentIndex(self._previous_index)
        self._previous_index = self.datasetCombo.currentIndex()

    @Slot()
    def _on_folder_edited(self) -> None:
        text = self.dataFolderEdit.text().strip()
        if self.dataset_key() == FOLDER:
            changed, self._image_folder = text != self._image_folder, text
        else:
            changed, self._data_dir = text != self._data_dir, text or DataConfig().data_dir
        if changed:
            self.reload()

    @Slot()
    def _on_image_size_changed(self) -> None:
        if self.dataset_key() == FOLDER and self._image_folder:
            self.reload()

    def _browse(self) -> bool:
        folder_mode = self.dataset_key() == FOLDER
        title = (
            "Choose an image folder (one sub-folder per class)" if folder_mode else "Choose the data folder"
        )
        start = self._image_folder if folder_mode else self._data_dir
        path = QFileDialog.getExistingDirectory(self, title, start or str(Path.home()))
        if not path:
            return False
        if folder_mode:
            self.set_image_folder(path)
        else:
            self._data_dir = path
            self._sync_folder_row()
            self.reload()
        return True

    def _sync_folder_row(self) -> None:
        key = self.dataset_key()
        folder_mode = key == FOLDER
        self.folderLabel.setText("Image folder" if folder_mode else "Data folder")
        self.dataFolderEdit.setText(self._image_folder if folder_mode else self._data_dir)
        self.dataFolderEdit.setPlaceholderText(
            "a folder with one sub-folder per class" if folder_mode else ""
        )
        needs_files = key not in NO_FILES  # built-in data needs no folder: hide the row
        for widget in (self.folderLabel, self.dataFolderEdit, self.browseButton):
            widget.setVisible(needs_files)
        self.dataFolderEdit.setToolTip(
            "One sub-folder of images per class"
            if folder_mode
            else "Where the dataset's files are (or will be downloaded to)"
        )
        self.imageSizeCombo.setVisible(folder_mode)
        self.imageSizeLabel.setVisible(folder_mode)

    # ---- settings -----------------------------------------------------------------------------
    def save_settings(self, settings: QSettings) -> None:
        settings.setValue("data/dataset", self.dataset_key())
        settings.setValue("data/dataDir", self._data_dir)
        settings.setValue("data/imageFolder", self._image_folder)
        settings.setValue("data/imageSize", self.imageSizeCombo.currentData())

    def restore_settings(self, settings: QSettings) -> None:
        """Bring back the last choices; call before the first ``reload``."""
        blocker = [self.datasetCombo.blockSignals(True), self.imageSizeCombo.blockSignals(True)]
        self._data_dir = read_str(settings, "data/dataDir", self._data_dir)
        self._image_folder = read_str(settings, "data/imageFolder", "")
        size_index = self.imageSizeCombo.findData(read_int(settings, "data/imageSize", 0))
        self.imageSizeCombo.setCurrentIndex(max(size_index, 0))
        index = self.datasetCombo.findData(read_str(settings, "data/dataset", "digits"))
        if index >= 0 and not (self.datasetCombo.itemData(index) == FOLDER and not self._image_folder):
            self.datasetCombo.setCurrentIndex(index)
        self._previous_index = self.datasetCombo.currentIndex()
        self.datasetCombo.blockSignals(blocker[0])
        self.imageSizeCombo.blockSignals(blocker[1])
        self._sync_folder_row()


def _load_key(cfg: DataConfig) -> tuple:
    return (cfg.dataset, str(Path(cfg.data_dir)), cfg.image_size)


def _loader(cfg: DataConfig):
    def load(on_event, stop):
        from engine.datasets import load_dataset

        return _load_key(cfg), load_dataset(cfg)

    return load


def split_sizes(data, val_split: float) -> tuple[int, int, int]:
    """Train, validation and test sizes ``engine.datasets.split_dataset`` gives (without copying)."""
    from engine.datasets import TEST_FRACTION

    def held(n: int, fraction: float) -> int:
        return min(n, max(1, math.ceil(fraction * n)))

    pool = int(data.train_labels.shape[0])
    if data.test_labels is not None:
        test = int(data.test_labels.shape[0])
    else:
        test = held(pool, TEST_FRACTION)
        pool -= test
    val = held(pool, val_split)
    return pool - val, val, test
