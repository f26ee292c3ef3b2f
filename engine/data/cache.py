"""A decode cache on disk: an image folder's resized uint8 pixels in a memory-mapped file.

Decoding JPEGs costs far more than reading pixels, so the first pass over a streamed folder can
also write the resized images to ``<cache>/<key>/images.u8`` (``(N, C, H, W)`` uint8 records, the
idea of airbench and ffcv without their install). Later epochs and later runs read it instead of
decoding, image by image through the file system's cache, so memory stays bounded however large.

The key hashes every file's path, size and modification time plus the resolution and channels:
any change (a file added, replaced or touched, another image size) gives another key, so a stale
cache is never read. An entry counts only once its ``index.json`` (written last, atomically)
exists. ``TALLER_CACHE_DIR`` moves the cache; ``clear_cache`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from engine.files import atomic_file

VERSION = 1  # bump when the decoding changes, so old caches are not read
IMAGES, INDEX = "images.u8", "index.json"


def cache_dir() -> Path:
    """``$TALLER_CACHE_DIR``, else the user's cache folder for Taller (as the OS names it)."""
    if os.environ.get("TALLER_CACHE_DIR"):
        return Path(os.environ["TALLER_CACHE_DIR"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "taller" / "decoded"


def cache_key(files: list[Path], size: int, channels: int, resize: int | None = None) -> str:
    """A hash of the file list (path, size, mtime) and the resolution: changes when any of them does."""
    crop = f" crop {resize}" if resize is not None else ""  # absent: the keys of earlier caches stay
    digest = hashlib.sha256(f"v{VERSION} {size} {channels}{crop}\n".encode())
    for path in files:
        st = os.stat(path)
        # os.fsencode: a name that is not UTF-8 (Latin-1) hashes as its bytes; UTF-8 names as before.
        digest.update(os.fsencode(f"{os.path.abspath(path)}\t{st.st_size}\t{st.st_mtime_ns}\n"))
    return digest.hexdigest()[:32]


@dataclass
class CacheEntry:
    """One folder's cache: ``images.u8`` and ``index.json`` under ``cache_dir()/key``."""

    path: Path
    shape: tuple[int, int, int, int]  # (N, C, H, W)

    @classmethod
    def of(
        cls, files: list[Path], size: int, channels: int, root: Path | None = None, resize: int | None = None
    ) -> CacheEntry:
        key = cache_key(files, size, channels, resize)
        return cls(Path(root or cache_dir()) / key, (len(files), channels, size, size))

    def complete(self) -> bool:
        return (self.path / INDEX).is_file() and (self.path / IMAGES).is_file()

    def read(self) -> tuple[CachedImages, np.ndarray, dict[int, str]]:
        """The cached pixels, which files decoded, and why the others did not."""
        index = json.loads((self.path / INDEX).read_text(encoding="utf-8"))
        ok = np.asarray(index["ok"], dtype=bool)
        skipped = {int(k): v for k, v in index["skipped"].items()}
        return CachedImages(self.path / IMAGES, self.shape), ok, skipped

    def writer(self) -> BinaryIO:
        """A fresh pixel file to fill with ``put``; the entry counts only after ``finish``."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        out = open(self.path / IMAGES, "wb")  # noqa: SIM115 - closed by finish()
        out.truncate(int(np.prod(self.shape)))
        return out

    def put(self, out: BinaryIO, i: int, pixels: np.ndarray) -> None:
        """Write image ``i``'s pixels at its place in the file."""
        out.seek(i * int(np.prod(self.shape[1:])))
        out.write(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes())

    def finish(self, out: BinaryIO, ok: np.ndarray, skipped: dict[int, str]) -> None:
        """Flush the pixels to disk, then write the index that makes the entry complete."""
        out.flush()
        os.fsync(out.fileno())
        out.close()
        text = json.dumps({"version": VERSION, "ok": ok.tolist(), "skipped": skipped})
        atomic_file(self.path / INDEX, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class CachedImages:
    """The pixels of a cache entry, read image by image with plain file reads.

    Not a memory map on purpose: mapped pages count as the process's memory, while pages read
    through the file system's cache do not, so memory stays bounded however large the folder is.
    Each process (DataLoader workers included) opens its own handle on first use.
    """

    def __init__(self, path: Path, shape: tuple[int, int, int, int]):
        self.path, self.shape = Path(path), tuple(shape)
        self.record = int(np.prod(self.shape[1:]))
        self._file: BinaryIO | None = None
        self._pid = os.getpid()

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_file": None}  # a worker opens its own handle

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, i: int) -> torch.Tensor:
        """Image ``i`` as a uint8 ``(C, H, W)`` tensor."""
        if self._file is None or self._pid != os.getpid():
            # A forked DataLoader worker must not share the parent's file offset: its own handle.
            self._file = open(self.path, "rb")  # noqa: SIM115 - lives as long as this object
            self._pid = os.getpid()
        self._file.seek(int(i) * self.record)
        data = bytearray(self._file.read(self.record))
        return torch.frombuffer(data, dtype=torch.uint8).view(self.shape[1:])

    def take(self, indices) -> torch.Tensor:
        """Images at ``indices`` as one ``(len, C, H, W)`` tensor."""
        if not len(indices):
            return torch.zeros(0, *self.shape[1:], dtype=torch.uint8)
        return torch.stack([self[int(i)] for i in indices])

    def to_tensor(self) -> torch.Tensor:
        """Every image in memory (for data that fits)."""
        return self.take(range(len(self)))


def cache_size(root: Path | None = None) -> int:
    """Bytes the decode cache takes on disk."""
    root = Path(root or cache_dir())
    if not root.is_dir():
        return 0
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def clear_cache(root: Path | None = None) -> int:
    """Remove every cached folder; returns the bytes freed."""
    root = Path(root or cache_dir())
    freed = cache_size(root)
    shutil.rmtree(root, ignore_errors=True)
    return freed
