"""Image folders: one sub-folder per class, read into memory with decoding in threads.

Unreadable files are skipped and listed, never fatal; a folder the drawing canvas grew (marked
with ``DIGIT_MARKER``) is read as digits, framed like MNIST.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from engine.data.prepare import prepare_digit
from engine.data.transforms import pil_to_array
from engine.data.types import ImageData, InputSpec, digit_spec
from engine.errors import DatasetError

# Marks an image folder of drawn digits (written by the canvas's "Add to dataset").
DIGIT_MARKER = "taller-digits.json"
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def _probe(path: Path) -> tuple[str, tuple[int, int]] | str:
    """(mode, size) from the file header, or the reason it is not a usable image."""
    try:
        with Image.open(path) as img:
            return img.mode, img.size
    except UnidentifiedImageError:
        return "not an image"
    except Exception as exc:  # a user's file can fail in many ways; it is skipped, not fatal
        return f"cannot read: {exc}"


def _read(path: Path, channels: int, size: int) -> np.ndarray | str:
    try:
        with Image.open(path) as img:
            return pil_to_array(img, channels, (size, size))
    except Exception as exc:  # truncated or damaged data shows only when decoding
        return f"damaged image: {exc}"


def _list_classes(root: Path) -> tuple[list[str], dict[str, list[Path]]]:
    dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {
        d.name: sorted(f for f in d.rglob("*") if f.is_file() and not f.name.startswith(".")) for d in dirs
    }
    return [d.name for d in dirs], files


def _describe_contents(root: Path) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return f"found {len(names)} entries: {shown}" if names else "the folder is empty"


def _common_side(sizes: list[tuple[int, int]]) -> int:
    side = Counter(s for wh in sizes for s in wh).most_common(1)[0][0]
    return int(min(max(side, 16), 64))


def _pool_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of [0, 1] pixels, in chunks so large pools need little memory."""
    c = images.shape[1]
    total, total_sq, count = torch.zeros(c, dtype=torch.float64), torch.zeros(c, dtype=torch.float64), 0
    for chunk in images.split(2048):
        x = chunk.to(torch.float64).div_(255.0)
        total += x.sum((0, 2, 3))
        total_sq += x.square_().sum((0, 2, 3))
        count += chunk.numel() // c
    mean = total / count
    std = (total_sq / count - mean.square()).clamp_min(0).sqrt().clamp_min(1e-3)
    return tuple(round(float(v), 4) for v in mean), tuple(round(float(v), 4) for v in std)


def _read_all(paths: list[Path], job) -> list:
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        return list(pool.map(job, paths))


def _folder_layout(path: Path) -> tuple[list[str], list[dict[str, list[Path]]]]:
    """Class names and, per part (train[, test]), the files of each class folder."""
    if not path.is_dir():
        raise DatasetError(
            f"image folder {path} does not exist; choose a folder with one sub-folder per class"
        )
    split_roots = [path / "train", path / "test"]
    roots = split_roots if all(p.is_dir() for p in split_roots) else [path]
    listings = [_list_classes(r) for r in roots]
    classes = listings[0][0]
    if not classes:
        raise DatasetError(
            f"{roots[0]} has no class sub-folders ({_describe_contents(roots[0])}). "
            "Put each class's images in its own sub-folder, e.g. cats/ and dogs/."
        )
    if len(roots) == 2 and listings[1][0] != classes:
        train_set, test_set = set(classes), set(listings[1][0])
        raise DatasetError(
            f"the test classes in {roots[1]} differ from the train classes in {roots[0]}: "
            f"missing in test: {sorted(train_set - test_set) or 'none'}, "
            f"extra in test: {sorted(test_set - train_set) or 'none'}"
        )
    return classes, [files for _, files in listings]


def _read_digit(path: Path) -> np.ndarray | str:
    try:
        with Image.open(path) as img:
            return prepare_digit(img)[None]
    except Exception as exc:  # truncated or damaged data shows only when decoding
        return f"damaged image: {exc}"


def _probe_all(path: Path, entries: list, n_classes: int) -> tuple[list, list[tuple[str, str]]]:
    """Entries whose header reads as an image, with (mode, size); (path, reason) of the others."""
    skipped: list[tuple[str, str]] = []
    good = []
    for entry, probe in zip(entries, _read_all([e[0] for e in entries], _probe), strict=True):
        if isinstance(probe, str):
            skipped.append((str(entry[0]), probe))
        else:
            good.append((entry, probe))
    if not good:
        first = f" (e.g. {skipped[0][0]}: {skipped[0][1]})" if skipped else ""
        raise DatasetError(
            f"no readable images in {path}: {n_classes} class folders with {len(entries)} files "
            f"in total, none of them a usable image{first}"
        )
    return good, skipped


def load_folder(path: Path, image_size: int | None, name: str) -> ImageData:
    """An image folder with one sub-folder per class (optionally ``train/`` and ``test/`` above them).

    Parameters
    ----------
    path : Path
        The folder.
    image_size : int or None
        Side length every image is resized to; None picks the most common side (16..64).
    name : str
        The dataset's key, kept as ``ImageData.name``.

    Returns
    -------
    ImageData
        Colour if any image has colour; files that cannot be read are listed in ``skipped``.
        A folder marked with ``DIGIT_MARKER`` is read as drawn digits, framed like MNIST.

    Raises
    ------
    DatasetError
        The folder is missing, has no class folders, fewer than two usable classes, or no images.
    """
    classes, parts_files = _folder_layout(path)
    # A folder the canvas grew ("Add to dataset") holds drawn digits: frame them as MNIST was made,
    # so a model trained on them shares the input spec and preparation of every digit model.
    digits = (path / DIGIT_MARKER).is_file()
    entries = [
        (f, label, part)
        for part, files in enumerate(parts_files)
        for label, c in enumerate(classes)
        for f in files[c]
    ]
    good, skipped = _probe_all(path, entries, len(classes))
    # One input shape for all: colour if any image has colour, the most common side length.
    channels = 1 if digits or all(mode in _GRAY_MODES for _, (mode, _) in good) else 3
    size = 28 if digits else image_size or _common_side([wh for _, (_, wh) in good])
    read = _read_digit if digits else (lambda f: _read(f, channels, size))
    arrays = _read_all([e[0] for e, _ in good], read)
    parts: list[tuple[list, list]] = [([], []) for _ in parts_files]
    for ((f, label, part), _), arr in zip(good, arrays, strict=True):
        if isinstance(arr, str):
            skipped.append((str(f), arr))
        else:
            parts[part][0].append(arr)
            parts[part][1].append(label)
    return _folder_data(path, name, classes, parts, channels, size, skipped, digits)


def _folder_data(path, name, classes, parts, channels, size, skipped, digits=False) -> ImageData:
    has_test = len(parts) == 2
    found = Counter(parts[0][1])
    if len(found) < 2:
        raise DatasetError(
            f"{path} needs images in at least two class folders; usable images per class: "
            + ", ".join(f"{c}: {found.get(i, 0)}" for i, c in enumerate(classes))
        )
    for i, c in enumerate(classes):
        if not found.get(i):
            skipped.append((str(path / c), "class folder has no usable images"))
    tensors = [
        (
            torch.from_numpy(np.stack(x)) if x else torch.zeros(0, channels, size, size, dtype=torch.uint8),
            torch.as_tensor(y, dtype=torch.int64),
        )
        for x, y in parts
    ]
    spec = digit_spec() if digits else InputSpec(channels, size, size, *_pool_stats(tensors[0][0]))
    return ImageData(
        name=name,
        classes=list(classes),
        spec=spec,
        train_images=tensors[0][0],
        train_labels=tensors[0][1],
        test_images=tensors[1][0] if has_test else None,
        test_labels=tensors[1][1] if has_test else None,
        preparation="digit" if digits else "image",
        flip_ok=not digits,
        skipped=skipped,
        source=str(path) + (" (drawn digits, framed like MNIST)" if digits else ""),
    )
