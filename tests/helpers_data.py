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
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    y = labels_for(n_train)
    x = pattern_images(y, 32, channels=3, seed=3).transpose(0, 3, 1, 2).reshape(n_train, -1)
    for b, idx in enumerate(np.array_split(np.arange(n_train), 5), start=1):
        batch = {"batch_label": f"batch {b}", "labels": y[idx].tolist(), "data": x[idx]}
        (folder / f"data_batch_{b}").write_bytes(pickle.dumps(batch, protocol=2))
    yt = labels_for(n_test)
    xt = pattern_images(yt, 32, channels=3, seed=4).transpose(0, 3, 1, 2).reshape(n_test, -1)
    test = {"batch_label": "testing batch", "labels": yt.tolist(), "data": xt}
    (folder / "test_batch").write_bytes(pickle.dumps(test, protocol=2))
    meta = {"label_names": CIFAR_CLASSES, "num_cases_per_batch": 10000, "num_vis": 3072}
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
