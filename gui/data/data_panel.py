"""The Data panel: which dataset, where its files are, and a look at it before training.

Loading (and downloading) runs in a worker thread; the panel only draws the result: a grid of
sample images with their labels, class counts and split sizes, or the engine's message saying
what is missing and what to do.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.config import DataConfig
from engine.data import registry
from engine.data.registry import FOLDER, folder_key
from engine.i18n import gettext
from engine.names import display_name
from gui.data.data_feed import DataFeed
from gui.data.data_preview import DataPreview, preview_samples
from gui.settings import read_int, read_str
from gui.tasks import TaskRunner
from gui.widgets.message_label import MessageLabel

DOWNLOADABLE = tuple(key for key, info in registry.DATASETS.items() if info.downloadable)
NO_FILES = tuple(key for key, info in registry.DATASETS.items() if info.builtin)  # no data folder
# 0 = automatic: the folder's common size (16-64 px), or ImageNet weights' own 224 px centre crop.
IMAGE_SIZES = (0, 28, 32, 64, 96, 128, 160, 224, 256, 320, 384, 448, 512)


def dataset_choices() -> list[tuple[str, str]]:
    """(label, key) pairs for the dataset combo, in the registry's order (image folders last)."""
    return [(gettext(info.label), key) for key, info in registry.DATASETS.items()]  # the engine's catalogue


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
            # Where each dataset comes from (and its licence), shown when the list is open.
            self.datasetCombo.setItemData(
                self.datasetCombo.count() - 1,
                gettext(registry.DATASETS[key].origin),
                Qt.ItemDataRole.ToolTipRole,
            )
        self.datasetCombo.setToolTip(self.tr("The images to learn from"))
        # Long dataset names elide instead of widening the whole left column.
        self.datasetCombo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.datasetCombo.setMinimumContentsLength(16)
        self.folderLabel = QLabel(self.tr("Data folder"))
        self.dataFolderEdit = QLineEdit(self._data_dir, objectName="dataFolderEdit")
        self.dataFolderEdit.setClearButtonEnabled(True)
        self.browseButton = QToolButton(objectName="browseFolderButton", text="…")
        self.browseButton.setToolTip(self.tr("Choose a folder"))
        self.browseButton.setAccessibleName(self.tr("Choose folder"))
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.dataFolderEdit, 1)
        folder_row.addWidget(self.browseButton)
        self.imageSizeCombo = QComboBox(objectName="imageSizeCombo")
        for size in IMAGE_SIZES:
            self.imageSizeCombo.addItem(self.tr("automatic") if size == 0 else f"{size} × {size} px", size)
        self.imageSizeCombo.setToolTip(self.tr("Every image in the folder is resized to this size"))
        self.imageSizeLabel = QLabel(self.tr("Image size"))
        self.feed = DataFeed()  # in memory or streamed, and the decode cache (image folders only)
        self.loaderCombo = self.feed.loaderCombo
        self.loaderLabel = QLabel(self.tr("Loading"))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Dataset"), self.datasetCombo)
        form.addRow(self.folderLabel, folder_row)
        form.addRow(self.imageSizeLabel, self.imageSizeCombo)
        form.addRow(self.loaderLabel, self.feed)

        self.messageLabel = MessageLabel("dataMessageLabel")
        self.downloadButton = QPushButton(self.tr("Download"), objectName="downloadButton")
        self.downloadButton.setToolTip(
            self.tr("Download the dataset into the data folder (needs an internet connection)")
        )
        self.loading = TaskRunner(self, "loadDataTask", busy_widgets=[self.downloadButton])
        self.preview = DataPreview()
        self.previewGrid = self.preview.previewGrid
        self.classCountsLabel, self.splitSizesLabel = (
            self.preview.classCountsLabel,
            self.preview.splitSizesLabel,
        )

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.downloadButton, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.preview)

        self.datasetCombo.currentIndexChanged.connect(self._on_dataset_changed)
        self.datasetCombo.activated.connect(self._on_dataset_activated)
        self.dataFolderEdit.editingFinished.connect(self._on_folder_edited)
        self.browseButton.clicked.connect(self._browse)
        self.imageSizeCombo.currentIndexChanged.connect(self._on_image_size_changed)
        self.feed.loaderChanged.connect(self._on_image_size_changed)
        self.feed.statusMessage.connect(self.statusMessage)
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
        dataset = folder_key(self._image_folder) if key == FOLDER else key
        size = self.imageSizeCombo.currentData() or None
        fields = {
            "dataset": dataset,
            "data_dir": self._data_dir,
            "image_size": size if key == FOLDER else None,
            "loader": self.feed.loader() if key == FOLDER else "auto",
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
        self.preview.show_split(val_split)

    def set_inputs_enabled(self, enabled: bool) -> None:
        """Lock the choices (e.g. during a run) while the preview stays readable."""
        self.datasetCombo.setEnabled(enabled)
        self.imageSizeCombo.setEnabled(enabled)
        self.loaderCombo.setEnabled(enabled)
        self.downloadButton.setEnabled(enabled and not self.loading.is_running())
        self.dataFolderEdit.setEnabled(enabled)
        self.browseButton.setEnabled(enabled)

    def is_loading(self) -> bool:
        return self.loading.is_running()

    def reload(self) -> None:
        """Load the chosen dataset for the preview, in a worker thread."""
        self._start_load(download=False)

    def download(self) -> None:
        """Download the chosen dataset into the data folder, in a worker thread."""
        self._start_load(download=True)

    # ---- loading ------------------------------------------------------------------------------
    def _start_load(self, download: bool) -> None:
        if self.loading.is_running():
            self._pending = self._pending or download  # a queued download wins over a reload
            self._pending_load = True
            return
        try:
            cfg = self.data_config()
        except Exception as exc:  # ConfigError, e.g. no image folder chosen yet
            self._fail(str(exc))
            return
        if self.dataset_key() == FOLDER and not self._image_folder:
            self._fail(self.tr("Choose a folder that holds one sub-folder of images per class."))
            return
        cfg = replace(cfg, download=download)
        shown = self.datasetCombo.currentText().rstrip("…")
        if download:
            self._show_message(self.tr("Downloading {dataset}…").format(dataset=shown), role="info")
            self.statusMessage.emit(self.tr("Downloading {dataset}…").format(dataset=cfg.dataset))
        else:
            self._show_message(self.tr("Loading {dataset}…").format(dataset=shown), role="info")
            self.statusMessage.emit(self.tr("Loading {dataset}…").format(dataset=cfg.dataset))
        self.loading.start(
            _loader(cfg, self.previewGrid.capacity),
            on_done=self._on_loaded,
            on_failed=self._fail,
            on_finished=self._start_pending,
            on_events={"status": lambda event: self.statusMessage.emit(str(event.get("message", "")))},
        )

    @Slot(object)
    def _on_loaded(self, loaded: tuple) -> None:
        key, data, samples = loaded
        if key != _load_key(self.data_config()):
            return  # the choice changed while loading; the pending load shows the new one
        self._data, self._loaded_key = data, key
        self._show_message("")
        self.preview.show_data(data, self._split[0], samples)
        self.feed.show_feed(data)
        if self.dataset_key() == FOLDER:
            self.feed.refresh_cache()  # a streamed folder may just have filled it
        self.statusMessage.emit(
            self.tr("{dataset}: %n image(s), {classes} classes", "", len(data.train_labels)).format(
                dataset=display_name(data.name), classes=len(data.classes)
            )
        )
        self.dataLoaded.emit(data)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._data, self._loaded_key = None, None
        # The engine's message already names the files and what to do (copy them or Download).
        self._show_message(message, role="error", download=self.dataset_key() in DOWNLOADABLE)
        self.preview.clear()
        self.feed.show_feed(None)
        self.statusMessage.emit(message.splitlines()[0] if message else "")
        self.loadFailed.emit(message)

    def _start_pending(self) -> None:
        if self._pending_load:
            download, self._pending, self._pending_load = self._pending, False, False
            self._start_load(download)

    # ---- drawing ------------------------------------------------------------------------------
    def _show_message(self, text: str, role: str = "error", download: bool = False) -> None:
        self.messageLabel.show_message(text, role)
        self.downloadButton.setVisible(download)

    # ---- reactions ----------------------------------------------------------------------------
    @Slot(int)
    def _on_dataset_changed(self, index: int) -> None:
        self._sync_folder_row()
        self.datasetChanged.emit(self.dataset_key())
        if self.dataset_key() == FOLDER and not self._image_folder:
            self._show_message(
                self.tr("Choose a folder that holds one sub-folder of images per class."), role="info"
            )
            self.preview.clear()
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
        if folder_mode:
            title = self.tr("Choose an image folder (one sub-folder per class)")
        else:
            title = self.tr("Choose the data folder")
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
        self.folderLabel.setText(self.tr("Image folder") if folder_mode else self.tr("Data folder"))
        self.dataFolderEdit.setText(self._image_folder if folder_mode else self._data_dir)
        self.dataFolderEdit.setPlaceholderText(
            self.tr("a folder with one sub-folder per class") if folder_mode else ""
        )
        needs_files = key not in NO_FILES  # built-in data needs no folder: hide the row
        for widget in (self.folderLabel, self.dataFolderEdit, self.browseButton):
            widget.setVisible(needs_files)
        self.dataFolderEdit.setToolTip(
            self.tr("One sub-folder of images per class")
            if folder_mode
            else self.tr("Where the dataset's files are (or will be downloaded to)")
        )
        self.imageSizeCombo.setVisible(folder_mode)
        self.imageSizeLabel.setVisible(folder_mode)
        self.feed.setVisible(folder_mode)
        self.loaderLabel.setVisible(folder_mode)

    # ---- settings -----------------------------------------------------------------------------
    def save_settings(self, settings: QSettings) -> None:
        settings.setValue("data/dataset", self.dataset_key())
        settings.setValue("data/dataDir", self._data_dir)
        settings.setValue("data/imageFolder", self._image_folder)
        settings.setValue("data/imageSize", self.imageSizeCombo.currentData())
        settings.setValue("data/loader", self.feed.loader())

    def restore_settings(self, settings: QSettings) -> None:
        """Bring back the last choices; call before the first ``reload``."""
        blocker = [self.datasetCombo.blockSignals(True), self.imageSizeCombo.blockSignals(True)]
        self._data_dir = read_str(settings, "data/dataDir", self._data_dir)
        self._image_folder = read_str(settings, "data/imageFolder", "")
        size_index = self.imageSizeCombo.findData(read_int(settings, "data/imageSize", 0))
        self.imageSizeCombo.setCurrentIndex(max(size_index, 0))
        self.feed.set_loader(read_str(settings, "data/loader", "auto"))
        index = self.datasetCombo.findData(read_str(settings, "data/dataset", "digits"))
        if index >= 0 and not (self.datasetCombo.itemData(index) == FOLDER and not self._image_folder):
            self.datasetCombo.setCurrentIndex(index)
        self._previous_index = self.datasetCombo.currentIndex()
        self.datasetCombo.blockSignals(blocker[0])
        self.imageSizeCombo.blockSignals(blocker[1])
        self._sync_folder_row()


def _load_key(cfg: DataConfig) -> tuple:
    return (cfg.dataset, str(Path(cfg.data_dir)), cfg.image_size, cfg.loader)


def _loader(cfg: DataConfig, samples: int):
    def load(on_event, stop):
        data = registry.load_dataset(cfg)
        # A streamed folder's preview pictures are decoded here, off the GUI thread.
        shown = preview_samples(data, samples) if data.feed == "stream" else None
        return _load_key(cfg), data, shown

    return load
