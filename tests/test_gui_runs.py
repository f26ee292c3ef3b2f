"""Run folders from the window: every run writes its own folder; Resume continues a stopped one."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.train.run import run
from engine.train.runs import LAST, RunFolder
from tests.test_gui_training import RUN_TIMEOUT, curve_points, make_window


def test_each_window_run_gets_its_own_folder(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, epochs=1)
    panel = window.training_panel
    for _ in range(2):
        with qtbot.waitSignal(panel.runFinished, timeout=RUN_TIMEOUT):
            panel.trainButton.click()
    runs = sorted(Path(os.environ["TALLER_RUNS_DIR"]).iterdir())
    assert [p.name for p in runs] == ["digits-mlp-1", "digits-mlp-2"]
    assert all((p / LAST).is_file() for p in runs)
    assert "Saving each epoch in" in panel.trainingLog.toPlainText()


def test_resume_button_continues_a_stopped_run_at_its_next_epoch(qtbot, tmp_path):
    stop = threading.Event()
    folder = RunFolder(tmp_path / "stopped")
    train_cfg = TrainConfig(epochs=3, precision="fp32")

    def stop_after_first(event):
        if event["event"] == "epoch_end":
            stop.set()

    run(DataConfig(), ModelConfig(arch="mlp"), train_cfg, stop_after_first, stop, folder=folder)
    window = make_window(qtbot, tmp_path)
    panel = window.training_panel
    with qtbot.waitSignal(panel.runFinished, timeout=RUN_TIMEOUT) as finished:
        assert panel.resume_run(folder.path)
    assert [h["epoch"] for h in finished.args[0].history] == [1, 2, 3]
    assert max(curve_points(panel.lossPlot)) == 3  # the resumed epoch drawn too
    assert "Resuming" in panel.trainingLog.toPlainText()
    assert panel.resumeButton.isEnabled()
