"""*New dataset…*: name a dataset, add classes, gather pictures per class, save it as an image folder.

Pictures come from drag and drop (files or folders), the file dialog, the clipboard, or a webcam
where Qt Multimedia is installed. The dataset is written by ``engine.data.gather`` in a worker
thread as ``FOLDER/NAME/<class>/…``, the folder format the Data panel opens; FOLDER is asked
(*Save in*: the data folder at first, then the place chosen last, remembered in QSettings).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.data.gather import MIN_PER_CLASS, check_gathered, weak_classes, write_gathered
from gui.settings import read_str
from gui.tasks import TaskRunner
from gui.widgets.gather_grid import GatherGrid, png_bytes
from gui.widgets.message_label import MessageLabel
from gui.widgets.webcam import WebcamDialog, multimedia_available

FOLDER_KEY = "gather/folder"  # QSettings: where the last new dataset was saved
WEBCAM_HINT = QT_TRANSLATE_NOOP(
    "GatherDialog",
    "A webcam needs Qt Multimedia: pip install PySide6-Addons (or pip install 'taller[webcam]')",
)


class GatherDialog(QDialog):
    """Gather pictures per class and save them as a dataset.

    Signals
    -------
    datasetSaved(str)   the folder just written (one sub-folder per class)
    """

    datasetSaved = Signal(str)

    def __init__(
        self, data_dir: str | Path, parent: QWidget | None = None, settings: QSettings | None = None
    ):
        super().__init__(parent)
        self.setObjectName("gatherDialog")
        self.setWindowTitle(self.tr("New dataset"))
        self.settings = settings
        # Where it is saved: the place chosen last time (remembered), else the data folder.
        remembered = read_str(settings, FOLDER_KEY, "") if settings is not None else ""
        self.data_dir = Path(remembered) if remembered and Path(remembered).is_dir() else Path(data_dir)
        self.saving = TaskRunner(self, "gatherSaveTask")
        self._build()
        for name in (self.tr("class {n}").format(n=1), self.tr("class {n}").format(n=2)):
            self.add_class(name)
        self._update()

    def _build(self) -> None:
        self.nameEdit = QLineEdit(objectName="gatherNameEdit", placeholderText=self.tr("e.g. my-plants"))
        self.folderEdit = QLineEdit(str(self.data_dir), objectName="gatherFolderEdit", readOnly=True)
        self.folderButton = QPushButton(self.tr("Choose…"), objectName="gatherFolderButton")
        self.folderButton.setToolTip(self.tr("Choose the folder the new dataset is saved in"))
        self.whereLabel = QLabel(objectName="gatherWhereLabel", wordWrap=True)
        self.whereLabel.setProperty("role", "caption")
        self.classList = QListWidget(objectName="gatherClassList")
        self.classList.setAccessibleName(self.tr("Classes"))
        self.addClassButton = QPushButton(self.tr("Add class"), objectName="addClassButton")
        self.removeClassButton = QPushButton(self.tr("Remove class"), objectName="removeClassButton")
        self.grids = QStackedWidget(objectName="gatherGrids")
        self.hintLabel = QLabel(
            self.tr(
                "Drop pictures or folders on the grid, paste (Ctrl+V), or add files. "
                "Aim for {n} or more per class."
            ).format(n=MIN_PER_CLASS),
            wordWrap=True,
        )
        self.hintLabel.setProperty("role", "caption")
        self.addFilesButton = QPushButton(self.tr("Add images…"), objectName="addImagesButton")
        self.pasteButton = QPushButton(self.tr("Paste"), objectName="pasteButton")
        self.webcamButton = QPushButton(self.tr("Webcam…"), objectName="webcamButton")
        self.removeImagesButton = QPushButton(self.tr("Remove selected"), objectName="removeImagesButton")
        self.moveCombo = QComboBox(objectName="moveToCombo")
        self.moveButton = QPushButton(self.tr("Move to"), objectName="moveImagesButton")
        self.countsLabel = QLabel(objectName="gatherCountsLabel", wordWrap=True)
        self.messageLabel = MessageLabel("gatherMessage", selectable=False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.saveButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.saveButton.setObjectName("gatherSaveButton")
        self.saveButton.setText(self.tr("Save and open"))
        if not multimedia_available():
            self.webcamButton.setEnabled(False)
            self.webcamButton.setToolTip(self.tr(WEBCAM_HINT))
            self.webcamButton.setText(self.tr("Webcam (needs Qt Multimedia)"))
        else:
            self.webcamButton.clicked.connect(self.open_webcam)

        form = QFormLayout()
        form.addRow(self.tr("Dataset name"), self.nameEdit)
        place = QHBoxLayout()
        place.addWidget(self.folderEdit, 1)
        place.addWidget(self.folderButton)
        form.addRow(self.tr("Save in"), place)
        form.addRow("", self.whereLabel)
        classes = QVBoxLayout()
        classes.addWidget(QLabel(self.tr("<b>Classes</b> (double-click to rename)")))
        classes.addWidget(self.classList, 1)
        for button in (self.addClassButton, self.removeClassButton):
            classes.addWidget(button)
        pictures = QVBoxLayout()
        pictures.addWidget(self.hintLabel)
        pictures.addWidget(self.grids, 1)
        row = QHBoxLayout()
        for widget in (self.addFilesButton, self.pasteButton, self.webcamButton):
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.removeImagesButton, self.moveButton, self.moveCombo):
            row.addWidget(widget)
        pictures.addLayout(row)
        middle = QHBoxLayout()
        middle.addLayout(classes, 1)
        middle.addLayout(pictures, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(middle, 1)
        layout.addWidget(self.countsLabel)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.buttons)
        self.resize(860, 560)

        self.nameEdit.textChanged.connect(self._update)
        self.folderButton.clicked.connect(lambda: self.choose_folder())
        self.classList.currentRowChanged.connect(self.grids.setCurrentIndex)
        self.classList.currentRowChanged.connect(self._update)
        self.classList.itemChanged.connect(self._update)
        self.addClassButton.clicked.connect(self._on_add_class)
        self.removeClassButton.clicked.connect(self.remove_class)
        self.addFilesButton.clicked.connect(self.add_files)
        self.pasteButton.clicked.connect(self.paste)
        self.removeImagesButton.clicked.connect(self.remove_selected)
        self.moveButton.clicked.connect(self._on_move)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste)
        QShortcut(QKeySequence.StandardKey.Delete, self, self.remove_selected)

    # ---- public API ---------------------------------------------------------------------------
    def add_class(self, name: str) -> GatherGrid:
        """A new class (named ``name``) with an empty grid; it becomes the chosen class."""
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        grid = GatherGrid()
        grid.changed.connect(self._update)
        self.classList.addItem(item)
        self.grids.addWidget(grid)
        self.classList.setCurrentRow(self.classList.count() - 1)
        return grid

    def class_names(self) -> list[str]:
        return [self.classList.item(i).text().strip() for i in range(self.classList.count())]

    def grid(self, index: int | None = None) -> GatherGrid:
        return self.grids.widget(self.classList.currentRow() if index is None else index)

    def gathered(self) -> dict[str, list]:
        """{class name: pictures} as they stand."""
        return {name: self.grid(i).items() for i, name in enumerate(self.class_names())}

    @Slot()
    def remove_class(self) -> None:
        row = self.classList.currentRow()
        if row < 0:
            return
        self.classList.takeItem(row)
        grid = self.grids.widget(row)
        self.grids.removeWidget(grid)
        grid.deleteLater()
        self._update()

    @Slot()
    def add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add images"), "", self.tr("Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)")
        )
        if files and self.classList.currentRow() >= 0:
            self.grid().add_paths([Path(f) for f in files])

    @Slot()
    def paste(self) -> None:
        """Add the clipboard's picture, or its image files, to the chosen class."""
        if self.classList.currentRow() < 0:
            return
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasUrls():
            self.grid().add_paths([Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()])
        elif mime is not None and mime.hasImage():
            self.grid().add_items([png_bytes(QImage(mime.imageData()))])
        else:
            self.messageLabel.show_message(self.tr("The clipboard holds no picture."), role="info")

    @Slot()
    def open_webcam(self) -> WebcamDialog | None:
        """Take pictures with the webcam into the chosen class (Qt Multimedia only)."""
        if self.classList.currentRow() < 0:
            return None
        dialog = WebcamDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imageTaken.connect(self._add_picture)
        dialog.open()
        return dialog

    @Slot(QImage)
    def _add_picture(self, image: QImage) -> None:
        if self.classList.currentRow() >= 0:
            self.grid().add_items([png_bytes(image)])

    @Slot()
    def remove_selected(self) -> None:
        if self.classList.currentRow() >= 0:
            self.grid().take_selected()

    def move_selected(self, target: int) -> None:
        """Move the chosen class's selected pictures to class ``target``."""
        if 0 <= target < self.classList.count() and target != self.classList.currentRow():
            self.grid(target).add_items(self.grid().take_selected())

    def choose_folder(self, folder: str | Path | None = None) -> bool:
        """Save the dataset in ``folder`` (a dialog asks when None); False when none was chosen."""
        if not folder:
            folder = QFileDialog.getExistingDirectory(
                self, self.tr("Where to save the new dataset"), str(self.data_dir)
            )
            if not folder:
                return False
        self.data_dir = Path(folder)
        self.folderEdit.setText(str(self.data_dir))
        self.folderEdit.setToolTip(str(self.data_dir))
        self._update()
        return True

    @Slot()
    def save(self) -> None:
        """Write the dataset in a worker; on success emit ``datasetSaved`` and close."""
        name, classes, root = self.nameEdit.text().strip(), self.gathered(), self.data_dir

        def job(on_event, stop):
            return write_gathered(root, name, classes, on_event, stop)

        self.saveButton.setEnabled(False)
        self.messageLabel.show_message(self.tr("Saving…"), role="info")
        self.saving.start(job, on_done=self._on_saved, on_failed=self._on_failed, on_finished=self._update)

    # ---- reactions ----------------------------------------------------------------------------
    @Slot()
    def _on_add_class(self) -> None:
        item_grid = self.add_class(self.tr("class {n}").format(n=self.classList.count() + 1))
        self.classList.editItem(self.classList.item(self.classList.count() - 1))
        item_grid.setFocus()

    @Slot()
    def _on_move(self) -> None:
        self.move_selected(self.moveCombo.currentData() if self.moveCombo.currentData() is not None else -1)

    @Slot(object)
    def _on_saved(self, path) -> None:
        self.messageLabel.show_message("")
        if self.settings is not None:  # the next New dataset… offers the same place
            self.settings.setValue(FOLDER_KEY, str(self.data_dir))
        self.datasetSaved.emit(str(path))
        self.accept()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.messageLabel.show_error(message)

    @Slot()
    def _update(self, *_) -> None:
        names, classes = self.class_names(), self.gathered()
        where = self.data_dir / (self.nameEdit.text().strip() or self.tr("NAME"))
        self.whereLabel.setText(self.tr("Saved as {path}").format(path=where))
        counts = [
            self.tr("{name}: %n image(s)", "", len(items)).format(name=name or self.tr("(no name)"))
            for name, items in classes.items()
        ]
        self.countsLabel.setText(" · ".join(counts))
        self.moveCombo.clear()
        for i, name in enumerate(names):
            if i != self.classList.currentRow():
                self.moveCombo.addItem(name, i)
        problems = check_gathered(self.nameEdit.text(), classes)
        weak = weak_classes(classes)
        if not self.saving.is_running():
            if problems:
                self.messageLabel.show_message(" ".join(problems), role="hint")
            elif weak:
                self.messageLabel.show_message(
                    self.tr(
                        "Few images in {classes}: {n} or more per class train a "
                        "more useful model. You can save now and add more later."
                    ).format(classes=", ".join(weak), n=MIN_PER_CLASS),
                    role="warning",
                )
            else:
                self.messageLabel.show_message("")
        self.saveButton.setEnabled(not problems and not self.saving.is_running())
        has_class = self.classList.currentRow() >= 0
        for widget in (
            self.addFilesButton,
            self.pasteButton,
            self.removeImagesButton,
            self.removeClassButton,
        ):
            widget.setEnabled(has_class)
        self.moveButton.setEnabled(has_class and self.moveCombo.count() > 0)
