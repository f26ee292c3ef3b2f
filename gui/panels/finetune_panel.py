"""The Layers panel: where the weights start, which layers learn, and two-phase fine-tuning.

It embeds the ``LayerTreePanel`` (``self.layer_tree``) so that the starting point, the tree and the
schedule that unfreezes it sit together on one tab. The window merges what it shows into the run's
configs::

    model_cfg = model_panel.model_config(**finetune.model_overrides())
    train_cfg = model_panel.train_config(**finetune.train_overrides())

Both raise ConfigError with a message for the user when the choice cannot work (no checkpoint
chosen, a checkpoint of another architecture, an unreadable file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from torch import nn

from engine.config import ConfigError, InputSpec, TrainConfig
from gui.panels.layer_tree import LayerTreePanel
from gui.settings import read_bool, read_float, read_int, read_str
from gui.tasks import Task, error_message

RANDOM, IMAGENET, CHECKPOINT = "random", "imagenet", "checkpoint"
START_LABELS = {
    RANDOM: "Random initialisation",
    IMAGENET: "ImageNet weights (local cache)",
    CHECKPOINT: "From a Taller checkpoint…",
}
UNFREEZE_ALL, UNFREEZE_LAST = "all", "last_n"
TWO_PHASE_HELP = (
    "Phase 1 trains the ticked layers only; then the frozen ones are released and training goes on "
    "at the learning rate × this factor, so pre-trained weights are adjusted gently, not overwritten. "
    "A line on the curves marks where phase 2 starts."
)
BACKBONE_HELP = (
    "Below 1, the pre-trained layers learn more slowly than the new head, which starts from nothing "
    "(per-group learning rates)."
)


def frozen_leaves(model: nn.Module, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` spelled as the modules that own parameters, e.g. ``features`` -> its convs.

    The engine releases a frozen name in phase 2 when it is, or lies under, a name to unfreeze;
    spelling the set finely lets "unfreeze the last N blocks" release part of a frozen parent.
    """
    leaves: list[str] = []
    for name in names:
        root = model.get_submodule(name)
        for sub, module in root.named_modules(prefix=name):
            if any(True for _ in module.parameters(recurse=False)):
                leaves.append(sub)
    return tuple(dict.fromkeys(leaves))


def checkpoint_summary(meta: dict[str, Any]) -> str:
    """'cnn · 10 classes (0, 1, 2, …) · trained on digits · input 1×28×28'."""
    classes = [str(c) for c in meta.get("classes", [])]
    shown = ", ".join(classes[:4]) + (", …" if len(classes) > 4 else "")
    parts = [str(meta.get("arch", "?")), f"{len(classes)} classes ({shown})"]
    if meta.get("dataset"):
        parts.append(f"trained on {str(meta['dataset']).replace('folder:', 'folder ')}")
    spec = meta.get("spec") or {}
    if spec:
        parts.append(f"input {spec.get('channels')}×{spec.get('height')}×{spec.get('width')}")
    return " · ".join(parts)


def _read_checkpoint_meta(path: str):
    def job(on_event, stop):
        from engine.checkpoints import read_payload

        try:
            return path, read_payload(path)["meta"], ""
        except Exception as exc:  # noqa: BLE001 - shown next to the file name, with its path
            return path, None, error_message(exc)

    return job


class FineTunePanel(QWidget):
    """Starting point, layer tree and two-phase schedule of a run.

    Signals
    -------
    configChanged()        any choice here changed (starting point, ticks, schedule)
    frozenChanged(tuple)   the frozen set changed (forwarded from the layer tree)
    """

    configChanged = Signal()
    frozenChanged = Signal(tuple)

    def __init__(self, models_dir: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("finetunePanel")
        if models_dir is None:
            from engine.checkpoints import MODELS_DIR

            models_dir = MODELS_DIR
        self.models_dir = Path(models_dir)
        self._arch = "cnn"
        self._spec: InputSpec | None = None
        self._classes: list[str] | None = None
        self._context: tuple | None = None
        self._ckpt_path = ""
        self._ckpt_meta: dict[str, Any] | None = None
        self._ckpt_error = ""
        self._epochs = TrainConfig().epochs
        self._build()
        self._update_start_choices()
        self._update_two_phase()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.startCombo = QComboBox(objectName="startCombo")
        for key, label in START_LABELS.items():
            self.startCombo.addItem(label, key)
        self.startCombo.setToolTip("Where the weights start before training")
        self.initCheckpointEdit = QLineEdit(objectName="initCheckpointEdit")
        self.initCheckpointEdit.setPlaceholderText("A model saved earlier in Taller (.pt)")
        self.initCheckpointEdit.setToolTip(
            "Transfer learning: start from a model you trained before (e.g. on digits) and go on "
            "with this data; when the classes differ its head is replaced by a new one"
        )
        self.initCheckpointButton = QPushButton("Browse…", objectName="initCheckpointButton")
        self.checkpointInfoLabel = QLabel(objectName="checkpointInfoLabel", wordWrap=True)
        self.checkpointInfoLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.startInfoLabel = QLabel(objectName="startInfoLabel", wordWrap=True)
        self.checkpointRow = QWidget(objectName="checkpointRow")
        row = QHBoxLayout(self.checkpointRow)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.initCheckpointEdit, 1)
        row.addWidget(self.initCheckpointButton)
        start_box = QGroupBox("Starting point", objectName="startGroup")
        start = QVBoxLayout(start_box)
        start.addWidget(self.startCombo)
        start.addWidget(self.checkpointRow)
        start.addWidget(self.checkpointInfoLabel)
        start.addWidget(self.startInfoLabel)

        self.twoPhaseCheck = QCheckBox("Two phases: unfreeze during the run", objectName="twoPhaseCheck")
        self.twoPhaseCheck.setToolTip(TWO_PHASE_HELP)
        self.unfreezeAfterSpin = QSpinBox(objectName="unfreezeAfterSpin")
        self.unfreezeAfterSpin.setRange(1, max(1, self._epochs - 1))
        self.unfreezeAfterSpin.setSuffix(" epoch(s)")
        self.unfreezeAfterSpin.setToolTip("Epochs of phase 1, with the frozen layers frozen")
        self.unfreezeCombo = QComboBox(objectName="unfreezeCombo")
        self.unfreezeCombo.addItem("all frozen layers", UNFREEZE_ALL)
        self.unfreezeCombo.addItem("only the last blocks", UNFREEZE_LAST)
        self.unfreezeCombo.setToolTip("What phase 2 releases; the rest stays frozen to the end")
        self.unfreezeLastNSpin = QSpinBox(objectName="unfreezeLastNSpin")
        self.unfreezeLastNSpin.setRange(1, 1)
        self.unfreezeLastNSpin.setSuffix(" block(s)")
        self.finetuneLrFactorSpin = self._factor_spin(
            "finetuneLrFactorSpin", TrainConfig().finetune_lr_factor, "Learning rate in phase 2 = rate × this"
        )
        self.backboneLrFactorSpin = self._factor_spin(
            "backboneLrFactorSpin", TrainConfig().backbone_lr_factor, BACKBONE_HELP
        )
        self.twoPhaseHint = QLabel(TWO_PHASE_HELP, objectName="twoPhaseHint", wordWrap=True)
        self.backboneHint = QLabel(BACKBONE_HELP, objectName="backboneHint", wordWrap=True)
        for hint in (self.twoPhaseHint, self.backboneHint):
            hint.setProperty("role", "hint")
            hint.setMinimumWidth(200)  # word-wrapped labels in a form otherwise ask for the full text width
        unfreeze_row = QHBoxLayout()
        unfreeze_row.addWidget(self.unfreezeCombo, 1)
        unfreeze_row.addWidget(self.unfreezeLastNSpin)
        schedule_box = QGroupBox("Fine-tuning schedule", objectName="scheduleGroup")
        form = QFormLayout(schedule_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(self.twoPhaseCheck)
        form.addRow("Unfreeze after", self.unfreezeAfterSpin)
        form.addRow("Then unfreeze", unfreeze_row)
        form.addRow("Learning rate ×", self.finetuneLrFactorSpin)
        form.addRow(self.twoPhaseHint)
        form.addRow("Pre-trained layers' rate ×", self.backboneLrFactorSpin)
        form.addRow(self.backboneHint)

        self.layer_tree = LayerTreePanel()
        layers_box = QGroupBox("Layers: tick the ones that learn", objectName="layersGroup")
        QVBoxLayout(layers_box).addWidget(self.layer_tree)
        layout = QVBoxLayout(self)
        layout.addWidget(start_box)
        layout.addWidget(schedule_box)
        layout.addWidget(layers_box, 1)

        self.startCombo.currentIndexChanged.connect(self._on_start_changed)
        self.initCheckpointButton.clicked.connect(self.browse_checkpoint)
        self.initCheckpointEdit.editingFinished.connect(self._on_path_edited)
        self.twoPhaseCheck.toggled.connect(self._update_two_phase)
        self.unfreezeCombo.currentIndexChanged.connect(self._update_two_phase)
        self.layer_tree.frozenChanged.connect(self._on_frozen_changed)
        self.layer_tree.modelReady.connect(self._on_tree_ready)
        self.layer_tree.freezeBnCheck.toggled.connect(self.configChanged)
        for spin in (
            self.unfreezeAfterSpin,
            self.unfreezeLastNSpin,
            self.finetuneLrFactorSpin,
            self.backboneLrFactorSpin,
        ):
            spin.valueChanged.connect(self.configChanged)
        self.twoPhaseCheck.toggled.connect(self.configChanged)
        self.unfreezeCombo.currentIndexChanged.connect(self.configChanged)

    @staticmethod
    def _factor_spin(name: str, value: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(objectName=name)
        spin.setDecimals(3)
        spin.setRange(0.001, 1.0)
        spin.setSingleStep(0.05)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    # ---- public API ---------------------------------------------------------------------------
    def set_context(
        self,
        arch: str,
        spec: InputSpec | None = None,
        num_classes: int | None = None,
        classes: list[str] | None = None,
    ) -> None:
        """The architecture and data the next run uses; rebuilds the tree (in a worker) if they changed.

        Call with ``spec``/``num_classes`` of the loaded data (``ImageData.spec``,
        ``len(data.classes)``); without them only the architecture-dependent choices update.
        """
        self._arch = arch
        if classes is not None:
            self._classes = list(classes)
        if spec is not None:
            self._spec = spec
        self._update_start_choices()
        self._show_checkpoint_info()
        if self._spec is not None and (num_classes or self._classes):
            n = num_classes or len(self._classes)
            key = (arch, self._spec, n)
            if key != self._context:
                self._context = key
                self.layer_tree.build(arch, self._spec, n)

    def set_epochs(self, epochs: int) -> None:
        """Keep "unfreeze after" inside the run (1 .. epochs - 1)."""
        self._epochs = epochs
        self.unfreezeAfterSpin.setMaximum(max(1, epochs - 1))
        self._update_two_phase()

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

    def model_overrides(self) -> dict[str, Any]:
        """ModelConfig fields: pretrained, init_checkpoint, frozen, freeze_bn_stats.

        Raises ConfigError when the checkpoint to start from is missing, unreadable or of another
        architecture.
        """
        start = self.start()
        path = self.initCheckpointEdit.text().strip() if start == CHECKPOINT else ""
        if start == CHECKPOINT:
            self._check_checkpoint(path)
        frozen = self.layer_tree.frozen()
        model = self.layer_tree.model()
        if frozen and self._releases_part() and model is not None and self.layer_tree.arch() == self._arch:
            frozen = frozen_leaves(model, frozen)
        return {
            "pretrained": start == IMAGENET and self._item_enabled(self.startCombo.currentIndex()),
            "init_checkpoint": path or None,
            "frozen": tuple(frozen),
            "freeze_bn_stats": self.layer_tree.freeze_bn_stats(),
        }

    def train_overrides(self) -> dict[str, Any]:
        """TrainConfig fields: unfreeze_after (None = one phase), unfreeze, finetune_lr_factor,
        backbone_lr_factor.

        ``unfreeze`` is empty (release everything frozen) unless "only the last blocks" is chosen.
        Raises ConfigError when that choice cannot be resolved yet (the tree is still being built).
        """
        two_phase = self.twoPhaseCheck.isChecked() and self.twoPhaseCheck.isEnabled()
        unfreeze: tuple[str, ...] = ()
        if two_phase and self._releases_part():
            blocks = self.layer_tree.block_groups()[:-1]  # the head trains in both phases
            if not blocks:
                raise ConfigError(
                    "The layers of this model are not listed yet (or it has no blocks): wait a moment, "
                    "or choose to unfreeze all frozen layers"
                )
            chosen = blocks[len(blocks) - self.unfreezeLastNSpin.value() :]
            unfreeze = tuple(name for group in chosen for name in group)
        return {
            "unfreeze_after": self.unfreezeAfterSpin.value() if two_phase else None,
            "unfreeze": unfreeze,
            "finetune_lr_factor": round(self.finetuneLrFactorSpin.value(), 6),
            "backbone_lr_factor": round(self.backboneLrFactorSpin.value(), 6),
        }

    @Slot()
    def browse_checkpoint(self) -> None:
        """Ask for a checkpoint file and start from it."""
        start = self.initCheckpointEdit.text().strip() or str(
            self.models_dir if self.models_dir.is_dir() else Path.home()
        )
        path, _ = QFileDialog.getOpenFileName(
            self, "Start from a model", start, "Taller models (*.pt);;All files (*)"
        )
        if path:
            self.set_start(CHECKPOINT, path)

    def checkpoint_meta(self) -> dict[str, Any] | None:
        """Metadata of the chosen checkpoint once read, else None."""
        return self._ckpt_meta

    def shutdown(self) -> None:
        """Wait for the workers of this panel (tree building, checkpoint reading)."""
        for task in self.findChildren(Task):
            task.stop_and_wait()

    def save_settings(self, settings: QSettings) -> None:
        settings.setValue("finetune/start", self.start())
        settings.setValue("finetune/checkpoint", self.initCheckpointEdit.text().strip())
        settings.setValue("finetune/twoPhase", self.twoPhaseCheck.isChecked())
        settings.setValue("finetune/unfreezeAfter", self.unfreezeAfterSpin.value())
        settings.setValue("finetune/unfreeze", self.unfreezeCombo.currentData())
        settings.setValue("finetune/unfreezeLastN", self.unfreezeLastNSpin.value())
        settings.setValue("finetune/lrFactor", self.finetuneLrFactorSpin.value())
        settings.setValue("finetune/backboneLrFactor", self.backboneLrFactorSpin.value())
        self.layer_tree.save_settings(settings)

    def restore_settings(self, settings: QSettings) -> None:
        self.layer_tree.restore_settings(settings)
        self.twoPhaseCheck.setChecked(read_bool(settings, "finetune/twoPhase", False))
        self.unfreezeAfterSpin.setValue(read_int(settings, "finetune/unfreezeAfter", 1))
        index = self.unfreezeCombo.findData(read_str(settings, "finetune/unfreeze", UNFREEZE_ALL))
        self.unfreezeCombo.setCurrentIndex(max(0, index))
        self.unfreezeLastNSpin.setValue(read_int(settings, "finetune/unfreezeLastN", 1))
        self.finetuneLrFactorSpin.setValue(read_float(settings, "finetune/lrFactor", 0.1))
        self.backboneLrFactorSpin.setValue(read_float(settings, "finetune/backboneLrFactor", 1.0))
        checkpoint = read_str(settings, "finetune/checkpoint", "")
        self.set_start(read_str(settings, "finetune/start", RANDOM), checkpoint if checkpoint else None)

    # ---- starting point -----------------------------------------------------------------------
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

    def _update_start_choices(self) -> None:
        from engine.models import ARCH_LABELS, supports_pretrained, weights_available, weights_path

        label = ARCH_LABELS.get(self._arch, self._arch)
        if not supports_pretrained(self._arch):
            ok, tip = False, f"{label} has no ImageNet weights; only ResNet-18, VGG-16 and RegNet do"
        elif weights_available(self._arch):
            ok, tip = True, f"{label} starts from ImageNet weights found at {weights_path(self._arch)}"
        else:
            ok, tip = (
                False,
                (
                    f"ImageNet weights for {label} are not on this machine: {weights_path(self._arch)} is "
                    f"missing. Import a copy with `python main.py import-weights {self._arch} FILE`."
                ),
            )
        self._set_item(IMAGENET, ok, tip)
        if self.start() == IMAGENET and not ok:
            self.startCombo.setCurrentIndex(self.startCombo.findData(RANDOM))
            self._show_start_info(f"Starting from random weights: {tip}", "warning")
        else:
            self._on_start_changed()

    @Slot()
    def _on_start_changed(self) -> None:
        start = self.start()
        self.checkpointRow.setVisible(start == CHECKPOINT)
        self.checkpointInfoLabel.setVisible(start == CHECKPOINT)
        texts = {
            RANDOM: "Every weight starts random: training from scratch.",
            IMAGENET: "The layers start from what they learned on ImageNet's 1.2 million photos; "
            "the head is new. Try 'Feature extraction' below, then two phases.",
            CHECKPOINT: "Transfer learning from a model you trained before.",
        }
        self._show_start_info(texts[start], "hint")
        if start == CHECKPOINT:
            self._on_path_edited()
        self.configChanged.emit()

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
        self.checkpointInfoLabel.setText(f"Reading {Path(path).name}…")
        task = Task(_read_checkpoint_meta(path), parent=self, name="checkpointInfoTask")
        task.succeeded.connect(self._on_checkpoint_read)
        task.start()
        self.configChanged.emit()

    @Slot(object)
    def _on_checkpoint_read(self, result: tuple) -> None:
        path, meta, error = result
        if path == self._ckpt_path:  # else the user has chosen another file meanwhile
            self._ckpt_meta, self._ckpt_error = meta, error
            self._show_checkpoint_info()
            self.configChanged.emit()

    def _show_checkpoint_info(self) -> None:
        label = self.checkpointInfoLabel
        if self._ckpt_error:
            self._set_role(label, self._ckpt_error, "error")
        elif self._ckpt_meta is None:
            self._set_role(label, "" if not self._ckpt_path else label.text(), "hint")
        else:
            lines, role = [checkpoint_summary(self._ckpt_meta)], "ok"
            problem = self._arch_problem()
            if problem:
                lines.append(f"⚠ {problem}")
                role = "warning"
            else:
                lines += self._transfer_notes()
            self._set_role(label, "<br>".join(lines), role)

    def _arch_problem(self) -> str:
        theirs = self._ckpt_meta.get("arch") if self._ckpt_meta else None
        if theirs and theirs != self._arch:
            return (
                f"It is a {theirs} model but the chosen model is {self._arch}: choose {theirs} in the "
                "Model settings to start from it, or pick another checkpoint."
            )
        return ""

    def _transfer_notes(self) -> list[str]:
        meta, notes = self._ckpt_meta, []
        theirs = [str(c) for c in meta.get("classes", [])]
        if self._classes is not None and theirs != list(self._classes):
            notes.append(
                f"Its head ({len(theirs)} classes) is replaced by a new one for your {len(self._classes)} "
                "classes; every other layer starts from its weights."
            )
        elif self._classes is not None:
            notes.append("Same classes: every layer, the head too, starts from its weights.")
        spec = meta.get("spec") or {}
        if self._spec is not None and spec and spec.get("channels") != self._spec.channels:
            notes.append(
                f"It saw {spec.get('channels')}-channel images, your data has {self._spec.channels}: "
                "layers whose weights do not fit (the first one) start random."
            )
        return notes

    def _check_checkpoint(self, path: str) -> None:
        if not path:
            raise ConfigError(
                "Choose the checkpoint to start from on the Layers tab, or another starting point"
            )
        if path != self._ckpt_path:
            self._on_path_edited()
        if self._ckpt_error:
            raise ConfigError(f"Cannot start from that checkpoint: {self._ckpt_error}")
        problem = self._arch_problem()
        if problem:
            raise ConfigError(f"Cannot start from {Path(path).name}: {problem}")

    def _show_start_info(self, text: str, role: str) -> None:
        self._set_role(self.startInfoLabel, text, role)

    @staticmethod
    def _set_role(label: QLabel, text: str, role: str) -> None:
        label.setText(text)
        label.setProperty("role", role)
        label.style().unpolish(label)
        label.style().polish(label)

    # ---- schedule -----------------------------------------------------------------------------
    def _releases_part(self) -> bool:
        return self.twoPhaseCheck.isChecked() and self.unfreezeCombo.currentData() == UNFREEZE_LAST

    @Slot()
    def _update_two_phase(self) -> None:
        possible = self._epochs >= 2
        self.twoPhaseCheck.setEnabled(possible)
        if not possible:
            self.twoPhaseCheck.setToolTip("Two phases need at least 2 epochs")
        else:
            self.twoPhaseCheck.setToolTip(TWO_PHASE_HELP)
        on = possible and self.twoPhaseCheck.isChecked()
        for w in (self.unfreezeAfterSpin, self.unfreezeCombo, self.finetuneLrFactorSpin):
            w.setEnabled(on)
        blocks = self.layer_tree.block_groups()[:-1]
        self.unfreezeLastNSpin.setRange(1, max(1, len(blocks)))
        last = self.unfreezeCombo.currentData() == UNFREEZE_LAST
        self.unfreezeLastNSpin.setEnabled(on and last and bool(blocks))

    @Slot(tuple)
    def _on_frozen_changed(self, frozen: tuple) -> None:
        self.frozenChanged.emit(frozen)
        self.configChanged.emit()

    @Slot(str)
    def _on_tree_ready(self, arch: str) -> None:
        self._update_two_phase()
