"""The views of one test result: confusion matrix, per-class table, most confused pairs, galleries.

The Evaluation panel owns one and hands it a result dict (meta, metrics, probabilities, images,
labels); this view only draws it. Clicking a confusion-matrix cell (or a most-confused pair) lists
that cell's test images; the misclassified gallery is sorted by loss, most confidently wrong first
(fastai's "top losses"), which is where mislabelled images turn up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontMetrics, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.evaluation import cell_indices, top_losses
from gui.language import number
from gui.widgets.confusion_view import ConfusionMatrixView
from gui.widgets.image_grid import ImageGallery, thumbnail

GALLERY_LIMIT = 150  # thumbnails per gallery; the caption says how many more there are


def _column(*widgets: tuple[QWidget, int]) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    for widget, stretch in widgets:
        column.addWidget(widget, stretch)
    return box


class EvaluationResults(QSplitter):
    """Matrix and tables above, galleries of test images below.

    Signals
    -------
    statusMessage(str)   short text for the status bar
    """

    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setObjectName("evaluationSplitter")
        self._result: dict[str, Any] | None = None
        self._pred: np.ndarray | None = None
        self.confusionView = ConfusionMatrixView()
        self.perClassTable = QTableWidget(0, 5, objectName="perClassTable")
        self.perClassTable.setHorizontalHeaderLabels(
            [self.tr("class"), self.tr("precision"), self.tr("recall"), "F1", self.tr("support")]
        )
        self.perClassTable.setAccessibleName(self.tr("Per-class precision, recall, F1 and support"))
        self.perClassTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.perClassTable.verticalHeader().hide()
        header = self.perClassTable.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # class names take what is left
        self.confusedList = QListWidget(objectName="confusedList")
        self.confusedList.setAccessibleName(self.tr("Most confused pairs"))
        # Five pairs in view (it scrolls for more): the per-class table above keeps its two averages.
        self.confusedList.setMaximumHeight(5 * self.confusedList.fontMetrics().lineSpacing() + 12)
        top = QSplitter(Qt.Orientation.Horizontal, objectName="evaluationTopSplitter")
        top.addWidget(self.confusionView)
        top.addWidget(
            _column(
                (QLabel(self.tr("<b>Per-class metrics</b> (scikit-learn)")), 0),
                (self.perClassTable, 1),
                (QLabel(self.tr("<b>Most confused pairs</b> (click one to see its images)")), 0),
                (self.confusedList, 0),
            )
        )
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        self.misclassifiedGallery = ImageGallery(
            "misclassifiedGallery", self.tr("Misclassified test images by loss")
        )
        self.cellGallery = ImageGallery("cellGallery", self.tr("Test images of the chosen cell"))
        self.galleryTabs = QTabWidget(objectName="galleryTabs")
        self.galleryTabs.addTab(self.misclassifiedGallery, self.tr("Misclassified, highest loss first"))
        self.galleryTabs.addTab(self.cellGallery, self.tr("Chosen cell"))
        self.galleryNote = QLabel(objectName="galleryNote", wordWrap=True)
        self.galleryNote.setProperty("role", "caption")
        self.addWidget(top)
        self.addWidget(_column((self.galleryNote, 0), (self.galleryTabs, 1)))
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setChildrenCollapsible(False)

        self.confusionView.cellClicked.connect(self.show_cell)
        self.confusedList.itemClicked.connect(self._on_pair_clicked)

    def set_result(self, result: dict[str, Any] | None) -> None:
        """Draw ``result`` (meta, metrics, and probabilities/images/labels or None); None clears."""
        self._result = result
        have_images = result is not None and result["probabilities"] is not None
        self._pred = np.asarray(result["probabilities"]).argmax(axis=1) if have_images else None
        self.cellGallery.clear()
        if result is None:
            for view in (self.confusionView, self.confusedList, self.misclassifiedGallery, self.galleryNote):
                view.clear()
            self.perClassTable.setRowCount(0)
            return
        metrics = result["metrics"]
        self._fill_table(metrics)
        self.confusionView.set_matrix(metrics["confusion"], metrics["classes"])
        self._fill_confused(metrics)
        self._fill_misclassified()
        self.galleryTabs.setTabText(1, self.tr("Chosen cell"))
        self.galleryTabs.setCurrentWidget(self.misclassifiedGallery)

    @Slot(int, int)
    def show_cell(self, true: int, pred: int) -> list[int]:
        """List the test images of one confusion cell (worst first); returns their test indices."""
        if self._result is None:
            return []
        classes = self._result["metrics"]["classes"]
        self.confusionView.select_cell(true, pred)
        count = int(np.asarray(self._result["metrics"]["confusion"])[true, pred])
        title = self.tr("true {true} → predicted {predicted} ({count})").format(
            true=classes[true], predicted=classes[pred], count=count
        )
        self.galleryTabs.setTabText(1, title)
        self.galleryTabs.setCurrentWidget(self.cellGallery)
        if self._pred is None:
            self.cellGallery.clear()
            self.galleryNote.setText(self.tr("Press Evaluate to see the images behind these numbers."))
            return []
        probs, y_true = self._result["probabilities"], self._result["labels"]
        idx = cell_indices(y_true, self._pred, true, pred, probs)
        self.cellGallery.set_images([self._entry(int(i)) for i in idx[:GALLERY_LIMIT]])
        more = self.tr(" (showing the first {n})").format(n=GALLERY_LIMIT) if len(idx) > GALLERY_LIMIT else ""
        self.galleryNote.setText(
            self.tr(
                "%n test image(s): {title}{more}, lowest probability of the true class first.", "", len(idx)
            ).format(title=title, more=more)
        )
        self.statusMessage.emit(self.tr("%n image(s): {title}", "", len(idx)).format(title=title))
        return [int(i) for i in idx]

    def _fill_table(self, metrics) -> None:
        rows = [(r["class"], r) for r in metrics["per_class"]]
        rows += [(self.tr("{name} avg").format(name=name), r) for name, r in metrics["averages"].items()]
        table = self.perClassTable
        table.setRowCount(len(rows))
        for i, (name, r) in enumerate(rows):
            cells = [str(name), *(number(r[k], 3) for k in ("precision", "recall", "f1")), str(r["support"])]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # the whole text where the column is too narrow ("weighted avg")
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if i >= len(metrics["per_class"]):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(i, j, item)
        table.resizeRowsToContents()  # rows as high as their text: ten classes and the averages fit at 720 px
        # The stretched class column gets what is left: make sure that is at least the averages' bold
        # names ("weighted avg"), so the splitter never squeezes them to "weighted …".
        bold = table.font()
        bold.setBold(True)
        widest = max(QFontMetrics(bold).horizontalAdvance(str(name)) for name, _ in rows[-2:]) + 16
        others = sum(table.horizontalHeader().sectionSize(c) for c in range(1, table.columnCount()))
        table.setMinimumWidth(widest + others + table.verticalScrollBar().sizeHint().width() + 4)

    def _fill_confused(self, metrics) -> None:
        self.confusedList.clear()
        classes = [str(c) for c in metrics["classes"]]
        for pair in metrics.get("most_confused") or []:
            item = QListWidgetItem(
                self.tr("{true} → {predicted}: %n image(s)", "", pair["count"]).format(
                    true=pair["true"], predicted=pair["predicted"]
                )
            )
            cell = (classes.index(str(pair["true"])), classes.index(str(pair["predicted"])))
            item.setData(Qt.ItemDataRole.UserRole, cell)
            item.setToolTip(
                self.tr("true {true}, predicted {predicted}").format(
                    true=pair["true"], predicted=pair["predicted"]
                )
            )
            self.confusedList.addItem(item)
        if not self.confusedList.count():
            self.confusedList.addItem(self.tr("No mistakes on the test set."))

    def _fill_misclassified(self) -> None:
        if self._pred is None:
            self.misclassifiedGallery.clear()
            self.galleryNote.setText(self.tr("Press Evaluate to see the misclassified images."))
            return
        order = top_losses(self._result["probabilities"], self._result["labels"])
        self.misclassifiedGallery.set_images([self._entry(int(i)) for i in order[:GALLERY_LIMIT]])
        more = (
            self.tr(" (showing the {n} worst)").format(n=GALLERY_LIMIT) if len(order) > GALLERY_LIMIT else ""
        )
        self.galleryNote.setText(
            self.tr(
                "%n misclassified test image(s){more}, sorted by loss (how little probability "
                "the true class got), highest first: often mislabelled or truly ambiguous. "
                "p is the probability of the wrong answer.",
                "",
                len(order),
            ).format(more=more)
        )

    def _entry(self, i: int) -> tuple[int, QPixmap, str, str]:
        res = self._result
        classes = res["metrics"]["classes"]
        probs, t, p = res["probabilities"][i], int(res["labels"][i]), int(self._pred[i])
        caption = f"{classes[t]} → {classes[p]} (p={number(probs[p], 2)})"
        loss = -np.log(max(float(probs[t]), 1e-12))
        tip = (
            caption
            + "\n"
            + self.tr(  # the caption in full first: the gallery may cut it short
                "test image #{i}\ntrue: {true} (p={pt})\npredicted: {predicted} (p={pp})\nloss: {loss}"
            ).format(
                i=i,
                true=classes[t],
                pt=number(probs[t], 3),
                predicted=classes[p],
                pp=number(probs[p], 3),
                loss=number(loss, 3),
            )
        )
        return i, thumbnail(res["images"][i]), caption, tip

    @Slot(QListWidgetItem)
    def _on_pair_clicked(self, item: QListWidgetItem) -> None:
        cell = item.data(Qt.ItemDataRole.UserRole)
        if cell:
            self.show_cell(*cell)
