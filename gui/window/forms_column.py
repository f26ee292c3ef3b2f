"""The window's left column: 1 · Data and 2 · Model, with *New dataset…*, in a scroll area.

The column is as narrow as its forms; it scrolls vertically when the window is short (1280x720).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGroupBox, QPushButton, QScrollArea, QVBoxLayout, QWidget


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
    scroll = QScrollArea(objectName="formsScroll", widgetResizable=True)
    scroll.setWidget(column)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    bar = scroll.verticalScrollBar().sizeHint().width()
    scroll.setMinimumWidth(column.minimumSizeHint().width() + bar + 4)
    return scroll
