"""A look at a loaded dataset: sample images with their labels, class counts and split sizes.

The Data panel owns one and hands it each ImageData it loads; this view only draws.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.data.splits import TEST_FRACTION, check_trainable, imbalance_warning
from engine.errors import DatasetError
from gui.widgets.image_grid import PreviewGrid, to_qimage

MAX_CLASSES_LISTED = 20


def sample_indices(labels: torch.Tensor, count: int, seed: int = 0) -> list[int]:
    """Up to ``count`` indices, taking classes in turn so every class shows up."""
    if labels.numel() == 0:
        return []
    order = torch.randperm(labels.numel(), generator=torch.Generator().manual_seed(seed))
    shuffled = labels[order]
    per_class = [order[shuffled == c][:count].tolist() for c in torch.unique(labels).tolist()]
    picked: list[int] = []
    for rank in range(count):
        for indices in per_class:
            if rank < len(indices) and len(picked) < count:
                picked.append(indices[rank])
    return picked


def split_sizes(data, val_split: float) -> tuple[int, int, int]:
    """Train, validation and test sizes ``engine.data.splits.split_dataset`` gives (without copying)."""

    def held(n: int, fraction: float) -> int:
        return min(n, max(1, math.ceil(fraction * n)))

    pool = int(data.train_labels.shape[0])
    if data.test_labels is not None:
        test = int(data.test_labels.shape[0])
    else:
        test = held(pool, TEST_FRACTION)
        pool -= test
    if getattr(data, "val_labels", None) is not None:  # the dataset's own validation split
        return pool, int(data.val_labels.shape[0]), test
    val = held(pool, val_split)
    return pool - val, val, test


def class_counts_text(data) -> str:
    """'<b>10 classes</b>, 28×28 grey images. Images per class: 0: 120 · 1: 118 …' (rich text)."""
    counts = torch.bincount(data.train_labels, minlength=len(data.classes)).tolist()
    parts = [f"{escape(str(name))}:&nbsp;{n}" for name, n in zip(data.classes, counts, strict=True)]
    if len(parts) > MAX_CLASSES_LISTED:
        parts = parts[:MAX_CLASSES_LISTED] + [f"… and {len(parts) - MAX_CLASSES_LISTED} more"]
    c, h, w = data.spec.shape
    colour = "grey" if c == 1 else "colour"
    text = f"<b>{len(data.classes)} classes</b>, {h}×{w} {colour} images. Images per class: " + " · ".join(
        parts
    )
    if data.skipped:
        path, reason = data.skipped[0]
        text += f"<br>{len(data.skipped)} files skipped (first: {escape(Path(path).name)}: {escape(reason)})"
    if getattr(data, "layout", ""):  # which image-folder layout was found (class folders or splits)
        text += f"<br>Layout: {escape(data.layout)}"
    for warning in [*getattr(data, "warnings", []), imbalance_warning(data), _too_small(data)]:
        if warning:
            text += f"<br><b>Warning:</b> {escape(warning)}"
    if data.source:  # where the images come from, and their licence where one applies
        text += f"<br>Source: {escape(data.source)}"
    return text


def _too_small(data) -> str | None:
    """Why training on ``data`` would be refused (a class too small for the splits), or None."""
    try:
        check_trainable(data)
    except DatasetError as exc:
        return exc.message
    return None


class DataPreview(QWidget):
    """Sample grid, class counts and split sizes of one ImageData."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataPreview")
        self._data = None
        self.previewGrid = PreviewGrid(columns=6, rows=4)  # narrow enough for a 1280-px screen
        self.previewGrid.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.classCountsLabel = QLabel(objectName="classCountsLabel", wordWrap=True)
        self.splitSizesLabel = QLabel(objectName="splitSizesLabel", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.previewGrid, 0, Qt.AlignmentFlag.AlignHCenter)
        for label in (self.classCountsLabel, self.splitSizesLabel):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)

    def show_data(self, data, val_split: float) -> None:
        """Draw ``data``'s samples, counts and split sizes (``val_split`` of what is not test)."""
        self._data = data
        picked = sample_indices(data.train_labels, self.previewGrid.capacity)
        images = [to_qimage(data.train_images[i]) for i in picked]
        captions = [str(data.classes[int(data.train_labels[i])]) for i in picked]
        self.previewGrid.set_samples(images, captions)
        self.classCountsLabel.setText(class_counts_text(data))
        self.show_split(val_split)

    def show_split(self, val_split: float) -> None:
        """Redraw the split sizes for another validation share (nothing shown: nothing to do)."""
        if self._data is None:
            return
        train, val, test = split_sizes(self._data, val_split)
        self.splitSizesLabel.setText(
            f"Split: <b>{train}</b> train · <b>{val}</b> validation · <b>{test}</b> test"
        )

    def clear(self) -> None:
        self._data = None
        self.previewGrid.set_samples([], [])
        self.classCountsLabel.clear()
        self.splitSizesLabel.clear()
