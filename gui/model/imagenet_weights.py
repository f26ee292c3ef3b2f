"""The Model form's "Start from ImageNet weights" row: the check box, whether the weights are here,
and *Import weights…* where they are not.

The box can be ticked only when the weights are on this machine: a ticked box always means the run
starts from them (Taller never downloads, and a run never falls back to random weights unsaid).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFileDialog, QGridLayout, QPushButton, QWidget

from engine.models import registry as architectures
from engine.models.weights import import_weights, weights_available
from gui.language import listing
from gui.tasks import TaskRunner
from gui.widgets.message_label import MessageLabel


class ImageNetWeights(QWidget):
    """The check box (``check``), a note on the weights and the *Import weights…* button.

    Signals
    -------
    imported(str)   the architecture whose weights were just imported into the torch cache
    statusMessage(str)
    """

    imported = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("imagenetWeights")
        self._arch = ""
        self.check = QCheckBox(self.tr("Start from ImageNet weights"), objectName="pretrainedCheck")
        self.note = MessageLabel("weightsLabel", selectable=False)
        self.importButton = QPushButton(self.tr("Import weights…"), objectName="importWeightsButton")
        self.importButton.setToolTip(
            self.tr(
                "Copy an ImageNet weights file you have (torchvision's .pth, e.g. from another "
                "computer) into this computer's torch cache"
            )
        )
        self.importing = TaskRunner(self, "weightsImportTask", busy_widgets=[self.importButton])
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check, 0, 0, 1, 2)
        layout.addWidget(self.note, 1, 0)
        layout.addWidget(self.importButton, 1, 1)
        layout.setColumnStretch(0, 1)
        self.importButton.clicked.connect(self.ask_import)

    def set_arch(self, arch: str) -> None:
        """Show what ``arch`` offers: no ImageNet weights, weights here, or weights missing."""
        self._arch = arch
        pretrainable = architectures.supports_pretrained(arch)
        available = pretrainable and weights_available(arch)
        self.check.setEnabled(available)
        if not available:
            self.check.setChecked(False)
        self.importButton.setVisible(pretrainable and not available)
        name = architectures.label(arch) if pretrainable else arch
        if not pretrainable:
            self.note.show_message("")
            self.check.setToolTip(
                self.tr("Only {models} come with ImageNet weights").format(
                    models=listing([architectures.label(k) for k in architectures.pretrainable()])
                )
            )
        elif available:
            self.note.show_message(
                self.tr("✓ ImageNet weights for {model} are on this computer").format(model=name), "ok"
            )
            self.check.setToolTip(
                self.tr("Start from weights learned on ImageNet (faster, better with few images)")
            )
        else:
            message = self.tr(
                "ImageNet weights for {model} are not on this computer, so this model starts from "
                "random weights. Import a copy you have to start from them."
            ).format(model=name)
            self.note.show_message(message, "warning")
            self.check.setToolTip(message)

    @Slot()
    def ask_import(self, path: str | Path | None = None) -> bool:
        """Import a weights file for the current architecture (a file dialog asks when None)."""
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(
                self,
                self.tr("Import ImageNet weights for {model}").format(model=architectures.label(self._arch)),
                str(Path.home()),
                self.tr("PyTorch weights (*.pth *.pt);;All files (*)"),
            )
        if not path:
            return False
        arch = self._arch

        def job(on_event, stop):
            return import_weights(arch, path)

        return self.importing.start(
            job, on_done=lambda dest: self._on_imported(arch, dest), on_failed=self._on_failed
        )

    def _on_imported(self, arch: str, dest) -> None:
        self.set_arch(self._arch)
        self.imported.emit(arch)  # first: the Layers tab offers ImageNet as a starting point again
        if arch == self._arch:
            self.check.setChecked(True)  # what the user imported them for
        self.statusMessage.emit(self.tr("Imported ImageNet weights to {path}").format(path=dest))

    def _on_failed(self, message: str) -> None:
        self.note.show_message(message, "error")
        self.statusMessage.emit(message.splitlines()[0] if message else "")
