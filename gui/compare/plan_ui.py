"""The plan dialog's widgets and their layout, apart from what they do (``PlanDialog``).

Like a Designer form's ``setupUi``: ``build`` creates the widgets as attributes of the dialog and lays
them out; the dialog connects them. Texts keep the dialog's translation context ("PlanDialog").
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from engine.compare import presets
from engine.compare.plan import MAX_REPEATS
from engine.i18n import gettext
from gui.compare.values import offered
from gui.language import short
from gui.widgets.message_label import MessageLabel

SETTING = "setting"  # the "what varies" entry for any setting of the table


def build(dialog) -> None:
    """Create the dialog's base line (its text is the dialog's), form, variants table, summary and
    buttons, laid out."""
    dialog.baseLabel = QLabel(objectName="planBaseLabel", wordWrap=True)
    dialog.nameEdit = QLineEdit(objectName="planNameEdit")
    dialog.nameEdit.setToolTip(
        QCoreApplication.translate("PlanDialog", "The comparison's folder is runs/compare-<name>-N")
    )
    dialog.variesCombo = QComboBox(objectName="planVariesCombo")
    for key in presets.PRESETS:
        dialog.variesCombo.addItem(presets.preset_label(key), key)
    dialog.variesCombo.addItem(
        QCoreApplication.translate("PlanDialog", "One setting, with a list of values"), SETTING
    )
    dialog.settingCombo = QComboBox(objectName="planSettingCombo")
    for setting in offered():
        dialog.settingCombo.addItem(gettext(setting.label), setting.name)
    dialog.valuesEdit = QLineEdit(objectName="planValuesEdit")
    dialog.listRadio = QRadioButton(
        QCoreApplication.translate("PlanDialog", "a list"), objectName="planListRadio", checked=True
    )
    dialog.rangeRadio = QRadioButton(
        QCoreApplication.translate("PlanDialog", "a log range from"), objectName="planRangeRadio"
    )
    dialog.rangeLowEdit = QLineEdit(short(1e-4, 3), objectName="planRangeLow")
    dialog.rangeHighEdit = QLineEdit(short(1e-1, 3), objectName="planRangeHigh")
    dialog.rangeCountSpin = QSpinBox(objectName="planRangeCount", minimum=2, maximum=20, value=4)
    for edit in (dialog.rangeLowEdit, dialog.rangeHighEdit):
        edit.setMaximumWidth(80)
    dialog.rangeRow = QWidget(objectName="planRangeRow")
    row = QHBoxLayout(dialog.rangeRow)
    row.setContentsMargins(0, 0, 0, 0)
    for widget in (
        dialog.listRadio,
        dialog.rangeRadio,
        dialog.rangeLowEdit,
        QLabel(QCoreApplication.translate("PlanDialog", "to")),
        dialog.rangeHighEdit,
        QLabel(QCoreApplication.translate("PlanDialog", "in")),
        dialog.rangeCountSpin,
        QLabel(QCoreApplication.translate("PlanDialog", "steps")),
    ):
        row.addWidget(widget)
    row.addStretch(1)
    dialog.repeatsSpin = QSpinBox(objectName="planRepeatsSpin", minimum=1, maximum=MAX_REPEATS, value=1)
    dialog.repeatsSpin.setToolTip(
        QCoreApplication.translate(
            "PlanDialog",
            "Run every variant with this many seeds (other splits) for error bars and a paired test",
        )
    )
    dialog.variantsTable = QTableWidget(0, 2, objectName="planVariantsTable")
    dialog.variantsTable.setHorizontalHeaderLabels(
        [
            QCoreApplication.translate("PlanDialog", "Name (click to edit)"),
            QCoreApplication.translate("PlanDialog", "What it changes"),
        ]
    )
    dialog.variantsTable.verticalHeader().hide()
    dialog.variantsTable.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    dialog.variantsTable.horizontalHeader().setStretchLastSection(True)
    dialog.variantsTable.setColumnWidth(0, 220)
    dialog.variantsTable.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    dialog.summaryLabel = MessageLabel("planSummary", hide_when_empty=False, selectable=False)
    dialog.errorLabel = MessageLabel("planError")
    dialog.buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    dialog.startButton = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.startButton.setText(QCoreApplication.translate("PlanDialog", "Start"))
    dialog.startButton.setObjectName("planStartButton")

    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.addRow(QCoreApplication.translate("PlanDialog", "Compare"), dialog.variesCombo)
    dialog.settingLabel = QLabel(QCoreApplication.translate("PlanDialog", "Setting"))
    form.addRow(dialog.settingLabel, dialog.settingCombo)
    dialog.valuesLabel = QLabel(QCoreApplication.translate("PlanDialog", "Values"))
    form.addRow(dialog.valuesLabel, dialog.valuesEdit)
    form.addRow("", dialog.rangeRow)
    form.addRow(QCoreApplication.translate("PlanDialog", "Repeats (seeds)"), dialog.repeatsSpin)
    form.addRow(QCoreApplication.translate("PlanDialog", "Name"), dialog.nameEdit)
    layout = QVBoxLayout(dialog)
    layout.addWidget(dialog.baseLabel)
    layout.addLayout(form)
    layout.addWidget(dialog.variantsTable, 1)
    layout.addWidget(dialog.summaryLabel)
    layout.addWidget(dialog.errorLabel)
    layout.addWidget(dialog.buttons)
