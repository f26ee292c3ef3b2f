"""Datasets: every kind loads from files in its real format; splits, normalisation, augmentation."""

from __future__ import annotations

import gzip
import tarfile
from dataclasses import replace
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from PIL import Image

from engine.config import DataConfig
from engine.data import registry
from engine.data.registry import DATASETS, FOLDER, clear_cache, describe, folder_key, load_dataset
from engine.data.splits import class_counts, split_dataset
from engine.data.torchvision_sets import expected_files
from engine.data.transforms import augment, normalise, pil_to_array
from engine.data.types import ImageData, InputSpec
from engine.errors import DatasetError
from tests.helpers_data import write_cifar10, write_fashion_mnist, write_image_folder, write_mnist_idx


@pytest.fixture(scope="module")
def digits() -> ImageData:
    return load_dataset(DataConfig())


def test_digits_are_framed_like_mnist(digits):
    assert digits.train_images.shape == (1797, 1, 28, 28)
    assert digits.train_images.dtype == torch.uint8
    assert digits.train_labels.dtype == torch.int64
    assert digits.classes == [str(d) for d in range(10)]
    assert digits.test_images is None
    assert (digits.preparation, digits.flip_ok) == ("digit", False)
    assert digits.spec == InputSpec(1, 28, 28, (0.1307,), (0.3081,))
    assert int(digits.train_images.max()) == 255 and int(digits.train_images.min()) == 0
    ink = digits.train_images[:, 0].double()
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = ink.sum((1, 2))
    cy, cx = (ink * ys).sum((1, 2)) / mass, (ink * xs).sum((1, 2)) / mass
    assert (cy - 13.5).abs().max() < 1.0 and (cx - 13.5).abs().max() < 1.0
    assert float(ink[:, 4:24, 4:24].sum() / ink.sum()) > 0.95  # ink sits in MNIST's central box
    rows, cols = (ink > 12).any(2), (ink > 12).any(1)
    for r, c in zip(rows[:50], cols[:50], strict=True):
        extent = max(int(r.nonzero().max() - r.nonzero().min()), int(c.nonzero().max() - c.nonzero().min()))
        assert extent + 1 <= 20


def test_load_is_cached(digits):
    assert load_dataset(DataConfig()) is digits


def test_split_sizes_stratified_and_deterministic(digits):
    s = split_dataset(digits, val_split=0.2, seed=0)
    n = len(digits.train_labels)
    assert len(s.train) + len(s.val) + len(s.test) == n
    assert abs(len(s.test) - 0.15 * n) <= 1
    assert abs(len(s.val) - 0.2 * (n - len(s.test))) <= 1
    together = torch.cat([s.train.indices, s.val.indices, s.test.indices])
    assert len(torch.unique(together)) == n  # disjoint, nothing lost
    assert torch.equal(s.val.images, digits.train_images[s.val.indices])
    full = np.bincount(digits.train_labels.numpy(), minlength=10) / n
    for part in (s.train, s.val, s.test):
        share = np.bincount(part.labels.numpy(), minlength=10) / len(part)
        assert np.abs(share - full).max() < 0.02
    again = split_dataset(digits, val_split=0.2, seed=0)
    assert torch.equal(again.val.indices, s.val.indices) and torch.equal(again.test.indices, s.test.indices)
    other = split_dataset(digits, val_split=0.2, seed=1)
    assert not torch.equal(other.val.indices, s.val.indices)


def test_split_falls_back_when_a_class_has_one_image():
    labels = torch.tensor([0] * 20 + [1] * 20 + [2])
    data = ImageData(
        "tiny",
        ["a", "b", "c"],
        InputSpec(1, 4, 4, (0.5,), (0.5,)),
        torch.zeros(41, 1, 4, 4, dtype=torch.uint8),
        labels,
    )
    s = split_dataset(data, val_split=0.25, seed=3)
    assert len(s.train) + len(s.val) + len(s.test) == 41


def test_split_uses_own_test_set():
    spec = InputSpec(1, 4, 4, (0.5,), (0.5,))
    data = ImageData(
        "own",
        ["a", "b"],
        spec,
        torch.zeros(40, 1, 4, 4, dtype=torch.uint8),
        torch.arange(40) % 2,
        torch.ones(6, 1, 4, 4, dtype=torch.uint8),
        torch.arange(6) % 2,
    )
    s = split_dataset(data, val_split=0.25, seed=0)
    assert (len(s.train), len(s.val), len(s.test)) == (30, 10, 6)
    assert s.test.indices is None and s.test.images is data.test_images


def test_normalise_uint8_and_float():
    spec = InputSpec(3, 2, 2, (0.5, 0.25, 0.0), (0.5, 0.25, 2.0))
    x = torch.tensor([0, 255, 51], dtype=torch.uint8).view(1, 3, 1, 1).expand(2, 3, 2, 2).contiguous()
    out = normalise(x, spec)
    assert out.dtype == torch.float32 and out.shape == x.shape
    assert torch.allclose(out[0, :, 0, 0], torch.tensor([-1.0, 3.0, 0.1]), atol=1e-6)
    assert torch.allclose(normalise(x.float() / 255, spec), out, atol=1e-6)
    white = torch.full((1, 1, 2, 2), 255, dtype=torch.uint8)
    gray = normalise(white, InputSpec(1, 2, 2, (0.1307,), (0.3081,)))
    assert torch.allclose(gray, torch.full_like(gray, (1 - 0.1307) / 0.3081))
    f = torch.rand(2, 3, 2, 2)
    before = f.clone()
    normalise(f, spec)
    assert torch.equal(f, before)  # input untouched


def test_augment_keeps_shape_and_is_deterministic(digits):
    x = normalise(digits.train_images[:16], digits.spec)
    a = augment(x, torch.Generator().manual_seed(5), flip=False)
    b = augment(x, torch.Generator().manual_seed(5), flip=False)
    c = augment(x, torch.Generator().manual_seed(6), flip=True)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert not torch.allclose(a, x) and not torch.allclose(a, c)
    assert torch.isfinite(a).all()
    # small transforms: the augmented digit still overlaps the original strongly
    ax, xx = a.flatten(1), x.flatten(1)
    corr = torch.nn.functional.cosine_similarity(ax - ax.mean(1, keepdim=True), xx - xx.mean(1, keepdim=True))
    assert corr.mean() > 0.5


def test_augment_flip_mirrors_some_images():
    x = torch.zeros(64, 1, 8, 8)
    x[:, :, :, :2] = 1.0  # a bar on the left edge
    out = augment(x, torch.Generator().manual_seed(0), flip=True)
    right_heavy = (out[:, 0, :, 4:].sum((1, 2)) > out[:, 0, :, :4].sum((1, 2))).sum()
    assert 10 < int(right_heavy) < 54
    kept = augment(x, torch.Generator().manual_seed(0), flip=False)
    assert int((kept[:, 0, :, 4:].sum((1, 2)) > kept[:, 0, :, :4].sum((1, 2))).sum()) == 0


# --- files on disk ---------------------------------------------------------------------------------


def _cfg(dataset: str, root, **kw) -> DataConfig:
    clear_cache()
    return DataConfig(dataset=dataset, data_dir=str(root), **kw)


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_idx_files(tmp_path, gz):
    raw = write_mnist_idx(tmp_path, n_train=30, n_test=10, gz=gz)
    data = load_dataset(_cfg("mnist", tmp_path))
    assert data.train_images.shape == (30, 1, 28, 28) and data.test_images.shape == (10, 1, 28, 28)
    assert data.train_labels.tolist()[:3] == [0, 1, 2] and data.classes == [str(d) for d in range(10)]
    assert (data.preparation, data.flip_ok) == ("digit", False)
    assert data.spec == InputSpec(1, 28, 28, (0.1307,), (0.3081,))
    assert (raw / "train-images-idx3-ubyte").is_file()  # .gz copies were extracted for torchvision
    expected = gzip.decompress((raw / "t10k-images-idx3-ubyte.gz").read_bytes()) if gz else None
    if gz:
        assert (raw / "t10k-images-idx3-ubyte").read_bytes() == expected


def test_fashion_mnist(tmp_path):
    write_fashion_mnist(tmp_path, n_train=20, n_test=10)
    data = load_dataset(_cfg("fashion-mnist", tmp_path))
    assert data.classes[0] == "T-shirt/top" and len(data.classes) == 10
    assert data.spec.mean == (0.2860,) and data.preparation == "image"
    assert len(split_dataset(data).test) == 10


def test_cifar10_from_pickles(tmp_path):
    write_cifar10(tmp_path, n_train=50, n_test=20)
    data = load_dataset(_cfg("cifar10", tmp_path))
    assert data.train_images.shape == (50, 3, 32, 32) and data.train_images.dtype == torch.uint8
    assert data.test_images.shape == (20, 3, 32, 32)
    assert data.classes[:2] == ["airplane", "automobile"] and data.flip_ok
    assert data.spec.mean == (0.4914, 0.4822, 0.4465)
    # channel-first: the bar of class 0 (rows 1..2) is bright in every channel
    assert int(data.train_images[0, :, 1, 5].min()) >= 100


def test_cifar10_from_downloaded_archive(tmp_path):
    folder = write_cifar10(tmp_path / "src", n_train=10, n_test=5)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    data = load_dataset(_cfg("cifar10", tmp_path))
    assert data.train_images.shape == (10, 3, 32, 32) and len(data.test_labels) == 5
    assert not any(p.name.startswith(".cifar-") for p in tmp_path.iterdir())


def test_corrupt_cifar_pickle_is_a_dataset_error(tmp_path):
    folder = write_cifar10(tmp_path, n_train=10, n_test=5)
    (folder / "data_batch_3").write_bytes(b"\x80\x02garbage")
    with pytest.raises(DatasetError, match="damaged") as caught:
        load_dataset(_cfg("cifar10", tmp_path))
    reason = str(caught.value).split("are damaged")[1]  # the path holds the test's name
    assert "Error" not in reason and "pickle" not in reason  # no unpickler's words


def test_corrupt_idx_is_a_dataset_error(tmp_path):
    raw = write_mnist_idx(tmp_path, n_train=10, n_test=5, gz=False)
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x0a")
    with pytest.raises(
        DatasetError, match="damaged .their sizes or headers are not those of MNIST"
    ) as caught:
        load_dataset(_cfg("mnist", tmp_path))
    assert "shape" not in str(caught.value)  # torch's words


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "cifar10"])
def test_missing_files_name_folder_and_files(tmp_path, name):
    with pytest.raises(DatasetError) as err:
        load_dataset(_cfg(name, tmp_path))
    message = str(err.value)
    files = expected_files(name, tmp_path)
    assert str(files[0].parent) in message
    assert all(f.name in message for f in files)
    assert "--download" in message and "Download button" in message


def test_partly_missing_mnist_lists_what_is_missing(tmp_path):
    raw = write_mnist_idx(tmp_path, n_train=10, n_test=5)
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match=r"Missing: t10k-labels-idx1-ubyte\.gz"):
        load_dataset(_cfg("mnist", tmp_path))


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_download_offline_is_a_dataset_error(tmp_path, monkeypatch, name):
    import torchvision.datasets.utils as tvu

    def offline(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(tvu, "urlopen", offline, raising=False)
    monkeypatch.setattr(tvu.urllib.request, "urlopen", offline)
    with pytest.raises(DatasetError, match=r"could not download .*\(no network\?\)"):
        load_dataset(_cfg(name, tmp_path, download=True))


def test_image_folder_skips_bad_files(tmp_path):
    root = write_image_folder(tmp_path / "pets", ["cat", "dog", "frog"], n_per_class=6, size=32)
    data = load_dataset(_cfg(folder_key(root), tmp_path))
    assert data.classes == ["cat", "dog", "frog"]
    assert data.train_images.shape == (18, 3, 32, 32) and data.test_images is None
    assert class_counts(data.train_labels, 3) == [6, 6, 6]
    reasons = dict((Path(p).name, r) for p, r in data.skipped)
    assert set(reasons) == {"broken.png", "notes.txt"}
    assert describe(data)["skipped"] == 2
    assert data.flip_ok and data.spec.channels == 3
    pool = data.train_images.double() / 255
    assert data.spec.mean == pytest.approx(pool.mean((0, 2, 3)).tolist(), abs=1e-3)
    assert data.spec.std == pytest.approx(pool.std((0, 2, 3)).tolist(), abs=2e-3)
    s = split_dataset(data, 0.2, 0)
    assert len(s.train) + len(s.val) + len(s.test) == 18


def test_image_folder_mixed_modes_and_sizes(tmp_path):
    root = write_image_folder(tmp_path / "a", ["x", "y"], 4, size=40, mode="mixed", with_corrupt=False)
    write_image_folder(
        tmp_path / "a", ["x"], 1, size=(100, 20), with_corrupt=False, with_text=False, ext="jpg"
    )
    data = load_dataset(_cfg(folder_key(root), tmp_path))
    assert data.spec.shape == (3, 40, 40)  # colour wins; the common side length sets the size
    gray = write_image_folder(tmp_path / "g", ["x", "y"], 3, size=100, mode="L", with_corrupt=False)
    data = load_dataset(_cfg(folder_key(gray), tmp_path))
    assert data.spec.shape == (1, 64, 64)  # clamped to 64
    data = load_dataset(_cfg(folder_key(gray), tmp_path, image_size=24))
    assert data.train_images.shape == (6, 1, 24, 24)


def test_image_folder_train_test(tmp_path):
    write_image_folder(tmp_path / "d" / "train", ["a", "b"], 5, size=16)
    write_image_folder(tmp_path / "d" / "test", ["a", "b"], 2, size=16, with_corrupt=False)
    data = load_dataset(_cfg(folder_key(tmp_path / "d"), tmp_path))
    assert len(data.train_labels) == 10 and data.test_labels.tolist() == [0, 0, 1, 1]
    assert describe(data)["test_counts"] == [2, 2]
    s = split_dataset(data, 0.2, 0)
    assert len(s.test) == 4 and s.test.indices is None and len(s.train) + len(s.val) == 10


def test_image_folder_test_classes_must_match(tmp_path):
    write_image_folder(tmp_path / "d" / "train", ["a", "b"], 2, size=16)
    write_image_folder(tmp_path / "d" / "test", ["a", "c"], 2, size=16)
    with pytest.raises(DatasetError, match=r"missing in test: \['b'\].*extra in test: \['c'\]"):
        load_dataset(_cfg(folder_key(tmp_path / "d"), tmp_path))


def test_image_folder_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(_cfg(folder_key(tmp_path / "nope"), tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no class sub-folders.*empty"):
        load_dataset(_cfg(folder_key(tmp_path / "empty"), tmp_path))
    (tmp_path / "flat").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(DatasetError, match="no class sub-folders.*a.png"):
        load_dataset(_cfg(folder_key(tmp_path / "flat"), tmp_path))
    one = write_image_folder(tmp_path / "one", ["a"], 3, size=16)
    (one / "b").mkdir()
    with pytest.raises(DatasetError, match="at least two class folders.*a: 3, b: 0"):
        load_dataset(_cfg(folder_key(one), tmp_path))
    for c in ("a", "b"):
        (tmp_path / "junk" / c).mkdir(parents=True)
        (tmp_path / "junk" / c / "x.txt").write_text("x")
    with pytest.raises(DatasetError, match="no readable images"):
        load_dataset(_cfg(folder_key(tmp_path / "junk"), tmp_path))


def test_pil_to_array():
    img = Image.new("RGB", (10, 6), (255, 0, 0))
    arr = pil_to_array(img, 3, (5, 3))
    assert arr.shape == (3, 3, 5) and arr.dtype == np.uint8 and arr[0].min() == 255 and arr[1].max() == 0
    gray = pil_to_array(img, 1, (4, 4))
    assert gray.shape == (1, 4, 4) and 70 < gray[0, 0, 0] < 80  # ITU-R 601 luma of pure red


def test_synth_digits_dispatch(monkeypatch, digits):
    seeds = []

    def fake(cfg):  # the real generator is tested in test_synth.py; here only the dispatch
        seeds.append(cfg.seed)
        return digits

    entry = DATASETS["synth-digits"]
    monkeypatch.setitem(registry.DATASETS, "synth-digits", replace(entry, load=fake))
    clear_cache()
    assert load_dataset(DataConfig(dataset="synth-digits", seed=1)) is digits
    load_dataset(DataConfig(dataset="synth-digits", seed=1))
    load_dataset(DataConfig(dataset="synth-digits", seed=2))
    assert seeds == [1, 2]  # cached per seed: generated data depends on it
    clear_cache()


def test_labels_and_description(digits):
    assert DATASETS["digits"].label == "Built-in digits (scikit-learn, 1,797)"
    assert all(info.label for info in DATASETS.values()) and FOLDER in DATASETS
    info = describe(digits)
    assert info["sizes"]["pool"] == 1797 and sum(info["counts"]) == 1797 and info["classes"][0] == "0"
    assert expected_files("digits", "data") == []
