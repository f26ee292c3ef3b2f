"""MNIST, Fashion-MNIST (IDX files) and CIFAR-10 (python pickles), read with torchvision.

Files live in torchvision's layout under a data folder; they are downloaded only when asked,
and copies a user made by hand (``.gz`` files, a browser-downloaded archive) are accepted too.
Every failure becomes one ``DatasetError`` whose message says what to do.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import CIFAR10, MNIST, FashionMNIST

from engine.data.types import DIGIT_CLASSES, ImageData, InputSpec, digit_spec
from engine.errors import DatasetError, os_reason
from engine.i18n import _

FASHION_MEAN, FASHION_STD = (0.2860,), (0.3530,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)

# torchvision's on-disk layout: folder under data_dir and raw files, per dataset.
_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_IDX_CLASSES = {"mnist": MNIST, "fashion-mnist": FashionMNIST}
_IDX_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
_CIFAR_FOLDER = "cifar-10-batches-py"
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")
DOWNLOAD_TIMEOUT = 30.0  # seconds without any data before a download is given up


class _CIFAR10Files(CIFAR10):
    """CIFAR-10 that accepts any readable copy: torchvision only loads files with the original md5."""

    meta = {**CIFAR10.meta, "md5": None}

    def _check_integrity(self) -> bool:
        return all((Path(self.root) / self.base_folder / f).is_file() for f in _CIFAR_FILES)


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


def _missing_error(name: str, label: str, data_dir: Path, missing: list[Path]) -> DatasetError:
    files = expected_files(name, data_dir)
    folder = files[0].parent
    gz_note = _(" (.gz or extracted)") if name in _IDX_FOLDERS else ""
    archive_note = _(" (or put {archive} in {folder})").format(archive=_CIFAR_ARCHIVE, folder=data_dir)
    archive_note = archive_note if name == "cifar10" else ""
    return DatasetError(
        _(
            "{label} is not in {folder}.\nExpected files{gz_note}: {files}\nMissing: {missing}\nUse "
            "--download (command line) or the Download button (window) to fetch them, or copy "
            "the files into that folder{archive_note}."
        ).format(
            label=label,
            folder=folder,
            gz_note=gz_note,
            files=", ".join(f.name for f in files),
            missing=", ".join(f.name for f in missing),
            archive_note=archive_note,
        )
    )


def _fetch(name: str, label: str, root: Path, missing: list[Path], download: bool, make: Callable) -> None:
    """Download what is missing with torchvision (if allowed); any failure is one DatasetError.

    The files arrive in a temporary folder beside the data and move into place only when the
    whole download succeeded, so a broken-off download never looks like a complete dataset; a
    connection that sends nothing for ``DOWNLOAD_TIMEOUT`` seconds is given up.
    """
    if not missing:
        return
    if not download:
        raise _missing_error(name, label, root, missing)
    files = expected_files(name, root)
    instead = _("Instead, copy {files} into {folder}.").format(
        files=", ".join(f.name for f in files), folder=files[0].parent
    )
    previous = socket.getdefaulttimeout()
    created = [p for p in (root, *root.parents) if not p.exists()]  # removed again on failure
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    except OSError as exc:
        _remove_empty(created)
        raise DatasetError(
            _("cannot download {label} into {root}: {exc}. {instead}").format(
                label=label, root=root, exc=os_reason(exc), instead=instead
            )
        ) from exc
    try:
        # urllib (inside torchvision) has no timeout of its own; this bounds every wait for data.
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
        make(str(tmp), train=True, download=True)
        _move_into(tmp, root)
    except Exception as exc:  # urllib, socket, tarfile and md5 errors all mean the same to a user
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)  # no empty data folder left behind by a failed download
        raise DatasetError(
            _("could not download {label} {reason}; nothing was kept.\n{instead}").format(
                label=label, reason=_download_reason(exc), instead=instead
            )
        ) from exc
    finally:
        socket.setdefaulttimeout(previous)
        shutil.rmtree(tmp, ignore_errors=True)


# How an unknown server name reads on Linux, macOS and Windows: no network (or no DNS) at all.
_OFFLINE_WORDS = ("name resolution", "name or service not known", "nodename nor servname", "getaddrinfo")


def _download_reason(exc: BaseException) -> str:
    """Why a download failed, in plain words (the technical detail last, shortened).

    torchvision's MNIST wraps each mirror's error in one RuntimeError's text, so the text is read too.
    """
    reason = getattr(exc, "reason", None)
    text = str(exc).strip()
    http = re.search(r"HTTP Error (\d+)", text)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError) or "timed out" in text:
        return _("(the connection sent no data for {seconds:.0f} s)").format(seconds=DOWNLOAD_TIMEOUT)
    if isinstance(reason, socket.gaierror) or any(w in text.lower() for w in _OFFLINE_WORDS):
        return _("(no network?) this computer seems to be offline: the download server could not be found")
    if isinstance(exc, ConnectionError) or isinstance(reason, ConnectionError):
        return _("(the connection to the download server failed: {detail})").format(detail=text[:200])
    if getattr(exc, "code", None) is not None or http:  # the server answered with an error
        code = getattr(exc, "code", None) or http.group(1)
        return _("(the download server answered with error {code}; try again later)").format(code=code)
    return _("(no network?): {exc}").format(exc=text[:300])


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) where they are empty; a folder with anything in it stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty, or already gone


def _move_into(tmp: Path, root: Path) -> None:
    """Move every downloaded file from ``tmp`` to the same place under ``root``."""
    for src in sorted(p for p in tmp.rglob("*") if p.is_file()):
        dst = root / src.relative_to(tmp)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)


def _stale(target: Path, packed: Path) -> bool:
    """True when the extracted ``target`` is missing, older than ``packed`` or of another size.

    gzip stores the uncompressed size (modulo 4 GiB) in its last four bytes.
    """
    if not target.is_file():
        return True
    if target.stat().st_mtime < packed.stat().st_mtime:
        return True
    with open(packed, "rb") as fh:
        fh.seek(-4, os.SEEK_END)
        size = int.from_bytes(fh.read(4), "little")
    return target.stat().st_size % 2**32 != size


def _gunzip_missing(raw: Path) -> None:
    """Extract ``.gz`` files whose extracted copy is missing or stale, as torchvision's download would."""
    for name in _IDX_FILES:
        target, packed = raw / name, raw / f"{name}.gz"
        try:
            if not packed.is_file() or not _stale(target, packed):
                continue
        except OSError:
            pass  # an unreadable or too short .gz: extracting it gives the message
        tmp = raw / f".{name}.part"
        try:
            with gzip.open(packed, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, target)
        except (OSError, EOFError) as exc:
            tmp.unlink(missing_ok=True)
            raise DatasetError(
                _("could not extract {packed}: {exc}. Replace it with a good copy.").format(
                    packed=packed, exc=os_reason(exc) if isinstance(exc, OSError) else _("it is cut short")
                )
            ) from exc


def load_idx(name: str, label: str, root: Path, download: bool) -> ImageData:
    """MNIST or Fashion-MNIST from ``root/<MNIST|FashionMNIST>/raw``.

    Parameters
    ----------
    name : str
        "mnist" or "fashion-mnist".
    label : str
        The dataset's name for messages.
    root : Path
        The data folder.
    download : bool
        Fetch missing files with torchvision instead of failing.

    Raises
    ------
    DatasetError
        Files missing (and not downloaded), damaged, or the download failed.
    """
    cls = _IDX_CLASSES[name]
    raw = root / _IDX_FOLDERS[name] / "raw"
    _gunzip_missing(raw)
    missing = [f for f in expected_files(name, root) if not _present(f)]
    _fetch(name, label, root, missing, download, cls)
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
            _(
                "the files in {raw} are damaged (their sizes or headers are not those of {label}'s files); "
                "delete them and copy them again"
            ).format(raw=raw, label=label)
        ) from exc
    digit = name == "mnist"
    h, w = train.data.shape[1:]
    return ImageData(
        name=name,
        classes=list(DIGIT_CLASSES) if digit else list(cls.classes),
        spec=digit_spec() if digit else InputSpec(1, h, w, FASHION_MEAN, FASHION_STD),
        train_images=train.data.unsqueeze(1).contiguous(),
        train_labels=train.targets.long(),
        test_images=test.data.unsqueeze(1).contiguous(),
        test_labels=test.targets.long(),
        preparation="digit" if digit else "image",
        # Mirrored clothes are still the same clothes; mirrored digits are not digits.
        flip_ok=not digit,
        source=str(raw),
    )


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
        raise DatasetError(
            _("could not unpack {archive}: {exc}. Replace it with a good copy.").format(
                archive=archive,
                exc=os_reason(exc) if isinstance(exc, OSError) else _("it is not a whole tar archive"),
            )
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_cifar10(name: str, label: str, root: Path, download: bool) -> ImageData:
    """CIFAR-10 from ``root/cifar-10-batches-py`` (or its archive in ``root``); as ``load_idx``."""
    _extract_cifar_archive(root)
    missing = [f for f in expected_files(name, root) if not f.is_file()]
    _fetch(name, label, root, missing, download, _CIFAR10Files)
    try:
        train, test = _CIFAR10Files(str(root), train=True), _CIFAR10Files(str(root), train=False)
        parts = [
            (torch.from_numpy(np.ascontiguousarray(d.data.transpose(0, 3, 1, 2))), torch.as_tensor(d.targets))
            for d in (train, test)
        ]
        if any(len(x) != len(y) for x, y in parts) or len(train.classes) < 2:
            raise ValueError("images, labels and class names do not match")
    except Exception as exc:  # unpickling damaged files raises almost anything
        raise DatasetError(
            _(
                "the CIFAR-10 files in {cifar_folder} are damaged (they cannot be read as CIFAR-10's "
                "batches); delete them and copy them again"
            ).format(cifar_folder=root / _CIFAR_FOLDER)
        ) from exc
    (train_x, train_y), (test_x, test_y) = parts
    return ImageData(
        name=name,
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
