"""What the report's charts and the window's views share: colours and the row-normalised confusion matrix.

Kept apart from ``charts`` so the window imports it without loading matplotlib.
"""

from __future__ import annotations

import numpy as np

TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#ff7f0e"
# matplotlib's tab10: distinct, colour-blind-friendlier than a hue wheel.
FOLD_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# scikit-learn's ConfusionMatrixDisplay default: white (no share) to dark blue (the whole class).
CONFUSION_CMAP = "Blues"


def row_fractions(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows without samples stay 0): scikit-learn's ``normalize="true"``."""
    cm = np.asarray(cm, dtype=np.float64)
    sums = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, sums, out=np.zeros_like(cm), where=sums > 0)
