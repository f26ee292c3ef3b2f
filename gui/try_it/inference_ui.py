"""The Inference panel's widgets and their layout, apart from what they do (``InferencePanel``).

Like a Designer form's ``setupUi``: ``build`` creates the widgets as attributes of the panel and lays
them out; the panel connects them. Texts keep the panel's translation context ("InferencePanel").

The results column holds two tabs: *Answer* (``PredictionView``: bars, top class, the input the model
saw) and *Inside* (``InsideView``: the layers from the input to the answer).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QToolButton, QVBoxLayout

from gui.try_it.inference_inputs import InputTabs
from gui.try_it.inside_view import InsideView
from gui.try_it.model_picker import ModelPicker
from gui.try_it.prediction_view import PredictionView
from gui.widgets.message_label import MessageLabel

ANSWER, INSIDE = 0, 1  # the results tabs


def build(panel, models_dir, dataset_root) -> None:
    """Create the picker row, the model line, the message, the input tabs and the results tabs."""
    panel.modelPicker = ModelPicker(models_dir)
    panel.refreshModelsButton = QToolButton(objectName="refreshModelsButton", text="↻")
    panel.refreshModelsButton.setToolTip(
        QCoreApplication.translate("InferencePanel", "Look again for checkpoints in the models folder")
    )
    panel.activeModelLabel = QLabel(objectName="activeModelLabel", wordWrap=True)
    panel.activeModelLabel.setTextFormat(Qt.TextFormat.RichText)
    panel.activeModelLabel.setText(
        QCoreApplication.translate(
            "InferencePanel", "No model in use yet: train one, or pick a saved model above."
        )
    )
    panel.inferenceMessage = MessageLabel("inferenceMessage")
    picker_row = QHBoxLayout()
    picker_row.addWidget(QLabel(QCoreApplication.translate("InferencePanel", "Model")))
    picker_row.addWidget(panel.modelPicker, 1)
    picker_row.addWidget(panel.refreshModelsButton)
    panel.inputTabs = InputTabs(dataset_root)
    # The tabs' parts, under the names the panel has always shown them by.
    panel.canvas, panel.saver, panel.dropArea = (
        panel.inputTabs.canvas,
        panel.inputTabs.saver,
        panel.inputTabs.dropArea,
    )
    panel.openImageButton, panel.fileLabel = panel.inputTabs.openImageButton, panel.inputTabs.fileLabel
    left = QVBoxLayout()
    left.addWidget(panel.inputTabs)
    left.addStretch(1)
    body = QHBoxLayout()
    body.addLayout(left)
    body.addWidget(_build_results(panel), 1)
    layout = QVBoxLayout(panel)
    layout.addLayout(picker_row)
    layout.addWidget(panel.activeModelLabel)
    layout.addWidget(panel.inferenceMessage)
    layout.addLayout(body, 1)


def _build_results(panel) -> QTabWidget:
    panel.results = PredictionView()
    # The view's parts, under the names the panel has always shown them by.
    panel.predictionLabel = panel.results.predictionLabel
    panel.predictionCaption = panel.results.predictionCaption
    panel.probabilityPlot = panel.results.probabilityPlot
    panel.topKList = panel.results.topKList
    panel.inputPreview = panel.results.inputPreview
    panel.saliencyCheck = panel.results.saliencyCheck
    panel.insideView = InsideView()
    panel.resultsTabs = QTabWidget(objectName="resultsTabs")
    panel.resultsTabs.addTab(panel.results, QCoreApplication.translate("InferencePanel", "Answer"))
    panel.resultsTabs.addTab(
        panel.insideView, QCoreApplication.translate("InferencePanel", "Inside the model")
    )
    panel.resultsTabs.setTabToolTip(
        INSIDE,
        QCoreApplication.translate(
            "InferencePanel",
            "Every layer's response to your drawing or image, from the input to the answer, "
            "updated as you draw",
        ),
    )
    return panel.resultsTabs
