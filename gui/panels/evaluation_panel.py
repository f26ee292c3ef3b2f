"""The Evaluation panel: test accuracy, per-class metrics, confusion matrix, mistakes, export.

It shows the test results of the last run, or of any model evaluated on the dataset shown in the
Data panel ("Evaluate on …", computed in a worker thread). Clicking a confusion-matrix cell (or a
most-confused pair) lists that cell's test images; the misclassified gallery is sorted by loss,
most confidently wrong first (fastai's "top losses"), which is where mislabelled images turn up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.evaluation import cell_indices, top_losses
from gui.tasks import Task
from gui.widgets.confusion_view import ConfusionMatrixView

GALLERY_LIMIT = 150  # thumbnails per gallery; the caption says how many more there are
THUMB = 56


def to_qimage(image):
    """A uint8 (C, H, W) tensor or array as a QImage (the Data panel's converter)."""
    from gui.panels.data_panel import to_qimage as convert

    return convert(image)


def thumbnail(image, side: int = THUMB) -> QPixmap:
    """A square icon: small digits enlarged without blur, photos shrunk smoothly."""
    qimage = to_qimage(image)
    mode = (
        Qt.TransformationMode.SmoothTransformation
        if qimage.width() > side
        else Qt.TransformationMode.FastTransformation
    )
    return QPixmap.fromImage(qimage).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, mode)


class ImageGallery(QListWidget):
    """Thumbnails with a caption each, wrapping to the width; item data holds the test index."""

    def __init__(self, name: str, accessible: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 64, THUMB + 40))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def set_images(self, entries: list[tuple[int, QPixmap, str, str]]) -> None:
        """``entries``: (test index, pixmap, caption, tooltip)."""
        self.clear()
        for index, pixmap, caption, tip in entries:
            item = QListWidgetItem(QIcon(pixmap), caption)
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            item.setToolTip(tip)
            self.addItem(item)

    def indices(self) -> list[int]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def captions(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]


def _pct(value: float | None) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{100 * value:.1f}%"


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
        self._pred: np.ndarray | None = None
        self._task: Task | None = None
        self._export_task: Task | None = None
        self._export_plots: dict[str, Any] = {}
        self._report_path: str | None = None
        self._build()
        self._update_buttons()

    def _build(self) -> None:
        self.accuracyLabel = QLabel("No results yet: train a model, or open one and press Evaluate.")
        self.accuracyLabel.setObjectName("accuracyLabel")
        self.accuracyLabel.setStyleSheet("font-size: 15pt; font-weight: bold; color: #1f3a5f;")
        self.accuracyLabel.setWordWrap(True)
        self.infoLabel = QLabel(objectName="evaluationInfoLabel", wordWrap=True)
        self.infoLabel.setStyleSheet("color: #555;")
        self.messageLabel = QLabel(objectName="evaluationMessage", wordWrap=True)
        self.messageLabel.hide()
        self.evaluateButton = QPushButton("Evaluate on current data", objectName="evaluateButton")
        self.evaluateButton.setToolTip(
            "Test the current model on the test part of the dataset chosen in the Data panel"
        )
        self.stopButton = QPushButton("Stop", objectName="stopEvaluationButton")
        self.stopButton.hide()
        self.exportButton = QPushButton("Export…", objectName="exportButton")
        self.exportButton.setToolTip(
            "Write an HTML report (opens in any browser, offline), PNG charts, metrics as JSON, CSV and .npz"
        )
        self.openReportButton = QPushButton("Open report", objectName="openReportButton")
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

        self.confusionView = ConfusionMatrixView()
        self.perClassTable = QTableWidget(0, 5, objectName="perClassTable")
        self.perClassTable.setHorizontalHeaderLabels(["class", "precision", "recall", "F1", "support"])
        self.perClassTable.setAccessibleName("Per-class precision, recall, F1 and support")
        self.perClassTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.perClassTable.verticalHeader().hide()
        header = self.perClassTable.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # class names take what is left
        self.confusedList = QListWidget(objectName="confusedList")
        self.confusedList.setAccessibleName("Most confused pairs")
        self.confusedList.setMaximumHeight(120)
        right = QWidget()
        right_col = QVBoxLayout(right)
        right_col.setContentsMargins(0, 0, 0, 0)
        right_col.addWidget(QLabel("<b>Per-class metrics</b> (scikit-learn)"))
        right_col.addWidget(self.perClassTable, 1)
        right_col.addWidget(QLabel("<b>Most confused pairs</b> (click one to see its images)"))
        right_col.addWidget(self.confusedList)
        top = QSplitter(Qt.Orientation.Horizontal, objectName="evaluationTopSplitter")
        top.addWidget(self.confusionView)
        top.addWidget(right)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        self.misclassifiedGallery = ImageGallery("misclassifiedGallery", "Misclassified test images by loss")
        self.cellGallery = ImageGallery("cellGallery", "Test images of the chosen cell")
        self.galleryTabs = QTabWidget(objectName="galleryTabs")
        self.galleryTabs.addTab(self.misclassifiedGallery, "Misclassified, worst first")
        self.galleryTabs.addTab(self.cellGallery, "Chosen cell")
        self.galleryNote = QLabel(objectName="galleryNote", wordWrap=True)
        self.galleryNote.setStyleSheet("color: #555;")
        bottom = QWidget()
        bottom_col = QVBoxLayout(bottom)
        bottom_col.setContentsMargins(0, 0, 0, 0)
        bottom_col.addWidget(self.galleryNote)
        bottom_col.addWidget(self.galleryTabs, 1)
        split = QSplitter(Qt.Orientation.Vertical, objectName="evaluationSplitter")
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.progress)
        layout.addWidget(self.messageLabel)
        layout.addWidget(split, 1)

        self.confusionView.cellClicked.connect(self.show_cell)
        self.confusedList.itemClicked.connect(self._on_pair_clicked)
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
                self.show_message(
                    "These are the test results saved with the model. Press Evaluate to see its "
                    "mistakes image by image.",
                    role="info",
                )
        self._update_buttons()

    @Slot(object)
    def set_data(self, data) -> None:
        """The dataset "Evaluate" tests on (the Data panel's ImageData, or None)."""
        self._data = data
        name = getattr(data, "name", None)
        label = str(name).replace("folder:", "folder ") if name else "current data"
        if len(label) > 32:
            label = "…" + label[-31:]
        self.evaluateButton.setText(f"Evaluate on {label}")
        self._update_buttons()

    @Slot(object)
    def show_run(self, result) -> None:
        """Show a finished run's test results (RunResult); it also becomes the model to evaluate."""
        self._model = result
        if result.test is None or result.splits is None:
            self.clear()
            self.show_message("No test results: the run ended before its first epoch finished.", role="info")
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
        self._pred = np.asarray(probabilities).argmax(axis=1) if have_images else None
        self.show_message("")
        self._show_headline(meta, metrics, tested_on)
        self._fill_table(metrics)
        self.confusionView.set_matrix(metrics["confusion"], metrics["classes"])
        self._fill_confused(metrics)
        self._fill_misclassified()
        self.cellGallery.clear()
        self.galleryTabs.setTabText(1, "Chosen cell")
        self.galleryTabs.setCurrentWidget(self.misclassifiedGallery)
        self._update_buttons()
        self.evaluated.emit(dict(self._result))

    def clear(self) -> None:
        self._result, self._pred = None, None
        self.accuracyLabel.setText("No results yet")
        self.infoLabel.clear()
        self.perClassTable.setRowCount(0)
        self.confusionView.clear()
        self.confusedList.clear()
        self.misclassifiedGallery.clear()
        self.cellGallery.clear()
        self.galleryNote.clear()
        self._update_buttons()

    def result(self) -> dict[str, Any] | None:
        """What is shown: dict(meta, metrics, probabilities, images, labels, tested_on), or None."""
        return None if self._result is None else dict(self._result)

    @Slot(int, int)
    def show_cell(self, true: int, pred: int) -> list[int]:
        """List the test images of one confusion cell (worst first); returns their test indices."""
        if self._result is None:
            return []
        classes = self._result["metrics"]["classes"]
        self.confusionView.select_cell(true, pred)
        count = int(np.asarray(self._result["metrics"]["confusion"])[true, pred])
        title = f"true {classes[true]} → predicted {classes[pred]} ({count})"
        self.galleryTabs.setTabText(1, title)
        self.galleryTabs.setCurrentWidget(self.cellGallery)
        if self._pred is None:
            self.cellGallery.clear()
            self.galleryNote.setText("Press Evaluate to see the images behind these numbers.")
            return []
        probs, y_true = self._result["probabilities"], self._result["labels"]
        idx = cell_indices(y_true, self._pred, true, pred, probs)
        self.cellGallery.set_images([self._entry(int(i)) for i in idx[:GALLERY_LIMIT]])
        more = f" (showing the first {GALLERY_LIMIT})" if len(idx) > GALLERY_LIMIT else ""
        self.galleryNote.setText(
            f"{len(idx)} test images: {title}{more}, lowest probability of the true class first."
        )
        self.statusMessage.emit(f"{len(idx)} images: {title}")
        return [int(i) for i in idx]

    def add_export_plot(self, name: str, plot_widget) -> None:
        """Also export this live pyqtgraph plot as ``<name>.png`` (e.g. the Training panel's curves)."""
        self._export_plots[name] = plot_widget

    @Slot()
    def evaluate(self) -> bool:
        """Test the current model on the current data's test split, in a worker thread."""
        if self._task is not None or self._model is None or self._data is None:
            return False
        model, meta, data = self._model.model, dict(self._model.meta), self._data
        self.show_message("")
        task = Task(_evaluation_job(model, meta, data), parent=self, name="evaluationTask")
        task.worker.progressed.connect(self._on_progress)
        task.succeeded.connect(self._on_evaluated)
        task.failed.connect(self._on_failed)
        task.finished.connect(self._on_task_finished)
        self._task = task
        self.progress.setValue(0)
        self.progress.show()
        self.statusMessage.emit(f"Evaluating on {data.name}…")
        task.start()
        self._update_buttons()
        return True

    @Slot()
    def stop(self) -> None:
        if self._task is not None:
            self._task.request_stop()
            self._update_buttons()

    def is_busy(self) -> bool:
        return self._task is not None or self._export_task is not None

    def export(self, folder: str | Path | None = None) -> bool:
        """Write the report and PNGs into ``folder`` (a dialog asks when None); False if nothing to export."""
        if self._result is None or self._export_task is not None:
            return False
        if not folder:
            folder = QFileDialog.getExistingDirectory(
                self, "Export the report into a folder", str(Path.home())
            )
            if not folder:
                return False
        folder = Path(folder)
        try:
            self._export_live_plots(folder)
        except OSError as e:
            self.show_message(f"Cannot write to {folder}: {e.strerror or e}. Choose another folder.")
            return False
        res = self._result
        task = Task(_report_job(folder, res), parent=self, name="reportTask")
        task.succeeded.connect(self._on_exported)
        task.failed.connect(self._on_failed)
        task.finished.connect(self._on_export_finished)
        self._export_task = task
        self.statusMessage.emit(f"Writing the report to {folder}…")
        task.start()
        self._update_buttons()
        return True

    def shutdown(self) -> None:
        """Stop and wait for the worker threads (for the window's closeEvent)."""
        for task in (self._task, self._export_task):
            if task is not None:
                task.stop_and_wait()

    def show_message(self, text: str, role: str = "error") -> None:
        self.messageLabel.setText(text)
        self.messageLabel.setProperty("role", role)
        self.messageLabel.style().unpolish(self.messageLabel)
        self.messageLabel.style().polish(self.messageLabel)
        self.messageLabel.setVisible(bool(text))

    # ---- filling the views --------------------------------------------------------------------
    def _show_headline(self, meta, metrics, tested_on) -> None:
        macro = metrics["averages"]["macro"]["f1"]
        self.accuracyLabel.setText(
            f"Test accuracy {_pct(metrics['accuracy'])} · macro F1 {macro:.3f} · {metrics['n']} images"
        )
        trained_on = str(meta.get("dataset", "?")).replace("folder:", "folder ")
        tested = str(tested_on or meta.get("dataset", "?")).replace("folder:", "folder ")
        parts = [f"{meta.get('arch', 'model')} trained on {trained_on}", f"tested on {tested}"]
        kf = meta.get("kfold")
        if kf:
            parts.append(
                f"{len(kf['folds'])}-fold validation accuracy {_pct(kf['val_acc_mean'])} "
                f"± {100 * kf['val_acc_std']:.1f}"
            )
        self.infoLabel.setText(" · ".join(parts))

    def _fill_table(self, metrics) -> None:
        rows = [(r["class"], r) for r in metrics["per_class"]]
        rows += [(f"{name} avg", r) for name, r in metrics["averages"].items()]
        table = self.perClassTable
        table.setRowCount(len(rows))
        for i, (name, r) in enumerate(rows):
            cells = [
                str(name),
                f"{r['precision']:.3f}",
                f"{r['recall']:.3f}",
                f"{r['f1']:.3f}",
                str(r["support"]),
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if i >= len(metrics["per_class"]):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(i, j, item)

    def _fill_confused(self, metrics) -> None:
        self.confusedList.clear()
        classes = [str(c) for c in metrics["classes"]]
        for pair in metrics.get("most_confused") or []:
            noun = "image" if pair["count"] == 1 else "images"
            item = QListWidgetItem(f"{pair['true']} → {pair['predicted']}: {pair['count']} {noun}")
            cell = (classes.index(str(pair["true"])), classes.index(str(pair["predicted"])))
            item.setData(Qt.ItemDataRole.UserRole, cell)
            item.setToolTip(f"true {pair['true']}, predicted {pair['predicted']}")
            self.confusedList.addItem(item)
        if not self.confusedList.count():
            self.confusedList.addItem("No mistakes on the test set.")

    def _fill_misclassified(self) -> None:
        if self._pred is None:
            self.misclassifiedGallery.clear()
            self.galleryNote.setText("Press Evaluate to see the misclassified images.")
            return
        order = top_losses(self._result["probabilities"], self._result["labels"])
        self.misclassifiedGallery.set_images([self._entry(int(i)) for i in order[:GALLERY_LIMIT]])
        more = f" (showing the {GALLERY_LIMIT} worst)" if len(order) > GALLERY_LIMIT else ""
        self.galleryNote.setText(
            f"{len(order)} misclassified test images{more}, most confidently wrong first: "
            "often mislabelled or truly ambiguous."
        )

    def _entry(self, i: int) -> tuple[int, QPixmap, str, str]:
        res = self._result
        classes = res["metrics"]["classes"]
        probs, t, p = res["probabilities"][i], int(res["labels"][i]), int(self._pred[i])
        caption = f"{classes[t]} → {classes[p]} (p={probs[p]:.2f})"
        loss = -np.log(max(float(probs[t]), 1e-12))
        tip = (
            f"test image #{i}\ntrue: {classes[t]} (p={probs[t]:.3f})\n"
            f"predicted: {classes[p]} (p={probs[p]:.3f})\nloss: {loss:.3f}"
        )
        return i, thumbnail(res["images"][i]), caption, tip

    def _export_live_plots(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.confusionView.export_png(str(folder / "confusion_view.png"))
        from pyqtgraph.exporters import ImageExporter

        for name, widget in self._export_plots.items():
            item = widget.getPlotItem() if hasattr(widget, "getPlotItem") else widget
            ImageExporter(item).export(str(folder / f"{name}.png"))

    # ---- worker reactions ---------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: dict) -> None:
        self.progress.setValue(int(1000 * event.get("batch", 0) / max(1, event.get("batches", 1))))

    @Slot(object)
    def _on_evaluated(self, out) -> None:
        if out is None:
            self.show_message("Evaluation stopped.", role="info")
            return
        self.show_result(
            out["meta"],
            out["metrics"],
            out["probabilities"],
            out["images"],
            out["labels"],
            tested_on=out["data_name"],
        )
        self.statusMessage.emit(f"Test accuracy {_pct(out['metrics']['accuracy'])} on {out['data_name']}")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.show_message(message, role="error")
        self.statusMessage.emit(message.splitlines()[0])

    @Slot()
    def _on_task_finished(self) -> None:
        self._task = None
        self.progress.hide()
        self._update_buttons()

    @Slot(object)
    def _on_exported(self, path: str) -> None:
        self._report_path = path
        self.show_message(f"Report written to {path}", role="ok")
        self.openReportButton.show()
        self.statusMessage.emit(f"Report written to {path}")
        self.exported.emit(path)

    @Slot()
    def _on_export_finished(self) -> None:
        self._export_task = None
        self._update_buttons()

    @Slot()
    def _open_report(self) -> None:
        if self._report_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._report_path))

    @Slot(QListWidgetItem)
    def _on_pair_clicked(self, item: QListWidgetItem) -> None:
        cell = item.data(Qt.ItemDataRole.UserRole)
        if cell:
            self.show_cell(*cell)

    def _update_buttons(self) -> None:
        running = self._task is not None
        self.evaluateButton.setEnabled(not running and self._model is not None and self._data is not None)
        self.evaluateButton.setVisible(not running)
        self.stopButton.setVisible(running)
        self.stopButton.setEnabled(running and not self._task.stop_event.is_set())
        self.exportButton.setEnabled(self._result is not None and self._export_task is None)


def _evaluation_job(model, meta: dict[str, Any], data):
    """The worker's function: the test split of ``data`` (same seed as training), then metrics."""

    def job(on_event, stop):
        from engine import evaluation
        from engine.checkpoints import check_compatible
        from engine.config import InputSpec
        from engine.datasets import split_dataset

        check_compatible(meta, classes=list(data.classes), spec=data.spec, name="the model")
        saved = meta.get("data_config") or {}
        splits = split_dataset(data, float(saved.get("val_split", 0.2)), int(saved.get("seed", 0)))
        test = splits.test
        spec = InputSpec.from_dict(meta["spec"])
        out = evaluation.evaluate_with_progress(
            model, test.images, test.labels, spec, list(data.classes), on_event, stop
        )
        if out is None:
            return None
        metrics, probs = out
        return {
            "meta": meta,
            "metrics": metrics,
            "probabilities": probs,
            "images": test.images,
            "labels": test.labels,
            "data_name": data.name,
        }

    return job


def _report_job(folder: Path, res: dict[str, Any]):
    def job(on_event, stop):
        from engine.report import write_report

        tested_on = res.get("tested_on")
        path = write_report(
            folder,
            res["meta"],
            res["metrics"],
            res["probabilities"],
            res["labels"],
            res["images"],
            evaluated_on=tested_on if tested_on and tested_on != res["meta"].get("dataset") else None,
        )
        return str(path)

    return job
