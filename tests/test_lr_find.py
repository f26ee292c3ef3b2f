"""The learning-rate range test: engine, command line and the Training tab's finder."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from engine.cli import main as cli_main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import TrainingError
from engine.train.lr_find import lr_find, suggest
from engine.train.run import run
from gui.training.lr_finder import LrFinder
from gui.window.main_window import MainWindow

TIMEOUT = 180_000  # a shared 2-core machine
CONFIGS = (DataConfig(dataset="digits"), ModelConfig(arch="mlp"), TrainConfig(device="cpu"))
FAST = {"start_lr": 1e-6, "end_lr": 1.0, "max_batches": 60}


def test_suggestion_on_digits_is_within_a_decade_of_a_rate_that_trains_well():
    rng_before = torch.get_rng_state()
    np_before = np.random.get_state()[1].copy()
    result = lr_find(*CONFIGS, **FAST)
    # The test works on its own model: the random-number states the next run starts from are as before.
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert np.array_equal(np.random.get_state()[1], np_before)
    assert len(result.lrs) == len(result.losses) >= 30
    assert all(b > a for a, b in zip(result.lrs, result.lrs[1:], strict=False))  # exponential growth
    assert result.suggestion is not None
    # Adam at 1e-3, Taller's default, trains the digits well (test_training); the suggestion is near it.
    assert 1e-4 <= result.suggestion <= 1e-2, result.suggestion
    # And the suggested rate itself trains: two epochs reach a good validation accuracy.
    trained = run(CONFIGS[0], CONFIGS[1], TrainConfig(device="cpu", epochs=2, lr=result.suggestion))
    assert trained.history[-1]["val_acc"] >= 0.85


def test_divergence_ends_the_test_early_and_stop_is_honoured():
    result = lr_find(*CONFIGS, start_lr=1e-3, end_lr=1e4, max_batches=80)
    assert result.diverged and len(result.lrs) < 80
    stop = threading.Event()
    stop.set()
    stopped = lr_find(*CONFIGS, stop=stop, **FAST)
    assert stopped.stopped and stopped.lrs == [] and stopped.suggestion is None
    with pytest.raises(TrainingError, match="range"):
        lr_find(*CONFIGS, start_lr=1.0, end_lr=0.1)


def test_suggest_is_the_steepest_descent_before_the_minimum():
    lrs = list(np.logspace(-6, 0, 50))
    losses = [2.3 - 2 / (1 + np.exp(-(np.log10(lr) + 3) * 3)) for lr in lrs]  # steepest at 1e-3
    losses[-5:] = [5, 6, 7, 8, 9]  # divergence after the minimum is ignored
    assert 10**-3.5 <= suggest(lrs, losses) <= 10**-2.5
    assert suggest(lrs[:4], losses[:4]) is None
    assert suggest(lrs, list(np.linspace(1, 3, 50))) is None  # the loss never fell


def test_cli_prints_a_suggested_rate(capsys):
    argv = ["lr-find", "--dataset", "digits", "--model", "mlp", "--device", "cpu", "--max-batches", "40"]
    assert cli_main([*argv, "--start-lr", "1e-6", "--end-lr", "1"]) == 0
    out = capsys.readouterr().out
    line = [row for row in out.splitlines() if row.startswith("suggested_lr=")]
    assert line and 1e-6 <= float(line[0].split("=")[1]) <= 1.0


def test_finder_draws_the_curve_marks_the_suggestion_and_fills_the_form(qtbot):
    finder = LrFinder()
    qtbot.addWidget(finder)
    finder.show()
    assert not finder.useButton.isEnabled()
    assert finder.find((*CONFIGS, None), max_batches=40, start_lr=1e-6, end_lr=1.0)
    assert finder.stopButton.isEnabled() and not finder.findButton.isEnabled()
    qtbot.waitUntil(lambda: not finder.finding.is_running(), timeout=TIMEOUT)
    xs, ys = finder.curve.getData()
    assert xs is not None and len(xs) >= 20
    assert finder.suggestion is not None and "Suggested" in finder.suggestionLabel.text()
    assert finder._marker is not None
    with qtbot.waitSignal(finder.rateChosen) as chosen:
        qtbot.mouseClick(finder.useButton, Qt.MouseButton.LeftButton)
    assert chosen.args == [finder.suggestion]


def test_finder_stop_and_the_window_wiring(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models")
    qtbot.addWidget(window)
    window.show()
    finder = window.training_panel.lrFinder
    window.model_panel.modelCombo.setCurrentIndex(window.model_panel.modelCombo.findData("mlp"))
    assert finder.find(max_batches=400, start_lr=1e-7, end_lr=1e-3)  # the window's forms
    qtbot.waitUntil(lambda: len(finder.points[0]) >= 3, timeout=TIMEOUT)
    qtbot.mouseClick(finder.stopButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not finder.finding.is_running(), timeout=TIMEOUT)
    assert len(finder.points[0]) < 400
    finder.suggestion = 0.0042
    finder._update_buttons()
    qtbot.mouseClick(finder.useButton, Qt.MouseButton.LeftButton)
    assert window.model_panel.learningRateSpin.value() == pytest.approx(0.0042)
