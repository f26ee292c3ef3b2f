"""Streamed image folders in training, evaluation and the command line: the same batches and results
as in memory, the decode cache reused and rebuilt, damaged files skipped and counted."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine import evaluation
from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data import folder_stream, registry, stream
from engine.data.folder_stream import choose_loader, load_image_folder
from engine.data.splits import split_dataset
from engine.data.stream import LazyImages
from engine.train.feed import StreamFeeder
from engine.train.loop import BatchFeeder
from engine.train.lr_find import lr_find
from engine.train.run import fit_state, run

SIZE = 16


@pytest.fixture
def photos(tmp_path) -> Path:
    """3 classes x 12 RGB pictures of assorted sizes (JPEG and PNG)."""
    rng = np.random.default_rng(1)
    root = tmp_path / "photos"
    for k, name in enumerate(["cat", "dog", "fox"]):
        (root / name).mkdir(parents=True)
        for i in range(12):
            h, w = int(rng.integers(20, 50)), int(rng.integers(20, 50))
            base = np.full((h, w, 3), 60 * k, dtype=np.uint8)
            pixels = (base + rng.integers(0, 80, (h, w, 3))).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.{'jpg' if i % 2 else 'png'}")
    registry.clear_cache()
    yield root
    registry.clear_cache()


def damage(root: Path) -> None:
    """A text file named like a picture, and a JPEG cut short (its header still reads)."""
    (root / "cat" / "notes.jpg").write_text("not a picture")
    whole = (root / "dog" / "1.jpg").read_bytes()
    (root / "dog" / "cut.jpg").write_bytes(whole[: len(whole) * 4 // 5])


def config(root: Path, loader: str, cache: bool = True) -> DataConfig:
    return DataConfig(dataset=registry.folder_key(root), image_size=SIZE, loader=loader, cache=cache)


def test_memory_and_stream_feed_the_same_batches(photos):
    memory = load_image_folder(photos, SIZE, "p", loader="memory")
    for cache in (True, False):
        streamed = load_image_folder(photos, SIZE, "p", loader="stream", cache=cache)
        assert streamed.feed == "stream" and isinstance(streamed.train_images, LazyImages)
        assert streamed.spec == memory.spec and streamed.classes == memory.classes
        assert torch.equal(streamed.train_images.load(), memory.train_images)
        train_cfg = TrainConfig(batch_size=5, epochs=1)
        mem_split = split_dataset(memory, 0.2, 0).train
        str_split = split_dataset(streamed, 0.2, 0).train
        state = fit_state(config(photos, "stream"), ModelConfig(arch="mlp"), train_cfg, streamed, None, None)
        order = torch.randperm(len(mem_split), generator=torch.Generator().manual_seed(3))
        got = list(StreamFeeder(str_split, state, torch.Generator(), workers=1).batches(order, 5))
        want = list(BatchFeeder(mem_split, state, torch.Generator()).batches(order, 5))
        assert len(got) == len(want) == math.ceil(len(order) / 5)
        for (x, y), (x0, y0) in zip(got, want, strict=True):
            assert torch.allclose(x, x0, atol=1e-6) and torch.equal(y, y0)


def test_a_streamed_run_ends_as_the_memory_run(photos):
    model_cfg = ModelConfig(arch="mlp")
    train_cfg = TrainConfig(epochs=2, batch_size=8, precision="fp32")
    results = {
        loader: run(config(photos, loader, cache=loader == "stream"), model_cfg, train_cfg)
        for loader in ("memory", "stream")
    }
    memory, streamed = results["memory"], results["stream"]
    assert len(streamed.history) == 2 and streamed.test is not None
    for a, b in zip(memory.history, streamed.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
        assert a["val_acc"] == pytest.approx(b["val_acc"])
    assert memory.test["accuracy"] == pytest.approx(streamed.test["accuracy"])
    for p, q in zip(memory.model.state_dict().values(), streamed.model.state_dict().values(), strict=True):
        assert torch.allclose(p, q, atol=1e-5)


def test_cli_trains_and_evaluates_a_streamed_folder(photos, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--dataset", registry.folder_key(photos), "--image-size", str(SIZE), "--model", "mlp"]
    argv += ["--epochs", "1", "--precision", "fp32", "--loader", "stream", "--no-cache", "--out", str(out)]
    assert main(argv) == 0
    assert (
        main(["evaluate", str(out / "model.pt"), "--loader", "stream", "--report", str(tmp_path / "r")]) == 0
    )
    assert (tmp_path / "r" / "report.html").is_file()
    assert "test_accuracy=" in capsys.readouterr().out


def test_the_decode_cache_is_reused_then_rebuilt_after_a_change(photos, monkeypatch):
    first = load_image_folder(photos, SIZE, "p", loader="stream")
    pixels = first.train_images.load()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although the cache was complete")

    with monkeypatch.context() as patched:  # (undo() would also drop conftest's TALLER_CACHE_DIR)
        patched.setattr(stream, "decode_files", no_decoding)
        again = load_image_folder(photos, SIZE, "p", loader="stream")  # a second run: read, not decoded
    assert torch.equal(again.train_images.load(), pixels)
    Image.fromarray(np.zeros((30, 30, 3), dtype=np.uint8)).save(photos / "cat" / "0.png")
    rebuilt = load_image_folder(photos, SIZE, "p", loader="stream")
    assert int(rebuilt.train_images[0].max()) == 0  # cat/0.png is the first file
    assert torch.equal(rebuilt.train_images.load()[1:], pixels[1:])


def test_damaged_files_are_skipped_and_counted_on_both_paths(photos):
    damage(photos)
    memory = load_image_folder(photos, SIZE, "p", loader="memory")
    cached = load_image_folder(photos, SIZE, "p", loader="stream")
    assert len(memory.skipped) == len(cached.skipped) == 2
    assert len(cached.train_labels) == len(memory.train_labels) == 36
    # Without the cache the header check drops the text file; the cut JPEG is found when read.
    streamed = load_image_folder(photos, SIZE, "p", loader="stream", cache=False)
    assert len(streamed.skipped) == 1 and len(streamed.train_labels) == 37
    events = []
    state = fit_state(
        config(photos, "stream", False), ModelConfig(arch="mlp"), TrainConfig(), streamed, events.append, None
    )
    sub = split_dataset(streamed, 0.2, 0)
    whole = type(sub.train)(streamed.train_images, streamed.train_labels)
    feeder = StreamFeeder(whole, state, torch.Generator(), workers=0)
    batches = list(feeder.batches(torch.arange(len(whole)), 8))
    assert len(batches) == 5 and sum(len(y) for _, y in batches) == 36  # the cut JPEG is not fed
    assert all(len(x) == len(y) for x, y in batches)
    feeder.say_lost()
    assert len(feeder.lost) == 1 and "1 picture disappeared from" in events[-1]["message"]
    assert events[-1]["event"] == "warning"


def test_auto_streams_what_does_not_fit(photos, monkeypatch):
    assert choose_loader("auto", 100, available=1000) == "memory"
    assert choose_loader("auto", 300, available=1000) == "stream"
    assert choose_loader("memory", 10**15, available=1) == "memory"
    monkeypatch.setattr(folder_stream, "available_memory", lambda: 1000)
    data = load_image_folder(photos, SIZE, "p")
    assert data.feed == "stream" and data.pixel_bytes == 36 * 3 * SIZE * SIZE
    assert registry.describe(data)["feed"] == "stream"


def test_evaluation_of_a_streamed_folder_reads_only_what_it_shows(photos):
    result = run(config(photos, "stream"), ModelConfig(arch="mlp"), TrainConfig(epochs=1, precision="fp32"))
    data = registry.load_dataset(config(photos, "stream"))
    out = evaluation.evaluate_model(result.model, result.meta, data)
    memory = registry.load_dataset(config(photos, "memory"))
    want = evaluation.evaluate_model(result.model, result.meta, memory)
    assert out.metrics["accuracy"] == pytest.approx(want.metrics["accuracy"])
    assert isinstance(out.test.images, LazyImages)
    one = out.test.images[0]  # what the misclassified gallery shows: one picture at a time
    assert one.shape == (3, SIZE, SIZE) and torch.equal(one, want.test.images[0])


def test_the_learning_rate_finder_reads_a_streamed_folder(photos):
    memory = lr_find(
        config(photos, "memory"), ModelConfig(arch="mlp"), TrainConfig(batch_size=8), max_batches=6
    )
    streamed = lr_find(
        config(photos, "stream"), ModelConfig(arch="mlp"), TrainConfig(batch_size=8), max_batches=6
    )
    assert len(streamed.losses) == len(memory.losses) == 6
    assert streamed.raw_losses == pytest.approx(memory.raw_losses, rel=1e-4)
