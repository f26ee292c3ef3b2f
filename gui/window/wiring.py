"""How the Model form and the Layers tab stay in step inside the window.

One choice shown in two places (the Model form's "ImageNet weights" check and the Layers tab's
starting point) and the Layers tab's context (architecture, data, epochs) follow the forms.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from gui.layers.starting_point import IMAGENET, RANDOM


class LayerLinks(QObject):
    """Keeps ``window.finetune_panel`` in step with the Data and Model panels (parented to the window)."""

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("layerLinks")
        self._window = window
        model, finetune = window.model_panel, window.finetune_panel
        model.archChanged.connect(self.update_layers)
        window.data_panel.dataLoaded.connect(self.update_layers)
        model.epochsSpin.valueChanged.connect(finetune.set_epochs)
        finetune.set_epochs(model.epochsSpin.value())
        model.pretrainedCheck.toggled.connect(self._on_pretrained_toggled)
        finetune.startCombo.currentIndexChanged.connect(self._on_start_changed)

    @Slot()
    def update_layers(self, *_) -> None:
        """Tell the Layers tab the architecture and the data now chosen."""
        data = self._window.current_data()
        arch = self._window.model_panel.arch()
        if data is None:
            self._window.finetune_panel.set_context(arch)
        else:
            self._window.finetune_panel.set_context(arch, data.spec, len(data.classes), data.classes)

    @Slot(bool)
    def _on_pretrained_toggled(self, checked: bool) -> None:
        finetune = self._window.finetune_panel
        if checked or finetune.start() == IMAGENET:
            finetune.set_start(IMAGENET if checked else RANDOM)

    @Slot()
    def _on_start_changed(self) -> None:
        check = self._window.model_panel.pretrainedCheck
        check.blockSignals(True)
        check.setChecked(self._window.finetune_panel.start() == IMAGENET)
        check.blockSignals(False)
