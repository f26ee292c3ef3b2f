"""Image folders too large for memory: files decoded and resized in ``DataLoader`` worker processes.

The in-memory path (``engine.data.folder``) reads every picture into one uint8 tensor; that is
right for MNIST-sized data and wrong for 100,000 phone photos at 224 px. This module reads the
same files the same way (``engine.data.decode`` + ``pil_to_array``), but one batch at a time in
worker processes (torchvision's ``references/classification`` ``load_data``: ``num_workers``,
``pin_memory``, ``persistent_workers``), optionally writing the decoded pixels to the decode cache
(``engine.data.cache``) so later epochs and runs skip decoding. Without augmentation both paths give
the same pixels, and with the same permutation the same batches.

Training augmentation for photos is torchvision ``transforms.v2`` (RandomResizedCrop + flip) on the
decoded picture, in the workers. Datasets, collate functions and transforms are module-level
classes, so workers start the same way under fork (Linux) and spawn (Windows, macOS).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision.transforms import v2

from engine.data.cache import CachedImages, CacheEntry
from engine.data.decode import open_image, standard_image
from engine.data.transforms import pil_to_array


def read_file(path: Path, size: int, channels: int) -> np.ndarray | str:
    """uint8 ``(channels, size, size)`` of one file, or the reason it cannot be used."""
    try:
        return pil_to_array(standard_image(open_image(path, check=False)), channels, (size, size))
    except Exception as exc:  # noqa: BLE001 - a user's file can fail in many ways; it is skipped
        return str(exc).removeprefix(f"{path}: ")


def default_workers() -> int:
    """Decoding processes: the cores there are, at most 8 (more only contend for the disk)."""
    return max(0, min(8, (os.cpu_count() or 1) - 1))


class DecodeFiles(Dataset):
    """Item ``i``: ``(i, pixels or None, reason or "")`` for the i-th file; never raises."""

    def __init__(self, files: list[Path], size: int, channels: int):
        self.files, self.size, self.channels = list(files), size, channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        got = read_file(self.files[i], self.size, self.channels)
        return (i, None, got) if isinstance(got, str) else (i, got, "")


def as_list(items: list) -> list:
    """A collate function that leaves a batch as the list it is (pixels may be missing)."""
    return items


def decode_files(
    files: list[Path], size: int, channels: int, workers: int | None = None, batch: int = 64
) -> Iterator[tuple[int, np.ndarray | None, str]]:
    """Decode every file in worker processes; yields ``(index, pixels or None, reason)``."""
    workers = default_workers() if workers is None else workers
    loader = DataLoader(
        DecodeFiles(files, size, channels), batch_size=batch, num_workers=workers, collate_fn=as_list
    )
    for items in loader:
        yield from items


def decoded_folder(
    files: list[Path],
    size: int,
    channels: int,
    use_cache: bool = True,
    workers: int | None = None,
    cache_root: Path | None = None,
) -> tuple[torch.Tensor | CachedImages, np.ndarray, dict[int, str]]:
    """Every file decoded once: from the decode cache when it is complete, else in worker processes.

    Returns the pixels (``CachedImages`` read from disk with ``use_cache``, else one uint8
    ``(N, C, H, W)`` tensor in memory), a mask of the files that decoded, and the reason for each
    one that did not (their pixels are zero).
    """
    entry = CacheEntry.of(files, size, channels, cache_root) if use_cache else None
    if entry is not None and entry.complete():
        return entry.read()
    images = np.zeros((len(files), channels, size, size), dtype=np.uint8) if entry is None else None
    out = entry.writer() if entry is not None else None
    ok = np.zeros(len(files), dtype=bool)
    skipped: dict[int, str] = {}
    try:
        for i, pixels, reason in decode_files(files, size, channels, workers):
            if pixels is None:
                skipped[i] = reason
            elif out is not None:
                entry.put(out, i, pixels)
            else:
                images[i] = pixels
            ok[i] = pixels is not None
    except BaseException:
        if out is not None:
            out.close()  # the entry stays incomplete (no index.json): it is never read
        raise
    if entry is None:
        return torch.from_numpy(images), ok, skipped
    entry.finish(out, ok, skipped)
    return entry.read()


class CachedPhotos(Dataset):
    """Item ``i``: (uint8 tensor, label) read from a decode cache: no decoding at all."""

    def __init__(self, images: CachedImages | torch.Tensor, labels: list[int]):
        self.images, self.labels = images, list(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], self.labels[i]


class PhotoFiles(Dataset):
    """Item ``i``: (uint8 ``(C, size, size)`` tensor, label) of the i-th file, decoded in a worker.

    With ``augment`` the picture is decoded at its own size and cropped with ``RandomResizedCrop``
    and flipped (``transforms.v2``); without, it is resized exactly as the in-memory path does.
    """

    def __init__(self, files: list[Path], labels: list[int], size: int, channels: int, augment: bool):
        self.files, self.labels = list(files), list(labels)
        self.size, self.channels = size, channels
        self.transform = photo_augmentation(size) if augment else None

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = standard_image(open_image(self.files[i], check=False))
        if self.transform is None:
            pixels = pil_to_array(image, self.channels, (self.size, self.size))
            return torch.from_numpy(pixels), self.labels[i]
        full = torch.from_numpy(pil_to_array(image, self.channels, image.size))
        return self.transform(full), self.labels[i]


def photo_augmentation(size: int) -> v2.Compose:
    """Training augmentation for photos, on uint8 tensors: random resized crop and horizontal flip."""
    return v2.Compose([v2.RandomResizedCrop(size, antialias=True), v2.RandomHorizontalFlip()])


class PermutationBatches(Sampler):
    """Batches of indices in the order the training loop drew (``set_order`` before each epoch).

    It lives in the main process, so one DataLoader with persistent workers serves every epoch.
    """

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.order: list[int] = []

    def set_order(self, perm: torch.Tensor) -> None:
        self.order = perm.tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for k in range(0, len(self.order), self.batch_size):
            yield self.order[k : k + self.batch_size]

    def __len__(self) -> int:
        return -(-len(self.order) // self.batch_size)


def stream_loader(
    dataset: Dataset, batch_size: int, workers: int | None = None
) -> tuple[DataLoader, PermutationBatches]:
    """A DataLoader over ``dataset`` in the loop's own order, and the sampler that sets that order.

    ``pin_memory`` when a GPU takes the batches; workers persist between epochs (no restart cost).
    """
    workers = default_workers() if workers is None else workers
    sampler = PermutationBatches(batch_size)
    loader = DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=workers > 0,
    )
    return loader, sampler
