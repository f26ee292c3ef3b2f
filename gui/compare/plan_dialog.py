"""*Compare…*: plan a comparison of the forms' run with variants of it, then start it.

The base run is the window's forms (``MainWindow.current_configs``); what varies is one of the
course's questions (``engine.compare.presets``) or any setting of the one settings table with a list
of values (learning rates also as a log range); each variant's short name can be edited in the table,
and the plan repeats over N seeds. Before Start the dialog says how many runs the plan makes, about
how long they take and how it is fair: the engine checks the plan and estimates it in a worker.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.compare import presets
from engine.compare.plan import MAX_REPEATS, START, Plan, Variant
from engine.errors import ConfigError
from engine.formatting import dataset_name
from engine.i18n import gettext
from engine.models import registry as architectures
from engine.names import display_name
from gui.compare.jobs import estimate_job
from gui.compare.values import is_number, join_values, offered, split_values, suggested
from gui.language import duration, short
from gui.tasks import run_task
from gui.widgets.message_label import MessageLabel

SETTING = "setting"  # the "what varies" entry for any setting of the table
STARTS = {
    "scratch": QT_TRANSLATE_NOOP("PlanDialog", "from scratch"),
    "frozen": QT_TRANSLATE_NOOP("PlanDialog", "frozen ImageNet layers, new head"),
    "finetune": QT_TRANSLATE_NOOP("PlanDialog", "ImageNet weights, fine-tuned"),
}
ESTIMATE_DELAY_MS = 250  # typing a list of values estimates once, not at every key
VALUES_OF = {"architectures": "arch", "learning-rates": "lr", "optimizers": "optimizer", SETTING: None}


class PlanDialog(QDialog):
    """Base run, what varies, repeats, the variants' names; Start hands the plan on.

    Signals
    -------
    planChosen(object)   the ``engine.compare.plan.Plan`` to run (emitted on Start)
    """

    planChosen = Signal(object)

    def __init__(self, configs: tuple, data: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("planDialog")
        self.setWindowTitle(self.tr("Compare approaches"))
        self._configs, self._data = configs, data
        self._asked = 0  # the estimate asked last; older answers are dropped
        self._plan: Plan | None = None  # the plan the last good estimate was for
        self._timer = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS)
        self._timer.timeout.connect(self._estimate)
        self._build()
        self._on_varies_changed()
        self.resize(760, 600)

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        data_cfg, model_cfg, train_cfg = self._configs
        self.baseLabel = QLabel(objectName="planBaseLabel", wordWrap=True)
        self.baseLabel.setText(
            self.tr(
                "Each variant changes one thing of the run the forms describe: {model} on {dataset}, "
                "%n epoch(s), learning rate {lr}, batch size {batch}.",
                "",
                train_cfg.epochs,
            ).format(
                model=architectures.label(model_cfg.arch),
                dataset=display_name(dataset_name(data_cfg.dataset)),
                lr=short(train_cfg.lr, 3),
                batch=train_cfg.batch_size,
            )
        )
        self.nameEdit = QLineEdit(objectName="planNameEdit")
        self.nameEdit.setToolTip(self.tr("The comparison's folder is runs/compare-<name>-N"))
        self.variesCombo = QComboBox(objectName="planVariesCombo")
        for key in presets.PRESETS:
            self.variesCombo.addItem(presets.preset_label(key), key)
        self.variesCombo.addItem(self.tr("One setting, with a list of values"), SETTING)
        self.settingCombo = QComboBox(objectName="planSettingCombo")
        for setting in offered():
            self.settingCombo.addItem(gettext(setting.label), setting.name)
        self.valuesEdit = QLineEdit(objectName="planValuesEdit")
        self.listRadio = QRadioButton(self.tr("a list"), objectName="planListRadio", checked=True)
        self.rangeRadio = QRadioButton(self.tr("a log range from"), objectName="planRangeRadio")
        self.rangeLowEdit = QLineEdit(short(1e-4, 3), objectName="planRangeLow")
        self.rangeHighEdit = QLineEdit(short(1e-1, 3), objectName="planRangeHigh")
        self.rangeCountSpin = QSpinBox(objectName="planRangeCount", minimum=2, maximum=20, value=4)
        for edit in (self.rangeLowEdit, self.rangeHighEdit):
            edit.setMaximumWidth(80)
        self.rangeRow = QWidget(objectName="planRangeRow")
        row = QHBoxLayout(self.rangeRow)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.listRadio,
            self.rangeRadio,
            self.rangeLowEdit,
            QLabel(self.tr("to")),
            self.rangeHighEdit,
            QLabel(self.tr("in")),
            self.rangeCountSpin,
            QLabel(self.tr("steps")),
        ):
            row.addWidget(widget)
        row.addStretch(1)
        self.repeatsSpin = QSpinBox(objectName="planRepeatsSpin", minimum=1, maximum=MAX_REPEATS, value=1)
        self.repeatsSpin.setToolTip(
            self.tr("Run every variant with this many seeds (other splits) for error bars and a paired test")
        )
        self.variantsTable = QTableWidget(0, 2, objectName="planVariantsTable")
        self.variantsTable.setHorizontalHeaderLabels(
            [self.tr("Name (click to edit)"), self.tr("What it changes")]
        )
        self.variantsTable.verticalHeader().hide()
        self.variantsTable.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.variantsTable.horizontalHeader().setStretchLastSection(True)
        self.variantsTable.setColumnWidth(0, 220)
        self.variantsTable.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.summaryLabel = MessageLabel("planSummary", hide_when_empty=False, selectable=False)
        self.errorLabel = MessageLabel("planError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.startButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.startButton.setText(self.tr("Start"))
        self.startButton.setObjectName("planStartButton")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Compare"), self.variesCombo)
        self.settingLabel = QLabel(self.tr("Setting"))
        form.addRow(self.settingLabel, self.settingCombo)
        self.valuesLabel = QLabel(self.tr("Values"))
        form.addRow(self.valuesLabel, self.valuesEdit)
        form.addRow("", self.rangeRow)
        form.addRow(self.tr("Repeats (seeds)"), self.repeatsSpin)
        form.addRow(self.tr("Name"), self.nameEdit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.baseLabel)
        layout.addLayout(form)
        layout.addWidget(self.variantsTable, 1)
        layout.addWidget(self.summaryLabel)
        layout.addWidget(self.errorLabel)
        layout.addWidget(self.buttons)

        self.variesCombo.currentIndexChanged.connect(self._on_varies_changed)
        self.settingCombo.currentIndexChanged.connect(self._on_setting_changed)
        for edit in (self.valuesEdit, self.rangeLowEdit, self.rangeHighEdit):
            edit.textEdited.connect(self._variants_changed)
        for control in (self.listRadio, self.rangeRadio):
            control.toggled.connect(self._variants_changed)
        self.rangeCountSpin.valueChanged.connect(self._variants_changed)
        self.listRadio.toggled.connect(self.valuesEdit.setEnabled)
        self.repeatsSpin.valueChanged.connect(self._schedule_estimate)
        self.nameEdit.textEdited.connect(self._schedule_estimate)
        self.variantsTable.itemChanged.connect(self._schedule_estimate)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

    # ---- public API ---------------------------------------------------------------------------
    def varies(self) -> str:
        """The preset chosen, or ``SETTING``."""
        return str(self.variesCombo.currentData())

    def choose(self, varies: str, setting: str | None = None, values: str | None = None) -> None:
        """Pick what varies (a preset key or ``SETTING`` with a setting's name) and type its values."""
        self.variesCombo.setCurrentIndex(self.variesCombo.findData(varies))
        if setting is not None:
            self.settingCombo.setCurrentIndex(self.settingCombo.findData(setting))
        if values is not None:
            self.listRadio.setChecked(True)
            self.valuesEdit.setText(values)
            self._variants_changed()

    def variants(self) -> list[Variant]:
        """The variants as listed, with the names the user gave them."""
        out = []
        for row in range(self.variantsTable.rowCount()):
            item = self.variantsTable.item(row, 0)
            out.append(Variant(item.text().strip(), dict(item.data(Qt.ItemDataRole.UserRole) or {})))
        return out

    def set_variant_name(self, row: int, name: str) -> None:
        self.variantsTable.item(row, 0).setText(name)

    def plan(self) -> Plan:
        """The plan the dialog describes now (checked by the engine only when estimated)."""
        preset = None if self.varies() == SETTING else self.varies()
        name = self.nameEdit.text().strip() or self._default_name()
        return Plan.from_configs(
            name, *self._configs, self.variants(), repeats=self.repeatsSpin.value(), preset=preset
        )

    def ready(self) -> bool:
        """True when the plan shown was checked and estimated: Start may run it."""
        return self.startButton.isEnabled()

    @Slot()
    def start(self) -> bool:
        """Hand the plan on (``planChosen``) and close; False while it is not ready."""
        if self._plan is None or not self.ready():
            return False
        self.planChosen.emit(self._plan)
        self.accept()
        return True

    # ---- what varies --------------------------------------------------------------------------
    @Slot()
    def _on_varies_changed(self, *_) -> None:
        varies = self.varies()
        setting_shown = varies == SETTING
        self.settingLabel.setVisible(setting_shown)
        self.settingCombo.setVisible(setting_shown)
        values_shown = varies in VALUES_OF
        self.valuesLabel.setVisible(values_shown)
        self.valuesEdit.setVisible(values_shown)
        self.rangeRow.setVisible(varies == "learning-rates")
        self.listRadio.setChecked(True)
        if setting_shown:
            self._on_setting_changed()
            return
        if values_shown:
            self.valuesEdit.setText(join_values(self._preset_values(varies), varies == "learning-rates"))
            self.valuesEdit.setToolTip(self._values_tip(VALUES_OF[varies]))
        self._variants_changed()

    @Slot()
    def _on_setting_changed(self, *_) -> None:
        if self.varies() != SETTING:
            return
        setting = self._setting()
        base = self._base_value(setting.name)
        self.valuesEdit.setText(join_values(suggested(setting, base), is_number(setting)))
        self.valuesEdit.setToolTip(self._values_tip(setting.name))
        self._variants_changed()

    def _preset_values(self, varies: str) -> list[Any]:
        if varies == "architectures":
            return list(architectures.keys())
        if varies == "learning-rates":
            return list(presets.LEARNING_RATES)
        return list(presets.OPTIMIZERS)

    def _values_tip(self, name: str | None) -> str:
        if name is None:
            return ""
        setting = next(s for s in offered() if s.name == name)
        tip = setting.tip()
        if is_number(setting):
            example = join_values([0.1, 0.01], True)
            tip += "\n" + self.tr("Separate the values with {separator}, such as {example}").format(
                separator=";" if ";" in example else ",", example=example
            )
        return tip

    @Slot()
    def _variants_changed(self, *_) -> None:
        """List the variants of what varies now; a value the engine refuses is said, not listed."""
        try:
            variants = self._expand()
        except ConfigError as e:
            self._fill_table([])
            self._show_problem(e.message)
            return
        self._fill_table(variants)
        if not self.nameEdit.isModified():
            self.nameEdit.setText(self._default_name())
        self._schedule_estimate()

    def _expand(self) -> list[Variant]:
        varies, arch = self.varies(), self._configs[1].arch
        if varies == SETTING:
            setting = self._setting()
            return presets.setting_variants(
                setting.name, split_values(self.valuesEdit.text(), is_number(setting))
            )
        if varies == "learning-rates" and self.rangeRadio.isChecked():
            low, high = (split_values(e.text(), True) for e in (self.rangeLowEdit, self.rangeHighEdit))
            text = f"{low[0] if low else ''}:{high[0] if high else ''}:{self.rangeCountSpin.value()}"
            return presets.expand(varies, arch, [text])
        if varies in VALUES_OF:
            return presets.expand(
                varies, arch, split_values(self.valuesEdit.text(), varies == "learning-rates")
            )
        return presets.expand(varies, arch)

    def _fill_table(self, variants: list[Variant]) -> None:
        table = self.variantsTable
        table.blockSignals(True)
        table.setRowCount(len(variants))
        for row, variant in enumerate(variants):
            name = QTableWidgetItem(variant.name)
            name.setData(Qt.ItemDataRole.UserRole, variant.changes)
            changes = QTableWidgetItem(self._changes_text(variant.changes))
            changes.setFlags(changes.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, 0, name)
            table.setItem(row, 1, changes)
        table.blockSignals(False)

    def _changes_text(self, changes: dict[str, Any]) -> str:
        parts = []
        for key, value in changes.items():
            if key == START:
                parts.append(
                    self.tr("starting point: {start}").format(start=self.tr(STARTS.get(value, value)))
                )
                continue
            setting = next((s for s in offered() if s.name == key), None)
            label = gettext(setting.label) if setting else key
            shown = join_values(value if isinstance(value, list) else [value], False)
            parts.append(f"{label}: {shown}")
        return "; ".join(parts)

    def _setting(self):
        name = self.settingCombo.currentData()
        return next(s for s in offered() if s.name == name)

    def _base_value(self, name: str) -> Any:
        for config in self._configs:
            if hasattr(config, name):
                return getattr(config, name)
        return None

    def _default_name(self) -> str:
        if self.varies() == SETTING:
            return str(self.settingCombo.currentData())
        return self.varies()

    # ---- the engine's check and estimate ------------------------------------------------------
    @Slot()
    def _schedule_estimate(self, *_) -> None:
        self._plan = None
        self.startButton.setEnabled(False)
        self._timer.start()

    @Slot()
    def _estimate(self) -> None:
        if not self.variantsTable.rowCount():
            return
        self._asked += 1
        plan = self.plan()
        self.summaryLabel.show_message(self.tr("Checking the plan…"), role="info")
        run_task(
            self,
            estimate_job(plan, self._data),
            "planEstimateTask",
            on_done=partial(self._on_estimated, self._asked, plan),
            on_failed=partial(self._on_estimate_failed, self._asked),
        )

    def _on_estimated(self, asked: int, plan: Plan, answer: tuple[int, float, list[str]]) -> None:
        if asked != self._asked:
            return
        runs, seconds, notes = answer
        self._plan = plan
        summary = self.tr("%n run(s), about {time} in all.", "", runs).format(time=duration(seconds))
        lines = [summary] + [f"• {note}" for note in notes]
        self.summaryLabel.show_message("\n".join(lines), role="info")
        self.errorLabel.show_message("")
        self.startButton.setEnabled(True)

    def _on_estimate_failed(self, asked: int, message: str) -> None:
        if asked == self._asked:
            self._show_problem(message)

    def _show_problem(self, message: str) -> None:
        self._plan = None
        self.startButton.setEnabled(False)
        self.summaryLabel.show_message(self.tr("The plan cannot start yet."), role="")
        self.errorLabel.show_error(message)
