"""A decode cache on disk: an image folder's resized uint8 pixels in a memory-mapped file.

Decoding JPEGs costs far more than reading pixels, so the first pass over a streamed folder can
also write the resized images to ``<cache>/<key>/images.u8`` (``(N, C, H, W)`` uint8 records, the
idea of airbench and ffcv without their install). Later epochs and later runs read it instead of
decoding, image by image through the file system's cache, so memory stays bounded however large.

The key hashes every file's path, size and modification time plus the resolution and channels:
any change (a file added, replaced or touched, another image size) gives another key, so a stale
cache is never read. An entry counts only once its ``index.json`` (written last, atomically)
exists. ``TALLER_CACHE_DIR`` moves the cache; ``clear_cache`` empties it.

``index.json`` is the entry's header: format, version, key, shape, dtype and a CRC-32 of each
image's record, taken as it is written. Opening an entry checks the header against the entry and
every record against its CRC, so a cache damaged on disk (overwritten, cut short, another entry's
file) raises ``DamagedCache`` and is rebuilt, never read. CRC-32 (zlib) rather than a cryptographic
hash: it guards against damage, not against an attacker, and checks about 1.7 GB a second (3000
colour 64x64 images, 37 MB: 22 ms), less than one epoch's reading of the same file. Each record is
checked again when it is read, which catches damage done while a run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from engine.files import atomic_file
from engine.i18n import _

VERSION = 2  # bump when the decoding or the entry's format changes, so old caches are not read
IMAGES, INDEX = "images.u8", "index.json"
FORMAT = "taller decode cache"
CHECK_ROWS = 512  # records read at a time while checking an entry (a few MB)


class DamagedCache(Exception):
    """A cache entry that fails its checks; ``reason`` says how, in the user's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
    _crcs: np.ndarray | None = field(default=None, repr=False)  # each record's CRC-32, while writing

    @classmethod
    def of(
        cls, files: list[Path], size: int, channels: int, root: Path | None = None, resize: int | None = None
    ) -> CacheEntry:
        key = cache_key(files, size, channels, resize)
        return cls(Path(root or cache_dir()) / key, (len(files), channels, size, size))

    def complete(self) -> bool:
        return (self.path / INDEX).is_file() and (self.path / IMAGES).is_file()

    @property
    def record(self) -> int:
        return int(np.prod(self.shape[1:]))

    def read(self, check: bool = True) -> tuple[CachedImages, np.ndarray, dict[int, str]]:
        """The cached pixels, which files decoded, and why the others did not.

        Raises
        ------
        DamagedCache
            (with ``check``) The header does not read or does not match this entry, the pixel
            file has another size, or a record differs from its CRC-32.
        """
        ok, skipped, crcs = self._header()
        if check:
            self._check_records(ok, crcs)
        return CachedImages(self.path / IMAGES, self.shape, crcs), ok, skipped

    def _header(self) -> tuple[np.ndarray, dict[int, str], np.ndarray]:
        expected = (FORMAT, VERSION, self.path.name, self.shape, "uint8")
        header, ok, crcs = read_header(self.path / INDEX, expected)
        try:
            skipped = {int(k): str(v) for k, v in header["skipped"].items()}
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            raise DamagedCache(_("its header cannot be read")) from exc
        return ok, skipped, crcs

    def _check_records(self, ok: np.ndarray, crcs: np.ndarray) -> None:
        check_records(
            self.path / IMAGES,
            self.record,
            ok,
            crcs,
            _("its pixel file holds {size} bytes where its header says {expected}"),
            _("its pixels differ from the checksums it was written with"),
        )

    def writer(self) -> BinaryIO:
        """A fresh pixel file to fill with ``put``; the entry counts only after ``finish``."""
        out, self._crcs = fresh_records(self.path, IMAGES, self.shape[0], self.record)
        return out

    def put(self, out: BinaryIO, i: int, pixels: np.ndarray) -> None:
        """Write image ``i``'s pixels at its place in the file, and note their CRC-32."""
        data = np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
        out.seek(i * self.record)
        out.write(data)
        self._crcs[i] = zlib.crc32(data)

    def finish(self, out: BinaryIO, ok: np.ndarray, skipped: dict[int, str]) -> None:
        """Flush the pixels to disk, then write the header that makes the entry complete."""
        out.flush()
        os.fsync(out.fileno())
        out.close()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "key": self.path.name,
            "shape": list(self.shape),
            "dtype": "uint8",
            "ok": ok.tolist(),
            "skipped": skipped,
            "crc32": self._crcs.tolist(),
        }
        text = json.dumps(header)
        atomic_file(self.path / INDEX, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_header(index: Path, expected: tuple) -> tuple[dict, np.ndarray, np.ndarray]:
    """An entry's header (``index.json``), the pictures it holds and their records' CRC-32s, when its
    format, version, key, shape and dtype are ``expected``; ``DamagedCache`` otherwise. The decode
    cache's and the frozen layers' outputs' entries share this header."""
    try:
        header = json.loads(index.read_text(encoding="utf-8"))
        ok = np.asarray(header["ok"], dtype=bool)
        crcs = np.asarray(header["crc32"], dtype=np.uint32)
        fields = (header["format"], header["version"], header["key"], tuple(header["shape"]), header["dtype"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise DamagedCache(_("its header cannot be read")) from exc
    if fields != expected or not ok.shape == crcs.shape == (expected[3][0],):
        raise DamagedCache(_("its header does not match the pictures it was made for"))
    return header, ok, crcs


def check_records(
    file: Path, record: int, ok: np.ndarray, crcs: np.ndarray, wrong_size: str, differ: str
) -> None:
    """Check a file of fixed-size records against its header: its size, and the CRC-32 of every
    record that was written (``ok``); ``DamagedCache`` with ``wrong_size`` or ``differ`` when one
    fails. The decode cache's pixels and the frozen layers' outputs are checked this way."""
    n = len(ok)
    try:
        size = file.stat().st_size
        if size != n * record:
            raise DamagedCache(wrong_size.format(size=size, expected=n * record))
        with open(file, "rb") as fh:
            for start in range(0, n, CHECK_ROWS):
                chunk = memoryview(fh.read(CHECK_ROWS * record))
                for j in range(len(chunk) // record):
                    i = start + j
                    if ok[i] and zlib.crc32(chunk[j * record : (j + 1) * record]) != crcs[i]:
                        raise DamagedCache(differ)
    except OSError as exc:
        raise DamagedCache(
            _("its files cannot be read ({error})").format(error=exc.strerror or type(exc).__name__)
        ) from exc


def fresh_records(folder: Path, name: str, n: int, record: int) -> tuple[BinaryIO, np.ndarray]:
    """An emptied ``folder`` with ``name``, a file sized for ``n`` records, open for writing, and
    the CRC-32 array to fill as records are put (the header written last makes the entry count)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    out = open(folder / name, "wb")  # noqa: SIM115 - closed by the entry's finish()
    out.truncate(n * record)
    return out, np.zeros(n, dtype=np.uint32)


class CachedImages:
    """The pixels of a cache entry, read image by image with plain file reads.

    Not a memory map on purpose: mapped pages count as the process's memory, while pages read
    through the file system's cache do not, so memory stays bounded however large the folder is.
    Each process (DataLoader workers included) opens its own handle on first use. A record that
    is cut short or differs from its CRC-32 (the file damaged or removed while a run goes on) reads
    as None, and the entry's header is removed so that the next load rebuilds it.
    """

    origin = ""  # the folder the pixels come from, for messages

    def __init__(self, path: Path, shape: tuple[int, int, int, int], crcs: np.ndarray | None = None):
        self.path, self.shape = Path(path), tuple(shape)
        self.record = int(np.prod(self.shape[1:]))
        self.crcs = crcs
        self._file: BinaryIO | None = None
        self._pid = os.getpid()

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_file": None}  # a worker opens its own handle

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, i: int) -> torch.Tensor | None:
        """Image ``i`` as a uint8 ``(C, H, W)`` tensor, or None when its record is damaged or gone."""
        i = int(i)
        try:
            if self._file is None or self._pid != os.getpid():
                # A forked DataLoader worker must not share the parent's file offset: its own handle.
                self._file = open(self.path, "rb")  # noqa: SIM115 - lives as long as this object
                self._pid = os.getpid()
            self._file.seek(i * self.record)
            data = self._file.read(self.record)
        except OSError:
            data = b""
        if len(data) != self.record or (self.crcs is not None and zlib.crc32(data) != self.crcs[i]):
            with suppress(OSError):  # never read again: the next load rebuilds it
                (self.path.parent / INDEX).unlink(missing_ok=True)
            return None
        return torch.frombuffer(bytearray(data), dtype=torch.uint8).view(self.shape[1:])

    def __getitem__(self, i: int) -> torch.Tensor:
        """Image ``i`` as a uint8 ``(C, H, W)`` tensor (zeros when its record is damaged)."""
        image = self.read(i)
        return torch.zeros(self.shape[1:], dtype=torch.uint8) if image is None else image

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
