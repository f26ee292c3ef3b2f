"""The outputs of a model's frozen layers on disk, for a streamed folder whose outputs outgrow memory.

``engine.train.frozen_features`` computes what the frozen front of a model gives for each picture
once, and the epochs train the rest on it. When those outputs do not fit in memory and the pictures
are streamed, they go to ``<decode cache>/features/<key>/features.bin`` (one fixed-size record per
picture, in the split's order), beside the decode cache, so that ``TALLER_CACHE_DIR`` moves both and
``clear_cache`` empties both. The key hashes the frozen layers' weights and structure, the pictures
and how they are prepared: another starting point, another cut or other pictures give another key,
so a later run with the same frozen layers on the same folder reads the outputs instead of
computing them again.

``index.json`` is the entry's header, as in the decode cache (``engine.data.cache``): format,
version, key, shape, dtype, which pictures were read and a CRC-32 of each record; it is written
last, atomically, so an entry counts only once it is whole. Opening an entry checks the header and
every record (``DamagedCache`` when one fails: the outputs are computed again), and each record is
checked again as it is read.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from engine.data.cache import DamagedCache, cache_dir, check_records, fresh_records, read_header
from engine.files import atomic_file
from engine.i18n import _

VERSION = 1  # bump when the records' layout changes, so old entries are not read
FEATURES, INDEX = "features.bin", "index.json"
FORMAT = "taller feature cache"
FOLDER = "features"  # under the decode cache's folder


def feature_root(root: Path | None = None) -> Path:
    """Where the entries are: ``features/`` in the decode cache's folder (or under ``root``)."""
    return Path(root or cache_dir()) / FOLDER


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _as_bytes(rows: torch.Tensor) -> bytes:
    """A tensor's values as raw bytes (bfloat16 too, which numpy has no type for)."""
    return rows.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


@dataclass
class FeatureEntry:
    """One split's frozen-layer outputs: ``features.bin`` and ``index.json`` under ``feature_root()/key``."""

    path: Path
    shape: tuple[int, ...]  # (pictures, *one picture's output)
    dtype: torch.dtype
    _crcs: np.ndarray | None = field(default=None, repr=False)  # each record's CRC-32, while writing

    @classmethod
    def of(
        cls, key: str, shape: tuple[int, ...], dtype: torch.dtype, root: Path | None = None
    ) -> FeatureEntry:
        return cls(feature_root(root) / key, tuple(int(s) for s in shape), dtype)

    @property
    def record(self) -> int:
        """Bytes of one picture's outputs."""
        return int(np.prod(self.shape[1:])) * torch.empty(0, dtype=self.dtype).element_size()

    def complete(self) -> bool:
        return (self.path / INDEX).is_file() and (self.path / FEATURES).is_file()

    def read(self) -> tuple[FeatureFile, np.ndarray]:
        """The records, checked, and which pictures they hold (the others could not be read).

        Raises
        ------
        DamagedCache
            The header does not read or does not match this entry, the file has another size, or a
            record differs from its CRC-32.
        """
        expected = (FORMAT, VERSION, self.path.name, self.shape, _dtype_name(self.dtype))
        _, ok, crcs = read_header(self.path / INDEX, expected)
        self._check_records(ok, crcs)
        return FeatureFile(self.path / FEATURES, self.shape, self.dtype, crcs), ok

    def _check_records(self, ok: np.ndarray, crcs: np.ndarray) -> None:
        check_records(
            self.path / FEATURES,
            self.record,
            ok,
            crcs,
            _("its file holds {size} bytes where its header says {expected}"),
            _("its values differ from the checksums they were written with"),
        )

    def writer(self) -> BinaryIO:
        """A fresh file to fill with ``put``; the entry counts only after ``finish``."""
        out, self._crcs = fresh_records(self.path, FEATURES, self.shape[0], self.record)
        return out

    def put(self, out: BinaryIO, places: np.ndarray, rows: torch.Tensor) -> None:
        """Write the outputs ``rows`` of the pictures at ``places``, and note their CRC-32s."""
        data, record = _as_bytes(rows), self.record
        for j, i in enumerate(np.asarray(places).tolist()):
            piece = data[j * record : (j + 1) * record]
            out.seek(i * record)
            out.write(piece)
            self._crcs[i] = zlib.crc32(piece)

    def finish(self, out: BinaryIO, ok: np.ndarray) -> FeatureFile:
        """Flush the records to disk, then write the header that makes the entry complete.

        Returns the records to read (just written: not checked again, which would read them all).
        """
        out.flush()
        os.fsync(out.fileno())
        out.close()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "key": self.path.name,
            "shape": list(self.shape),
            "dtype": _dtype_name(self.dtype),
            "ok": np.asarray(ok, dtype=bool).tolist(),
            "crc32": self._crcs.tolist(),
        }
        text = json.dumps(header)
        atomic_file(self.path / INDEX, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return FeatureFile(self.path / FEATURES, self.shape, self.dtype, self._crcs)


class FeatureFile:
    """An entry's records, read picture by picture with plain file reads (memory stays bounded)."""

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: torch.dtype, crcs: np.ndarray):
        self.path, self.shape, self.dtype, self.crcs = Path(path), tuple(shape), dtype, crcs
        self.record = int(np.prod(self.shape[1:])) * torch.empty(0, dtype=dtype).element_size()
        self._file: BinaryIO | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def take(self, indices: torch.Tensor) -> torch.Tensor:
        """The outputs of the pictures at ``indices``, in that order.

        Raises
        ------
        DamagedCache
            A record is cut short or differs from its CRC-32 (the file was changed during the run);
            the header is removed, so the next run computes the outputs again.
        """
        if self._file is None:
            self._file = open(self.path, "rb")  # noqa: SIM115 - lives as long as this object
        places = indices.cpu().numpy()
        if not len(places):
            return torch.zeros((0, *self.shape[1:]), dtype=self.dtype)
        out = bytearray(len(places) * self.record)
        for j in np.argsort(places, kind="stable"):  # in file order: the disk reads ahead
            i = int(places[j])
            self._file.seek(i * self.record)
            data = self._file.read(self.record)
            if len(data) != self.record or zlib.crc32(data) != self.crcs[i]:
                self.forget()
                raise DamagedCache(_("its values differ from the checksums they were written with"))
            out[j * self.record : (j + 1) * self.record] = data
        return torch.frombuffer(out, dtype=self.dtype).view(len(places), *self.shape[1:])

    def forget(self) -> None:
        """Remove the entry's header: it is never read again, and the next run rebuilds it."""
        try:
            (self.path.parent / INDEX).unlink(missing_ok=True)
        except OSError:
            pass  # read-only cache folder: the checks still refuse the damaged records

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
