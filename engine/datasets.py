"""Datasets as in-memory uint8 tensors, with class names and the input spec models are built for.

CONTRACT (stub, to be implemented): other modules already code against these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from engine.config import DataConfig, InputSpec


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


def load_dataset(cfg: DataConfig) -> ImageData:
    raise NotImplementedError


def split_dataset(data: ImageData, val_split: float = 0.2, seed: int = 0) -> Splits:
    raise NotImplementedError


def normalise(images: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    raise NotImplementedError


def augment(images: torch.Tensor, generator: torch.Generator, flip: bool) -> torch.Tensor:
    raise NotImplementedError
