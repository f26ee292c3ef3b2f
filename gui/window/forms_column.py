"""The window's left column: 1 · Data and 2 · Model, with *New dataset…*, in a scroll area.

The column is as narrow as its forms; it scrolls vertically when the window is short (1280x720),
never sideways. Its width follows what its forms need as they change (an image folder chosen, a
longer language): a column wider than its scroll area was cut at the right edge with no scroll bar,
and a focus change scrolled it sideways. Combo boxes ask for a few characters, not their longest
item, and elide the rest (their list shows every item whole).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QGroupBox, QPushButton, QScrollArea, QVBoxLayout, QWidget


def group(title: str, panel: QWidget) -> QGroupBox:
    """``panel`` in a titled box named after it (``<objectName>Box``)."""
    box = QGroupBox(title)
    box.setObjectName(f"{panel.objectName()}Box")
    QVBoxLayout(box).addWidget(panel)
    return box


def forms_column(window) -> QScrollArea:
    """Build the column for ``window`` (a MainWindow); sets its ``newDatasetAction``/``Button``."""
    column = QWidget(objectName="formsColumn")
    forms = QVBoxLayout(column)
    data_box = group(QCoreApplication.translate("forms_column", "1 · Data"), window.data_panel)
    window.newDatasetAction = QAction(
        QCoreApplication.translate("forms_column", "&New dataset…"), window, objectName="newDatasetAction"
    )
    window.newDatasetAction.setShortcut(QKeySequence.StandardKey.New)
    window.newDatasetAction.setToolTip(
        QCoreApplication.translate(
            "forms_column", "Create a dataset here: name classes and add pictures to each"
        )
    )
    window.newDatasetAction.triggered.connect(window.new_dataset)
    window.newDatasetButton = QPushButton(
        QCoreApplication.translate("forms_column", "New dataset…"), objectName="newDatasetButton"
    )
    window.newDatasetButton.setToolTip(window.newDatasetAction.toolTip())
    window.newDatasetButton.clicked.connect(window.new_dataset)
    data_box.layout().addWidget(window.newDatasetButton, 0, Qt.AlignmentFlag.AlignLeft)
    forms.addWidget(data_box)
    forms.addWidget(group(QCoreApplication.translate("forms_column", "2 · Model"), window.model_panel))
    forms.addStretch(1)
    for combo in column.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(COMBO_CHARACTERS)
    return FormsScroll(column)


COMBO_CHARACTERS = 12  # what a combo box of the column asks room for; longer items are elided


class FormsScroll(QScrollArea):
    """The column in a scroll area that is always as wide as the column needs (never scrolled sideways)."""

    def __init__(self, column: QWidget):
        super().__init__(objectName="formsScroll", widgetResizable=True)
        self.setWidget(column)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column.installEventFilter(self)  # its layout changed: a wider form may need more room
        self.fit_width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.fit_width()
        return super().eventFilter(watched, event)

    def fit_width(self) -> None:
        """Room for the column's minimum width beside the vertical scroll bar."""
        bar = self.verticalScrollBar().sizeHint().width()
        need = self.widget().minimumSizeHint().width() + bar + 2 * self.frameWidth()
        if need != self.minimumWidth():
            self.setMinimumWidth(need)
