"""The layer tree: tick which layers of the model learn and see what that leaves trainable.

The engine is the single source of truth. A tick changes ``requires_grad`` on the panel's own
copy of the model; the frozen set is read back with ``engine.freezing.frozen_names``, applied
again with ``apply_freeze`` and every tick box, count and the summary are redrawn from the model.
So the numbers the window shows are the ones the engine trains with.

Only the structure matters here, so the model is built on PyTorch's ``meta`` device when that
works (no memory, no random initialisation: VGG-16 would otherwise take seconds and 500 MB), and
always in a worker thread together with the output shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import torch
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSettings, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from torch import nn

from engine.data.types import InputSpec
from engine.freezing import apply_freeze, count_parameters, frozen_names, layer_tree, preset
from engine.models import registry as architectures
from engine.models.build import build_model
from gui.language import integer, percent
from gui.layers.layer_tree_view import LayerTreeView
from gui.settings import read_bool, read_str
from gui.tasks import run_task, stop_all
from gui.widgets.message_label import MessageLabel

BN_TIP = QT_TRANSLATE_NOOP(
    "LayerTreePanel",
    "BatchNorm layers keep running averages of their inputs, which they use when the model "
    "predicts. Training updates these averages even in a layer whose weights are frozen. "
    "Fine-tuning on a small dataset would then shift statistics learned on many more images, so "
    "by default they stay fixed in frozen layers. Untick to let them adapt to your images.",
)


def summary_text(trainable: int, total: int) -> str:
    """'Trainable 11,181,642 of 11,181,642 parameters (100%)'."""
    if total <= 0:
        return QCoreApplication.translate("layer_tree", "This model has no parameters")
    fraction = trainable / total
    shown = percent(fraction, 0) if fraction >= 0.01 or trainable == 0 else percent(fraction, 2)
    return QCoreApplication.translate(
        "layer_tree", "Trainable {trainable} of {total} parameters ({share})"
    ).format(trainable=integer(trainable), total=integer(total), share=shown)


def build_structure(
    arch: str, spec: InputSpec, num_classes: int, pretrained: bool = False
) -> tuple[nn.Module, list]:
    """Build ``arch`` for the tree and trace its layers; runs in a worker thread.

    The meta device gives the structure, parameter counts and output shapes without memory or
    initialisation; a model the meta device cannot build falls back to the CPU. ``pretrained``: the
    structure of the model that loads ImageNet weights (no weights are read).
    """
    try:
        with torch.device("meta"):
            model = build_model(arch, spec, num_classes, batchnorm=not pretrained)
        return model, layer_tree(model, spec)
    except (NotImplementedError, RuntimeError, TypeError):
        model = build_model(arch, spec, num_classes, batchnorm=not pretrained)
        return model, layer_tree(model, spec)


class LayerTreePanel(QWidget):
    """The model's modules as a tree with a "trainable" tick box per module.

    Signals
    -------
    frozenChanged(tuple)   the minimal frozen set (dotted names) after a tick, a preset or set_frozen
    modelReady(str)        a model's tree is shown (the architecture key)
    buildFailed(str)       the model could not be built for the data (message for the user)
    """

    frozenChanged = Signal(tuple)
    modelReady = Signal(str)
    buildFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("layerTreePanel")
        self._model: nn.Module | None = None
        self._arch: str | None = None
        self._frozen: tuple[str, ...] = ()
        self._pending: tuple[str, ...] | None = None  # applied when the next model arrives
        self._blocks = 0
        self._frozen_by_arch: dict[str, tuple[str, ...]] = {}
        self._generation = 0
        self._building: str | None = None
        self._build_ui()
        self._items = self.layerTree.items  # rows by dotted module name, kept up to date by the view
        self._update_enabled()

    # ---- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.paramSummary = QLabel(self.tr("Load data to see the model's layers"), objectName="paramSummary")
        self.paramSummary.setAccessibleName(self.tr("Trainable parameters"))
        self.statusLabel = MessageLabel("layerTreeStatus", selectable=False)
        self.freezeBnCheck = QCheckBox(
            self.tr("Keep BatchNorm statistics of frozen layers fixed"), objectName="freezeBnCheck"
        )
        self.freezeBnCheck.setChecked(True)
        self.freezeBnCheck.setToolTip(self.tr(BN_TIP))

        self.layerTree = LayerTreeView()

        presets = self._build_presets()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.paramSummary)
        layout.addLayout(presets)
        layout.addWidget(self.freezeBnCheck)
        layout.addWidget(self.statusLabel)
        layout.addWidget(self.layerTree, 1)

        self.layerTree.trainableToggled.connect(self._on_toggled)
        self.presetAllButton.clicked.connect(self._preset_all)
        self.presetFeaturesButton.clicked.connect(self._preset_features)
        self.presetLastNButton.clicked.connect(self._preset_last_n)
        self.freezeBnCheck.toggled.connect(self._refresh)

    def _build_presets(self) -> QHBoxLayout:
        self.presetAllButton = QPushButton(self.tr("Train all"), objectName="presetAllButton")
        self.presetAllButton.setToolTip(
            self.tr("Every layer learns (training from scratch or full fine-tuning)")
        )
        self.presetFeaturesButton = QPushButton(
            self.tr("Feature extraction"), objectName="presetFeaturesButton"
        )
        self.presetFeaturesButton.setToolTip(
            self.tr(
                "Only the new head learns; the rest of the network keeps its weights and acts as a "
                "fixed feature extractor. Best with pre-trained weights and few images."
            )
        )
        self.presetLastNButton = QPushButton(self.tr("Fine-tune last"), objectName="presetLastNButton")
        self.lastNSpin = QSpinBox(objectName="lastNSpin")
        self.lastNSpin.setRange(1, 1)
        self.lastNSpin.setSuffix(self.tr(" block(s)"))
        tip = self.tr("The last N blocks and the head learn; the earlier blocks stay frozen")
        self.presetLastNButton.setToolTip(tip)
        self.lastNSpin.setToolTip(tip)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Presets:")))
        for w in (self.presetAllButton, self.presetFeaturesButton, self.presetLastNButton, self.lastNSpin):
            row.addWidget(w)
        row.addStretch(1)
        return row

    # ---- public API ---------------------------------------------------------------------------
    def build(self, arch: str, spec: InputSpec, num_classes: int, pretrained: bool = False) -> None:
        """Build ``arch`` for this data (from ImageNet weights: ``pretrained``) in a worker thread; the
        tree follows when it is ready.

        The frozen set last chosen for ``arch`` in this session (or restored from settings) is
        kept; an architecture seen for the first time starts with every layer trainable (or with
        the set given to ``set_frozen`` before any model was shown).
        """
        self._generation += 1
        generation = self._generation
        self._building = arch
        remembered = self._frozen_by_arch.get(arch)
        if remembered is None:  # a set chosen before the first model arrived still counts
            remembered = self._pending if self._model is None and self._pending is not None else ()
        self._pending = remembered
        self.statusLabel.show_message(
            self.tr("Building {model} to list its layers…").format(model=arch), "info"
        )
        self._update_enabled()

        run_task(
            self,
            lambda on_event, stop: build_structure(arch, spec, num_classes, pretrained),
            name="layerTreeTask",
            on_done=lambda built: self._on_built(generation, arch, spec, *built),
            on_failed=lambda error: self._on_build_failed(generation, arch, error),
        )

    def set_model(self, model: nn.Module, arch: str, spec: InputSpec | None = None, infos=None) -> None:
        """Show ``model`` (kept by the panel and frozen in place as the boxes change).

        ``infos`` is ``engine.freezing.layer_tree(model, spec)`` when already computed; otherwise
        it is computed here, on the calling thread (fine for small models; use ``build`` for
        large ones). The frozen set shown is the model's own (``frozen_names``), unless
        ``set_frozen`` was called (or ``build`` started) before the model arrived.
        """
        if infos is None:
            infos = layer_tree(model, spec)
        names = self._pending if self._pending is not None else tuple(frozen_names(model))
        self._pending = None
        self._generation += 1  # a build still running for another model is now out of date
        self._building = None
        self._model, self._arch = model, arch
        self.layerTree.populate(infos)
        self.statusLabel.show_message("")
        self._commit(self._valid(names), force=True)
        self._update_last_n()
        self._update_enabled()
        self.modelReady.emit(arch)

    def model(self) -> nn.Module | None:
        """The panel's model (structure only; frozen as ticked), or None before one arrives."""
        return self._model

    def arch(self) -> str | None:
        return self._arch

    def is_building(self) -> bool:
        return self._building is not None

    def frozen(self) -> tuple[str, ...]:
        """The frozen modules as the minimal set of dotted names (what ModelConfig.frozen takes).

        While a model is being built this is the set that will be applied to it.
        """
        return tuple(self._pending if self._pending is not None else self._frozen)

    def set_frozen(self, names: Iterable[str]) -> None:
        """Freeze exactly ``names`` (dotted module names); everything else trains.

        Before the model is ready the names are kept and applied when it arrives. Raises
        ValueError naming a module that does not exist in the shown model.
        """
        names = tuple(names)
        if self._model is None or self._building is not None:
            self._pending = names
            return
        unknown = [n for n in names if n not in self._items]
        if unknown:
            raise ValueError(f"{self._arch} has no layer named {', '.join(unknown)}")
        self._commit(names)

    def apply_preset(self, name: str, n: int = 1) -> tuple[str, ...]:
        """Apply a preset of ``engine.freezing.preset`` ("all", "features", "last_n")."""
        if self._model is None:
            return self.frozen()
        self._commit(tuple(preset(self._model, self._arch, name, n)))
        return self.frozen()

    def counts(self) -> tuple[int, int]:
        """(trainable, total) parameters of the model as ticked, by ``engine.freezing.count_parameters``."""
        if self._model is None:
            return 0, 0
        return tuple(count_parameters(self._model))

    def freeze_bn_stats(self) -> bool:
        return self.freezeBnCheck.isChecked()

    def block_names(self) -> list[str]:
        """Labels of the model's blocks, input to output, the head last (``registry.block_names``)."""
        return list(architectures.block_names(self._arch, self._model)) if self._model is not None else []

    def block_groups(self) -> list[tuple[str, ...]]:
        """The blocks as dotted module names, the head last (``registry.block_groups``)."""
        return list(architectures.block_groups(self._arch, self._model)) if self._model is not None else []

    def item(self, name: str) -> QTreeWidgetItem | None:
        """The tree row of a dotted module name (for tests and keyboard navigation)."""
        return self._items.get(name)

    def shutdown(self) -> None:
        """Wait for a build still running (call before the panel is destroyed)."""
        stop_all(self)

    def save_settings(self, settings: QSettings) -> None:
        """Remember the ticks per architecture and the BatchNorm choice."""
        remembered = {k: list(v) for k, v in self._frozen_by_arch.items() if k}
        settings.setValue("layers/frozenByArch", json.dumps(remembered))
        settings.setValue("layers/freezeBnStats", self.freezeBnCheck.isChecked())

    def restore_settings(self, settings: QSettings) -> None:
        """Ticks chosen earlier come back when their architecture is built again."""
        try:
            saved = json.loads(read_str(settings, "layers/frozenByArch", "{}"))
            self._frozen_by_arch.update({str(k): tuple(map(str, v)) for k, v in saved.items()})
        except (ValueError, TypeError, AttributeError):
            pass  # a damaged setting only loses the remembered ticks
        self.freezeBnCheck.setChecked(read_bool(settings, "layers/freezeBnStats", True))

    # ---- building the rows --------------------------------------------------------------------
    def _on_built(self, generation: int, arch: str, spec: InputSpec, model: nn.Module, infos) -> None:
        if generation == self._generation:  # else the user chose another model or data meanwhile
            self.set_model(model, arch, spec, infos)

    def _on_build_failed(self, generation: int, arch: str, error: str) -> None:
        if generation != self._generation:
            return
        self._building, self._model, self._arch = None, None, arch
        self.layerTree.clear_rows()
        self.paramSummary.setText(self.tr("No layers to show"))
        self._update_enabled()
        self.statusLabel.show_error(self.tr("Cannot show the layers: {error}").format(error=error))
        self.buildFailed.emit(error)

    # ---- ticks --------------------------------------------------------------------------------
    @Slot(str, bool)
    def _on_toggled(self, name: str, trainable: bool) -> None:
        if self._model is None:
            return
        for p in self._model.get_submodule(name).parameters():
            p.requires_grad_(trainable)
        self._commit(tuple(frozen_names(self._model)))

    def _commit(self, names: tuple[str, ...], emit: bool = True, force: bool = False) -> None:
        """Apply ``names`` through the engine, read the minimal set back, redraw everything."""
        apply_freeze(self._model, names)
        new = tuple(frozen_names(self._model))
        changed = new != self._frozen
        self._frozen = new
        self._frozen_by_arch[self._arch] = new
        self._refresh()
        if emit and (changed or force):
            self.frozenChanged.emit(new)

    @Slot()
    def _refresh(self) -> None:
        if self._model is None:
            return
        self.layerTree.show_state(layer_tree(self._model), self.freezeBnCheck.isChecked())
        trainable, total = self.counts()
        self.paramSummary.setText(summary_text(trainable, total))

    # ---- presets ------------------------------------------------------------------------------
    @Slot()
    def _preset_all(self) -> None:
        self.apply_preset("all")

    @Slot()
    def _preset_features(self) -> None:
        self.apply_preset("features")

    @Slot()
    def _preset_last_n(self) -> None:
        self.apply_preset("last_n", self.lastNSpin.value())

    # ---- helpers ------------------------------------------------------------------------------
    def _valid(self, names: tuple[str, ...]) -> tuple[str, ...]:
        # A remembered set may name layers of another input size's model; drop what is not here.
        return tuple(n for n in names if n in self._items)

    def _update_last_n(self) -> None:
        blocks = max(0, len(self.block_groups()) - 1)  # the last group is the head, which always trains
        self.lastNSpin.setRange(1, max(1, blocks))
        self.lastNSpin.setToolTip(
            self.tr("How many of the {n} blocks before the head learn").format(n=blocks)
            if blocks
            else self.tr("No blocks in this model")
        )
        self._blocks = blocks

    def _update_enabled(self) -> None:
        ready = self._model is not None and self._building is None
        for w in (self.presetAllButton, self.presetFeaturesButton, self.layerTree, self.freezeBnCheck):
            w.setEnabled(ready)
        has_blocks = ready and getattr(self, "_blocks", 0) > 0
        self.presetLastNButton.setEnabled(has_blocks)
        self.lastNSpin.setEnabled(has_blocks)
