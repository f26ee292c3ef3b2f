"""The shipped default digit model: small, loads, says what it learnt from, and reads digits drawn
on a canvas-sized page: real handwriting it never saw, and synthetic digits."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.data import mnist_sample, synth
from engine.data.splits import split_dataset
from engine.predict import Predictor
from models.train_default import real_positions

DEFAULT = Path(__file__).resolve().parent.parent / "models" / "default-digits.pt"


@pytest.fixture(scope="module")
def predictor():
    return Predictor.from_checkpoint(DEFAULT)


def test_default_model_is_small_and_describes_itself(predictor):
    assert DEFAULT.stat().st_size < 2 * 1024 * 1024
    meta = predictor.meta
    assert meta["classes"] == [str(d) for d in range(10)]
    assert meta["preparation"] == "digit" and meta["arch"] == "cnn"
    assert meta["spec"]["height"] == meta["spec"]["width"] == 28
    # Built-in data only, so anyone can rebuild it (python -m models.train_default); its test set is
    # the MNIST sample's held-out part, so `main.py evaluate` on it measures unseen real digits.
    assert meta["dataset"] == "mnist-sample"
    assert {"mnist-sample", "digits", "synth-digits", "command"} <= set(meta["trained_on"])
    assert "models.train_default" in meta["trained_on"]["command"]
    assert meta["test"]["accuracy"] >= 0.985  # the 750 held-out real digits, as MNIST framed them


def dark_on_light_page(glyph: np.ndarray, rng: np.random.Generator, size: int = 280) -> Image.Image:
    """A framed digit written dark on a white canvas at a random size and place."""
    ys, xs = np.nonzero(glyph > 10)
    ink = glyph[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h = int(rng.integers(size // 5, int(size * 0.8)))
    w = max(2, min(size, round(h * ink.shape[1] / ink.shape[0])))
    scaled = np.asarray(Image.fromarray(ink).resize((w, h), Image.BICUBIC))
    page = np.full((size, size), 255, np.uint8)
    top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    page[top : top + h, left : left + w] = 255 - scaled
    return Image.fromarray(page)


def test_default_model_reads_digits_written_on_a_page(predictor):
    rng = np.random.default_rng(7)
    images, labels = synth.generate(100, seed=987_654)  # a seed the model was not trained on
    pages = [dark_on_light_page(img[0].numpy(), rng) for img in images]
    predicted = [int(np.argmax(predictor.predict(page).probabilities)) for page in pages]
    accuracy = np.mean(np.array(predicted) == labels.numpy())
    assert accuracy >= 0.9, accuracy


def test_default_model_reads_real_handwriting_it_never_saw_written_on_a_page(predictor):
    """MNIST digits held out of its training, drawn dark on light at any size and place."""
    data_config = predictor.meta["data_config"]
    held_out = split_dataset(
        mnist_sample.load_mnist_sample(), data_config["val_split"], data_config["seed"]
    ).test
    rng = np.random.default_rng(11)
    picked = rng.choice(len(held_out), 150, replace=False)
    pages = [dark_on_light_page(held_out.images[i, 0].numpy(), rng) for i in picked]
    predicted = [int(np.argmax(predictor.predict(page).probabilities)) for page in pages]
    accuracy = np.mean(np.array(predicted) == held_out.labels[picked].numpy())
    assert accuracy >= 0.98, accuracy  # bench/default_model_accuracy.py measures all 750


def test_cross_validation_holds_out_every_real_digit_once():
    """``models.train_default --folds 10 --fold I`` (bench/default_model_kfold.py) tests each digit once."""
    parts = [real_positions(10, fold) for fold in range(10)]
    tested = np.concatenate([test for _, test in parts])
    assert sorted(tested.tolist()) == list(range(5000))
    for train, test in parts:
        assert len(test) == 500 and len(train) == 4500 and not set(train) & set(test)
    # Without folds the held-out digits are the ones `main.py evaluate` tests the shipped model on.
    held_out = split_dataset(mnist_sample.load_mnist_sample(), 0.1, 0).test.indices.numpy()
    assert sorted(real_positions()[1].tolist()) == sorted(held_out.tolist())
