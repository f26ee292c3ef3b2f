"""The strip above the tabs that says what to do next after a run (Evaluate, Try it)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from engine.formatting import accuracy_text


def next_step_text(result) -> str:
    """One sentence about a finished run and what to look at next."""
    metrics = getattr(result, "test", None) or {}
    test = metrics.get("accuracy")
    shown = accuracy_text(test, metrics.get("n"))  # with its interval on a small test set, as everywhere
    score = (
        QCoreApplication.translate("next_step", " Test accuracy {accuracy}.").format(accuracy=shown)
        if test is not None
        else ""
    )
    if getattr(result, "error", None) or getattr(result, "stopped", False):
        return QCoreApplication.translate(
            "next_step", "The run ended early.{score} Next: 5 · Evaluate its mistakes, or 7 · Try it."
        ).format(score=score)
    return QCoreApplication.translate(
        "next_step",
        "Training finished.{score} Next: 5 · Evaluate its mistakes, or 7 · Try it on your own images.",
    ).format(score=score)


class NextStepBar(QFrame):
    """A dismissable prompt with buttons to the next steps.

    Signals
    -------
    evaluateRequested()   the user chose "5 · Evaluate"
    tryRequested()        the user chose "7 · Try it"
    """

    evaluateRequested = Signal()
    tryRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="nextStepBar")
        self.label = QLabel(objectName="nextStepLabel", wordWrap=True)
        self.evaluateButton = QPushButton(self.tr("5 · Evaluate"), objectName="nextEvaluateButton")
        self.tryButton = QPushButton(self.tr("7 · Try it"), objectName="nextTryButton")
        self.closeButton = QToolButton(objectName="nextStepClose", text="✕", autoRaise=True)
        self.closeButton.setToolTip(self.tr("Hide this note"))
        self.closeButton.setAccessibleName(self.tr("Hide the next-step note"))
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.label, 1)
        for widget in (self.evaluateButton, self.tryButton, self.closeButton):
            row.addWidget(widget)
        self.evaluateButton.clicked.connect(self._evaluate)
        self.tryButton.clicked.connect(self._try)
        self.closeButton.clicked.connect(self.hide)
        self.hide()

    @Slot(object)
    def show_for(self, result) -> None:
        """Prompt the next steps after ``result`` (a RunResult)."""
        self.label.setText(next_step_text(result))
        self.show()

    @Slot()
    def _evaluate(self) -> None:
        self.hide()
        self.evaluateRequested.emit()

    @Slot()
    def _try(self) -> None:
        self.hide()
        self.tryRequested.emit()
