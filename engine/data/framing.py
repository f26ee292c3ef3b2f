"""MNIST's framing of a digit: ink fitted into a 20x20 box, centred by centre of mass in 28x28.

LeCun et al. normalised each NIST digit this way; doing the same to the built-in digits, to the
drawing canvas and to scanned images is what lets one digit model serve all of them.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MNIST_SIZE = 28
MNIST_BOX = 20
INK_THRESHOLD = 0.05  # a pixel with more ink than this counts as ink


def ink_bbox(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """Rows and columns ``(top, bottom, left, right)`` (inclusive) holding ink, or None if blank."""
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def fit_into_box(ink: np.ndarray, box: int = MNIST_BOX) -> np.ndarray:
    """Crop the ink and scale it so its longer side is ``box`` pixels, keeping the aspect ratio."""
    bbox = ink_bbox(ink)
    if bbox is None:
        return np.zeros((box, box), dtype=np.float32)
    top, bottom, left, right = bbox
    crop = np.ascontiguousarray(ink[top : bottom + 1, left : right + 1], dtype=np.float32)
    h, w = crop.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # LANCZOS anti-aliases when shrinking a large drawing and stays smooth when enlarging 8x8 digits.
    resized = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.LANCZOS))
    return np.clip(resized, 0.0, 1.0)


def centre_by_mass(glyph: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """Place ``glyph`` in a ``size`` square so that its centre of mass is at the centre."""
    out = np.zeros((size, size), dtype=np.float32)
    h, w = glyph.shape
    total = float(glyph.sum())
    if total <= 0:
        return out
    # From row and column sums: a full coordinate grid per image costs ten times more.
    cy = float((glyph.sum(axis=1) * np.arange(h)).sum()) / total
    cx = float((glyph.sum(axis=0) * np.arange(w)).sum()) / total
    top = int(round((size - 1) / 2 - cy))
    left = int(round((size - 1) / 2 - cx))
    # Keep the whole glyph inside the frame even when its mass is far off-centre.
    top = min(max(top, 0), size - h)
    left = min(max(left, 0), size - w)
    out[top : top + h, left : left + w] = glyph
    return out


def frame_digit(ink: np.ndarray) -> np.ndarray:
    """Frame a light-on-dark digit the way MNIST was made.

    Parameters
    ----------
    ink : np.ndarray
        2-D float array of any size, 1.0 = full ink, 0.0 = background.

    Returns
    -------
    np.ndarray
        ``(28, 28)`` float32 in [0, 1]; all zeros when there is no ink.
    """
    if ink.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {ink.shape}")
    return centre_by_mass(fit_into_box(ink.astype(np.float32)))
