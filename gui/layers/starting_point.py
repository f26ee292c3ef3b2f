"""Where a run's weights start: random, ImageNet (local files) or a Taller checkpoint.

A section of the Layers panel. Choosing a checkpoint reads its metadata in a worker and says what
transfers (same classes: everything; other classes: all but the head) or why it cannot work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoints import read_payload
from engine.config import ConfigError
from engine.data.types import InputSpec
from engine.formatting import dataset_name
from engine.models import registry as architectures
from engine.models.weights import weights_available, weights_path
from gui.language import listing
from gui.tasks import run_task
from gui.widgets.message_label import MessageLabel

RANDOM, IMAGENET, CHECKPOINT = "random", "imagenet", "checkpoint"
START_LABELS = {  # translated where shown
    RANDOM: QT_TRANSLATE_NOOP("StartingPoint", "Random initialisation"),
    IMAGENET: QT_TRANSLATE_NOOP("StartingPoint", "ImageNet weights (local cache)"),
    CHECKPOINT: QT_TRANSLATE_NOOP("StartingPoint", "From a Taller checkpoint…"),
}
START_HINTS = {
    RANDOM: QT_TRANSLATE_NOOP("StartingPoint", "Every weight starts random: training from scratch."),
    IMAGENET: QT_TRANSLATE_NOOP(
        "StartingPoint",
        "The layers start from what they learned on ImageNet's 1.2 million photos; "
        "the head is new. Try 'Feature extraction' below, then two phases.",
    ),
    CHECKPOINT: QT_TRANSLATE_NOOP("StartingPoint", "Transfer learning from a model you trained before."),
}


def checkpoint_summary(meta: dict[str, Any]) -> str:
    """'cnn · 10 classes (0, 1, 2, …) · trained on digits · input 1×28×28'."""
    classes = [str(c) for c in meta.get("classes", [])]
    shown = ", ".join(classes[:4]) + (", …" if len(classes) > 4 else "")
    parts = [  # a classifier has two classes or more: no singular needed
        str(meta.get("arch", "?")),
        QCoreApplication.translate("starting_point", "{n} classes ({names})").format(
            n=len(classes), names=shown
        ),
    ]
    if meta.get("dataset"):
        parts.append(
            QCoreApplication.translate("starting_point", "trained on {dataset}").format(
                dataset=dataset_name(meta["dataset"])
            )
        )
    spec = meta.get("spec") or {}
    if spec:
        size = f"{spec.get('channels')}×{spec.get('height')}×{spec.get('width')}"
        parts.append(QCoreApplication.translate("starting_point", "input {size}").format(size=size))
    return " · ".join(parts)


class StartingPoint(QGroupBox):
    """The "Starting point" box: a choice, a checkpoint row, and notes on what the choice means.

    Signals
    -------
    changed()   the choice, the checkpoint file or what is known about it changed
    """

    changed = Signal()

    def __init__(self, models_dir: Path, parent: QWidget | None = None):
        super().__init__(parent, objectName="startGroup")
        self.setTitle(self.tr("Starting point"))
        self.models_dir = Path(models_dir)
        self._arch = "cnn"
        self._spec: InputSpec | None = None
        self._classes: list[str] | None = None
        self._ckpt_path = ""
        self._ckpt_meta: dict[str, Any] | None = None
        self._ckpt_error = ""
        self.startCombo = QComboBox(objectName="startCombo")
        for key, label in START_LABELS.items():
            self.startCombo.addItem(self.tr(label), key)
        self.startCombo.setToolTip(self.tr("Where the weights start before training"))
        self.initCheckpointEdit = QLineEdit(objectName="initCheckpointEdit")
        self.initCheckpointEdit.setPlaceholderText(self.tr("A model saved earlier in Taller (.pt)"))
        self.initCheckpointEdit.setToolTip(
            self.tr(
                "Transfer learning: start from a model you trained before (e.g. on digits) and go on "
                "with this data; when the classes differ its head is replaced by a new one"
            )
        )
        self.initCheckpointButton = QPushButton(self.tr("Browse…"), objectName="initCheckpointButton")
        self.checkpointInfoLabel = MessageLabel("checkpointInfoLabel", hide_when_empty=False)
        self.startInfoLabel = MessageLabel("startInfoLabel", hide_when_empty=False, selectable=False)
        self.checkpointRow = QWidget(objectName="checkpointRow")
        row = QHBoxLayout(self.checkpointRow)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.initCheckpointEdit, 1)
        row.addWidget(self.initCheckpointButton)
        column = QVBoxLayout(self)
        for widget in (self.startCombo, self.checkpointRow, self.checkpointInfoLabel, self.startInfoLabel):
            column.addWidget(widget)
        self.startCombo.currentIndexChanged.connect(self._on_start_changed)
        self.initCheckpointButton.clicked.connect(self.browse_checkpoint)
        self.initCheckpointEdit.editingFinished.connect(self._on_path_edited)

    # ---- public API ---------------------------------------------------------------------------
    def set_context(self, arch: str, spec: InputSpec | None, classes: list[str] | None) -> None:
        """The architecture and data of the next run (None: unchanged); updates choices and notes."""
        self._arch = arch
        self._spec = spec if spec is not None else self._spec
        self._classes = list(classes) if classes is not None else self._classes
        self._update_choices()
        self._show_checkpoint_info()

    def start(self) -> str:
        """ "random", "imagenet" or "checkpoint"."""
        return self.startCombo.currentData()

    def set_start(self, key: str, checkpoint: str | Path | None = None) -> None:
        """Choose a starting point (and the checkpoint file for "checkpoint")."""
        if checkpoint is not None:
            self.initCheckpointEdit.setText(str(checkpoint))
        index = self.startCombo.findData(key)
        if index >= 0 and self._item_enabled(index):
            self.startCombo.setCurrentIndex(index)
        self._on_path_edited()

    def pretrained(self) -> bool:
        """True when ImageNet weights are chosen and on this machine."""
        return self.start() == IMAGENET and self._item_enabled(self.startCombo.currentIndex())

    def checkpoint_path(self) -> str:
        """The checkpoint to start from ("" unless chosen); raises ConfigError when it cannot work."""
        if self.start() != CHECKPOINT:
            return ""
        path = self.initCheckpointEdit.text().strip()
        if not path:
            raise ConfigError(
                self.tr("Choose the checkpoint to start from on the Layers tab, or another starting point")
            )
        if path != self._ckpt_path:
            self._on_path_edited()
        if self._ckpt_error:
            raise ConfigError(
                self.tr("Cannot start from that checkpoint: {error}").format(error=self._ckpt_error)
            )
        problem = self._arch_problem()
        if problem:
            raise ConfigError(
                self.tr("Cannot start from {file}: {problem}").format(file=Path(path).name, problem=problem)
            )
        return path

    def checkpoint_meta(self) -> dict[str, Any] | None:
        """Metadata of the chosen checkpoint once read, else None."""
        return self._ckpt_meta

    @Slot()
    def browse_checkpoint(self) -> None:
        """Ask for a checkpoint file and start from it."""
        start = self.initCheckpointEdit.text().strip() or str(
            self.models_dir if self.models_dir.is_dir() else Path.home()
        )
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Start from a model"), start, self.tr("Taller models (*.pt);;All files (*)")
        )
        if path:
            self.set_start(CHECKPOINT, path)

    # ---- choices ------------------------------------------------------------------------------
    def _item_enabled(self, index: int) -> bool:
        model = self.startCombo.model()
        item = model.item(index) if isinstance(model, QStandardItemModel) else None
        return item is None or item.isEnabled()

    def _set_item(self, key: str, enabled: bool, tip: str) -> None:
        index = self.startCombo.findData(key)
        model = self.startCombo.model()
        if isinstance(model, QStandardItemModel):
            model.item(index).setEnabled(enabled)
        self.startCombo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)

    def _update_choices(self) -> None:
        ok, tip = _imagenet_choice(self._arch)
        self._set_item(IMAGENET, ok, tip)
        if self.start() == IMAGENET and not ok:
            self.startCombo.setCurrentIndex(self.startCombo.findData(RANDOM))
            self.startInfoLabel.show_message(
                self.tr("Starting from random weights: {reason}").format(reason=tip), "warning"
            )
        else:
            self._on_start_changed()

    @Slot()
    def _on_start_changed(self) -> None:
        start = self.start()
        self.checkpointRow.setVisible(start == CHECKPOINT)
        self.checkpointInfoLabel.setVisible(start == CHECKPOINT)
        self.startInfoLabel.show_message(self.tr(START_HINTS[start]), "hint")
        if start == CHECKPOINT:
            self._on_path_edited()
        self.changed.emit()

    # ---- checkpoint ---------------------------------------------------------------------------
    @Slot()
    def _on_path_edited(self) -> None:
        path = self.initCheckpointEdit.text().strip()
        if self.start() != CHECKPOINT or path == self._ckpt_path:
            self._show_checkpoint_info()
            return
        self._ckpt_path, self._ckpt_meta, self._ckpt_error = path, None, ""
        if not path:
            self._show_checkpoint_info()
            return
        self.checkpointInfoLabel.setText(self.tr("Reading {file}…").format(file=Path(path).name))
        run_task(
            self,
            lambda on_event, stop: read_payload(path)["meta"],
            name="checkpointInfoTask",
            on_done=lambda meta: self._on_checkpoint_read(path, meta, ""),
            on_failed=lambda message: self._on_checkpoint_read(path, None, message),
        )
        self.changed.emit()

    def _on_checkpoint_read(self, path: str, meta: dict[str, Any] | None, error: str) -> None:
        if path == self._ckpt_path:  # else the user has chosen another file meanwhile
            self._ckpt_meta, self._ckpt_error = meta, error
            self._show_checkpoint_info()
            self.changed.emit()

    def _show_checkpoint_info(self) -> None:
        label = self.checkpointInfoLabel
        if self._ckpt_error:
            label.show_message(self._ckpt_error, "error")
        elif self._ckpt_meta is None:
            label.show_message("" if not self._ckpt_path else label.text(), "hint")
        else:
            lines, role = [checkpoint_summary(self._ckpt_meta)], "ok"
            problem = self._arch_problem()
            if problem:
                lines.append(f"⚠ {problem}")
                role = "warning"
            else:
                lines += self._transfer_notes()
            label.show_message("<br>".join(lines), role)

    def _arch_problem(self) -> str:
        theirs = self._ckpt_meta.get("arch") if self._ckpt_meta else None
        if theirs and theirs != self._arch:
            return self.tr(
                "It is a {theirs} model but the chosen model is {ours}: choose {theirs} in the "
                "Model settings to start from it, or pick another checkpoint."
            ).format(theirs=theirs, ours=self._arch)
        return ""

    def _transfer_notes(self) -> list[str]:
        meta, notes = self._ckpt_meta, []
        theirs = [str(c) for c in meta.get("classes", [])]
        if self._classes is not None and theirs != list(self._classes):
            notes.append(
                self.tr(
                    "Its head ({theirs} classes) is replaced by a new one for your {ours} "
                    "classes; every other layer starts from its weights."
                ).format(theirs=len(theirs), ours=len(self._classes))
            )
        elif self._classes is not None:
            notes.append(self.tr("Same classes: every layer, the head too, starts from its weights."))
        spec = meta.get("spec") or {}
        if self._spec is not None and spec and spec.get("channels") != self._spec.channels:
            notes.append(
                self.tr(
                    "It saw {theirs}-channel images, your data has {ours}: "
                    "layers whose weights do not fit (the first one) start random."
                ).format(theirs=spec.get("channels"), ours=self._spec.channels)
            )
        return notes


def _imagenet_choice(arch: str) -> tuple[bool, str]:
    """Whether ``arch`` can start from ImageNet weights here, and a tooltip saying why (not)."""
    label = architectures.label(arch)
    if not architectures.supports_pretrained(arch):
        return False, QCoreApplication.translate(
            "starting_point", "{model} has no ImageNet weights; only {models} do"
        ).format(model=label, models=listing([architectures.label(k) for k in architectures.pretrainable()]))
    if weights_available(arch):
        return True, QCoreApplication.translate(
            "starting_point", "{model} starts from ImageNet weights found at {path}"
        ).format(model=label, path=weights_path(arch))
    return False, QCoreApplication.translate(
        "starting_point",
        "ImageNet weights for {model} are not on this machine: {path} is "
        "missing. Import a copy with `python main.py import-weights {arch} FILE`.",
    ).format(model=label, path=weights_path(arch), arch=arch)
