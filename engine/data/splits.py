"""Train / validation / test splits, stratified by class, the same for the same seed."""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from engine.data.types import ImageData, Splits, Subset
from engine.errors import DatasetError

TEST_FRACTION = 0.15  # held out as the test part when a dataset has no test split of its own


def _stratified_split(labels: np.ndarray, positions: np.ndarray, fraction: float, seed: int):
    """Split ``positions`` into (keep, hold); stratified unless a class is too small for it."""
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


def class_counts(labels: torch.Tensor, num_classes: int) -> list[int]:
    """How many images each class has."""
    return torch.bincount(labels.long(), minlength=num_classes)[:num_classes].tolist()
