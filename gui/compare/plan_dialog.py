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
    QDialog,
    QTableWidgetItem,
    QWidget,
)

from engine.compare import presets
from engine.compare.plan import START, Plan, Variant
from engine.errors import ConfigError
from engine.formatting import dataset_name
from engine.i18n import gettext
from engine.models import registry as architectures
from engine.names import display_name
from gui.compare import plan_ui
from gui.compare.jobs import estimate_job
from gui.compare.plan_ui import SETTING
from gui.compare.values import is_number, join_values, offered, split_values, suggested
from gui.language import duration, short
from gui.tasks import run_task

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
        plan_ui.build(self)  # the widgets and their layout
        data_cfg, model_cfg, train_cfg = self._configs
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
        self.variesCombo.currentIndexChanged.connect(self._on_varies_changed)
        self.settingCombo.currentIndexChanged.connect(self._on_setting_changed)
        for edit in (self.valuesEdit, self.rangeLowEdit, self.rangeHighEdit):
            edit.textEdited.connect(self._variants_changed)
        for control in (self.listRadio, self.rangeRadio):
            control.toggled.connect(self._variants_changed)
        self.rangeCountSpin.valueChanged.connect(self._variants_changed)
        self.listRadio.toggled.connect(self.valuesEdit.setEnabled)
        for edit in (self.rangeLowEdit, self.rangeHighEdit, self.rangeCountSpin):
            self.rangeRadio.toggled.connect(edit.setEnabled)
            edit.setEnabled(False)
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
        if not self.nameEdit.isModified():  # the user's own name stays
            self.nameEdit.setText(self._default_name())
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
        if not self.nameEdit.isModified():
            self.nameEdit.setText(self._default_name())
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
