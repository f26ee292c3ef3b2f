"""The Inference panel's results: the top class in large type, probability bars, the top-k list
and the exact input the model saw (optionally with a Grad-CAM overlay)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QListWidget, QVBoxLayout, QWidget

from gui import theme
from gui.language import percent
from gui.try_it.inference_jobs import TOP_K
from gui.widgets.image_grid import to_qimage
from gui.widgets.probability_bars import ProbabilityPlot

PREVIEW_SIZE = 140
HEAT_NOTE = QT_TRANSLATE_NOOP(
    "PredictionView", " Bright colours mark the pixels that drove the prediction most."
)


def overlay_heat(model_input: np.ndarray, heat: np.ndarray | None) -> np.ndarray:
    """The model's uint8 ``(C, H, W)`` input as ``(3, H, W)`` RGB, with ``heat`` in [0, 1] blended on.

    The heat is drawn in the "inferno" colour map; where it is cold the input stays visible.
    """
    rgb = np.repeat(model_input[:1], 3, axis=0) if model_input.shape[0] == 1 else model_input[:3]
    rgb = rgb.astype(np.float32)
    if heat is None:
        return rgb.astype(np.uint8)
    heat = np.clip(np.asarray(heat, dtype=np.float32), 0.0, 1.0)
    colours = pg.colormap.get("inferno").map(heat.reshape(-1), mode="float")[:, :3] * 255.0
    colours = colours.T.reshape(3, *heat.shape)
    alpha = 0.7 * heat[None]
    return np.round(rgb * (1 - alpha) + colours * alpha).astype(np.uint8)


def preview_text(spec, preparation: str) -> str:
    """What the preview shows, for a model's ``InputSpec`` and preparation."""
    size = f"{spec.width}×{spec.height}"
    if spec.channels != 1:
        size = QCoreApplication.translate("prediction_view", "{size} colour").format(size=size)
    if preparation == "digit":
        return QCoreApplication.translate(
            "prediction_view",
            "What the model sees: {size}, ink bright on black, the digit scaled into a 20×20 box "
            "and centred by its mass, as MNIST was made.",
        ).format(size=size)
    return QCoreApplication.translate(
        "prediction_view", "What the model sees: the image resized to {size}, as in training."
    ).format(size=size)


class PredictionView(QWidget):
    """The results column: answer, caption, bars, top-k list, input preview and saliency switch."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("predictionView")
        self._preview_text = self.tr("The input the model sees appears here.")
        # The answer and the input the model saw side by side on top, so both stay in view on a
        # 1280x720 screen; the bars take the height that is left.
        words = QVBoxLayout()
        words.addWidget(self._build_answer())
        words.addWidget(self.predictionCaption)
        self._build_preview()
        words.addWidget(self.previewCaption)
        words.addWidget(self.saliencyCheck)
        words.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(words, 1)
        top.addWidget(self.inputPreview, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        self.probabilityPlot = ProbabilityPlot()
        column.addWidget(self.probabilityPlot, 1)
        column.addWidget(self._build_top_k())

    def _build_answer(self) -> QLabel:
        self.predictionLabel = QLabel(objectName="predictionLabel")
        font = QFont(self.font())
        font.setPointSizeF(max(24.0, font.pointSizeF() * 2.6))
        font.setBold(True)
        self.predictionLabel.setFont(font)
        self.predictionLabel.setAccessibleName(self.tr("Predicted class"))
        self.predictionLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.predictionCaption = QLabel(objectName="predictionCaption")
        self.predictionCaption.setProperty("role", "caption")
        return self.predictionLabel

    def _build_top_k(self) -> QListWidget:
        self.topKList = QListWidget(objectName="topKList")
        self.topKList.setAccessibleName(self.tr("Most likely classes"))
        self.topKList.setFixedHeight(self.topKList.fontMetrics().lineSpacing() * TOP_K + 10)
        self.topKList.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.topKList.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        return self.topKList

    def _build_preview(self) -> None:
        self.inputPreview = QLabel(objectName="inputPreview")
        self.inputPreview.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.inputPreview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.inputPreview.setAccessibleName(self.tr("The input the model sees"))
        self.previewCaption = QLabel(objectName="inputPreviewCaption", wordWrap=True)
        self.previewCaption.setProperty("role", "caption")
        self.saliencyCheck = QCheckBox(self.tr("Show what drove the prediction"), objectName="saliencyCheck")
        self.saliencyCheck.setToolTip(
            self.tr(
                "HiResCAM, a Grad-CAM variant: colour the pixels that pushed the model towards its answer "
                "(bright = more)"
            )
        )

    def set_model(self, predictor) -> None:
        """Lay the view out for a ``Predictor``'s classes and input."""
        self._preview_text = preview_text(predictor.spec, predictor.preparation)
        self.probabilityPlot.set_classes(predictor.classes)

    def set_top_k_visible(self, visible: bool) -> None:
        self.topKList.setVisible(visible)

    def show_prediction(self, prediction: Any, heat: np.ndarray | None) -> None:
        """Show an engine ``Prediction`` (and its saliency map, if any)."""
        self.probabilityPlot.show_probabilities(prediction.probabilities)
        name, confidence = prediction.top[0]
        sure = confidence >= 0.5
        self.predictionLabel.setText(f"{name} — {percent(confidence, 0)}")
        self.predictionLabel.setStyleSheet("" if sure else f"color: {theme.colours()['muted']};")
        self.predictionCaption.setText(
            self.tr("the model's answer") if sure else self.tr("unsure: no class reaches 50%")
        )
        self.topKList.clear()
        self.topKList.addItems(
            [f"{i}. {c} — {percent(p)}" for i, (c, p) in enumerate(prediction.top, start=1)]
        )
        self.show_preview(prediction.input, heat)

    def show_empty(self, caption: str) -> None:
        """No prediction: empty bars, a dash, and ``caption`` saying what to do."""
        self.probabilityPlot.show_probabilities(np.zeros(len(self.probabilityPlot.classes)))
        self.predictionLabel.setText("–")
        self.predictionLabel.setStyleSheet(f"color: {theme.colours()['muted']};")
        self.predictionCaption.setText(caption)
        self.topKList.clear()
        self.inputPreview.setPixmap(QPixmap())
        self.previewCaption.setText(self._preview_text)

    def show_preview(self, model_input: np.ndarray, heat: np.ndarray | None) -> None:
        """The model's input, with ``heat`` blended on while the saliency switch is on."""
        use_heat = heat if self.saliencyCheck.isChecked() else None
        image = to_qimage(overlay_heat(model_input, use_heat)).scaled(
            PREVIEW_SIZE - 2,
            PREVIEW_SIZE - 2,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,  # nearest neighbour: each input pixel stays a square
        )
        self.inputPreview.setPixmap(QPixmap.fromImage(image))
        self.previewCaption.setText(self._preview_text + (self.tr(HEAT_NOTE) if use_heat is not None else ""))
