"""How an image folder is fed: held in memory or streamed from disk, and the decode cache.

A part of the Data panel (which places it and shows it for image folders only): the loader
choice (Automatic / In memory / Streamed), what the loaded folder got with the estimate it was
chosen by ("about 3.1 GB of pixels: streamed from disk"), and the decode cache's size on disk
with a button that removes it. Measuring and removing the cache walk the file system, so both run
off the GUI thread (``gui.tasks.TaskRunner``).
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.data.cache import cache_size, clear_cache
from gui.tasks import TaskRunner

LOADERS = ("auto", "memory", "stream")


def data_size(n: int) -> str:
    """Bytes as the user's locale writes them, in SI units: "3.1 GB"."""
    return QLocale().formattedDataSize(int(n), 1, QLocale.DataSizeFormat.DataSizeSIFormat)


def _measure(on_event, stop) -> int:
    return cache_size()


def _remove(on_event, stop) -> int:
    return clear_cache()


class DataFeed(QWidget):
    """Loader choice, how the shown folder is fed, and the decode cache (size, Remove).

    Signals
    -------
    loaderChanged(str)   "auto", "memory" or "stream", after the user picks one
    statusMessage(str)   short text for the status bar
    """

    loaderChanged = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataFeed")
        self.loaderCombo = QComboBox(objectName="loaderCombo")
        labels = (self.tr("Automatic"), self.tr("In memory"), self.tr("Streamed from disk"))
        for key, label in zip(LOADERS, labels, strict=True):
            self.loaderCombo.addItem(label, key)
        self.loaderCombo.setToolTip(
            self.tr(
                "In memory: every picture decoded once and kept, fastest for folders that fit. Streamed: "
                "pictures read from disk batch by batch, for folders larger than memory. Automatic "
                "chooses by the folder's size."
            )
        )
        self.feedLabel = QLabel(objectName="feedLabel")
        self.feedLabel.setWordWrap(True)
        self.cacheLabel = QLabel(objectName="cacheLabel")
        self.cacheLabel.setWordWrap(True)  # "Decode cache: 1.2 GB on disk" must not widen the column
        self.removeCacheButton = QPushButton(self.tr("Remove"), objectName="removeCacheButton")
        self.removeCacheButton.setToolTip(
            self.tr("Delete the decoded pictures kept on disk; streamed folders decode again next time")
        )
        self.cacheJob = TaskRunner(self, "decodeCacheTask")  # the button's state follows the size
        cache_row = QHBoxLayout()
        cache_row.setContentsMargins(0, 0, 0, 0)
        cache_row.addWidget(self.cacheLabel, 1)
        cache_row.addWidget(self.removeCacheButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loaderCombo)
        layout.addWidget(self.feedLabel)
        layout.addLayout(cache_row)
        self.loaderCombo.activated.connect(self._on_loader_picked)
        self.removeCacheButton.clicked.connect(self.remove_cache)
        self.show_feed(None)

    # ---- public API ---------------------------------------------------------------------------
    def loader(self) -> str:
        return self.loaderCombo.currentData()

    def set_loader(self, key: str) -> None:
        self.loaderCombo.setCurrentIndex(max(0, self.loaderCombo.findData(key)))

    def show_feed(self, data) -> None:
        """Say how ``data`` (an ImageData, or None) is fed, with the size estimate it was chosen by."""
        if data is None or not getattr(data, "pixel_bytes", 0):
            self.feedLabel.setText("")
            return
        size = data_size(data.pixel_bytes)
        if data.feed == "stream":
            text = self.tr("about %1 of pixels: streamed from disk").replace("%1", size)
        else:
            text = self.tr("about %1 of pixels: in memory").replace("%1", size)
        self.feedLabel.setText(text)

    def refresh_cache(self) -> None:
        """Measure the decode cache (in a worker thread) and show its size."""
        if self.cacheJob.start(_measure, on_done=self._show_cache_size, on_failed=self._on_cache_failed):
            self.removeCacheButton.setEnabled(False)

    def remove_cache(self) -> None:
        """Delete the decode cache in a worker thread; the label says how much was freed."""
        if self.cacheJob.start(_remove, on_done=self._on_removed, on_failed=self._on_cache_failed):
            self.removeCacheButton.setEnabled(False)

    # ---- reactions ----------------------------------------------------------------------------
    @Slot(int)
    def _on_loader_picked(self, index: int) -> None:
        self.loaderChanged.emit(self.loader())

    @Slot(object)
    def _show_cache_size(self, size: int) -> None:
        self.cacheLabel.setText(self.tr("Decode cache: %1 on disk").replace("%1", data_size(size)))
        self.removeCacheButton.setEnabled(size > 0)

    @Slot(object)
    def _on_removed(self, freed: int) -> None:
        self._show_cache_size(0)
        self.statusMessage.emit(self.tr("Decode cache removed: %1 freed").replace("%1", data_size(freed)))

    @Slot(str)
    def _on_cache_failed(self, message: str) -> None:
        self.cacheLabel.setText(message)
