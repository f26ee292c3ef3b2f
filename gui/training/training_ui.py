"""The Training panel's widgets and their layout, apart from what they do (``TrainingPanel``).

Like a Designer form's ``setupUi``: ``build`` creates the widgets as attributes of the panel and lays
them out; the panel connects them. Texts keep the panel's translation context ("TrainingPanel").
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
)

from gui.training.filter_view import FilterHistoryView
from gui.training.lr_finder import LrFinder
from gui.widgets.epoch_curves import EpochCurves
from gui.widgets.kfold_view import KFoldTable
from gui.widgets.message_label import MessageLabel


def build(panel) -> None:
    """Create the panel's buttons, progress, messages, curves, K-Fold table and log, laid out."""
    panel.trainButton = QPushButton(
        QCoreApplication.translate("TrainingPanel", "Train"), objectName="trainButton"
    )
    panel.trainButton.setToolTip(
        QCoreApplication.translate("TrainingPanel", "Train the model on the chosen data with these settings")
    )
    panel.trainButton.setDefault(True)
    panel.stopButton = QPushButton(
        QCoreApplication.translate("TrainingPanel", "Stop"), objectName="stopButton"
    )
    panel.stopButton.setToolTip(
        QCoreApplication.translate(
            "TrainingPanel", "Stop after the current batch; the model keeps what it learned so far"
        )
    )
    panel.resumeButton = QPushButton(
        QCoreApplication.translate("TrainingPanel", "Resume…"), objectName="resumeButton"
    )
    panel.resumeButton.setToolTip(
        QCoreApplication.translate(
            "TrainingPanel", "Continue a stopped or crashed run from its folder at its next epoch"
        )
    )
    buttons = QHBoxLayout()
    for button in (panel.trainButton, panel.stopButton, panel.resumeButton):
        button.setMinimumWidth(90)
        buttons.addWidget(button)
    panel.processControls = panel.processRun.controls
    buttons.addWidget(panel.processControls)
    buttons.addStretch(1)
    buttons.addWidget(panel.openModelButton)
    buttons.addWidget(panel.saveModelButton)

    panel.trainingProgress = QProgressBar(objectName="trainingProgress")
    panel.trainingProgress.setRange(0, 1000)
    panel.trainingProgress.setValue(0)
    panel.trainingProgress.setTextVisible(True)
    panel.trainingProgress.setFormat(QCoreApplication.translate("TrainingPanel", "Ready"))
    panel.trainingProgress.setAccessibleName(QCoreApplication.translate("TrainingPanel", "Training progress"))
    panel.messageLabel = MessageLabel("trainingMessageLabel")
    panel.modelInfoLabel = QLabel(objectName="modelInfoLabel", wordWrap=True)
    panel.modelInfoLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    panel.modelInfoLabel.hide()

    panel.curves = EpochCurves()
    panel.lossPlot, panel.accuracyPlot = panel.curves.lossPlot, panel.curves.accuracyPlot
    panel.foldLoss, panel.foldAccuracy = panel.curves.foldLoss, panel.curves.foldAccuracy
    panel.trainingLog = QPlainTextEdit(objectName="trainingLog", readOnly=True)
    panel.trainingLog.setMaximumBlockCount(5000)
    panel.trainingLog.setPlaceholderText(
        QCoreApplication.translate("TrainingPanel", "Each epoch adds a line here.")
    )
    panel.trainingLog.setAccessibleName(QCoreApplication.translate("TrainingPanel", "Training log"))
    panel.trainingLog.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    splitter = QSplitter(Qt.Orientation.Vertical, objectName="trainingSplitter")
    panel.kfoldTable = KFoldTable()
    panel.kfoldTable.hide()
    # The first layer's filters epoch by epoch beside the log: both grow as the run goes.
    panel.filterView = FilterHistoryView()
    bottom = QSplitter(Qt.Orientation.Horizontal, objectName="trainingBottomSplitter")
    bottom.addWidget(panel.trainingLog)
    bottom.addWidget(panel.filterView)
    bottom.setStretchFactor(0, 3)
    bottom.setStretchFactor(1, 1)
    bottom.setChildrenCollapsible(False)
    splitter.addWidget(panel.curves)
    splitter.addWidget(panel.kfoldTable)
    splitter.addWidget(bottom)
    splitter.setStretchFactor(0, 2)
    splitter.setStretchFactor(1, 1)
    splitter.setChildrenCollapsible(False)

    layout = QVBoxLayout(panel)
    layout.addLayout(buttons)
    layout.addWidget(panel.trainingProgress)
    layout.addWidget(panel.messageLabel)
    layout.addWidget(panel.modelInfoLabel)
    panel.lrFinder = LrFinder()
    layout.addWidget(panel.lrFinder)
    layout.addWidget(splitter, 1)
