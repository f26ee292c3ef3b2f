"""Datasets as in-memory uint8 tensors, with class names and the input spec models are built for.

Every dataset, built in or on disk, becomes one ``ImageData``: a uint8 ``(N, C, H, W)`` pool to
split train/validation from, the dataset's own test split where it has one, class names and the
``InputSpec`` (channels, size, mean/std) a model is built for. Batches are normalised and augmented
as whole tensors (``normalise``, ``augment``), never one PIL image at a time.
"""

from __future__ import annotations

import gzip
import math
import os
import shutil
import tarfile
import tempfile
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.config import FOLDER_PREFIX, DataConfig, InputSpec
from engine.errors import DatasetError
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
    "digits+synth": "Synthetic + real digits (generated, no download)",
    "mnist": "MNIST handwritten digits (70,000)",
    "fashion-mnist": "Fashion-MNIST clothing (70,000)",
    "cifar10": "CIFAR-10 photos (60,000)",
    FOLDER_PREFIX: "Image folder (one sub-folder per class)",
}


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

_SYNTH_LOADERS = {"synth-digits": "synth_dataset", "digits+synth": "mixed_dataset"}
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
    # Generated data depends on the seed too; files on disk do not.
    seed = cfg.seed if cfg.dataset in _SYNTH_LOADERS else None
    key = (cfg.dataset, str(cfg.data_dir), cfg.image_size, seed)
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
    if name in _SYNTH_LOADERS:
        try:
            from engine import synth  # imported only when used: it is the larger module

            loader = getattr(synth, _SYNTH_LOADERS[name])
        except (ImportError, AttributeError) as exc:
            raise DatasetError(f"synthetic digits are not available in this installation ({exc})") from exc
        return loader(cfg)
    if name in ("mnist", "fashion-mnist"):
        return _load_idx(name, Path(cfg.data_dir), cfg.download)
    if name == "cifar10":
        return _load_cifar10(Path(cfg.data_dir), cfg.download)
    if name.startswith(FOLDER_PREFIX):
        return _load_folder(Path(name[len(FOLDER_PREFIX) :]).expanduser(), cfg.image_size)
    raise DatasetError(f"unknown dataset {name!r}")


# Marks an image folder of drawn digits (written by the canvas's "Add to dataset").
DIGIT_MARKER = "taller-digits.json"


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


# torchvision's on-disk layout: (class, folder under data_dir, raw files) per dataset.
_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_CIFAR_FOLDER = "cifar-10-batches-py"
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")
_IDX_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def expected_files(name: str, data_dir: str | Path) -> list[Path]:
    """The files a dataset needs on disk (empty for built-in and folder datasets).

    MNIST-style files are listed as ``.gz``; the extracted files (same name without ``.gz``) do too.
    """
    root = Path(data_dir)
    if name in _IDX_FOLDERS:
        return [root / _IDX_FOLDERS[name] / "raw" / f"{f}.gz" for f in _IDX_FILES]
    if name == "cifar10":
        return [root / _CIFAR_FOLDER / f for f in _CIFAR_FILES]
    return []


def _present(path: Path) -> bool:
    return path.is_file() or (path.suffix == ".gz" and path.with_suffix("").is_file())


def _missing_error(name: str, data_dir: Path, missing: list[Path]) -> DatasetError:
    files = expected_files(name, data_dir)
    folder = files[0].parent
    gz_note = " (.gz or extracted)" if name in _IDX_FOLDERS else ""
    archive_note = f" (or put {_CIFAR_ARCHIVE} in {data_dir})" if name == "cifar10" else ""
    return DatasetError(
        f"{DATASET_LABELS[name]} is not in {folder}.\n"
        f"Expected files{gz_note}: {', '.join(f.name for f in files)}\n"
        f"Missing: {', '.join(f.name for f in missing)}\n"
        "Use --download (command line) or the Download button (window) to fetch them, "
        f"or copy the files into that folder{archive_note}."
    )


def _download(name: str, data_dir: Path, make) -> None:
    """Run torchvision's download; any failure becomes one readable DatasetError."""
    try:
        make()
    except Exception as exc:  # urllib, socket, tarfile and md5 errors all mean the same to a user
        files = expected_files(name, data_dir)
        raise DatasetError(
            f"could not download {DATASET_LABELS[name]} (no network?): {str(exc).strip()[:300]}\n"
            f"Instead, copy {', '.join(f.name for f in files)} into {files[0].parent}."
        ) from exc


def _gunzip_missing(raw: Path) -> None:
    """Extract user-copied ``.gz`` files, as torchvision's download would, so MNIST can read them."""
    for name in _IDX_FILES:
        target, packed = raw / name, raw / f"{name}.gz"
        if target.is_file() or not packed.is_file():
            continue
        tmp = raw / f".{name}.part"
        try:
            with gzip.open(packed, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, target)
        except (OSError, EOFError) as exc:
            tmp.unlink(missing_ok=True)
            raise DatasetError(f"could not extract {packed}: {exc}. Replace it with a good copy.") from exc


def _load_idx(name: str, root: Path, download: bool) -> ImageData:
    from torchvision.datasets import MNIST, FashionMNIST

    cls = MNIST if name == "mnist" else FashionMNIST
    raw = root / _IDX_FOLDERS[name] / "raw"
    _gunzip_missing(raw)
    missing = [f for f in expected_files(name, root) if not _present(f)]
    if missing and download:
        _download(name, root, lambda: cls(str(root), train=True, download=True))
    elif missing:
        raise _missing_error(name, root, missing)
    try:
        train, test = cls(str(root), train=True), cls(str(root), train=False)
        if (
            train.data.ndim != 3
            or len(train.data) != len(train.targets)
            or len(test.data) != len(test.targets)
        ):
            raise ValueError("images and labels do not match")
    except Exception as exc:  # a damaged IDX file fails in torch.frombuffer/view/asserts
        raise DatasetError(
            f"the files in {raw} are damaged ({exc}); delete them and copy them again"
        ) from exc
    digit = name == "mnist"
    h, w = train.data.shape[1:]
    return ImageData(
        name=name,
        classes=list(DIGIT_CLASSES) if digit else list(cls.classes),
        spec=InputSpec(1, h, w, *((DIGIT_MEAN, DIGIT_STD) if digit else (FASHION_MEAN, FASHION_STD))),
        train_images=train.data.unsqueeze(1).contiguous(),
        train_labels=train.targets.long(),
        test_images=test.data.unsqueeze(1).contiguous(),
        test_labels=test.targets.long(),
        preparation="digit" if digit else "image",
        # Mirrored clothes are still the same clothes; mirrored digits are not digits.
        flip_ok=not digit,
        source=str(raw),
    )


def _cifar_class():
    from torchvision.datasets import CIFAR10

    class _CIFAR10Files(CIFAR10):
        """CIFAR-10 that accepts any readable copy: torchvision only loads files with the original md5."""

        meta = {**CIFAR10.meta, "md5": None}

        def _check_integrity(self) -> bool:
            return all((Path(self.root) / self.base_folder / f).is_file() for f in _CIFAR_FILES)

    return _CIFAR10Files


def _extract_cifar_archive(root: Path) -> None:
    """Unpack a browser-downloaded ``cifar-10-python.tar.gz`` lying in ``root``, as torchvision would."""
    archive, folder = root / _CIFAR_ARCHIVE, root / _CIFAR_FOLDER
    if not archive.is_file() or all((folder / f).is_file() for f in _CIFAR_FILES):
        return
    wanted = {f"{_CIFAR_FOLDER}/{f}" for f in _CIFAR_FILES}
    tmp = Path(tempfile.mkdtemp(prefix=".cifar-", dir=root))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
            tar.extractall(tmp, members=members, filter="data")
        folder.mkdir(exist_ok=True)
        for member in members:  # whole files only: an interrupted unpack leaves nothing half-written
            os.replace(tmp / member.name, root / member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DatasetError(f"could not unpack {archive}: {exc}. Replace it with a good copy.") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load_cifar10(root: Path, download: bool) -> ImageData:
    cls = _cifar_class()
    _extract_cifar_archive(root)
    missing = [f for f in expected_files("cifar10", root) if not f.is_file()]
    if missing and download:
        _download("cifar10", root, lambda: cls(str(root), train=True, download=True))
    elif missing:
        raise _missing_error("cifar10", root, missing)
    try:
        train, test = cls(str(root), train=True), cls(str(root), train=False)
        parts = [
            (torch.from_numpy(np.ascontiguousarray(d.data.transpose(0, 3, 1, 2))), torch.as_tensor(d.targets))
            for d in (train, test)
        ]
        if any(len(x) != len(y) for x, y in parts) or len(train.classes) < 2:
            raise ValueError("images, labels and class names do not match")
    except Exception as exc:  # unpickling damaged files raises almost anything
        raise DatasetError(
            f"the CIFAR-10 files in {root / _CIFAR_FOLDER} are damaged ({type(exc).__name__}: {exc}); "
            "delete them and copy them again"
        ) from exc
    (train_x, train_y), (test_x, test_y) = parts
    return ImageData(
        name="cifar10",
        classes=[str(c) for c in train.classes],
        spec=InputSpec(3, 32, 32, CIFAR_MEAN, CIFAR_STD),
        train_images=train_x,
        train_labels=train_y.long(),
        test_images=test_x,
        test_labels=test_y.long(),
        preparation="image",
        flip_ok=True,
        source=str(root / _CIFAR_FOLDER),
    )


# ---------------------------------------------------------------------------------------------
# Image folders
# ---------------------------------------------------------------------------------------------

_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def pil_to_array(img: Image.Image, channels: int, size: tuple[int, int]) -> np.ndarray:
    """Convert one PIL image to what training saw: uint8 ``(C, H, W)``.

    Parameters
    ----------
    img : PIL.Image.Image
        Any mode; EXIF rotation (phone photos) is applied.
    channels : int
        1 converts to "L", 3 to "RGB".
    size : tuple[int, int]
        Target ``(width, height)``, PIL's order; resized bilinearly, without cropping.

    Returns
    -------
    np.ndarray
        uint8 ``(channels, height, width)``.
    """
    if img.getexif().get(0x0112, 1) != 1:
        img = ImageOps.exif_transpose(img)
    mode = "L" if channels == 1 else "RGB"
    if img.mode != mode:
        img = img.convert(mode)
    if img.size != tuple(size):
        img = img.resize(tuple(size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return np.ascontiguousarray(arr[None] if channels == 1 else arr.transpose(2, 0, 1))


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
    from engine.inference import prepare_digit  # inference imports this module: import on use

    try:
        with Image.open(path) as img:
            return prepare_digit(img)[None]
    except Exception as exc:  # truncated or damaged data shows only when decoding
        return f"damaged image: {exc}"


def _load_folder(path: Path, image_size: int | None) -> ImageData:
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
            f"no readable images in {path}: {len(classes)} class folders with {len(entries)} files "
            f"in total, none of them a usable image{first}"
        )
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
    return _folder_data(path, classes, parts, channels, size, skipped, digits)


def _folder_data(path, classes, parts, channels, size, skipped, digits=False) -> ImageData:
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
    spec = _digit_spec() if digits else InputSpec(channels, size, size, *_pool_stats(tensors[0][0]))
    return ImageData(
        name=f"{FOLDER_PREFIX}{path}",
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


# ---------------------------------------------------------------------------------------------
# Summaries for the window
# ---------------------------------------------------------------------------------------------


def class_counts(labels: torch.Tensor, num_classes: int) -> list[int]:
    """How many images each class has."""
    return torch.bincount(labels.long(), minlength=num_classes)[:num_classes].tolist()


def describe(data: ImageData) -> dict:
    """A plain summary for the data panel: name, source, classes, counts, sizes, skipped files."""
    n = data.num_classes
    test = data.test_labels
    return {
        "name": data.name,
        "label": DATASET_LABELS.get(data.name, data.name),
        "source": data.source,
        "classes": list(data.classes),
        "counts": class_counts(data.train_labels, n),
        "test_counts": class_counts(test, n) if test is not None else None,
        "sizes": {"pool": len(data.train_labels), "test": len(test) if test is not None else 0},
        "image_shape": list(data.spec.shape),
        "own_test_split": test is not None,
        "skipped": len(data.skipped),
    }


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
    if images.dtype == torch.float32:
        out = images.mul(scale)  # new tensor: the caller's batch is left alone
    else:
        # Converting first and scaling in place is ~2x faster than a mixed-dtype multiply.
        out = images.to(torch.float32).mul_(scale)
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
