"""Pictures of what a model holds: activation maps and weights as uint8 images, and grids of them.

Plain numpy, so the window, the run report and the tests draw the same pixels. Two scalings:

- ``stretch`` for activation maps: each map from its own lowest value (black) to its highest
  (white), as CNN Explainer and Lucid show them; a map that is the same everywhere is black.
- ``symmetric`` for weights: zero is mid-grey, each filter scaled by its own largest magnitude, so a
  positive weight is light and a negative one dark whatever the filter's size; three input channels
  are shown as colour (the classic picture of AlexNet's first filters).
"""

from __future__ import annotations

import numpy as np


def stretch(maps: np.ndarray) -> np.ndarray:
    """float ``(N, H, W)`` maps as uint8, each stretched from its own minimum to its own maximum."""
    maps = np.asarray(maps, dtype=np.float32)
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    scaled = np.divide(maps - low, span, out=np.zeros_like(maps), where=span > 0)
    return np.round(scaled * 255.0).astype(np.uint8)


def symmetric(weights: np.ndarray) -> np.ndarray:
    """float ``(N, C, h, w)`` filters as uint8 ``(N, C', h, w)``: C' is 3 for three channels, else 1.

    Zero is grey (128); each filter is divided by its own largest magnitude. Filters with one, two or
    more than three input channels are shown as the mean over their channels.
    """
    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape[1] != 3:
        weights = weights.mean(axis=1, keepdims=True)
    top = np.abs(weights).max(axis=(1, 2, 3), keepdims=True)
    scaled = np.divide(weights, top, out=np.zeros_like(weights), where=top > 0)
    return np.round(127.5 + 127.5 * scaled).clip(0, 255).astype(np.uint8)


def enlarge(images: np.ndarray, factor: int) -> np.ndarray:
    """``(..., h, w)`` images ``factor`` times larger, each pixel a square (nearest neighbour)."""
    return images.repeat(factor, axis=-2).repeat(factor, axis=-1) if factor > 1 else images


def grid(images: np.ndarray, cols: int, gap: int = 1, background: int = 255) -> np.ndarray:
    """uint8 ``(N, C, h, w)`` images in rows of ``cols``, ``gap`` pixels apart: uint8 ``(C, H, W)``."""
    images = np.asarray(images, dtype=np.uint8)
    n, c, h, w = images.shape
    cols = max(1, min(cols, n))
    rows = max(1, -(-n // cols))
    out = np.full((c, rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap), background, np.uint8)
    for i in range(n):
        top, left = (i // cols) * (h + gap), (i % cols) * (w + gap)
        out[:, top : top + h, left : left + w] = images[i]
    return out
