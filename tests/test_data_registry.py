"""The dataset table: every entry loads from tiny files in its real format; keys and folder keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.cli import build_parser
from engine.config import DataConfig
from engine.data import synth
from engine.data.registry import (
    DATASETS,
    FOLDER,
    clear_cache,
    dataset_info,
    describe,
    folder_key,
    folder_path,
    is_folder,
    is_known,
    load_dataset,
    usage,
)
from engine.data.types import DIGIT_CLASSES, ImageData, digit_spec
from engine.errors import ConfigError, DatasetError
from tests.helpers_data import write_cifar10, write_fashion_mnist, write_image_folder, write_mnist_idx

# One writer per dataset that needs files; a new dataset on disk adds its writer here.
WRITERS = {
    "mnist": lambda root: write_mnist_idx(root, n_train=30, n_test=10),
    "fashion-mnist": lambda root: write_fashion_mnist(root, n_train=30, n_test=10),
    "cifar10": lambda root: write_cifar10(root, n_train=30, n_test=10),
    FOLDER: lambda root: write_image_folder(root / "pets", ["cat", "dog"], n_per_class=5, size=16),
}


def _dataset_key(key: str, root: Path) -> str:
    """Write ``key``'s files under ``root`` if it needs any; return the key to load it by."""
    info = DATASETS[key]
    if info.needs_files:
        assert key in WRITERS, f"dataset {key!r} needs files: add a writer for it to WRITERS"
        written = WRITERS[key](root)
        return folder_key(written) if key == FOLDER else key
    return key


@pytest.fixture
def small_synth(monkeypatch):
    monkeypatch.setattr(synth, "SYNTH_TRAIN_SIZE", 60)
    clear_cache()
    yield
    clear_cache()  # the small pools must not outlive the test


@pytest.mark.parametrize("key", list(DATASETS))
def test_every_registered_dataset_loads(key, tmp_path, small_synth):
    info = DATASETS[key]
    dataset = _dataset_key(key, tmp_path)
    data = load_dataset(DataConfig(dataset=dataset, data_dir=str(tmp_path)))
    assert isinstance(data, ImageData) and data.name == dataset
    assert dataset_info(dataset) is info
    parts = [(data.train_images, data.train_labels)]
    if data.test_images is not None:
        parts.append((data.test_images, data.test_labels))
    for images, labels in parts:
        assert images.dtype == torch.uint8 and tuple(images.shape[1:]) == data.spec.shape
        assert labels.dtype == torch.int64 and len(labels) == len(images) > 0
        assert 0 <= int(labels.min()) and int(labels.max()) < data.num_classes
    assert data.num_classes >= 2 and len(set(data.classes)) == data.num_classes
    assert len(data.spec.mean) == data.spec.channels
    assert (data.preparation == "digit") == info.digits
    if info.digits:  # one spec and one class list for all digit models
        assert data.spec == digit_spec() and data.classes == list(DIGIT_CLASSES)
    summary = describe(data)
    assert summary["label"] == (dataset if key == FOLDER else info.label)
    assert summary["image_shape"] == list(data.spec.shape)


@pytest.mark.parametrize("key", [k for k, info in DATASETS.items() if info.needs_files])
def test_datasets_on_disk_say_what_is_missing(key, tmp_path):
    clear_cache()
    dataset = folder_key(tmp_path / "nothing") if key == FOLDER else key
    with pytest.raises(DatasetError):
        load_dataset(DataConfig(dataset=dataset, data_dir=str(tmp_path / "nothing")))


def test_table_facts_agree():
    for key, info in DATASETS.items():
        assert info.key == key and info.label
        assert info.builtin == (not info.needs_files)
        assert not info.downloadable or info.needs_files
    assert [k for k, i in DATASETS.items() if i.downloadable] == ["mnist", "fashion-mnist", "cifar10"]
    assert [k for k, i in DATASETS.items() if i.seeded] == ["synth-digits", "digits+synth"]


def test_folder_keys(tmp_path):
    key = folder_key(tmp_path / "pets")
    assert key == f"folder:{tmp_path / 'pets'}"  # the spelling users type: --dataset folder:PATH
    assert is_folder(key) and folder_path(key) == tmp_path / "pets"
    assert not is_folder("mnist") and folder_path("mnist") is None
    assert is_known(key) and is_known("digits") and not is_known(FOLDER) and not is_known("imagenet")
    with pytest.raises(DatasetError, match="unknown dataset 'imagenet'"):
        dataset_info("imagenet")


def test_config_and_cli_read_the_table(capsys):
    assert usage() == (
        "digits, mnist-sample, synth-digits, digits+synth, mnist, fashion-mnist, cifar10 or folder:PATH"
    )
    with pytest.raises(
        ConfigError, match=r"unknown dataset 'imagenet'; choose one of digits, .* folder:PATH"
    ):
        DataConfig(dataset="imagenet")
    args = build_parser().parse_args(["train", "--dataset", "folder:some/where"])
    assert DataConfig(dataset=args.dataset).dataset == "folder:some/where"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    help_text = "".join(capsys.readouterr().out.split())  # argparse wraps lines, even inside words
    assert usage().replace(" ", "") in help_text
