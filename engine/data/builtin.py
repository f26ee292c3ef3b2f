"""scikit-learn's 1,797 handwritten digits (8x8, 43 writers), framed like MNIST.

The built-in "digits" dataset, and the real handwriting the synthetic datasets test on.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.datasets import load_digits as sklearn_digits

from engine.data.framing import frame_digit
from engine.data.types import ImageData, digit_data
from engine.i18n import N_


@functools.lru_cache(maxsize=1)
def _framed_real_digits() -> tuple[torch.Tensor, torch.Tensor]:
    digits = sklearn_digits()
    framed = np.stack([frame_digit(img) for img in digits.images.astype(np.float32) / 16.0])
    images = torch.from_numpy(np.rint(framed * 255).astype(np.uint8))[:, None]
    return images, torch.as_tensor(digits.target, dtype=torch.int64)


def real_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's handwritten digits in MNIST's framing.

    Returns
    -------
    images : torch.Tensor
        uint8 ``(1797, 1, 28, 28)``, light ink on a dark background.
    labels : torch.Tensor
        int64 ``(1797,)``. Both are fresh copies (framing is done once and kept).
    """
    images, labels = _framed_real_digits()
    return images.clone(), labels.clone()


def load_digits() -> ImageData:
    """The built-in "digits" dataset: all 1,797 images as the pool, no test split of its own."""
    images, labels = real_digits()
    return digit_data("digits", images, labels, N_("scikit-learn load_digits (8x8, framed like MNIST)"))
