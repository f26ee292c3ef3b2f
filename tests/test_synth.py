"""Generated handwriting: deterministic, balanced, framed like MNIST, and the datasets built on it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import DataConfig
from engine.data import synth
from engine.data.builtin import real_digits
from engine.data.framing import MNIST_BOX, frame_digit, ink_bbox
from engine.data.registry import clear_cache, load_dataset
from engine.errors import SynthError


@pytest.fixture(scope="module")
def batch():
    return synth.generate(300, seed=7)


@pytest.fixture
def small_pool(monkeypatch):
    monkeypatch.setattr(synth, "SYNTH_TRAIN_SIZE", 200)


def test_same_seed_same_bytes_other_seed_differs(batch):
    images, labels = synth.generate(300, seed=7)
    assert torch.equal(images, batch[0]) and torch.equal(labels, batch[1])
    other, _ = synth.generate(300, seed=8)
    assert not torch.equal(other, images)


def test_classes_are_balanced_with_the_remainder_spread():
    _, labels = synth.generate(203, seed=1)
    assert labels.dtype == torch.int64
    assert labels.bincount(minlength=10).tolist() == [21, 21, 21] + [20] * 7
    assert len(set(labels[:20].tolist())) > 3, "labels come shuffled, not sorted by class"


def test_images_are_uint8_digits_framed_like_mnist(batch):
    images, _ = batch
    assert images.shape == (300, 1, 28, 28) and images.dtype == torch.uint8
    ink = images[:, 0].numpy() / 255.0
    assert ink.max() == 1.0 and ink.sum(axis=(1, 2)).min() > 20, "every digit has clear ink"
    for digit in ink:
        top, bottom, left, right = ink_bbox(digit)
        assert max(bottom - top, right - left) + 1 == MNIST_BOX
        total = digit.sum()
        ys, xs = np.mgrid[0:28, 0:28]
        assert abs((ys * digit).sum() / total - 13.5) <= 1.0
        assert abs((xs * digit).sum() / total - 13.5) <= 1.0
    # Light strokes on a dark background, about as much ink as MNIST (mean 0.13).
    assert 0.08 < ink.mean() < 0.2


def test_framing_again_changes_nothing(batch):
    """The canvas and MNIST pass through frame_digit; generated digits are already its output."""
    images = batch[0][:, 0].numpy()
    again = np.stack([np.rint(frame_digit(d.astype(np.float32) / 255.0) * 255) for d in images])
    unchanged = (again == images).all(axis=(1, 2))
    assert unchanged.mean() > 0.98


def test_every_class_shows_several_styles():
    images, labels = synth.generate(400, seed=3, lowres=0.0)
    for digit in range(10):
        ink = images[labels == digit, 0].float() / 255
        # Different skeletons, slants and widths: samples of one class differ clearly.
        assert (ink - ink.mean(dim=0)).abs().mean() > 0.05


def test_style_overrides_and_bad_settings():
    thin, _ = synth.generate(100, seed=0, width=(1.5, 1.6), lowres=0.0)
    thick, _ = synth.generate(100, seed=0, width=(4.5, 4.6), lowres=0.0)
    assert thick.float().mean() > 1.3 * thin.float().mean()
    with pytest.raises(SynthError, match="unknown style"):
        synth.generate(10, seed=0, colour=3)
    with pytest.raises(SynthError, match="low, high"):
        synth.generate(10, seed=0, width=(3.0, 2.0))
    with pytest.raises(SynthError, match="lowres"):
        synth.generate(10, seed=0, lowres=2.0)
    with pytest.raises(SynthError):
        synth.generate(-1)
    assert synth.generate(0)[0].shape == (0, 1, 28, 28)


def test_synth_dataset_trains_on_generated_and_tests_on_real_digits():
    data = synth.synth_dataset(seed=2, size=200)
    assert data.train_images.shape == (200, 1, 28, 28) and data.train_images.dtype == torch.uint8
    assert data.test_images.shape == (1797, 1, 28, 28) and data.test_labels.bincount().min() > 170
    assert data.classes == [str(d) for d in range(10)]
    assert data.spec.shape == (1, 28, 28) and data.spec.mean == (0.1307,) and data.spec.std == (0.3081,)
    assert data.preparation == "digit" and data.flip_ok is False
    real, _ = real_digits()
    assert torch.equal(data.test_images, real)
    again = synth.synth_dataset(seed=2, size=200)
    assert torch.equal(again.train_images, data.train_images)


def test_mixed_dataset_keeps_its_real_test_digits_out_of_training():
    data = synth.mixed_dataset(seed=0, size=200)
    real, _ = real_digits()
    assert len(data.test_labels) == 540 and len(data.train_labels) == 200 + 1797 - 540
    real_rows = {bytes(r) for r in real.reshape(len(real), -1).numpy()}
    train_rows = [bytes(r) for r in data.train_images.reshape(len(data.train_labels), -1).numpy()]
    test_rows = {bytes(r) for r in data.test_images.reshape(len(data.test_labels), -1).numpy()}
    assert test_rows <= real_rows
    assert sum(r in real_rows for r in train_rows) >= 1797 - 540
    assert data.test_labels.bincount().min() >= 50, "the real test part is stratified"


def test_registry_loads_both_ids(small_pool):
    clear_cache()
    try:
        for name in ("synth-digits", "digits+synth"):
            data = load_dataset(DataConfig(dataset=name, seed=11))
            assert data.preparation == "digit" and data.test_images is not None
    finally:
        clear_cache()  # the small pool must not outlive this test
