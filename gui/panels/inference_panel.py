"""The Inference panel: draw a digit or drop an image file and see what the model says.

Which model: the one just trained (``set_model``), or any checkpoint in ``models/`` picked in
``modelPicker`` (``models/default-digits.pt`` is used when nothing else is there yet). The model's
metadata decides the preparation and the class names: digit models get the drawing canvas, other
models an image drop area (both stay available as tabs).

Preparation is the engine's (``engine.inference.Predictor``, the same code as ``main.py predict``);
the panel only shows its result: the class probabilities as bars, the top class in large type, the
top-k list, and the exact input the model saw (optionally with a Grad-CAM overlay).

Latency: a stroke's prediction runs right after the stroke is painted (a new stroke cancels one
not yet run). Small models on small inputs (the digit CNN and MLP, under ``INLINE_MAX_PARAMS``)
predict on the GUI thread, which costs less than a frame and avoids a thread hop: for the simple
CNN on a 280x280 drawing that is the engine's preparation (about 6 ms) plus the forward pass
(1-2 ms) on a 2-core CPU (bench/inference_latency.py). Larger models (VGG/ResNet) and image files
run in a worker thread (``gui.tasks.Task``), one at a time; only the newest input's result is shown.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMimeData, QSignalBlocker, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QImage,
    QImageReader,
    QPixmap,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.tasks import Task, error_message
from gui.widgets.drawing_canvas import DrawingCanvas

# 0 ms still waits for the stroke's own repaint (the timer fires after pending events); a new stroke
# cancels a prediction not yet run, so waiting longer would only add latency.
DEBOUNCE_MS = 0
INLINE_MAX_PARAMS = 2_000_000  # models this small predict a drawing within a frame, on the GUI thread
TOP_K = 5
PREVIEW_SIZE = 140
DEFAULT_MODEL = "default-digits.pt"
DEFAULT_DATASET = Path("data") / "my-digits"
MODEL_FILTER = "Taller models (*.pt);;All files (*)"
PREVIEW_STYLE = "QLabel#inputPreview { background: #000; border: 1px solid #c8ccd2; }"
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
BAR_COLOUR = "#90a4ae"
TOP_COLOUR = "#1f77b4"
TRAINED, OPEN = "trained", "open"
PERCENT_TICKS = [(v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
_LABEL_OK = re.compile(r"^[^/\\:*?\"<>|\x00-\x1f]{1,64}$")


@contextmanager
def single_torch_thread():
    """One intra-op thread while predicting a single small input, then the previous count again.

    For one 28x28 image a second OpenMP thread brings no speed, only wake-up jitter: measured
    canvas p95 23-71 ms with two threads, 16-23 ms with one. The count is process-wide, so it is
    restored at once; a training batch running meanwhile at most runs one batch on one thread.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@dataclass
class _Request:
    seq: int
    generation: int
    kind: str  # "canvas" or "file"
    payload: Any  # the drawing (uint8 H x W) or a file path
    saliency: bool


@dataclass
class Outcome:
    """A prediction ready to show, computed on the GUI thread or in a worker."""

    seq: int
    generation: int
    kind: str
    prediction: Any  # engine.inference.Prediction
    saliency: np.ndarray | None
    seconds: float


def compute(predictor, request: _Request) -> Outcome:
    """Run the engine on one request (safe in a worker thread: touches no widget)."""
    from engine.inference import InferenceError, saliency

    started = time.perf_counter()
    prediction = predictor.predict(request.payload, top_k=TOP_K)
    heat = None
    if request.saliency:
        try:
            heat = saliency(predictor.model, predictor.spec, prediction.input)
        except (InferenceError, RuntimeError):
            heat = None  # a model Grad-CAM cannot explain still gets its prediction shown
    seconds = time.perf_counter() - started
    return Outcome(request.seq, request.generation, request.kind, prediction, heat, seconds)


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """uint8 ``(H, W)`` grey or ``(H, W, 3)`` RGB as a QImage owning its pixels."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy()  # the numpy buffer goes away after this call


def overlay_heat(model_input: np.ndarray, heat: np.ndarray | None) -> np.ndarray:
    """The model's uint8 ``(C, H, W)`` input as RGB, with ``heat`` in [0, 1] blended on as inferno."""
    rgb = np.repeat(model_input[:1], 3, axis=0) if model_input.shape[0] == 1 else model_input[:3]
    rgb = rgb.transpose(1, 2, 0).astype(np.float32)
    if heat is None:
        return rgb.astype(np.uint8)
    heat = np.clip(np.asarray(heat, dtype=np.float32), 0.0, 1.0)
    colours = pg.colormap.get("inferno").map(heat.reshape(-1), mode="float")[:, :3] * 255.0
    alpha = 0.7 * heat[..., None]  # cold pixels keep the input visible
    return np.round(rgb * (1 - alpha) + colours.reshape(*heat.shape, 3) * alpha).astype(np.uint8)


def dropped_file(mime: QMimeData) -> str | None:
    """The first local file among dragged URLs, or None."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_file():
            return url.toLocalFile()
    return None


def describe_model(name: str, meta: dict[str, Any]) -> str:
    """One line about the active model: where it comes from, architecture, classes, input."""
    classes = [str(c) for c in meta.get("classes", [])]
    shown = ", ".join(classes[:6]) + (f" … (+{len(classes) - 6})" if len(classes) > 6 else "")
    spec = meta.get("spec") or {}
    parts = [f"<b>{escape(name)}</b>", escape(str(meta.get("arch", "?")))]
    if meta.get("dataset"):
        parts.append("trained on " + escape(str(meta["dataset"]).replace("folder:", "folder ")))
    parts.append(f"{len(classes)} classes ({escape(shown)})")
    if spec:
        parts.append(f"input {spec.get('channels')}×{spec.get('height')}×{spec.get('width')}")
    parts.append("digit framing" if meta.get("preparation") == "digit" else "image resize")
    return "Active model: " + " · ".join(parts)


def count_samples(root: Path) -> dict[str, int]:
    """PNG files per class folder under ``root``."""
    if not root.is_dir():
        return {}
    return {
        d.name: sum(1 for f in d.glob("*.png") if not f.name.startswith("."))
        for d in sorted(root.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    }


class FileDropMixin:
    """Accepts a dragged image file and hands its path to ``self.file_dropped(path)``.

    Put before the Qt class (``class X(FileDropMixin, QWidget)``) so its event handlers win.
    """

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        path = dropped_file(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.file_dropped(path)


class ImageDropArea(FileDropMixin, QLabel):
    """Shows the image being classified; accepts image files dragged onto it."""

    fileDropped = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("imageDropArea")
        self.setAccessibleName("Image drop area")
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(280, 280)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet(
            "QLabel#imageDropArea { border: 2px dashed #b0b8c1; border-radius: 8px; color: #667; "
            "background: #fafbfc; }"
        )
        self.show_hint()

    def show_hint(self) -> None:
        self.setPixmap(QPixmap())
        self.setText("Drop an image file here\nor use “Open image…”")

    def show_file(self, path: str) -> None:
        """Show a thumbnail of ``path`` (decoded at thumbnail size, so big photos stay cheap)."""
        reader = QImageReader(path)
        reader.setAutoTransform(True)  # phone photos: apply the EXIF rotation as the engine does
        size = reader.size()
        box = QSize(260, 260)
        if size.isValid() and (size.width() > box.width() or size.height() > box.height()):
            reader.setScaledSize(size.scaled(box, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if image.isNull():
            self.setPixmap(QPixmap())
            self.setText(Path(path).name)
            return
        self.setText("")
        self.setPixmap(QPixmap.fromImage(image))

    def file_dropped(self, path: str) -> None:
        self.fileDropped.emit(path)


class ProbabilityPlot(pg.PlotWidget):
    """Class probabilities as bars (objectName ``probabilityPlot``), the top class highlighted.

    Up to 12 short class names (digits) stand as vertical bars in class order, so each digit keeps
    its place; otherwise the ten most likely classes lie as horizontal bars, best at the top.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent=parent, background="w")
        self.setObjectName("probabilityPlot")
        self.setAccessibleName("Class probabilities")
        self.setMinimumSize(300, 200)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTextPen("#444")
            item.getAxis(axis).setPen("#999")
        self.bars = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], pen=None, brush=BAR_COLOUR)
        item.addItem(self.bars)
        self.classes: list[str] = []
        self.vertical = True
        self.values = np.zeros(0)

    def set_classes(self, classes: list[str]) -> None:
        """Lay the axes out for these class names (call when the model changes)."""
        self.classes = [str(c) for c in classes]
        n = len(self.classes)
        self.vertical = n <= 12 and all(len(c) <= 3 for c in self.classes)
        item = self.getPlotItem()
        value_axis, class_axis = ("left", "bottom") if self.vertical else ("bottom", "left")
        item.setLabel(value_axis, "probability")
        item.setLabel(class_axis, "")
        item.showGrid(x=not self.vertical, y=self.vertical, alpha=0.2)
        item.getAxis(value_axis).setTicks([PERCENT_TICKS, []])
        if self.vertical:
            item.getAxis("bottom").setTicks([list(enumerate(self.classes))])
            item.setXRange(-0.6, n - 0.4, padding=0)
            item.setYRange(0, 1.04, padding=0)
        else:
            item.setXRange(0, 1.04, padding=0)
            item.setYRange(-0.6, min(n, 10) - 0.4, padding=0)
        self.show_probabilities(np.zeros(n))

    def show_probabilities(self, probs: np.ndarray) -> None:
        """Update the bars in place (one ``setOpts``)."""
        probs = np.asarray(probs, dtype=np.float64)
        self.values = probs
        n = probs.shape[0]
        top = int(np.argmax(probs)) if n and probs.max() > 0 else -1
        reset = {"x": None, "y": None, "x1": None, "y1": None}
        if self.vertical:
            where = np.arange(n, dtype=np.float64)
            brushes = [TOP_COLOUR if i == top else BAR_COLOUR for i in range(n)]
            self.bars.setOpts(
                **reset, x0=where - 0.35, width=0.7, y0=np.zeros(n), height=probs, brushes=brushes
            )
            return
        order = np.argsort(-probs, kind="stable")[:10]
        where = np.arange(len(order), dtype=np.float64)[::-1]
        names = [(where[r], self.classes[i]) for r, i in enumerate(order) if i < len(self.classes)]
        self.getPlotItem().getAxis("left").setTicks([names])
        brushes = [TOP_COLOUR if i == top else BAR_COLOUR for i in order]
        self.bars.setOpts(
            **reset, x0=np.zeros(len(order)), width=probs[order], y0=where - 0.35, height=0.7, brushes=brushes
        )


class DatasetSaver(QWidget):
    """ "Add to dataset": save the canvas drawing, under a label the user confirms, in an image folder.

    The drawing is written as drawn (dark on light PNG) to ``<root>/<label>/<time>.png``, so the
    folder loads as ``folder:<root>`` in Taller and grows a user's own digit set.

    Signals
    -------
    saved(str)      path of the PNG just written
    failed(str)     why a drawing was not saved
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(
        self, canvas: DrawingCanvas, root: str | Path = DEFAULT_DATASET, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("datasetSaver")
        self.canvas = canvas
        self.root = Path(root)
        self.addToDatasetButton = QPushButton("Add to dataset…", objectName="addToDatasetButton")
        self.addToDatasetButton.setToolTip("Save this drawing with its label into an image-folder dataset")
        self.labelCombo = QComboBox(objectName="datasetLabelCombo", editable=True)
        self.labelCombo.setAccessibleName("Label of the drawing")
        self.labelCombo.setToolTip("The class this drawing shows (type a name to start a new class)")
        self.labelCombo.setMinimumContentsLength(6)
        self.folderLabel = QLabel(objectName="datasetFolderLabel", wordWrap=True)
        self.folderButton = QToolButton(objectName="datasetFolderButton", text="Change…")
        self.confirmButton = QPushButton("Save", objectName="confirmAddButton")
        self.confirmButton.setToolTip("Save the drawing under this label")
        self.cancelButton = QPushButton("Cancel", objectName="cancelAddButton")
        self.confirmRow = QWidget(objectName="addToDatasetRow")
        grid = QGridLayout(self.confirmRow)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Label"), 0, 0)
        grid.addWidget(self.labelCombo, 0, 1)
        grid.addWidget(self.confirmButton, 0, 2)
        grid.addWidget(self.cancelButton, 0, 3)
        grid.addWidget(QLabel("Folder"), 1, 0)
        grid.addWidget(self.folderLabel, 1, 1, 1, 2)
        grid.addWidget(self.folderButton, 1, 3)
        grid.setColumnStretch(1, 1)
        self.confirmRow.hide()
        self.countLabel = QLabel(objectName="datasetCountLabel", wordWrap=True)
        self.countLabel.setStyleSheet("color: #555;")
        self.countLabel.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.addToDatasetButton)
        column.addWidget(self.confirmRow)
        column.addWidget(self.countLabel)
        self.addToDatasetButton.clicked.connect(self.begin)
        self.confirmButton.clicked.connect(self.confirm)
        self.cancelButton.clicked.connect(self.confirmRow.hide)
        self.folderButton.clicked.connect(self.choose_folder)
        canvas.changed.connect(self.update_enabled)
        self.set_root(self.root)
        self.update_enabled()

    def set_root(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folderLabel.setText(escape(str(self.root)))
        self.folderLabel.setToolTip(f"Drawings are saved under {self.root.resolve()}")
        self.folderButton.setToolTip("Choose another dataset folder")

    def set_classes(self, classes: list[str]) -> None:
        """Offer the model's classes and the folders already in the dataset as labels."""
        current = self.labelCombo.currentText()
        self.labelCombo.clear()
        self.labelCombo.addItems(list(dict.fromkeys([*map(str, classes), *count_samples(self.root)])))
        if current:
            self.labelCombo.setCurrentText(current)

    def suggest(self, label: str) -> None:
        """Preset the label (the predicted class) unless the user is confirming one right now."""
        if not self.confirmRow.isVisible():
            self.labelCombo.setCurrentText(str(label))

    @Slot()
    def update_enabled(self) -> None:
        can_add = self.isEnabled() and not self.canvas.is_empty()
        self.addToDatasetButton.setEnabled(can_add)
        self.confirmButton.setEnabled(can_add)

    @Slot()
    def begin(self) -> None:
        """Show the inline row that asks to confirm the label."""
        self.confirmRow.show()
        self.labelCombo.setFocus()
        self.labelCombo.lineEdit().selectAll()

    @Slot()
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder for your drawings", str(self.root))
        if folder:
            self.set_root(folder)

    @Slot()
    def confirm(self) -> Path | None:
        """Save under the label in the combo box; the canvas is cleared for the next drawing."""
        label = self.labelCombo.currentText().strip()
        try:
            path = self.save(label)
        except (ValueError, OSError) as exc:
            self.failed.emit(f"The drawing was not saved: {exc}")
            return None
        self.confirmRow.hide()
        counts = count_samples(self.root)
        per_class = " · ".join(f"{c}: {n}" for c, n in counts.items())
        self.countLabel.setText(
            f"Saved as “{escape(label)}”. {escape(str(self.root))} now holds {sum(counts.values())} "
            f"drawings ({escape(per_class)}). Train on it by choosing this image folder as the data."
        )
        self.countLabel.show()
        self.saved.emit(str(path))
        self.canvas.clear()
        return path

    def save(self, label: str) -> Path:
        """Write the drawing to ``<root>/<label>/<time>.png`` atomically; returns the path."""
        from PIL import Image

        from engine.checkpoints import atomic_write
        from engine.datasets import DIGIT_MARKER

        if self.canvas.is_empty():
            raise ValueError("the canvas is empty; draw something first")
        if not _LABEL_OK.match(label) or label.startswith(".") or label != label.rstrip(". "):
            raise ValueError(f"“{label}” cannot be a class folder name; use letters, digits, - or _")
        folder = self.root / label
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
        path, n = folder / f"{stamp}.png", 1
        while path.exists():
            path, n = folder / f"{stamp}-{n}.png", n + 1
        picture = Image.fromarray(self.canvas.image(ratio=1.0))  # the same size from every screen
        marker = self.root / DIGIT_MARKER
        if not marker.exists():  # the folder then loads framed like MNIST, as the canvas is read
            atomic_write(marker, lambda tmp: tmp.write_text(json.dumps({"content": "drawn digits"})))
        return atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))


class InferencePanel(FileDropMixin, QWidget):
    """Draw or drop an image, see the prediction live; save drawings into a dataset.

    Signals
    -------
    predictionShown(object)   a Prediction was just drawn (bars, label, preview updated)
    modelChanged(str)         the active model changed; its display name
    loadFailed(str)           a checkpoint could not be loaded; the message shown to the user
    sampleSaved(str)          path of a drawing just added to the dataset
    statusMessage(str)        short text for the status bar
    """

    predictionShown = Signal(object)
    modelChanged = Signal(str)
    loadFailed = Signal(str)
    sampleSaved = Signal(str)
    statusMessage = Signal(str)

    def __init__(
        self,
        models_dir: str | Path | None = None,
        dataset_root: str | Path = DEFAULT_DATASET,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("inferencePanel")
        self.setAcceptDrops(True)
        if models_dir is None:
            from engine.checkpoints import MODELS_DIR

            models_dir = MODELS_DIR
        self.models_dir = Path(models_dir)
        self.predictor = None  # engine.inference.Predictor of the active model
        self.active_key: str | None = None  # TRAINED or a checkpoint path
        self.last_outcome: Outcome | None = None
        self._trained: tuple[Any, dict, str] | None = None  # (model, meta, name)
        self._extra_files: list[str] = []  # checkpoints opened from outside models/
        self._generation = 0  # bumped per model: results of an earlier model are dropped
        self._seq = 0  # bumped per input: only the newest input's result is shown
        self._task: Task | None = None
        self._pending: _Request | None = None
        self._load_seq = 0
        self._loading: set[int] = set()
        self._file: str | None = None
        self._picker_busy = False
        self.runs = {"inline": 0, "worker": 0}  # where predictions ran (for the bench and tests)
        self._build(dataset_root)
        self._connect()
        self.refresh_models()
        self.probabilityPlot.set_classes([str(d) for d in range(10)])  # a placeholder until a model comes
        self._sync_to_tab(0)
        self._show_empty()

    # ---- layout -----------------------------------------------------------------------------------
    def _build(self, dataset_root) -> None:
        self.modelPicker = QComboBox(objectName="modelPicker")
        self.modelPicker.setAccessibleName("Model used for predictions")
        self.modelPicker.setToolTip("The model that predicts: the one just trained or a saved checkpoint")
        self.modelPicker.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.modelPicker.setPlaceholderText("No model yet: train one, or pick a saved model")
        self.refreshModelsButton = QToolButton(objectName="refreshModelsButton", text="↻")
        self.refreshModelsButton.setToolTip("Look again for checkpoints in the models folder")
        self.activeModelLabel = QLabel(objectName="activeModelLabel", wordWrap=True)
        self.activeModelLabel.setTextFormat(Qt.TextFormat.RichText)
        self.activeModelLabel.setText("No model in use yet: train one, or pick a saved model above.")
        self.inferenceMessage = QLabel(objectName="inferenceMessage", wordWrap=True)
        self.inferenceMessage.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.inferenceMessage.hide()
        picker_row = QHBoxLayout()
        picker_row.addWidget(QLabel("Model"))
        picker_row.addWidget(self.modelPicker, 1)
        picker_row.addWidget(self.refreshModelsButton)

        self.inputTabs = QTabWidget(objectName="inputTabs")
        self.inputTabs.addTab(self._build_draw_tab(dataset_root), "Draw")
        self.inputTabs.addTab(self._build_image_tab(), "Image file")
        self.inputTabs.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        left = QVBoxLayout()
        left.addWidget(self.inputTabs)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(self._build_results(), 1)
        layout = QVBoxLayout(self)
        layout.addLayout(picker_row)
        layout.addWidget(self.activeModelLabel)
        layout.addWidget(self.inferenceMessage)
        layout.addLayout(body, 1)

    def _build_draw_tab(self, dataset_root) -> QWidget:
        self.canvas = DrawingCanvas()
        self.saver = DatasetSaver(self.canvas, dataset_root)
        page = QWidget(objectName="drawPage")
        column = QVBoxLayout(page)
        column.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.canvas.controls)
        self.canvas.controls.show()
        column.addWidget(self.saver)
        column.addStretch(1)
        page.setMinimumWidth(self.canvas.width() + 24)
        return page

    def _build_image_tab(self) -> QWidget:
        self.dropArea = ImageDropArea()
        self.openImageButton = QPushButton("Open image…", objectName="openImageButton")
        self.openImageButton.setToolTip("Choose an image file to classify (or drop one on the panel)")
        self.fileLabel = QLabel(objectName="imageFileLabel", wordWrap=True)
        self.fileLabel.setStyleSheet("color: #555;")
        page = QWidget(objectName="imagePage")
        column = QVBoxLayout(page)
        column.addWidget(self.dropArea, 1)
        column.addWidget(self.fileLabel)
        column.addWidget(self.openImageButton)
        return page

    def _build_results(self) -> QVBoxLayout:
        self.predictionLabel = QLabel(objectName="predictionLabel")
        font = QFont(self.font())
        font.setPointSizeF(max(24.0, font.pointSizeF() * 2.6))
        font.setBold(True)
        self.predictionLabel.setFont(font)
        self.predictionLabel.setAccessibleName("Predicted class")
        self.predictionLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.predictionCaption = QLabel(objectName="predictionCaption")
        self.predictionCaption.setStyleSheet("color: #555;")
        self.probabilityPlot = ProbabilityPlot()
        self.topKList = QListWidget(objectName="topKList")
        self.topKList.setAccessibleName("Most likely classes")
        self.topKList.setFixedHeight(self.topKList.fontMetrics().lineSpacing() * TOP_K + 10)
        self.topKList.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.topKList.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.inputPreview = QLabel(objectName="inputPreview")
        self.inputPreview.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.inputPreview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.inputPreview.setStyleSheet(PREVIEW_STYLE)
        self.inputPreview.setAccessibleName("The input the model sees")
        self.previewCaption = QLabel(objectName="inputPreviewCaption", wordWrap=True)
        self.previewCaption.setStyleSheet("color: #555;")
        self.saliencyCheck = QCheckBox("Show what drove the prediction", objectName="saliencyCheck")
        self.saliencyCheck.setToolTip(
            "Grad-CAM: colour the pixels that pushed the model towards its answer (bright = more)"
        )
        side = QVBoxLayout()
        side.addWidget(self.previewCaption)
        side.addWidget(self.saliencyCheck)
        side.addStretch(1)
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.inputPreview, 0, Qt.AlignmentFlag.AlignTop)
        preview_row.addLayout(side, 1)
        column = QVBoxLayout()
        column.addWidget(self.predictionLabel)
        column.addWidget(self.predictionCaption)
        column.addWidget(self.probabilityPlot, 1)
        column.addWidget(self.topKList)
        column.addLayout(preview_row)
        return column

    def _connect(self) -> None:
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.predict_canvas)
        self.canvas.changed.connect(self.debounce.start)
        self.canvas.strokeStarted.connect(self.debounce.stop)  # the next stroke makes it stale
        self.modelPicker.currentIndexChanged.connect(self._on_picker_changed)
        self.refreshModelsButton.clicked.connect(self.refresh_models)
        self.inputTabs.currentChanged.connect(self._on_tab_changed)
        self.dropArea.fileDropped.connect(self.classify_file)
        self.openImageButton.clicked.connect(self.open_image)
        self.saliencyCheck.toggled.connect(self._on_saliency_toggled)
        self.saver.saved.connect(self._on_sample_saved)
        self.saver.failed.connect(self.show_message)

    # ---- models -----------------------------------------------------------------------------------
    def set_model(self, model, meta: dict[str, Any], name: str = "Model just trained") -> bool:
        """Make ``model`` (with checkpoint ``meta``) the "Model just trained" entry and use it."""
        self._trained = (model, dict(meta), name)
        self.refresh_models()
        return self._activate(model, meta, TRAINED, name)

    @Slot(object)
    def use_source(self, source) -> None:
        """Slot for the window's ``modelChanged``: a RunResult (just trained) or a LoadedCheckpoint."""
        path = getattr(source, "path", None)
        if path is not None:
            self._activate_loaded(source, str(path))
        else:
            self.set_model(source.model, source.meta)

    @Slot()
    def refresh_models(self) -> None:
        """Rebuild the picker from the models folder, keeping the active entry selected."""
        files = sorted(self.models_dir.glob("*.pt"), key=lambda p: (p.name != DEFAULT_MODEL, p.name.lower()))
        paths = [str(p) for p in files]
        paths += [p for p in self._extra_files if p not in paths]
        busy, self._picker_busy = self._picker_busy, True
        try:
            picker = self.modelPicker
            picker.clear()
            picker.addItem(self._trained[2] if self._trained else "Model just trained (none yet)", TRAINED)
            picker.model().item(0).setEnabled(self._trained is not None)
            for path in paths:
                name = Path(path).name
                picker.addItem(f"{name} (default digits model)" if name == DEFAULT_MODEL else name, path)
                picker.setItemData(picker.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
            picker.addItem("Open…", OPEN)
            self._select_key(self.active_key)
        finally:
            self._picker_busy = busy

    @Slot(str)
    def on_model_saved(self, path: str) -> None:
        """Slot for the Training panel's ``modelSaved``: list the new file."""
        self.refresh_models()

    def load_checkpoint(self, path: str | Path) -> None:
        """Load a checkpoint in a worker thread; once loaded it becomes the active model."""
        path = str(path)
        self._load_seq += 1
        seq = self._load_seq
        self._loading.add(seq)
        self.statusMessage.emit(f"Loading {Path(path).name}…")

        def load(on_event, stop):
            from engine.checkpoints import load_checkpoint

            try:
                return seq, load_checkpoint(path), ""
            except Exception as exc:  # noqa: BLE001 - reported in the pane, with its request number
                return seq, None, error_message(exc)

        task = Task(load, parent=self, name="inferenceLoadTask")
        task.succeeded.connect(self._on_loaded)
        task.start()

    def is_busy(self) -> bool:
        """True while a checkpoint loads or a prediction runs in a worker."""
        return bool(self._loading) or self._task is not None

    def shutdown(self) -> None:
        """Wait for the worker threads (call before the panel goes away)."""
        self.debounce.stop()
        self._pending = None
        for task in self.findChildren(Task):
            task.stop_and_wait()

    @Slot(object)
    def _on_loaded(self, result) -> None:
        seq, loaded, message = result
        self._loading.discard(seq)
        if seq != self._load_seq:
            return  # the user chose another model meanwhile
        if loaded is not None:
            self._activate_loaded(loaded, str(loaded.path))
            return
        self.show_message(f"{message}\nThe model in use has not changed.", role="error")
        self._select_key(self.active_key)
        self.statusMessage.emit("Could not load that model")
        self.loadFailed.emit(message)

    def _activate_loaded(self, loaded, path: str) -> None:
        if Path(path).parent.resolve() != self.models_dir.resolve() and path not in self._extra_files:
            self._extra_files.append(path)
        self.refresh_models()
        self._activate(loaded.model, loaded.meta, path, Path(path).name)

    def _activate(self, model, meta: dict[str, Any], key: str, name: str) -> bool:
        from engine.inference import InferenceError, Predictor

        try:
            predictor = Predictor(model, meta)
        except InferenceError as exc:
            self.show_message(f"{name} cannot make predictions: {exc}", role="error")
            self._select_key(self.active_key)
            return False
        self.predictor, self.active_key = predictor, key
        self._generation += 1
        self._select_key(key)
        self.show_message("")
        self.activeModelLabel.setText(describe_model(name, meta))
        self.probabilityPlot.set_classes(predictor.classes)
        self.saver.set_classes(predictor.classes)
        self._show_tab(0 if self._wants_canvas(meta) else 1)
        self.modelChanged.emit(name)
        self.statusMessage.emit(f"Predicting with {name}")
        self._predict_current()
        return True

    def _wants_canvas(self, meta: dict[str, Any]) -> bool:
        if meta.get("preparation") == "digit":
            return True
        # A model trained on drawings saved from this canvas reads drawings as they are.
        dataset = str(meta.get("dataset", ""))
        return dataset.startswith("folder:") and Path(dataset[7:]).resolve() == self.saver.root.resolve()

    def _select_key(self, key: str | None) -> None:
        busy, self._picker_busy = self._picker_busy, True
        try:
            self.modelPicker.setCurrentIndex(self.modelPicker.findData(key) if key is not None else -1)
        finally:
            self._picker_busy = busy

    @Slot(int)
    def _on_picker_changed(self, index: int) -> None:
        if self._picker_busy or index < 0:
            return
        key = self.modelPicker.itemData(index)
        if key == self.active_key:
            return
        self._select_key(self.active_key)  # the picker shows the model in use until the new one is ready
        if key == TRAINED and self._trained is not None:
            self._activate(*self._trained[:2], TRAINED, self._trained[2])
        elif key == OPEN:
            self.open_checkpoint()
        elif key:
            self.load_checkpoint(key)

    @Slot()
    def open_checkpoint(self) -> None:
        start = str(self.models_dir if self.models_dir.is_dir() else Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open model", start, MODEL_FILTER)
        if path:
            self.load_checkpoint(path)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh_models()
        default = self.models_dir / DEFAULT_MODEL
        if self.predictor is None and not self._loading and default.is_file():
            self.load_checkpoint(default)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # ---- predictions ------------------------------------------------------------------------------
    @Slot()
    def predict_canvas(self) -> None:
        """Predict the drawing now (the debounce timer calls this after each stroke)."""
        self.debounce.stop()
        if self.canvas.is_empty():
            self._seq += 1  # a result still on its way is about a drawing that is gone
            self._show_empty()
            return
        self._request("canvas", self.canvas.image(ratio=1.0))

    @Slot(str)
    def classify_file(self, path: str) -> None:
        """Show ``path`` in the image tab and predict it (in a worker thread)."""
        self._file = str(path)
        self._show_tab(1)
        self.dropArea.show_file(self._file)
        self.fileLabel.setText(escape(Path(self._file).name))
        self._request("file", self._file)

    @Slot()
    def open_image(self) -> None:
        start = str(Path(self._file).parent if self._file else Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, IMAGE_FILTER)
        if path:
            self.classify_file(path)

    def _predict_current(self) -> None:
        if self.inputTabs.currentIndex() == 0:
            self.predict_canvas()
        elif self._file:
            self._request("file", self._file)
        else:
            self._seq += 1
            self._show_empty()

    def _request(self, kind: str, payload) -> None:
        if self.predictor is None:
            self.show_message("No model yet: train one, or pick a saved model above.", role="info")
            return
        self._seq += 1
        request = _Request(self._seq, self._generation, kind, payload, self.saliencyCheck.isChecked())
        if self._task is not None:
            self._pending = request  # one at a time; only the newest waiting request survives
            return
        self._run(request)

    def _runs_inline(self, request: _Request) -> bool:
        if request.kind != "canvas":
            return False  # decoding a big photo can take long: never on the GUI thread
        # Decided by size, not by timing: timings taken in a worker are inflated by the thread's
        # start and the GIL, and would keep a 10 ms model off the GUI thread for good.
        # The digit CNN (~100k parameters) predicts a 28x28 drawing in about 10 ms.
        params = sum(p.numel() for p in self.predictor.model.parameters())
        spec = self.predictor.spec
        return params < INLINE_MAX_PARAMS and spec.height * spec.width <= 64 * 64

    def _run(self, request: _Request) -> None:
        predictor = self.predictor
        if self._runs_inline(request):
            self.runs["inline"] += 1
            try:
                with single_torch_thread():
                    outcome = compute(predictor, request)
            except Exception as exc:  # noqa: BLE001 - shown in the pane like a worker's failure
                self._on_predict_failed(error_message(exc))
                return
            self._show_outcome(outcome)
            return

        def job(on_event, stop):
            return compute(predictor, request)

        self.runs["worker"] += 1
        task = Task(job, parent=self, name="inferenceTask")
        task.succeeded.connect(self._show_outcome)
        task.failed.connect(self._on_predict_failed)
        task.finished.connect(self._on_task_finished)
        self._task = task
        task.start()

    @Slot()
    def _on_task_finished(self) -> None:
        self._task = None
        pending, self._pending = self._pending, None
        if pending is not None and pending.generation == self._generation and pending.seq == self._seq:
            self._run(pending)

    @Slot(str)
    def _on_predict_failed(self, message: str) -> None:
        self.show_message(message, role="error")
        self.statusMessage.emit(message.splitlines()[0] if message else "Prediction failed")

    @Slot(object)
    def _show_outcome(self, outcome: Outcome) -> None:
        if outcome.generation != self._generation or outcome.seq != self._seq:
            return  # another model, or a newer input, since this was asked for
        self.last_outcome = outcome
        prediction = outcome.prediction
        if self.inferenceMessage.property("role") == "error":
            self.show_message("")
        self.probabilityPlot.show_probabilities(prediction.probabilities)
        name, confidence = prediction.top[0]
        sure = confidence >= 0.5
        self.predictionLabel.setText(f"{name} — {confidence:.0%}")
        self.predictionLabel.setStyleSheet("" if sure else "color: #888;")
        self.predictionCaption.setText("the model's answer" if sure else "unsure: no class reaches 50%")
        self.topKList.clear()
        self.topKList.addItems([f"{i}. {c} — {p:.1%}" for i, (c, p) in enumerate(prediction.top, start=1)])
        self._show_preview(prediction.input, outcome.saliency)
        if outcome.kind == "canvas":
            self.saver.suggest(name)
        self.predictionShown.emit(prediction)

    def _show_empty(self) -> None:
        self.last_outcome = None
        self.probabilityPlot.show_probabilities(np.zeros(len(self.probabilityPlot.classes)))
        self.predictionLabel.setText("–")
        self.predictionLabel.setStyleSheet("color: #888;")
        if self.predictor is None:
            self.predictionCaption.setText("no model yet: train one or pick a saved model")
        elif self.inputTabs.currentIndex() == 0:
            self.predictionCaption.setText("draw a digit on the canvas")
        else:
            self.predictionCaption.setText("drop an image file or open one")
        self.topKList.clear()
        self.inputPreview.setPixmap(QPixmap())
        self.previewCaption.setText(self._preview_text())

    # ---- preview ----------------------------------------------------------------------------------
    def _preview_text(self) -> str:
        if self.predictor is None:
            return "The input the model sees appears here."
        spec = self.predictor.spec
        size = f"{spec.width}×{spec.height}" + ("" if spec.channels == 1 else " colour")
        if self.predictor.preparation == "digit":
            return (
                f"What the model sees: {size}, ink bright on black, the digit scaled into a 20×20 box "
                "and centred by its mass, as MNIST was made."
            )
        return f"What the model sees: the image resized to {size}, as in training."

    def _show_preview(self, model_input: np.ndarray, heat: np.ndarray | None) -> None:
        use_heat = heat if self.saliencyCheck.isChecked() else None
        image = array_to_qimage(overlay_heat(model_input, use_heat)).scaled(
            PREVIEW_SIZE - 2,
            PREVIEW_SIZE - 2,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,  # nearest neighbour: each input pixel stays a square
        )
        self.inputPreview.setPixmap(QPixmap.fromImage(image))
        caption = self._preview_text()
        if use_heat is not None:
            caption += " Bright colours mark the pixels that drove the prediction most."
        self.previewCaption.setText(caption)

    @Slot(bool)
    def _on_saliency_toggled(self, on: bool) -> None:
        outcome = self.last_outcome
        if outcome is None:
            return
        if on and outcome.saliency is None:
            self._predict_current()  # the map comes with a fresh prediction
        else:
            self._show_preview(outcome.prediction.input, outcome.saliency)

    def _show_tab(self, index: int) -> None:
        """Switch input tabs without the tab's own prediction (the caller predicts)."""
        with QSignalBlocker(self.inputTabs):
            self.inputTabs.setCurrentIndex(index)
        self._sync_to_tab(index)

    def _sync_to_tab(self, index: int) -> None:
        self.saver.setEnabled(index == 0)
        self.saver.update_enabled()
        # Digit bars already say it all; images (and long class lists) get the top-k list too.
        self.topKList.setVisible(index == 1 or not self.probabilityPlot.vertical)

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        self._sync_to_tab(index)
        if self.predictor is not None:
            self._predict_current()

    @Slot(str)
    def _on_sample_saved(self, path: str) -> None:
        self.show_message("")
        self.statusMessage.emit(f"Saved {path}")
        self.sampleSaved.emit(path)

    # ---- messages and drops -----------------------------------------------------------------------
    @Slot(str)
    def show_message(self, text: str, role: str = "error") -> None:
        """A non-modal message under the model picker (empty text hides it)."""
        self.inferenceMessage.setText(text)
        self.inferenceMessage.setProperty("role", role if text else "")
        self.inferenceMessage.style().unpolish(self.inferenceMessage)
        self.inferenceMessage.style().polish(self.inferenceMessage)
        self.inferenceMessage.setVisible(bool(text))

    def file_dropped(self, path: str) -> None:
        self.classify_file(path)
