"""Image folders in memory or streamed from disk: the choice, and the streamed reading.

``load_image_folder`` is what the registry calls for ``folder:PATH``. It lists and checks the
files as ``folder.load_folder`` does (same classes, splits, skipped files and size), estimates
their uint8 size, and either reads them into memory (``folder.load_folder``) or leaves them on
disk as ``stream.LazyImages``: decoded once into the decode cache (``engine.data.cache``, in
worker processes), or on every read with ``cache=False``. ``auto`` holds a folder in memory when
its pixels take at most ``MEMORY_SHARE`` of the memory free now, and streams it otherwise.
Folders of drawn digits are small and framed like MNIST: always in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.data.decode import GRAY_MODES
from engine.data.folder import _drop_empty_classes, _pool_stats, load_folder, probe_folder, split_data
from engine.data.memory import available_memory
from engine.data.stream import FileImages, LazyImages, decoded_folder, image_batches
from engine.data.types import LOADERS, ImageData, InputSpec
from engine.errors import DatasetError
from engine.i18n import _

MEMORY_SHARE = 0.25  # the rest is for the model, its activations, batches and everything else
STATS_SAMPLE = 2000  # images the mean and std of a streamed folder are measured on


@dataclass
class FolderPlan:
    """An image folder listed and checked, before any pixel is decoded."""

    path: Path
    classes: list[str]
    roles: list[str]  # the parts: "train", then "val" and "test" when the folder has them
    layout: str
    good: list  # ((file, label, part), (mode, (width, height))) of each file whose header reads
    skipped: list[tuple[str, str]]
    size: int
    channels: int
    digits: bool
    resize: int | None = None  # shorter side scaled to this, then the centre size x size cut out
    notes: list[str] = field(default_factory=list)  # warnings about the listing (links skipped)

    @property
    def pixel_bytes(self) -> int:
        """The uint8 size of every image at the chosen size."""
        return len(self.good) * self.channels * self.size * self.size


def plan_folder(path: Path, image_size: int | None, resize: int | None = None) -> FolderPlan:
    """List ``path``'s classes and files and read their headers (``folder.load_folder``'s rules)."""
    classes, roles, _parts, layout, good, skipped, size, digits, resize, notes = probe_folder(
        path, image_size, resize
    )
    # As the memory path decides after decoding: colour when any file is (grey modes per decode).
    channels = 1 if digits or all(mode in GRAY_MODES for _, (mode, _) in good) else 3
    return FolderPlan(path, classes, roles, layout, good, skipped, size, channels, digits, resize, notes)


def choose_loader(loader: str, pixel_bytes: int, available: int | None = None) -> str:
    """ "memory" or "stream": ``auto`` streams when the pixels exceed MEMORY_SHARE of free memory."""
    if loader not in LOADERS:
        raise DatasetError(
            _("loader must be one of {choices}, not {loader!r}").format(
                choices=", ".join(LOADERS), loader=loader
            )
        )
    if loader != "auto":
        return loader
    free = available_memory() if available is None else available
    return "memory" if pixel_bytes <= MEMORY_SHARE * free else "stream"


def load_image_folder(
    path: Path,
    image_size: int | None,
    name: str,
    loader: str = "auto",
    cache: bool = True,
    workers: int | None = None,
    resize: int | None = None,
) -> ImageData:
    """An image folder in memory or streamed (see the module's text); ``feed`` says which.

    ``resize`` (with ``image_size``): shorter side scaled to it, then the centre cropped.
    """
    plan = plan_folder(path, image_size, resize)
    feed = "memory" if plan.digits else choose_loader(loader, plan.pixel_bytes)
    if feed == "memory":
        data = load_folder(path, image_size, name, resize)
    else:
        data = load_streamed(plan, name, cache, workers)
    data.feed, data.pixel_bytes = feed, plan.pixel_bytes
    return data


def load_streamed(plan: FolderPlan, name: str, cache: bool = True, workers: int | None = None) -> ImageData:
    """The folder as ``LazyImages``: decoded into the decode cache now (``cache``), or on each read.

    Files that fail to decode while filling the cache are skipped and listed like those whose
    header did not read; without the cache they are found only when read (``FileImages``). A
    damaged cache is rebuilt, and a warning says so.
    """
    files = [entry[0] for entry, _ in plan.good]
    skipped = list(plan.skipped)
    notes = list(plan.notes)
    if cache:
        source, ok, reasons, damage = decoded_folder(
            files, plan.size, plan.channels, use_cache=True, workers=workers, resize=plan.resize
        )
        skipped += [(str(files[i]), reason) for i, reason in sorted(reasons.items())]
        if damage:
            notes.append(
                _(
                    "the decode cache of {folder} was damaged ({reason}); it was not used: the pictures "
                    "were decoded again and the cache rebuilt"
                ).format(folder=plan.path, reason=damage)
            )
    else:
        source, ok = FileImages(files, plan.size, plan.channels, plan.resize), np.ones(len(files), dtype=bool)
    source.origin = str(plan.path)  # named when pictures vanish during a run
    parts: list[tuple[list, list]] = [([], []) for _role in plan.roles]
    for i, ((_file, label, part), _probe) in enumerate(plan.good):
        if ok[i]:
            parts[part][0].append(i)
            parts[part][1].append(label)
    if not parts[0][0]:
        raise DatasetError(
            _("no readable images in {path}: none of {n} files decoded").format(path=plan.path, n=len(files))
        )
    classes, parts, warnings = _drop_empty_classes(plan.path, plan.classes, parts)
    split = {
        role: (LazyImages(source, np.asarray(xs, dtype=np.int64)), torch.as_tensor(ys, dtype=torch.int64))
        for role, (xs, ys) in zip(plan.roles, parts, strict=True)
    }
    train = split["train"][0]
    sample = train[
        np.unique(np.linspace(0, len(train) - 1, min(len(train), STATS_SAMPLE)).round().astype(int))
    ]
    stats = _pool_stats(train, chunks=image_batches(sample, 64, workers))  # float64 chunks stay small
    return split_data(
        name,
        classes,
        InputSpec(plan.channels, plan.size, plan.size, *stats, resize=plan.resize),
        split,
        preparation="image",
        flip_ok=True,
        skipped=skipped,
        source=str(plan.path),
        layout=plan.layout,
        warnings=notes + warnings,
    )
