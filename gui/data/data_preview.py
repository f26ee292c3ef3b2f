"""A look at a loaded dataset: sample images with their labels, class counts and split sizes.

The Data panel owns one and hands it each ImageData it loads; this view only draws.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

import torch
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.data.splits import TEST_FRACTION, check_trainable, imbalance_warning
from engine.errors import DatasetError
from engine.i18n import gettext
from engine.names import display_name
from gui.widgets.image_grid import PreviewGrid, to_qimage

MAX_CLASSES_LISTED = 20


def preview_samples(data, count: int) -> tuple[list[int], list[torch.Tensor]]:
    """The indices the grid shows and their pixels; a worker thread reads a streamed folder's."""
    picked = sample_indices(data.train_labels, count)
    return picked, [data.train_images[i] for i in picked]


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
        more = QCoreApplication.translate("data_preview", "… and {n} more")
        parts = parts[:MAX_CLASSES_LISTED] + [more.format(n=len(parts) - MAX_CLASSES_LISTED)]
    c, h, w = data.spec.shape
    if c == 1:
        head = QCoreApplication.translate("data_preview", "<b>{n} classes</b>, {h}×{w} grey images.")
    else:
        head = QCoreApplication.translate("data_preview", "<b>{n} classes</b>, {h}×{w} colour images.")
    text = head.format(n=len(data.classes), h=h, w=w) + " "
    text += QCoreApplication.translate("data_preview", "Images per class: {counts}").format(
        counts=" · ".join(parts)
    )
    if data.skipped:
        path, reason = data.skipped[0]
        text += "<br>" + QCoreApplication.translate(
            "data_preview", "Files skipped: {n} (first: {file}: {reason})"
        ).format(
            n=len(data.skipped),
            file=escape(display_name(Path(path).name)),
            reason=escape(display_name(reason)),
        )
    if getattr(data, "layout", ""):  # which image-folder layout was found (class folders or splits)
        text += "<br>" + QCoreApplication.translate("data_preview", "Layout: {layout}").format(
            layout=escape(data.layout)
        )
    for warning in [*getattr(data, "warnings", []), imbalance_warning(data), _too_small(data)]:
        if warning:
            text += "<br>" + QCoreApplication.translate("data_preview", "<b>Warning:</b> {warning}").format(
                warning=escape(display_name(warning))
            )
    if data.source:  # where the images come from, and their licence where one applies
        text += "<br>" + QCoreApplication.translate("data_preview", "Source: {source}").format(
            source=escape(display_name(gettext(data.source)))
        )
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

    def show_data(self, data, val_split: float, samples: tuple | None = None) -> None:
        """Draw ``data``'s samples, counts and split sizes (``val_split`` of what is not test).

        ``samples``: ``preview_samples`` read beforehand (off the GUI thread, for streamed folders).
        """
        self._data = data
        picked, pixels = samples or preview_samples(data, self.previewGrid.capacity)
        images = [to_qimage(p) for p in pixels]
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
            self.tr("Split: <b>{train}</b> train · <b>{val}</b> validation · <b>{test}</b> test").format(
                train=train, val=val, test=test
            )
        )

    def clear(self) -> None:
        self._data = None
        self.previewGrid.set_samples([], [])
        self.classCountsLabel.clear()
        self.splitSizesLabel.clear()
