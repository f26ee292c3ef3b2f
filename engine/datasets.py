"""Datasets as in-memory uint8 tensors, with class names and the input spec models are built for.

Every dataset, built in or on disk, becomes one ``ImageData``: a uint8 ``(N, C, H, W)`` pool to
split train/validation from, the dataset's own test split where it has one, class names and the
``InputSpec`` (channels, size, mean/std) a model is built for. Batches are normalised and augmented
as whole tensors (``normalise``, ``augment``), never one PIL image at a time.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.config import FOLDER_PREFIX, DataConfig, InputSpec
from engine.framing import frame_digit

# MNIST's own statistics, shared by every digit dataset so one digit model serves them all.
DIGIT_MEAN, DIGIT_STD = (0.1307,), (0.3081,)
FASHION_MEAN, FASHION_STD = (0.2860,), (0.3530,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
DIGIT_CLASSES = [str(d) for d in range(10)]
TEST_FRACTION = 0.15

DATASET_LABELS = {
    "digits": "Built-in digits (scikit-learn, 1,797)",
    "synth-digits": "Synthetic digits (generated, no download)",
    "mnist": "MNIST handwritten digits (70,000)",
    "fashion-mnist": "Fashion-MNIST clothing (70,000)",
    "cifar10": "CIFAR-10 photos (60,000)",
    FOLDER_PREFIX: "Image folder (one sub-folder per class)",
}


class DatasetError(Exception):
    """Data cannot be loaded; the message says which folder/files and what to do."""


@dataclass
class ImageData:
    """A dataset held in memory.

    ``train_images`` is the pool that train/validation are split from; ``test_images`` is the
    dataset's own test split, or None (then ``split_dataset`` holds out a test part).
    ``preparation`` is "digit" for digit datasets (MNIST framing applies at inference) else "image".
    ``flip_ok`` says whether horizontal flips are a valid augmentation (not for digits/text).
    ``skipped`` lists (path, reason) of files an image folder could not use.
    Tensors may be shared through the cache: treat them as read-only.
    """

    name: str
    classes: list[str]
    spec: InputSpec
    train_images: torch.Tensor  # uint8 (N, C, H, W)
    train_labels: torch.Tensor  # int64 (N,)
    test_images: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None
    preparation: str = "image"
    flip_ok: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass
class Subset:
    images: torch.Tensor  # uint8 (N, C, H, W)
    labels: torch.Tensor  # int64 (N,)
    indices: torch.Tensor | None = None  # positions in the pool it came from (None for own test set)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass
class Splits:
    train: Subset
    val: Subset
    test: Subset


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

_CACHE: OrderedDict[tuple, ImageData] = OrderedDict()
_CACHE_SIZE = 3


def clear_cache() -> None:
    """Forget every dataset loaded so far (e.g. after files on disk changed)."""
    _CACHE.clear()


def load_dataset(cfg: DataConfig) -> ImageData:
    """Load the dataset ``cfg`` names into memory, from the cache when it was loaded before.

    Parameters
    ----------
    cfg : DataConfig
        ``dataset``, ``data_dir``, ``image_size`` and ``download`` are used.

    Returns
    -------
    ImageData
        Shared with the cache: do not modify its tensors in place.

    Raises
    ------
    DatasetError
        Files are missing or unreadable, or a download failed; the message says what to do.
    """
    key = (cfg.dataset, str(cfg.data_dir), cfg.image_size)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    data = _load_uncached(cfg)
    _CACHE[key] = data
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return data


def _load_uncached(cfg: DataConfig) -> ImageData:
    name = cfg.dataset
    if name == "digits":
        return _load_digits()
    if name == "synth-digits":
        from engine.synth import synth_dataset  # written separately; imported only when used

        return synth_dataset(cfg)
    if name in ("mnist", "fashion-mnist"):
        return _load_idx(name, Path(cfg.data_dir), cfg.download)
    if name == "cifar10":
        return _load_cifar10(Path(cfg.data_dir), cfg.download)
    if name.startswith(FOLDER_PREFIX):
        return _load_folder(Path(name[len(FOLDER_PREFIX) :]).expanduser(), cfg.image_size)
    raise DatasetError(f"unknown dataset {name!r}")


def _digit_spec() -> InputSpec:
    return InputSpec(1, 28, 28, DIGIT_MEAN, DIGIT_STD)


def _load_digits() -> ImageData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    ink = bunch.images.astype(np.float32) / 16.0
    framed = np.stack([frame_digit(x) for x in ink])
    images = np.round(framed * 255.0).astype(np.uint8)[:, None]
    return ImageData(
        name="digits",
        classes=list(DIGIT_CLASSES),
        spec=_digit_spec(),
        train_images=torch.from_numpy(images),
        train_labels=torch.as_tensor(bunch.target, dtype=torch.int64),
        preparation="digit",
        flip_ok=False,
        source="scikit-learn load_digits (8x8, framed like MNIST)",
    )


def _load_idx(name: str, root: Path, download: bool) -> ImageData:
    raise DatasetError(f"{name} is not available yet")


def _load_cifar10(root: Path, download: bool) -> ImageData:
    raise DatasetError("cifar10 is not available yet")


def _load_folder(path: Path, image_size: int | None) -> ImageData:
    raise DatasetError("image folders are not available yet")


# ---------------------------------------------------------------------------------------------
# Splitting
# ---------------------------------------------------------------------------------------------


def _stratified_split(labels: np.ndarray, positions: np.ndarray, fraction: float, seed: int):
    """Split ``positions`` into (keep, hold); stratified unless a class is too small for it."""
    from sklearn.model_selection import train_test_split

    n_hold = max(1, math.ceil(fraction * len(positions)))
    if n_hold >= len(positions):
        raise DatasetError(f"only {len(positions)} images: too few to split off {fraction:.0%}")
    try:
        return train_test_split(positions, test_size=n_hold, random_state=seed, stratify=labels[positions])
    except ValueError:
        # A class with a single image (or more classes than held-out images) cannot be stratified.
        return train_test_split(positions, test_size=n_hold, random_state=seed, stratify=None)


def _subset(images: torch.Tensor, labels: torch.Tensor, positions: np.ndarray) -> Subset:
    index = torch.as_tensor(np.sort(positions), dtype=torch.int64)
    return Subset(images[index], labels[index], index)


def split_dataset(data: ImageData, val_split: float = 0.2, seed: int = 0) -> Splits:
    """Split the pool into train/validation (and a test part when the dataset has none).

    Parameters
    ----------
    data : ImageData
        The loaded dataset.
    val_split : float
        Fraction of the (remaining) pool used for validation.
    seed : int
        Same seed, same split.

    Returns
    -------
    Splits
        Stratified by class where possible; ``indices`` are positions in ``data.train_images``.
    """
    labels = data.train_labels.numpy()
    pool = np.arange(len(labels))
    if data.test_images is not None:
        test = Subset(data.test_images, data.test_labels, None)
    else:
        pool, held = _stratified_split(labels, pool, TEST_FRACTION, seed)
        test = _subset(data.train_images, data.train_labels, held)
    train_pos, val_pos = _stratified_split(labels, pool, val_split, seed)
    return Splits(
        train=_subset(data.train_images, data.train_labels, train_pos),
        val=_subset(data.train_images, data.train_labels, val_pos),
        test=test,
    )


# ---------------------------------------------------------------------------------------------
# Batch transforms (training hot path)
# ---------------------------------------------------------------------------------------------

_AFFINE_CACHE: dict[tuple, tuple] = {}


def _scale_shift(spec: InputSpec, from_uint8: bool, device: torch.device) -> tuple:
    """Per-channel (scale, shift) with ``x * scale + shift == (x / 255 - mean) / std``."""
    key = (spec.mean, spec.std, from_uint8, device)
    if key not in _AFFINE_CACHE:
        div = 255.0 if from_uint8 else 1.0
        scale = [1.0 / (div * s) for s in spec.std]
        shift = [-m / s for m, s in zip(spec.mean, spec.std, strict=True)]
        if len(scale) == 1:
            # Python scalars avoid a broadcast tensor op for the common grayscale case.
            _AFFINE_CACHE[key] = (scale[0], shift[0])
        else:
            shape = (1, len(scale), 1, 1)
            _AFFINE_CACHE[key] = (
                torch.tensor(scale, dtype=torch.float32, device=device).view(shape),
                torch.tensor(shift, dtype=torch.float32, device=device).view(shape),
            )
    return _AFFINE_CACHE[key]


def normalise(images: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """Turn pixels into the model's input: ``(x / 255 - mean) / std`` per channel.

    Parameters
    ----------
    images : torch.Tensor
        uint8 ``(N, C, H, W)`` in 0..255, or a float tensor already in [0, 1] (e.g. after
        ``augment``); the dtype decides which.
    spec : InputSpec
        Supplies mean and std per channel.

    Returns
    -------
    torch.Tensor
        New float32 tensor of the same shape; the input is not modified.
    """
    scale, shift = _scale_shift(spec, images.dtype == torch.uint8, images.device)
    if images.dtype != torch.uint8 and images.dtype != torch.float32:
        images = images.float()
    out = images.mul(scale)  # uint8 * float promotes to float32: one pass, one new tensor
    return out.add_(shift)


def augment(images: torch.Tensor, generator: torch.Generator, flip: bool) -> torch.Tensor:
    """Random small affine transform per image (and horizontal flips if ``flip``), batch-wise.

    Translation up to 10% of the side, rotation up to 10 degrees, scale 0.9..1.1, resampled
    bilinearly with edge pixels repeated outward, so it works before or after ``normalise``.

    Parameters
    ----------
    images : torch.Tensor
        Float ``(N, C, H, W)``.
    generator : torch.Generator
        CPU generator; the same state gives the same transforms.
    flip : bool
        Mirror a random half of the images left-right (only where the dataset allows it).

    Returns
    -------
    torch.Tensor
        New tensor, same shape, dtype and device.
    """
    n = images.shape[0]
    rand = torch.rand(n, 5, generator=generator)
    angle = (rand[:, 0] * 2 - 1) * math.radians(10)
    scale = 0.9 + 0.2 * rand[:, 1]
    shift = (rand[:, 2:4] * 2 - 1) * 0.2  # grid coordinates span 2, so 0.2 = 10% of the side
    mirror = torch.where(rand[:, 4] < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin, shift[:, 0]], dim=1),
            torch.stack([sin * mirror, cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    ).to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
