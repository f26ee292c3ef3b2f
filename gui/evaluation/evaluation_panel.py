"""The Evaluation panel: test accuracy, per-class metrics, confusion matrix, mistakes, export.

It shows the test results of the last run, or of any model evaluated on the dataset shown in the
Data panel ("Evaluate on …", computed in a worker thread), and exports the report. The matrix,
tables and galleries are drawn by ``EvaluationResults`` (``gui/evaluation/evaluation_results.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoints import check_compatible
from engine.errors import CheckpointError
from engine.evaluation import ModelEvaluation, unreadable_note
from engine.formatting import accuracy_text, dataset_name, interval_note
from gui.evaluation.evaluation_jobs import evaluation_job, report_folder_name, report_job, short_dataset_name
from gui.evaluation.evaluation_results import EvaluationResults
from gui.language import number, percent
from gui.tasks import TaskRunner, stop_all
from gui.widgets.message_label import MessageLabel


class EvaluationPanel(QWidget):
    """Test results of a model: headline, per-class table, confusion matrix, galleries, export.

    Signals
    -------
    evaluated(object)      dict(meta, metrics, probabilities, images, labels) just shown
    exported(str)          path of report.html after an export
    statusMessage(str)     short text for the status bar
    """

    evaluated = Signal(object)
    exported = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evaluationPanel")
        self._model = None  # what "Evaluate on" tests: an object with .model and .meta
        self._data = None  # ImageData of the Data panel
        self._result: dict[str, Any] | None = None
        self.evaluation = TaskRunner(self, "evaluationTask")
        self.exporting = TaskRunner(self, "reportTask")
        self._report_path: str | None = None
        self._build()
        for runner in (self.evaluation, self.exporting):
            runner.runningChanged.connect(self._update_buttons)
        self._update_buttons()

    def _build(self) -> None:
        self.accuracyLabel = QLabel(self.tr("No results yet: train a model, or open one and press Evaluate."))
        self.accuracyLabel.setObjectName("accuracyLabel")
        self.accuracyLabel.setWordWrap(True)
        self.infoLabel = QLabel(objectName="evaluationInfoLabel", wordWrap=True)
        self.infoLabel.setProperty("role", "caption")
        self.messageLabel = MessageLabel("evaluationMessage", selectable=False)
        self.evaluateButton = QPushButton(self.tr("Evaluate on current data"), objectName="evaluateButton")
        self._evaluate_tip = self.tr(
            "Test the current model on the test part of the dataset chosen in the Data panel"
        )
        self.evaluateButton.setToolTip(self._evaluate_tip)
        self.stopButton = QPushButton(self.tr("Stop"), objectName="stopEvaluationButton")
        self.stopButton.hide()
        self.exportButton = QPushButton(self.tr("Export…"), objectName="exportButton")
        self.exportButton.setToolTip(
            self.tr(
                "Write an HTML report (opens in any browser, offline), PNG charts, "
                "metrics as JSON, CSV and .npz"
            )
        )
        self.openReportButton = QPushButton(self.tr("Open report"), objectName="openReportButton")
        self.openReportButton.hide()
        self.progress = QProgressBar(objectName="evaluationProgress", maximum=1000, textVisible=False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.accuracyLabel)
        titles.addWidget(self.infoLabel)
        head.addLayout(titles, 1)
        for button in (self.evaluateButton, self.stopButton, self.exportButton, self.openReportButton):
            head.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

        self.results = EvaluationResults()
        r = self.results
        self.confusionView, self.perClassTable, self.confusedList = (
            r.confusionView,
            r.perClassTable,
            r.confusedList,
        )
        self.galleryTabs, self.galleryNote = r.galleryTabs, r.galleryNote
        self.misclassifiedGallery, self.cellGallery = r.misclassifiedGallery, r.cellGallery

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.progress)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.results, 1)

        self.results.statusMessage.connect(self.statusMessage)
        self.evaluateButton.clicked.connect(self.evaluate)
        self.stopButton.clicked.connect(self.stop)
        self.exportButton.clicked.connect(lambda: self.export())
        self.openReportButton.clicked.connect(self._open_report)

    # ---- public API ---------------------------------------------------------------------------
    @Slot(object)
    def set_model(self, source) -> None:
        """The model "Evaluate" tests: a RunResult or LoadedCheckpoint (anything with .model, .meta).

        A checkpoint's saved test metrics are shown at once (without images, which it does not hold).
        """
        self._model = source
        meta = getattr(source, "meta", None) or {}
        if self._result is None or self._result["meta"] is not meta:
            saved = meta.get("test")
            if saved and getattr(source, "test", None) is None:
                self.show_result(meta, saved)
                self.messageLabel.show_message(
                    self.tr(
                        "These are the test results saved with the model. Press Evaluate to see its "
                        "mistakes image by image."
                    ),
                    role="info",
                )
        self._update_buttons()

    @Slot(object)
    def set_data(self, data) -> None:
        """The dataset "Evaluate" tests on (the Data panel's ImageData, or None)."""
        self._data = data
        name = getattr(data, "name", None)
        full = dataset_name(name) if name else self.tr("current data")
        self.evaluateButton.setText(self.tr("Evaluate on {name}").format(name=short_dataset_name(name, full)))
        self._evaluate_tip = self.tr("Test the current model on the test part of {name}").format(name=full)
        self._update_buttons()

    @Slot(object)
    def show_run(self, result) -> None:
        """Show a finished run's test results (RunResult); it also becomes the model to evaluate."""
        self._model = result
        if result.test is None or result.splits is None:
            self.clear()
            self.messageLabel.show_message(
                self.tr("No test results: the run ended before its first epoch finished."), role="info"
            )
        else:
            test = result.splits.test
            self.show_result(result.meta, result.test, result.test_probabilities, test.images, test.labels)
        self._update_buttons()

    def show_result(
        self,
        meta: dict[str, Any],
        metrics: dict[str, Any],
        probabilities: np.ndarray | None = None,
        images=None,
        labels=None,
        tested_on: str | None = None,
    ) -> None:
        """Show metrics (``evaluation.classification_metrics``) and, with probabilities, images and
        labels of the same test set, the galleries of mistakes."""
        have_images = probabilities is not None and images is not None and labels is not None
        y_true = (
            np.asarray(labels.cpu().numpy() if hasattr(labels, "cpu") else labels) if have_images else None
        )
        self._result = {
            "meta": meta,
            "metrics": metrics,
            "probabilities": probabilities if have_images else None,
            "images": images if have_images else None,
            "labels": y_true,
            "tested_on": tested_on,
        }
        self.messageLabel.show_message(unreadable_note(metrics), role="warning")  # pictures left out
        self._show_headline(meta, metrics, tested_on)
        self.results.set_result(self._result)
        self._update_buttons()
        self.evaluated.emit(dict(self._result))

    def clear(self) -> None:
        self._result = None
        self.accuracyLabel.setText(self.tr("No results yet"))
        self.infoLabel.clear()
        self.results.set_result(None)
        self._update_buttons()

    def result(self) -> dict[str, Any] | None:
        """What is shown: dict(meta, metrics, probabilities, images, labels, tested_on), or None."""
        return None if self._result is None else dict(self._result)

    def show_cell(self, true: int, pred: int) -> list[int]:
        """List the test images of one confusion cell (worst first); returns their test indices."""
        return self.results.show_cell(true, pred)

    def evaluate(self) -> bool:
        """Test the current model on the current data's test split, in a worker thread."""
        if self.evaluation.is_running() or self._model is None or self._data is None:
            return False
        model, meta, data = self._model.model, dict(self._model.meta), self._data
        self.messageLabel.show_message("")
        self.progress.setValue(0)
        self.progress.show()
        self.statusMessage.emit(self.tr("Evaluating on {name}…").format(name=data.name))
        return self.evaluation.start(
            evaluation_job(model, meta, data),
            on_done=self._on_evaluated,
            on_failed=self._on_evaluation_failed,
            on_finished=self.progress.hide,
            on_events={"progress": self._on_progress},
        )

    @Slot()
    def stop(self) -> None:
        if self.evaluation.stop():
            self._update_buttons()

    def is_busy(self) -> bool:
        return self.evaluation.is_running() or self.exporting.is_running()

    def export(self, folder: str | Path | None = None) -> bool:
        """Write the report and PNGs into ``folder`` (a dialog asks when None); False if nothing to export."""
        if self._result is None or self.exporting.is_running():
            return False
        if not folder:
            # A save dialog, so a new folder can be named there: the report makes it.
            folder, _ = QFileDialog.getSaveFileName(
                self,
                self.tr("Export the report into a folder (made if missing)"),
                str(Path.home() / report_folder_name(self._result["meta"])),
                options=QFileDialog.Option.ShowDirsOnly,
            )
            if not folder:
                return False
        folder = Path(folder)
        # The report's matplotlib charts are the one drawing of curves and confusion matrix that
        # leaves the window (no screenshots of the live plots beside them).
        self.statusMessage.emit(self.tr("Writing the report to {folder}…").format(folder=folder))
        return self.exporting.start(
            report_job(folder, self._result), on_done=self._on_exported, on_failed=self._on_failed
        )

    def shutdown(self) -> None:
        """Stop and wait for the worker threads (for the window's closeEvent)."""
        stop_all(self)

    # ---- filling the views --------------------------------------------------------------------
    def _show_headline(self, meta, metrics, tested_on) -> None:
        macro = metrics["averages"]["macro"]["f1"]
        self.accuracyLabel.setText(
            self.tr("Test accuracy {accuracy} · macro F1 {f1} · %n image(s)", "", int(metrics["n"])).format(
                accuracy=accuracy_text(metrics["accuracy"], metrics["n"], images=False), f1=number(macro, 3)
            )
        )
        self.accuracyLabel.setToolTip(interval_note(metrics["n"]))  # what the interval in brackets means
        trained_on = dataset_name(meta.get("dataset"))
        tested = dataset_name(tested_on or meta.get("dataset"))
        parts = [
            self.tr("{model} trained on {dataset}").format(
                model=meta.get("arch", "model"), dataset=trained_on
            ),
            self.tr("tested on {dataset}").format(dataset=tested),
        ]
        kf = meta.get("kfold")
        if kf:
            parts.append(
                self.tr("{k}-fold validation accuracy {mean} ± {std}").format(
                    k=len(kf["folds"]),
                    mean=percent(kf["val_acc_mean"]),
                    std=number(100 * kf["val_acc_std"], 1),
                )
            )
        self.infoLabel.setText(" · ".join(parts))

    # ---- worker reactions ---------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: dict) -> None:
        self.progress.setValue(int(1000 * event.get("batch", 0) / max(1, event.get("batches", 1))))

    @Slot(object)
    def _on_evaluated(self, out: ModelEvaluation | None) -> None:
        if out is None:
            self.messageLabel.show_message(self.tr("Evaluation stopped."), role="info")
            return
        self.show_result(
            out.meta,
            out.metrics,
            out.probabilities,
            out.test.images,
            out.test.labels,
            tested_on=out.data_name,
        )
        self.statusMessage.emit(
            self.tr("Test accuracy {accuracy} on {dataset}").format(
                accuracy=accuracy_text(out.metrics["accuracy"], out.metrics["n"]), dataset=out.data_name
            )
        )

    @Slot(str)
    def _on_evaluation_failed(self, message: str) -> None:
        # The results on screen stay: a failed evaluation says why beside them, it does not wipe them.
        self._on_failed(message)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.messageLabel.show_error(message)
        self.statusMessage.emit(message.splitlines()[0])

    @Slot(object)
    def _on_exported(self, path: str) -> None:
        self._report_path = path
        self.messageLabel.show_message(self.tr("Report written to {path}").format(path=path), role="ok")
        self.openReportButton.show()
        self.statusMessage.emit(self.tr("Report written to {path}").format(path=path))
        self.exported.emit(path)

    @Slot()
    def _open_report(self) -> None:
        if self._report_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._report_path))

    def _why_not_evaluate(self) -> str | None:
        """Why Evaluate cannot work now (no model, no data, a model made for other data), or None."""
        if self._model is None:
            return self.tr("Train a model or open one first")
        if self._data is None:
            return self.tr("Choose data in 1 · Data first")
        meta = getattr(self._model, "meta", None) or {}
        if not hasattr(self._data, "classes"):
            return None  # not loaded data (a name only): nothing to compare yet
        name = self.tr("This {model} model").format(model=meta.get("arch", "?"))
        try:
            check_compatible(meta, classes=list(self._data.classes), spec=self._data.spec, name=name)
        except CheckpointError as e:
            return e.message
        return None

    def _update_buttons(self, *_) -> None:
        running = self.evaluation.is_running()
        why_not = self._why_not_evaluate()
        # Disabled with its reason, rather than a click that fails and wipes the results shown.
        self.evaluateButton.setEnabled(not running and why_not is None)
        self.evaluateButton.setToolTip(why_not or self._evaluate_tip)
        self.evaluateButton.setVisible(not running)
        self.stopButton.setVisible(running)
        self.stopButton.setEnabled(running and not self.evaluation.stopping())
        self.exportButton.setEnabled(self._result is not None and not self.exporting.is_running())
