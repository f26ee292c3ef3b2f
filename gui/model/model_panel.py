"""The Model panel: architecture and the hyper-parameters of a run.

Its controls are those of ``engine.settings``' table placed in the "model" form: spin-box ranges
come from the table, so values stay inside what the engine accepts, and the values are remembered
under the table's keys (``SettingFields``). Anything else the engine rejects comes back as
ConfigError text, shown by ``show_error``.
"""

from __future__ import annotations

import torch
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.config import ModelConfig, TrainConfig
from engine.i18n import gettext
from engine.models import recipes
from engine.models import registry as architectures
from engine.precision import PRECISION_LABELS, cpu_has_native_bf16, is_x86
from engine.settings import BY_NAME, RECIPE_NAMES, defaults_for, start_of
from gui.model.imagenet_weights import ImageNetWeights
from gui.settings import read_bool
from gui.widgets.message_label import MessageLabel
from gui.widgets.setting_fields import SettingFields

# The combos' labels, translated when shown (context "ModelPanel"; the precision labels are the engine's).
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": QT_TRANSLATE_NOOP("ModelPanel", "SGD with momentum")}
SCHEDULE_LABELS = {
    "none": QT_TRANSLATE_NOOP("ModelPanel", "Constant"),
    "step": QT_TRANSLATE_NOOP("ModelPanel", "Step decay"),
    "cosine": QT_TRANSLATE_NOOP("ModelPanel", "Cosine"),
    "onecycle": QT_TRANSLATE_NOOP("ModelPanel", "One-cycle"),
}
DEVICE_LABELS = {"auto": QT_TRANSLATE_NOOP("ModelPanel", "Automatic"), "cpu": "CPU", "cuda": "GPU (CUDA)"}
_PRECISION_WORDS = (  # engine.precision.PRECISION_LABELS, for the catalogue
    QT_TRANSLATE_NOOP("ModelPanel", "Float32 (off)"),
    QT_TRANSLATE_NOOP("ModelPanel", "BFloat16 mixed"),
    QT_TRANSLATE_NOOP("ModelPanel", "Float16 mixed (GPU)"),
)


def cuda_available() -> bool:
    return bool(torch.cuda.is_available())


def mps_available() -> bool:
    """Whether this PyTorch has Apple's GPU (MPS) to train on."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def precision_tip() -> str:
    """What "Automatic" precision means on this machine, for the combo's tool tip."""
    if cpu_has_native_bf16():
        cpu = QCoreApplication.translate("ModelPanel", "bfloat16 (this CPU has it)")
    elif is_x86():
        cpu = QCoreApplication.translate(
            "ModelPanel", "float32 in channels-last layout for convolutional models (this CPU lacks bfloat16)"
        )
    else:
        cpu = QCoreApplication.translate("ModelPanel", "float32 (this CPU lacks bfloat16)")
    return QCoreApplication.translate(
        "ModelPanel",
        "Number format of the computation. Automatic: on the CPU {cpu}; on a GPU float16 with "
        "gradient scaling. Weights, loss and metrics stay float32; choose Float32 to turn it off",
    ).format(cpu=cpu)


def _combo(name: str, labels: dict[str, str], tip: str) -> QComboBox:
    combo = QComboBox(objectName=name)
    for key, label in labels.items():
        combo.addItem(QCoreApplication.translate("ModelPanel", label), key)
    combo.setToolTip(tip)
    return combo


class ModelPanel(QWidget):
    """Architecture, starting weights and training settings.

    Signals
    -------
    configChanged()            any value changed
    splitChanged(float, int)   validation share or seed changed (the Data panel shows split sizes)
    archChanged(str)           the architecture key changed
    compareRequested()         *Compare…*: plan variants of this run (the window opens the dialog)
    """

    compareRequested = Signal()
    configChanged = Signal()
    splitChanged = Signal(float, int)
    archChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("modelPanel")
        self._recipe: dict = {}  # the recipe the form was last filled with (engine.settings.defaults_for)
        # The start the Layers tab describes (engine.models.recipes.start_of), once the window says it;
        # until then the ImageNet check alone decides.
        self._start: str | None = None
        self._start_told = False
        self._build()
        self._on_arch_changed()

    def _build(self) -> None:
        self.fields = fields = SettingFields()
        self.modelCombo = _combo(
            "modelCombo", architectures.labels(), self.tr("The network that learns from the images")
        )
        for i, entry in enumerate(architectures.ARCHITECTURES.values()):
            self.modelCombo.setItemData(i, gettext(entry.hint), Qt.ItemDataRole.ToolTipRole)
        fields.add("arch", self.modelCombo)
        self.weights = ImageNetWeights()
        self.pretrainedCheck = fields.add("pretrained", self.weights.check)
        self.weightsLabel, self.importWeightsButton = self.weights.note, self.weights.importButton
        self.weightsImported, self.statusMessage = self.weights.imported, self.weights.statusMessage
        self.optimizerCombo = _combo(
            "optimizerCombo", OPTIMIZER_LABELS, self.tr("How the weights are updated")
        )
        fields.add("optimizer", self.optimizerCombo)
        self.learningRateSpin = fields.spin(
            "lr", self.tr("Step size of each update; 0.001 suits Adam, 0.01–0.1 suits SGD")
        )
        self.epochsSpin = fields.spin("epochs", self.tr("Passes over the training images"))
        self.batchSizeSpin = fields.spin("batch_size", self.tr("Images per update"))
        self.momentumSpin = fields.spin("momentum")
        self.weightDecaySpin = fields.spin("weight_decay")
        self.labelSmoothingSpin = fields.spin("label_smoothing")
        self.valSplitSpin = fields.spin(
            "val_split", self.tr("Share of the training images held back to check the model on")
        )
        self.seedSpin = fields.spin("seed", self.tr("Same seed, same run"))
        self.deviceCombo = _combo("deviceCombo", DEVICE_LABELS, self.tr("Where the computation runs"))
        if not cuda_available():
            item = self.deviceCombo.model().item(self.deviceCombo.findData("cuda"))
            if isinstance(self.deviceCombo.model(), QStandardItemModel) and item is not None:
                item.setEnabled(False)
                item.setText(self.tr("GPU (not found)"))
        if mps_available():  # Apple's GPU: offered only where this PyTorch can use it
            self.deviceCombo.addItem(self.tr("Apple GPU (MPS)"), "mps")
        fields.add("device", self.deviceCombo)
        self.precisionCombo = fields.add(
            "precision", _combo("precisionCombo", PRECISION_LABELS, precision_tip())
        )
        self.augmentCheck = fields.add(
            "augment",
            QCheckBox(self.tr("Augment images"), objectName="augmentCheck"),
            self.tr("Small random shifts (and flips where they make sense) each epoch"),
        )
        self.scheduleCombo = _combo(
            "scheduleCombo", SCHEDULE_LABELS, self.tr("How the learning rate changes over the run")
        )
        fields.add("schedule", self.scheduleCombo)
        # Its lowest step shows as "Off": K-Fold needs K >= 2, and a spin box cannot skip from 0 to 2.
        self.kfoldSpin = fields.spin(
            "kfold", self.tr("K-Fold cross-validation: train K models, each validated on another fold")
        )
        self.kfoldSpin.setSpecialValueText(self.tr("Off"))
        self.errorLabel = MessageLabel("configErrorLabel", selectable=False)
        self.recipeLabel = MessageLabel("recipeLabel", selectable=False)
        self.recipeLabel.setToolTip(
            self.tr(
                "Epochs, learning rate, batch size, augmentation and the advanced optimizer and schedule are "
                "filled in with the recipe measured to learn with this model and start (README, Default "
                "recipes; taller recipes). Change any of them: a value you set stays until the model or the "
                "start changes it."
            )
        )

        # The main form holds what a newcomer changes; the rest folds away under "Advanced".
        main = QFormLayout()
        main.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        main.addRow(self._label(self.tr("Model"), self.modelCombo), self.modelCombo)
        main.addRow(self.weights)
        main.addRow(self._label(self.tr("Epochs"), self.epochsSpin), self.epochsSpin)
        main.addRow(self._label(self.tr("Learning rate"), self.learningRateSpin), self.learningRateSpin)
        main.addRow(self._label(self.tr("Batch size"), self.batchSizeSpin), self.batchSizeSpin)
        main.addRow(self.augmentCheck)
        main.addRow(self.recipeLabel)
        self.advancedToggle = QToolButton(objectName="advancedToggle", checkable=True)
        self.advancedToggle.setText(self.tr("Advanced"))
        self.advancedToggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advancedToggle.setAutoRaise(True)
        self.advancedToggle.setToolTip(
            self.tr("Optimizer, regularisation, schedule, validation share, seed, device, K-Fold")
        )
        self.advancedGroup = QWidget(objectName="advancedGroup")
        self.advancedLayout = QFormLayout(self.advancedGroup)
        self.advancedLayout.setContentsMargins(12, 0, 0, 0)
        for text, widget in (
            (self.tr("Optimizer"), self.optimizerCombo),
            (self.tr("Momentum"), self.momentumSpin),
            (self.tr("Weight decay"), self.weightDecaySpin),
            (self.tr("Label smoothing"), self.labelSmoothingSpin),
            (self.tr("LR schedule"), self.scheduleCombo),
            (self.tr("Validation"), self.valSplitSpin),
            (self.tr("Seed"), self.seedSpin),
            (self.tr("Device"), self.deviceCombo),
            (self.tr("Precision"), self.precisionCombo),
            ("K-Fold", self.kfoldSpin),
        ):
            self.add_advanced_row(text, widget)
        self.advancedToggle.toggled.connect(self.set_advanced_open)
        self.set_advanced_open(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(main)
        self.compareButton = QToolButton(objectName="modelCompareButton", text=self.tr("Compare…"))
        self.compareButton.setToolTip(self.tr("Compare variants of this run in one go (8 · Compare)"))
        self.compareButton.clicked.connect(self.compareRequested)
        toggles = QHBoxLayout()
        toggles.addWidget(self.advancedToggle)
        toggles.addStretch(1)
        toggles.addWidget(self.compareButton)
        layout.addLayout(toggles)
        layout.addWidget(self.advancedGroup)
        layout.addWidget(self.errorLabel)

        self.modelCombo.currentIndexChanged.connect(self._on_arch_changed)
        self.pretrainedCheck.toggled.connect(self.fill_recipe)
        fields.on_change(self._changed)
        self.valSplitSpin.valueChanged.connect(self._emit_split)
        self.seedSpin.valueChanged.connect(self._emit_split)
        fields.follow_use()

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    # ---- public API ---------------------------------------------------------------------------
    def add_advanced_row(self, text: str, widget: QWidget) -> None:
        """Add a labelled control to the folded *Advanced* group (other panels' extra settings)."""
        self.advancedLayout.addRow(self._label(text, widget), widget)

    @Slot(bool)
    def set_advanced_open(self, open_: bool) -> None:
        """Unfold (True) or fold the *Advanced* group; the window remembers the choice."""
        self.advancedToggle.setChecked(open_)
        self.advancedToggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.advancedGroup.setVisible(open_)

    def arch(self) -> str:
        return self.modelCombo.currentData()

    def val_split(self) -> float:
        return self.fields.value("val_split")

    def _config_values(self, config: str) -> dict:
        return {name: v for name, v in self.fields.values().items() if BY_NAME[name].config == config}

    def data_overrides(self) -> dict:
        """The DataConfig fields this panel owns: validation share, seed, augmentation."""
        return self._config_values("data")

    def model_config(self, **overrides) -> ModelConfig:
        """The ModelConfig shown; raises ConfigError with a message for the user."""
        pretrained = self.pretrainedCheck.isChecked() and self.pretrainedCheck.isEnabled()
        return ModelConfig(**{**self._config_values("model"), "pretrained": pretrained, **overrides})

    def train_config(self, **overrides) -> TrainConfig:
        """The TrainConfig shown; raises ConfigError with a message for the user."""
        return TrainConfig(**{**self._config_values("train"), **overrides})

    def kfold(self) -> int:
        """K of K-Fold cross-validation, 0 when off."""
        return self.fields.value("kfold")

    def show_error(self, message: str) -> None:
        """Explain a rejected value next to the form (empty text hides it)."""
        self.errorLabel.show_error(message)

    # ---- reactions ----------------------------------------------------------------------------
    @Slot()
    def _changed(self) -> None:
        self.show_error("")
        self.fields.follow_use()
        self.configChanged.emit()

    @Slot()
    def _emit_split(self) -> None:
        self.splitChanged.emit(self.val_split(), self.seedSpin.value())

    @Slot()
    def _on_arch_changed(self) -> None:
        arch = self.arch()
        self.weights.set_arch(arch)
        self.fill_recipe()
        self.archChanged.emit(arch)

    def set_recipe_start(self, start: str | None) -> None:
        """The start the Layers tab describes (random weights, ImageNet frozen or fine-tuned, a
        checkpoint: None); the form shows that start's recipe."""
        self._start, self._start_told = start, True
        self.fill_recipe()

    def recipe_start(self) -> str | None:
        """The start whose recipe the form shows (``engine.models.recipes``)."""
        if self._start_told:
            return self._start
        return start_of({"pretrained": self.pretrainedCheck.isChecked() and self.pretrainedCheck.isEnabled()})

    @Slot()
    def fill_recipe(self) -> None:
        """Show the recipe of the model and start chosen (VGG-16 from random weights: 1e-4, batches of 32)
        where it differs from the one shown before; the user may change the values after."""
        start = self.recipe_start()
        defaults = defaults_for(self.arch(), start)
        recipe = {name: defaults[name] for name in RECIPE_NAMES}
        for name, value in recipe.items():  # a value the user typed stays where the recipes agree
            if name not in self._recipe or self._recipe[name] != value:
                self.fields.set_value(name, value)
        self._recipe = recipe
        if start is None:  # from a checkpoint: the table's defaults
            self.recipeLabel.show_message(
                self.tr("Recipe: none from a checkpoint (Taller's defaults)"), "hint"
            )
        else:
            words = self.tr("Recipe: {model}, {start}")
            model, start_words = architectures.label(self.arch()), gettext(recipes.START_LABELS[start])
            self.recipeLabel.show_message(words.format(model=model, start=start_words), "hint")

    # ---- settings -----------------------------------------------------------------------------
    def save_settings(self, settings: QSettings) -> None:
        self.fields.save(settings)
        settings.setValue("model/advancedOpen", self.advancedToggle.isChecked())

    def restore_settings(self, settings: QSettings) -> None:
        self.fields.restore(settings)
        self.weights.set_arch(self.arch())  # a box ticked last time stays ticked only if the weights are here
        self.set_advanced_open(read_bool(settings, "model/advancedOpen", False))
