"""Datasets: every kind loads from files in its real format; splits, normalisation, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import DataConfig, InputSpec
from engine.datasets import (
    ImageData,
    augment,
    load_dataset,
    normalise,
    split_dataset,
)


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
