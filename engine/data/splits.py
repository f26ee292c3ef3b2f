"""Train / validation / test splits, stratified by class, the same for the same seed."""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from engine.data.types import ImageData, Splits, Subset
from engine.errors import DatasetError
from engine.i18n import N_, _, gettext, ngettext

TEST_FRACTION = 0.15  # held out as the test part when a dataset has no test split of its own


def _stratified_split(labels: np.ndarray, positions: np.ndarray, fraction: float, seed: int):
    """Split ``positions`` into (keep, hold); stratified unless a class is too small for it."""
    n_hold = max(1, math.ceil(fraction * len(positions)))
    if n_hold >= len(positions):
        raise DatasetError(
            _("only {n_positions} images: too few to split off {fraction:.0%}").format(
                n_positions=len(positions), fraction=fraction
            )
        )
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
    if data.val_images is not None:  # the dataset's own validation split replaces the random one
        val = Subset(data.val_images, data.val_labels, None)
        return Splits(train=_subset(data.train_images, data.train_labels, pool), val=val, test=test)
    train_pos, val_pos = _stratified_split(labels, pool, val_split, seed)
    return Splits(
        train=_subset(data.train_images, data.train_labels, train_pos),
        val=_subset(data.train_images, data.train_labels, val_pos),
        test=test,
    )


def class_counts(labels: torch.Tensor, num_classes: int) -> list[int]:
    """How many images each class has."""
    return torch.bincount(labels.long(), minlength=num_classes)[:num_classes].tolist()


IMBALANCE_RATIO = 10  # the largest class this many times the smallest: accuracy hides the small ones


def check_trainable(data: ImageData) -> None:
    """Refuse data too small to train and test a model: each class needs one image in each split.

    Raises
    ------
    DatasetError
        Naming the classes that are too small, with every class's count and what to do.
    """
    pool = class_counts(data.train_labels, data.num_classes)
    need = 1 + (data.val_images is None) + (data.test_images is None)
    small = [c for c, n in zip(data.classes, pool, strict=True) if n < need]
    for part, labels in ((N_("validation"), data.val_labels), (N_("test"), data.test_labels)):
        if labels is not None:
            own = class_counts(labels, data.num_classes)
            small += [f"{c} ({gettext(part)})" for c, n in zip(data.classes, own, strict=True) if n < 1]
    if small:
        counts = ", ".join(f"{c}: {n}" for c, n in zip(data.classes, pool, strict=True))
        raise DatasetError(
            ngettext(
                "too few images to train and test: {classes} has fewer than a class needs (at least {need} "
                "to give one each to {parts}). Images per class: {counts}. "
                "Add images or leave the class out.",
                "too few images to train and test: {classes} have fewer than a class needs (at least {need} "
                "to give one each to {parts}). Images per class: {counts}. "
                "Add images or leave the class out.",
                len(small),
            ).format(classes=", ".join(small[:5]), need=need, parts=_needs(data), counts=counts)
        )


def _needs(data: ImageData) -> str:
    parts = [_("training")] + [_("validation")] * (data.val_images is None)
    parts += [_("test")] * (data.test_images is None)
    return _(" and ").join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def imbalance_warning(data: ImageData) -> str | None:
    """A warning when the largest class has ``IMBALANCE_RATIO`` times the images of the smallest."""
    counts = class_counts(data.train_labels, data.num_classes)
    if not counts or min(counts) == 0 or max(counts) < IMBALANCE_RATIO * min(counts):
        return None
    big = data.classes[counts.index(max(counts))]
    small = data.classes[counts.index(min(counts))]
    return _(
        "the classes are heavily unbalanced: {big} has {most} images, {small} only "
        "{fewest}; accuracy will mostly reflect the large classes (add images to the small "
        "ones, or judge by the per-class recall)"
    ).format(big=big, most=max(counts), small=small, fewest=min(counts))
