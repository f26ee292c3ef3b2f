"""Filters as they learn: a run folder keeps its first layer's weights at the start and after each epoch."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.filter_history import FILTERS, first_layer, read_history, record
from engine.report import charts, html
from engine.train import runner
from engine.train.request import RunRequest

pytestmark = pytest.mark.usefixtures("one_torch_thread")
DIGITS = DataConfig(dataset="digits")


@pytest.fixture(scope="module")
def digits():
    data = load_dataset(DIGITS)
    return replace(data, train_images=data.train_images[:300], train_labels=data.train_labels[:300])


def train(folder, data, epochs=2, arch="cnn", stop_at=None, **model):
    stop = threading.Event()

    def on_event(event):
        if event["event"] == "epoch_end" and event["epoch"] == stop_at:
            stop.set()

    cfg = TrainConfig(epochs=epochs, precision="fp32", batch_size=64)
    return runner.start(
        RunRequest(DIGITS, ModelConfig(arch=arch, **model), cfg, data), on_event, stop, out=folder
    )


def test_a_two_epoch_run_keeps_three_entries_the_start_and_each_epoch(tmp_path, digits):
    result = train(tmp_path / "run", digits)
    history = read_history(tmp_path / "run")  # loads with allow_pickle=False
    assert history.layer == "features.block1.conv"
    assert list(history.epochs) == [0, 1, 2] and list(history.phases) == [1, 1, 1]
    assert history.weights.shape == (3, 32, 1, 5, 5)
    final = result.model.features.block1.conv.weight.detach().numpy()
    np.testing.assert_array_equal(history.weights[-1], final)  # the model the run ended with
    assert history.moved(0) == 0 and history.moved(2) > history.moved(1) > 0  # they learn
    assert (tmp_path / "run" / FILTERS).stat().st_size < 20_000  # kilobytes


def test_a_frozen_first_layer_does_not_move_and_a_resumed_run_keeps_its_start(tmp_path, digits):
    folder = tmp_path / "run"
    train(folder, digits, epochs=3, stop_at=1, frozen=("features.block1",))
    assert list(read_history(folder).epochs) == [0, 1]
    runner.resume(folder)
    history = read_history(folder)
    assert list(history.epochs) == [0, 1, 2, 3]
    assert all(history.moved(i) == 0 for i in range(4))  # frozen: the same weights throughout


def test_an_mlp_keeps_its_first_units_as_pictures_of_the_input(tmp_path):
    linear = torch.nn.Linear(784, 128)
    state = {"1.weight": linear.weight, "1.bias": linear.bias}
    name, weights = first_layer(state, (1, 28, 28))
    assert name == "1" and weights.shape == (16, 1, 28, 28)
    record(tmp_path, 0, 1, state, (1, 28, 28))
    record(tmp_path, 1, 1, state, (1, 28, 28))
    record(tmp_path, 1, 1, state, (1, 28, 28))  # the same epoch again (a resumed run) replaces it
    assert list(read_history(tmp_path).epochs) == [0, 1]


def test_a_damaged_file_is_said_and_written_anew(tmp_path):
    (tmp_path / FILTERS).write_bytes(b"not a zip")
    with pytest.raises(ValueError):
        read_history(tmp_path)
    conv = torch.nn.Conv2d(3, 8, 3)
    record(tmp_path, 0, 1, {"conv.weight": conv.weight}, (3, 32, 32))
    assert list(read_history(tmp_path).epochs) == [0]


def test_the_report_of_a_run_shows_its_filters_by_epoch(tmp_path, digits):
    result = train(tmp_path / "run", digits)
    out = tmp_path / "report"
    page = html.write_report(out, result.meta, result.test).read_text(encoding="utf-8")
    assert "First-layer filters by epoch" in page and "one row per epoch" in page
    assert (out / "filters.png").stat().st_size > 1000 and (out / "filters.svg").is_file()
    figure = charts.filters_figure(read_history(tmp_path / "run"))
    assert figure.axes[0].get_title().startswith("features.block1.conv: 16 of its 32 filters")
    rows = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert rows[0] == "start (moved 0.0 %)" and len(rows) == 3
    assert rows[1].startswith("epoch 1 (moved ") and rows[2].startswith("epoch 2 (moved ")
    (tmp_path / "run" / FILTERS).unlink()
    bare = html.write_report(tmp_path / "bare", result.meta, result.test).read_text(encoding="utf-8")
    assert "First-layer filters by epoch" not in bare and not (tmp_path / "bare" / "filters.png").exists()
