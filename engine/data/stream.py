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

A streamed file that can no longer be read (moved, deleted or damaged after the folder was listed)
reads as None; the ``readable`` collate function drops it from its batch and says which items it
dropped, so training never feeds it with its label.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision.transforms import v2

from engine.data.cache import CachedImages, CacheEntry, DamagedCache
from engine.data.decode import open_image, standard_image
from engine.data.transforms import pil_to_array

# Images a streamed split reads in the main process; above it, a DataLoader's workers decode.
IN_PROCESS_MAX = 256
STREAM_BATCH = 128  # the largest batch image_batches reads of a streamed split (bounded memory)


def read_file(path: Path, size: int, channels: int, resize: int | None = None) -> np.ndarray | str:
    """uint8 ``(channels, size, size)`` of one file (``resize``: shorter side, centre crop), or why not."""
    try:
        image = standard_image(open_image(path, check=False))
        return pil_to_array(image, channels, (size, size), resize)
    except Exception as exc:  # noqa: BLE001 - a user's file can fail in many ways; it is skipped
        return str(exc).removeprefix(f"{path}: ")


def default_workers() -> int:
    """Decoding processes: the cores there are, at most 8 (more only contend for the disk)."""
    return max(0, min(8, (os.cpu_count() or 1) - 1))


class DecodeFiles(Dataset):
    """Item ``i``: ``(i, pixels or None, reason or "")`` for the i-th file; never raises."""

    def __init__(self, files: list[Path], size: int, channels: int, resize: int | None = None):
        self.files, self.size, self.channels, self.resize = list(files), size, channels, resize

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        got = read_file(self.files[i], self.size, self.channels, self.resize)
        return (i, None, got) if isinstance(got, str) else (i, got, "")


def as_list(items: list) -> list:
    """A collate function that leaves a batch as the list it is (pixels may be missing)."""
    return items


def decode_files(
    files: list[Path],
    size: int,
    channels: int,
    workers: int | None = None,
    batch: int = 64,
    resize: int | None = None,
) -> Iterator[tuple[int, np.ndarray | None, str]]:
    """Decode every file in worker processes; yields ``(index, pixels or None, reason)``."""
    workers = default_workers() if workers is None else workers
    loader = DataLoader(
        DecodeFiles(files, size, channels, resize), batch_size=batch, num_workers=workers, collate_fn=as_list
    )
    for items in loader:
        yield from items


class Decoded(NamedTuple):
    """A folder's files decoded once (``decoded_folder``)."""

    images: torch.Tensor | CachedImages
    ok: np.ndarray  # which files decoded
    skipped: dict[int, str]  # why each of the others did not (their pixels are zero)
    damage: str | None = None  # why the decode cache found was not used (it was rebuilt)


def decoded_folder(
    files: list[Path],
    size: int,
    channels: int,
    use_cache: bool = True,
    workers: int | None = None,
    cache_root: Path | None = None,
    resize: int | None = None,
) -> Decoded:
    """Every file decoded once: from the decode cache when it is complete and intact, else in workers.

    The pixels are ``CachedImages`` read from disk with ``use_cache``, else one uint8
    ``(N, C, H, W)`` tensor in memory. A cache entry that fails its checks is never read: it is
    decoded again and rewritten, and ``damage`` says what was wrong with it.
    """
    entry = CacheEntry.of(files, size, channels, cache_root, resize) if use_cache else None
    damage = None
    if entry is not None and entry.complete():
        try:
            return Decoded(*entry.read())
        except DamagedCache as exc:
            damage = exc.reason
    images = np.zeros((len(files), channels, size, size), dtype=np.uint8) if entry is None else None
    out = entry.writer() if entry is not None else None
    ok = np.zeros(len(files), dtype=bool)
    skipped: dict[int, str] = {}
    try:
        for i, pixels, reason in decode_files(files, size, channels, workers, resize=resize):
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
        return Decoded(torch.from_numpy(images), ok, skipped)
    entry.finish(out, ok, skipped)
    return Decoded(*entry.read(check=False), damage)  # just written: checking it again is one more read


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
    dataset: Dataset, batch_size: int, workers: int | None = None, collate_fn=None
) -> tuple[DataLoader, PermutationBatches]:
    """A DataLoader over ``dataset`` in the loop's own order, and the sampler that sets that order.

    ``pin_memory`` when a GPU takes the batches; workers persist between epochs (no restart cost).
    ``collate_fn``: DataLoader's default when None (``readable`` for ``ImageItems``).
    """
    workers = default_workers() if workers is None else workers
    sampler = PermutationBatches(batch_size)
    loader = DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=workers > 0,
        generator=torch.Generator(),  # worker seeds come from here, not from the global RNG
        collate_fn=collate_fn,
    )
    return loader, sampler


class FileImages:
    """The pixels of image files, decoded on request (no cache): a source of ``LazyImages``.

    A file that fails to decode (it passed the header check but is damaged further in, or it was
    moved or deleted since) reads as None, so a streaming feeder can leave it out and count it.
    """

    origin = ""  # the folder the files come from, for messages

    def __init__(self, files: list[Path], size: int, channels: int, resize: int | None = None):
        self.files, self.size, self.channels, self.resize = list(files), size, channels, resize
        self.shape = (len(self.files), channels, size, size)

    def __len__(self) -> int:
        return len(self.files)

    def read(self, i: int) -> torch.Tensor | None:
        got = read_file(self.files[i], self.size, self.channels, self.resize)
        return None if isinstance(got, str) else torch.from_numpy(got)

    def read_full(self, i: int) -> torch.Tensor | None:
        """The picture at its own size (for random crops), or None when it cannot be read."""
        try:
            image = standard_image(open_image(self.files[i], check=False))
            return torch.from_numpy(pil_to_array(image, self.channels, image.size))
        except Exception:  # noqa: BLE001 - a damaged or vanished file is counted, not fatal
            return None

    def __getitem__(self, i: int) -> torch.Tensor:
        """Image ``i`` (zeros when it cannot be read: what a gallery shows for a vanished file)."""
        image = self.read(i)
        return torch.zeros(self.shape[1:], dtype=torch.uint8) if image is None else image


class LazyImages:
    """A streamed split: ``(N, C, H, W)`` uint8 images that stay on disk until read.

    Indexed like the in-memory tensor it stands for: an integer reads one image (a tensor); a
    slice, an index tensor or array gives another ``LazyImages`` over those images, so splitting,
    K-Fold and the test split work unchanged. ``load`` reads a view into memory (for a few images);
    ``image_batches`` reads one batch at a time. The source is ``CachedImages`` (the decode cache)
    or ``FileImages`` (decoding each time); ``positions`` are its images in this view's order.
    """

    dtype = torch.uint8

    def __init__(self, source: CachedImages | FileImages, positions: np.ndarray):
        self.source = source
        self.positions = np.asarray(positions, dtype=np.int64).reshape(-1)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.positions), *self.source.shape[1:])

    def __len__(self) -> int:
        return len(self.positions)

    def numel(self) -> int:
        return int(np.prod(self.shape))

    def __getitem__(self, key):
        if isinstance(key, torch.Tensor):
            key = key.cpu().numpy()
        if isinstance(key, (int, np.integer)) or (isinstance(key, np.ndarray) and key.ndim == 0):
            return self.source[int(self.positions[int(key)])]
        return LazyImages(self.source, self.positions[key])

    def read(self, i: int, full: bool = False) -> torch.Tensor | None:
        """Image ``i``, or None when it can no longer be read (``full``: at its own size, if it can)."""
        reader = getattr(self.source, "read_full", None) if full else None
        return (reader or self.source.read)(int(self.positions[i]))

    def load(self) -> torch.Tensor:
        """Every image of this view as one tensor in memory (zeros for one that cannot be read)."""
        if not len(self):
            return torch.zeros(self.shape, dtype=torch.uint8)
        return torch.stack([self[i] for i in range(len(self))])

    def __repr__(self) -> str:
        return f"LazyImages({type(self.source).__name__}, shape={self.shape})"


def concat(parts: list) -> torch.Tensor | LazyImages:
    """``torch.cat`` for in-memory images; one view for streamed ones (of the same source)."""
    if all(isinstance(p, LazyImages) for p in parts):
        return LazyImages(parts[0].source, np.concatenate([p.positions for p in parts]))
    return torch.cat([p.load() if isinstance(p, LazyImages) else p for p in parts])


class ImageItems(Dataset):
    """Item ``i``: the uint8 image of a ``LazyImages`` (transformed when augmenting), or None when
    it can no longer be read; batch them with ``readable``."""

    def __init__(self, images: LazyImages, transform=None):
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor | None:
        x = self.images.read(i, full=self.transform is not None)
        if x is not None and self.transform is not None:
            x = self.transform(x)
        return x


def readable(items: list) -> tuple[torch.Tensor, torch.Tensor]:
    """Collate ``ImageItems``: the images that could be read, stacked, and a mask of which they are.

    An image that could not be read is left out of the batch, so it is never fed with its label.
    """
    ok = torch.tensor([x is not None for x in items], dtype=torch.bool)
    kept = [x for x in items if x is not None]
    return (torch.stack(kept) if kept else torch.zeros(0, dtype=torch.uint8)), ok


def read_batches(images: LazyImages, batch_size: int, workers: int | None = None):
    """``(readable images, mask)`` batches of a streamed view, in order (``readable``'s batches).

    A view of more than ``IN_PROCESS_MAX`` images is decoded by DataLoader workers, in batches of
    at most ``STREAM_BATCH``.
    """
    workers = default_workers() if workers is None else workers
    yield from DataLoader(
        ImageItems(images),
        batch_size=min(batch_size, STREAM_BATCH),
        num_workers=workers if len(images) > IN_PROCESS_MAX else 0,
        collate_fn=readable,
        generator=torch.Generator(),  # the global RNG (dropout, the next run) is left alone
    )


def image_batches(
    images, batch_size: int, workers: int | None = None, unreadable: list[int] | None = None
) -> Iterator[torch.Tensor]:
    """uint8 batches of in-memory or streamed images, in order (evaluation and statistics).

    A streamed image that cannot be read is zeros here, so each batch keeps its images' places
    (``labelled_batches`` leaves them out instead); its index is added to ``unreadable``, so that
    evaluation leaves it out of the scores rather than scoring a blank picture.
    """
    if not isinstance(images, LazyImages):
        for start in range(0, images.shape[0], batch_size):
            yield images[start : start + batch_size]
        return
    done = 0
    for x, ok in read_batches(images, batch_size, workers):
        if unreadable is not None and not ok.all():
            unreadable.extend((done + torch.nonzero(~ok).flatten()).tolist())
        done += len(ok)
        if not ok.all():
            full = torch.zeros((len(ok), *images.shape[1:]), dtype=torch.uint8)
            if ok.any():
                full[ok] = x
            x = full
        yield x


def labelled_batches(images, labels: torch.Tensor, batch_size: int, lost: set[int] | None = None):
    """``(images, labels)`` batches in order; a streamed image that cannot be read is left out with
    its label, and its place in the source is added to ``lost``."""
    if not isinstance(images, LazyImages):
        for start in range(0, images.shape[0], batch_size):
            yield images[start : start + batch_size], labels[start : start + batch_size]
        return
    step = min(batch_size, STREAM_BATCH)
    for k, (x, ok) in enumerate(read_batches(images, step)):
        y = labels[k * step : (k + 1) * step]
        if not ok.all():
            if lost is not None:
                lost.update(images.positions[k * step : (k + 1) * step][~ok.numpy()].tolist())
            if not ok.any():
                continue
            y = y[ok.to(y.device)]
        yield x, y
