"""Image folders: one sub-folder per class, read into memory with decoding in threads.

Sub-folders named train, val/valid/validation and test (any case) are the dataset's own splits,
each with one sub-folder per class; a folder that mixes split and class names is refused.
Unreadable files are skipped and listed, never fatal; class folders with no usable image are left
out with a warning; a folder the drawing canvas grew (marked
with ``DIGIT_MARKER``) is read as digits, framed like MNIST. Linked folders are followed once at
most, never back into the dataset (``engine.data.scan``), and those skipped are named in a warning.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from engine.data.decode import open_image, standard_image
from engine.data.prepare import prepare_digit
from engine.data.scan import FolderScan
from engine.data.transforms import pil_to_array
from engine.data.types import ImageData, InputSpec, digit_spec
from engine.errors import DatasetError, InferenceError
from engine.i18n import N_, _, gettext
from engine.names import display_names

# Marks an image folder of drawn digits (written by the canvas's "Add to dataset").
DIGIT_MARKER = "taller-digits.json"


def _probe(path: Path) -> tuple[str, tuple[int, int]] | str:
    """(mode, size) from the file header, or the reason it is not a usable image."""
    try:
        with Image.open(path) as img:
            return img.mode, img.size
    except UnidentifiedImageError:
        return "not an image"
    except Image.DecompressionBombError as exc:
        return f"the image is too large to open safely ({exc})"
    except Exception as exc:  # a user's file can fail in many ways; it is skipped, not fatal
        return f"cannot read: {exc}"


def _read(path: Path, size: int, resize: int | None = None) -> np.ndarray | str:
    """uint8 ``(C, size, size)`` with the file's own channels (1 grey, 3 colour), or why not."""
    try:
        image = standard_image(open_image(path, check=False))
        return pil_to_array(image, 1 if image.mode == "L" else 3, (size, size), resize)
    except InferenceError as exc:
        return str(exc).removeprefix(f"{path}: ")
    except Exception as exc:  # noqa: BLE001 - truncated or damaged data shows only when decoding
        return _("damaged image: {exc}").format(exc=exc)


def _list_classes(root: Path, scan: FolderScan) -> tuple[list[str], dict[str, list[Path]]]:
    dirs = scan.folders(root)
    files = {d.name: scan.files(d) for d in dirs}
    return [d.name for d in dirs], files


def _shown_classes(names: list[str], files: dict[str, list[Path]]) -> tuple[list[str], dict[str, list[Path]]]:
    """Class names as shown and saved (``display_name``: a Latin-1 folder name reads "gr\ufffdn"),
    each still keyed to its folder's files, which are opened by their real names."""
    shown = display_names(names)
    return shown, {s: files[n] for s, n in zip(shown, names, strict=True)}


def _describe_contents(root: Path) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())
    shown = ", ".join(names[:8]) + (_(" and {n} more").format(n=len(names) - 8) if len(names) > 8 else "")
    return (
        _("found {n} entries: {shown}").format(n=len(names), shown=shown)
        if names
        else _("the folder is empty")
    )


def _common_side(sizes: list[tuple[int, int]]) -> int:
    side = Counter(s for wh in sizes for s in wh).most_common(1)[0][0]
    return int(min(max(side, 16), 64))


def _pool_stats(images: torch.Tensor, chunks=None) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of [0, 1] pixels, in chunks so large pools need little memory.

    ``chunks`` (uint8 batches, e.g. of a streamed folder) replaces splitting ``images``.
    """
    c = images.shape[1]
    total, total_sq, count = torch.zeros(c, dtype=torch.float64), torch.zeros(c, dtype=torch.float64), 0
    for chunk in images.split(2048) if chunks is None else chunks:
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


# Sub-folders with these names (any case) are the dataset's own splits, never classes.
SPLIT_ROLES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
LAYOUTS = N_(
    "Taller reads two layouts: DATA/<class>/<images> (validation and test parts are split off), "
    "or DATA/train/<class>/ with optional DATA/val/<class>/ (or valid/, validation/) and "
    "DATA/test/<class>/ (the dataset's own splits)"
)


def _split_roots(path: Path, scan: FolderScan) -> dict[str, Path] | None:
    """{"train": ..., "val": ..., "test": ...} when ``path`` holds split folders; None for classes."""
    dirs = scan.folders(path)
    splits = [d for d in dirs if d.name.lower() in SPLIT_ROLES]
    if not splits:
        return None
    others = [d.name for d in dirs if d not in splits]
    roots: dict[str, Path] = {}
    for d in splits:
        role = SPLIT_ROLES[d.name.lower()]
        if role in roots:
            raise DatasetError(
                _("{path} has two {role} folders, {name}/ and {other}/: keep one").format(
                    path=path, role=role, name=roots[role].name, other=d.name
                )
            )
        roots[role] = d
    if others or "train" not in roots:
        found = ", ".join(f"{d.name}/" for d in dirs)
        if others:
            problem = _("{path} mixes split folders and class folders ({found}).")
        else:
            problem = _("{path} has split folders but no train/ ({found}).")
        raise DatasetError(problem.format(path=path, found=found) + f" {gettext(LAYOUTS)}.")
    return roots


def _folder_layout(path: Path) -> tuple[list[str], list[str], list[dict[str, list[Path]]], str, list[str]]:
    """Class names, the parts' roles ("train", "val", "test"), each part's class files, the layout,
    and the warning naming linked folders that were skipped (when there are any)."""
    if not path.is_dir():
        raise DatasetError(
            _("image folder {path} does not exist; choose a folder with one sub-folder per class").format(
                path=path
            )
        )
    scan = FolderScan(path)
    roots = _split_roots(path, scan) or {"train": path}
    roles = [r for r in ("train", "val", "test") if r in roots]
    listings = [_shown_classes(*_list_classes(roots[r], scan)) for r in roles]
    classes = listings[0][0]
    if not classes:
        raise DatasetError(
            _(
                "{path} has no class sub-folders ({contents}). "
                "Put each class's images in its own sub-folder, e.g. cats/ and dogs/."
            ).format(path=roots["train"], contents=_describe_contents(roots["train"]))
        )
    for role, (names, _files) in zip(roles[1:], listings[1:], strict=True):
        if names != classes:
            raise DatasetError(
                _(
                    "the {role} classes in {folder} differ from the train classes in {train}: "
                    "missing in {role}: {missing}, extra in {role}: {extra}"
                ).format(
                    role=role,
                    folder=roots[role],
                    train=roots["train"],
                    missing=sorted(set(classes) - set(names)) or _("none"),
                    extra=sorted(set(names) - set(classes)) or _("none"),
                )
            )
    if len(roles) == 1 and roots["train"] == path:
        layout = _("one folder per class (validation and test parts are split off)")
    else:
        folders = " + ".join(f"{roots[r].name}/" for r in roles)
        layout = _("{folders} folders (the dataset's own splits)").format(folders=folders)
    notes = [scan.warning()] if scan.skipped else []
    return classes, roles, [files for _, files in listings], layout, notes


def _read_digit(path: Path) -> np.ndarray | str:
    """A drawn digit framed like MNIST, opened as ``predict`` opens it (first frame, EXIF)."""
    try:
        return prepare_digit(open_image(path, check=False))[None]
    except InferenceError as exc:
        return str(exc).removeprefix(f"{path}: ")
    except Exception as exc:  # noqa: BLE001 - truncated or damaged data shows only when decoding
        return _("damaged image: {exc}").format(exc=exc)


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
        first = (
            _(" (e.g. {path}: {reason})").format(path=skipped[0][0], reason=skipped[0][1]) if skipped else ""
        )
        raise DatasetError(
            _(
                "no readable images in {path}: {n_classes} class folders with {n_files} files "
                "in total, none of them a usable image{first}"
            ).format(path=path, n_classes=n_classes, n_files=len(entries), first=first)
        )
    return good, skipped


def load_folder(path: Path, image_size: int | None, name: str, resize: int | None = None) -> ImageData:
    """An image folder with one sub-folder per class, or split folders (train/, val/, test/) above them.

    Parameters
    ----------
    path : Path
        The folder.
    image_size : int or None
        Side length every image is resized to; None picks the most common side (16..64).
    name : str
        The dataset's key, kept as ``ImageData.name``.
    resize : int or None
        With ``image_size``: scale each picture's shorter side to ``resize``, then crop the centre
        (ImageNet weights' preprocessing); None resizes to the square directly.

    Returns
    -------
    ImageData
        Colour if any image that decodes has colour; files that cannot be read are listed in
        ``skipped``; class folders without usable images are left out, named in ``warnings``.
        A folder marked with ``DIGIT_MARKER`` is read as drawn digits, framed like MNIST.

    Raises
    ------
    DatasetError
        The folder is missing, has no class folders, fewer than two usable classes, no images, or
        mixes split folders and class folders.
    """
    probe = probe_folder(path, image_size, resize)
    classes, roles, parts_files, layout, good, skipped, size, digits, resize, notes = probe
    read = _read_digit if digits else (lambda f: _read(f, size, resize))
    arrays = _read_all([e[0] for e, _ in good], read)
    decoded = []
    for ((f, label, part), _probe_result), arr in zip(good, arrays, strict=True):
        if isinstance(arr, str):
            skipped.append((str(f), arr))
        else:
            decoded.append((arr, label, part))
    # One input shape for all, from the files that did decode: colour if any of them is colour.
    channels = 3 if any(arr.shape[0] == 3 for arr, _, _ in decoded) else 1
    parts: list[tuple[list, list]] = [([], []) for _ in parts_files]
    for arr, label, part in decoded:
        parts[part][0].append(np.repeat(arr, 3, axis=0) if arr.shape[0] < channels else arr)
        parts[part][1].append(label)
    classes, parts, warnings = _drop_empty_classes(path, classes, parts)
    data = _folder_data(path, name, classes, roles, parts, channels, size, skipped, digits)
    if resize is not None:
        data.spec = replace(data.spec, resize=resize)
    data.layout, data.warnings = layout, notes + warnings
    return data


class FolderProbe(NamedTuple):
    """What a folder holds before any picture is decoded: its classes, files and their headers."""

    classes: list[str]
    roles: list[str]
    parts_files: list
    layout: str
    good: list  # ((file, label, part), (mode, (width, height))) of files whose header reads
    skipped: list[tuple[str, str]]
    size: int  # the side every picture is read at
    digits: bool  # drawn digits (``DIGIT_MARKER``), framed like MNIST
    resize: int | None  # shorter side before the centre crop, None for a plain resize
    notes: list[str]  # warnings about the listing (linked folders skipped)


def probe_folder(path: Path, image_size: int | None, resize: int | None = None) -> FolderProbe:
    """List ``path``'s classes and files and read their headers: the first step of both loaders.

    Raises
    ------
    DatasetError
        As ``load_folder``: missing folder, no class folders, mixed layouts.
    """
    classes, roles, parts_files, layout, notes = _folder_layout(path)
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
    size = 28 if digits else image_size or _common_side([wh for _, (_, wh) in good])
    resize = None if digits or image_size is None else resize
    return FolderProbe(classes, roles, parts_files, layout, good, skipped, size, digits, resize, notes)


def _drop_empty_classes(path: Path, classes: list[str], parts: list) -> tuple[list[str], list, list[str]]:
    """Leave out classes with no usable training image (with a warning); refuse when < 2 remain."""
    found = Counter(parts[0][1])
    keep = [i for i in range(len(classes)) if found.get(i)]
    if len(keep) < 2:
        raise DatasetError(
            _("{path} needs images in at least two class folders; usable images per class: {counts}").format(
                path=path, counts=", ".join(f"{c}: {found.get(i, 0)}" for i, c in enumerate(classes))
            )
        )
    if len(keep) == len(classes):
        return classes, parts, []
    empty = [c for i, c in enumerate(classes) if i not in keep]
    remap = {old: new for new, old in enumerate(keep)}
    parts = [
        ([x for x, y in zip(xs, ys, strict=True) if y in remap], [remap[y] for y in ys if y in remap])
        for xs, ys in parts
    ]
    shown = ", ".join(empty[:10]) + (_(" and {n} more").format(n=len(empty) - 10) if len(empty) > 10 else "")
    warning = _("left out {n} class folder(s) with no usable images in {path}: {shown}").format(
        n=len(empty), path=path, shown=shown
    )
    return [classes[i] for i in keep], parts, [warning]


def _folder_data(path, name, classes, roles, parts, channels, size, skipped, digits=False) -> ImageData:
    tensors = {
        role: (
            torch.from_numpy(np.stack(x)) if x else torch.zeros(0, channels, size, size, dtype=torch.uint8),
            torch.as_tensor(y, dtype=torch.int64),
        )
        for role, (x, y) in zip(roles, parts, strict=True)
    }
    spec = digit_spec() if digits else InputSpec(channels, size, size, *_pool_stats(tensors["train"][0]))
    return split_data(
        name,
        classes,
        spec,
        tensors,
        preparation="digit" if digits else "image",
        flip_ok=not digits,
        skipped=skipped,
        source=str(path) + (" (drawn digits, framed like MNIST)" if digits else ""),
    )


def split_data(name: str, classes, spec: InputSpec, split: dict, **details) -> ImageData:
    """The ``ImageData`` of a folder's parts: ``split`` maps "train", and "val" and "test" where the
    folder has its own, to (images, labels); ``details`` are ImageData's other fields."""
    own = {role: split.get(role, (None, None)) for role in ("val", "test")}
    return ImageData(
        name=name,
        classes=list(classes),
        spec=spec,
        train_images=split["train"][0],
        train_labels=split["train"][1],
        test_images=own["test"][0],
        test_labels=own["test"][1],
        val_images=own["val"][0],
        val_labels=own["val"][1],
        **details,
    )
