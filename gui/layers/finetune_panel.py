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

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSettings, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from torch import nn

from engine.checkpoints import MODELS_DIR
from engine.config import ConfigError, TrainConfig
from engine.data.types import InputSpec
from engine.models import recipes
from gui.layers.layer_tree import LayerTreePanel
from gui.layers.starting_point import CHECKPOINT, RANDOM, StartingPoint
from gui.settings import read_bool, read_float, read_int, read_str
from gui.tasks import stop_all
from gui.widgets.message_label import MessageLabel

UNFREEZE_ALL, UNFREEZE_LAST = "all", "last_n"
TWO_PHASE_HELP = QT_TRANSLATE_NOOP(  # translated where shown, as are the other texts here
    "FineTunePanel",
    "Phase 1 trains the ticked layers only; then the frozen ones are released and training goes on "
    "at the learning rate × this factor, so pre-trained weights are adjusted gently, not overwritten. "
    "A line on the curves marks where phase 2 starts.",
)
FROZEN_ONCE_OFF = QT_TRANSLATE_NOOP(
    "FineTunePanel",
    "Augmentation is on, so the frozen layers run again on every picture in every epoch (each epoch's "
    "pictures differ). Without augmentation their outputs are computed once and the epochs train "
    "only the layers after them, many times faster.",
)
BACKBONE_HELP = QT_TRANSLATE_NOOP(
    "FineTunePanel",
    "Below 1, the pre-trained layers learn more slowly than the new head, which starts from nothing "
    "(per-group learning rates).",
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
        self.models_dir = Path(MODELS_DIR if models_dir is None else models_dir)
        self._arch = "cnn"
        self._spec: InputSpec | None = None
        self._classes: list[str] | None = None
        self._context: tuple | None = None
        self._num_classes: int | None = None
        self._epochs = TrainConfig().epochs
        self._augment = False
        self._build()
        self.starting_point.set_context(self._arch, None, None)
        self._update_two_phase()
        self._update_for_start()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.starting_point = StartingPoint(self.models_dir)
        sp = self.starting_point
        self.startCombo, self.checkpointRow = sp.startCombo, sp.checkpointRow
        self.initCheckpointEdit, self.initCheckpointButton = sp.initCheckpointEdit, sp.initCheckpointButton
        self.checkpointInfoLabel, self.startInfoLabel = sp.checkpointInfoLabel, sp.startInfoLabel

        self.twoPhaseCheck = QCheckBox(
            self.tr("Two phases: unfreeze during the run"), objectName="twoPhaseCheck"
        )
        self.twoPhaseCheck.setToolTip(self.tr(TWO_PHASE_HELP))
        self.unfreezeAfterSpin = QSpinBox(objectName="unfreezeAfterSpin")
        self.unfreezeAfterSpin.setRange(1, max(1, self._epochs - 1))
        self.unfreezeAfterSpin.setSuffix(self.tr(" epoch(s)"))
        self.unfreezeAfterSpin.setToolTip(self.tr("Epochs of phase 1, with the frozen layers frozen"))
        self.unfreezeCombo = QComboBox(objectName="unfreezeCombo")
        self.unfreezeCombo.addItem(self.tr("all frozen layers"), UNFREEZE_ALL)
        self.unfreezeCombo.addItem(self.tr("only the last blocks"), UNFREEZE_LAST)
        self.unfreezeCombo.setToolTip(self.tr("What phase 2 releases; the rest stays frozen to the end"))
        self.unfreezeLastNSpin = QSpinBox(objectName="unfreezeLastNSpin")
        self.unfreezeLastNSpin.setRange(1, 1)
        self.unfreezeLastNSpin.setSuffix(self.tr(" block(s)"))
        self.finetuneLrFactorSpin = self._factor_spin(
            "finetuneLrFactorSpin",
            TrainConfig().finetune_lr_factor,
            self.tr("Learning rate in phase 2 = rate × this"),
        )
        self.backboneLrFactorSpin = self._factor_spin(
            "backboneLrFactorSpin", TrainConfig().backbone_lr_factor, self.tr(BACKBONE_HELP)
        )
        self.twoPhaseHint = MessageLabel("twoPhaseHint", hide_when_empty=False, selectable=False)
        self.backboneHint = MessageLabel("backboneHint", hide_when_empty=False, selectable=False)
        for hint, text in ((self.twoPhaseHint, TWO_PHASE_HELP), (self.backboneHint, BACKBONE_HELP)):
            hint.show_message(self.tr(text), "hint")
            hint.setMinimumWidth(200)  # word-wrapped labels in a form otherwise ask for the full text width
        unfreeze_row = QHBoxLayout()
        unfreeze_row.addWidget(self.unfreezeCombo, 1)
        unfreeze_row.addWidget(self.unfreezeLastNSpin)
        schedule_box = QGroupBox(self.tr("Fine-tuning schedule"), objectName="scheduleGroup")
        form = QFormLayout(schedule_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(self.twoPhaseCheck)
        form.addRow(self.tr("Unfreeze after"), self.unfreezeAfterSpin)
        form.addRow(self.tr("Then unfreeze"), unfreeze_row)
        form.addRow(self.tr("Learning rate ×"), self.finetuneLrFactorSpin)
        form.addRow(self.twoPhaseHint)
        form.addRow(self.tr("Pre-trained layers' rate ×"), self.backboneLrFactorSpin)
        form.addRow(self.backboneHint)

        self.layer_tree = LayerTreePanel()
        layers_box = QGroupBox(self.tr("Layers: tick the ones that learn"), objectName="layersGroup")
        QVBoxLayout(layers_box).addWidget(self.layer_tree)
        self.scheduleBox = schedule_box
        self.randomFreezeWarning = MessageLabel("randomFreezeWarning", selectable=False)
        self.frozenOnceNote = MessageLabel("frozenOnceNote", selectable=False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.starting_point)
        layout.addWidget(schedule_box)
        layout.addWidget(self.randomFreezeWarning)
        layout.addWidget(self.frozenOnceNote)
        layout.addWidget(layers_box, 1)

        self.starting_point.changed.connect(self.configChanged)
        self.starting_point.changed.connect(self._update_for_start)
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
        self.starting_point.set_context(arch, spec, classes)
        self._num_classes = num_classes or (len(self._classes) if self._classes else None)
        self._build_tree()

    def _build_tree(self) -> None:
        """Rebuild the tree when the model it shows changes: another architecture or data, or ImageNet
        weights chosen or left (VGG-16 from random weights has BatchNorm layers its ImageNet model lacks)."""
        if self._spec is None or not self._num_classes:
            return
        pretrained = self.starting_point.pretrained()
        key = (self._arch, self._spec, self._num_classes, pretrained)
        if key != self._context:
            self._context = key
            self.layer_tree.build(self._arch, self._spec, self._num_classes, pretrained)

    def set_epochs(self, epochs: int) -> None:
        """Keep "unfreeze after" inside the run (1 .. epochs - 1)."""
        self._epochs = epochs
        self.unfreezeAfterSpin.setMaximum(max(1, epochs - 1))
        self._update_two_phase()

    @Slot(bool)
    def set_augment(self, on: bool) -> None:
        """Whether the next run augments its pictures (then frozen layers are computed every epoch)."""
        self._augment = on
        self._update_for_start()

    def start(self) -> str:
        """ "random", "imagenet" or "checkpoint"."""
        return self.starting_point.start()

    def set_start(self, key: str, checkpoint: str | Path | None = None) -> None:
        """Choose a starting point (and the checkpoint file for "checkpoint")."""
        self.starting_point.set_start(key, checkpoint)

    def recipe_start(self) -> str | None:
        """The start whose recipe fits (``engine.models.recipes``): random weights, ImageNet weights frozen
        (some layers frozen, two phases too) or fine-tuned, or None from a checkpoint."""
        checkpoint = self.start() == CHECKPOINT
        return recipes.start_of(self.starting_point.pretrained(), bool(self.layer_tree.frozen()), checkpoint)

    def model_overrides(self) -> dict[str, Any]:
        """ModelConfig fields: pretrained, init_checkpoint, frozen, freeze_bn_stats.

        Raises ConfigError when the checkpoint to start from is missing, unreadable or of another
        architecture.
        """
        path = self.starting_point.checkpoint_path()
        frozen = self.layer_tree.frozen()
        model = self.layer_tree.model()
        if frozen and self._releases_part() and model is not None and self.layer_tree.arch() == self._arch:
            frozen = frozen_leaves(model, frozen)
        return {
            "pretrained": self.starting_point.pretrained(),
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
                    self.tr(
                        "The layers of this model are not listed yet (or it has no blocks): wait a moment, "
                        "or choose to unfreeze all frozen layers"
                    )
                )
            chosen = blocks[len(blocks) - self.unfreezeLastNSpin.value() :]
            unfreeze = tuple(name for group in chosen for name in group)
        return {
            "unfreeze_after": self.unfreezeAfterSpin.value() if two_phase else None,
            "unfreeze": unfreeze,
            "finetune_lr_factor": round(self.finetuneLrFactorSpin.value(), 6),
            "backbone_lr_factor": round(self.backboneLrFactorSpin.value(), 6),
        }

    def checkpoint_meta(self) -> dict[str, Any] | None:
        """Metadata of the chosen checkpoint once read, else None."""
        return self.starting_point.checkpoint_meta()

    def shutdown(self) -> None:
        """Wait for the workers of this panel (tree building, checkpoint reading)."""
        stop_all(self)

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

    # ---- schedule -----------------------------------------------------------------------------
    def _releases_part(self) -> bool:
        return self.twoPhaseCheck.isChecked() and self.unfreezeCombo.currentData() == UNFREEZE_LAST

    @Slot()
    def _update_two_phase(self) -> None:
        possible = self._epochs >= 2
        self.twoPhaseCheck.setEnabled(possible)
        if not possible:
            self.twoPhaseCheck.setToolTip(self.tr("Two phases need at least 2 epochs"))
        else:
            self.twoPhaseCheck.setToolTip(self.tr(TWO_PHASE_HELP))
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
        self._update_for_start()

    @Slot()
    def _update_for_start(self, *_) -> None:
        self._build_tree()
        # Two phases and frozen BatchNorm statistics only mean something for learned weights.
        learned = self.start() != RANDOM
        self.scheduleBox.setVisible(learned)
        self.layer_tree.freezeBnCheck.setVisible(learned)
        frozen = bool(self.layer_tree.frozen())
        self.randomFreezeWarning.show_message(
            self.tr(
                "The starting point is random: frozen layers keep their random weights and learn nothing. "
                "Freeze layers when starting from ImageNet weights or a model trained earlier."
            )
            if frozen and not learned
            else "",
            "warning",
        )
        self.frozenOnceNote.show_message(self.tr(FROZEN_ONCE_OFF) if frozen and self._augment else "", "hint")

    @Slot(str)
    def _on_tree_ready(self, arch: str) -> None:
        self._update_two_phase()
