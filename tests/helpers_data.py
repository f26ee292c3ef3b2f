"""Write tiny datasets in their real on-disk formats, for tests (no network).

Images are learnable: class ``k`` has a bright bar at a class-specific place plus noise, so a
model trained for an epoch or two on them beats chance clearly.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image

IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def pattern_images(labels: np.ndarray, size: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    """uint8 ``(N, size, size)`` (or ``(N, size, size, 3)``): noise plus a bar whose row is the class."""
    rng = np.random.default_rng(seed)
    shape = (len(labels), size, size) + ((3,) if channels == 3 else ())
    images = rng.integers(0, 60, size=shape, dtype=np.uint8)
    step = max(1, (size - 2) // 10)
    for i, k in enumerate(labels):
        row = 1 + (int(k) % 10) * step
        images[i, row : row + max(1, step - 1), 2 : size - 2] = 230
        if channels == 3:
            images[i, ..., int(k) % 3] //= 2  # a colour cue too
    return images


def labels_for(n: int, num_classes: int = 10) -> np.ndarray:
    """Balanced labels 0, 1, ..., num_classes - 1, 0, 1, ..."""
    return (np.arange(n) % num_classes).astype(np.uint8)


def _idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">I", 0x0800 + array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_mnist_idx(
    root: str | Path, n_train: int = 60, n_test: int = 20, gz: bool = True, folder: str = "MNIST"
) -> Path:
    """Write the four IDX files to ``root/folder/raw`` (``.gz`` when ``gz``); return the raw folder.

    ``folder="FashionMNIST"`` writes Fashion-MNIST's layout.
    """
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    y_train, y_test = labels_for(n_train), labels_for(n_test)
    arrays = [pattern_images(y_train, 28, seed=1), y_train, pattern_images(y_test, 28, seed=2), y_test]
    for name, array in zip(IDX_NAMES, arrays, strict=True):
        data = _idx_bytes(array)
        if gz:
            (raw / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (raw / name).write_bytes(data)
    return raw


def write_fashion_mnist(root: str | Path, n_train: int = 60, n_test: int = 20, gz: bool = True) -> Path:
    return write_mnist_idx(root, n_train, n_test, gz=gz, folder="FashionMNIST")


def write_cifar10(root: str | Path, n_train: int = 50, n_test: int = 20) -> Path:
    """Write CIFAR-10's python pickles to ``root/cifar-10-batches-py``; return that folder."""
    y, yt = labels_for(n_train), labels_for(n_test)
    x, xt = pattern_images(y, 32, channels=3, seed=3), pattern_images(yt, 32, channels=3, seed=4)
    return write_cifar_batches(root, x, y, xt, yt, CIFAR_CLASSES)


def write_cifar_batches(root, x, y, x_test, y_test, names) -> Path:
    """uint8 ``(n, 32, 32, 3)`` pictures in CIFAR-10's files under ``root/cifar-10-batches-py``: five
    training batches, the test batch and ``batches.meta`` naming the classes; returns that folder."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rows = np.asarray(x).transpose(0, 3, 1, 2).reshape(len(x), -1)
    for b, idx in enumerate(np.array_split(np.arange(len(x)), 5), start=1):
        batch = {"batch_label": f"batch {b}", "labels": np.asarray(y)[idx].tolist(), "data": rows[idx]}
        (folder / f"data_batch_{b}").write_bytes(pickle.dumps(batch, protocol=2))
    test_rows = np.asarray(x_test).transpose(0, 3, 1, 2).reshape(len(x_test), -1)
    test = {"batch_label": "testing batch", "labels": np.asarray(y_test).tolist(), "data": test_rows}
    (folder / "test_batch").write_bytes(pickle.dumps(test, protocol=2))
    meta = {"label_names": list(names), "num_cases_per_batch": 10000, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_image_folder(
    root: str | Path,
    classes: list[str] | tuple[str, ...] = ("cat", "dog", "frog"),
    n_per_class: int = 6,
    size: int | tuple[int, int] = 32,
    with_corrupt: bool = True,
    with_text: bool = True,
    mode: str = "RGB",
    ext: str = "png",
) -> Path:
    """Write ``root/<class>/<i>.png`` images; return ``root``.

    ``mode`` is "RGB", "L" or "mixed" (alternating L and RGB). ``with_corrupt`` adds
    ``<first class>/broken.png`` (not image data) and ``with_text`` adds ``<first class>/notes.txt``:
    each makes exactly one skipped file.
    """
    root = Path(root)
    w, h = (size, size) if isinstance(size, int) else size
    for k, name in enumerate(classes):
        d = root / name
        d.mkdir(parents=True, exist_ok=True)
        labels = np.full(n_per_class, k)
        rgb = pattern_images(labels, max(w, h), channels=3, seed=10 + k)[:, :h, :w]
        for i in range(n_per_class):
            img = Image.fromarray(np.ascontiguousarray(rgb[i]), "RGB")
            if mode == "L" or (mode == "mixed" and i % 2 == 0):
                img = img.convert("L")
            img.save(d / f"{i}.{ext}")
    if with_corrupt:
        (root / classes[0] / "broken.png").write_bytes(b"\x89PNG this is not really a png")
    if with_text:
        (root / classes[0] / "notes.txt").write_text("labels checked by hand\n")
    return root


SHAPES = ("disc", "square", "triangle", "ring", "frame", "plus", "cross", "bars", "stripes", "diamond")


def shape_pictures(
    n: int, classes: int = 10, size: int = 32, colour_cue: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-shaped pictures: uint8 ``(n, size, size, 3)`` of a shape (the class) on a noisy background.

    Shape, place, size and colours vary; with ``colour_cue`` > 0 that share of the pictures paints
    the shape in a colour near its class's own, as CIFAR's classes lean to colours of their own.
    Returns the pictures and their labels (0 .. classes - 1, balanced, shuffled).
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    images = np.empty((n, size, size, 3), np.uint8)
    for i, k in enumerate(labels):
        r = rng.uniform(0.22, 0.38) * size
        cy, cx = rng.uniform(r * 0.8, size - r * 0.8, 2)
        dy, dx = (yy - cy) / r, (xx - cx) / r
        ady, adx, dist, box = np.abs(dy), np.abs(dx), np.hypot(dy, dx), np.maximum(np.abs(dy), np.abs(dx))
        mask = (
            dist <= 1,
            box <= 0.85,
            (dy <= 0.8) & (dy >= 1.7 * adx - 0.9),
            (dist <= 1) & (dist >= 0.6),
            (box <= 0.9) & (box >= 0.55),
            ((ady <= 0.3) & (adx <= 1)) | ((adx <= 0.3) & (ady <= 1)),
            ((np.abs(dy - dx) <= 0.42) | (np.abs(dy + dx) <= 0.42)) & (box <= 1),
            ((np.abs(dy - 0.5) <= 0.22) | (np.abs(dy + 0.5) <= 0.22)) & (adx <= 1),
            (np.cos(dx * np.pi * 2.5) > 0.2) & (box <= 1),
            ady + adx <= 1,
        )[int(k)]
        bg = rng.uniform(0, 255, 3)
        hue = np.cos(k * 0.63 + np.array([0.0, 2.1, 4.2])) * 110 + 128
        fg = (
            np.clip(hue + rng.normal(0, 40, 3), 0, 255)
            if rng.random() < colour_cue
            else rng.uniform(0, 255, 3)
        )
        while np.abs(fg - bg).sum() < 180:  # the shape stands out from its background
            bg = rng.uniform(0, 255, 3)
        picture = np.where(mask[..., None], fg, bg) + rng.normal(0, 25, (size, size, 3))
        images[i] = np.clip(picture, 0, 255).astype(np.uint8)
    return images, labels.astype(np.int64)


def write_shape_folder(root: str | Path, n: int, classes: int = 10, **kwargs) -> Path:
    """``shape_pictures`` as an image folder ``root/<shape>/<i>.png``; returns ``root``."""
    root = Path(root)
    images, labels = shape_pictures(n, classes, **kwargs)
    for i, (picture, k) in enumerate(zip(images, labels, strict=True)):
        folder = root / SHAPES[k]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(picture).save(folder / f"{i:05d}.png")
    return root
