"""Run folders from the window: every run writes its own folder; Resume continues a stopped one."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from engine.cli import main
from engine.cli_args import train_arguments
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.formatting import percent
from engine.train import runner
from engine.train.request import RunRequest
from engine.train.run import run
from engine.train.runs import LAST, RunFolder
from gui.runs.runs_table import COLUMNS
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


def run_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def config_keys(folder: Path) -> dict[str, list[str]]:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return {key: sorted(value) if isinstance(value, dict) else [] for key, value in config.items()}


def test_window_and_command_line_runs_leave_the_same_folder(qtbot, tmp_path, capsys):
    window = make_window(qtbot, tmp_path, epochs=2)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        assert window.train()
    from_window = Path(finished.args[0].run_dir)
    from_cli = tmp_path / "cli-run"
    arguments = train_arguments(*window.current_configs())  # what Copy as command says
    assert main([*arguments, "--out", str(from_cli)]) == 0
    assert run_files(from_window) == run_files(from_cli)
    assert {"model.pt", "best.pt", "last.pt", "config.json", "history.csv", "metrics.json"} <= run_files(
        from_cli
    )
    assert config_keys(from_window) == config_keys(from_cli)
    capsys.readouterr()
    assert main(["runs", "--json"]) == 0  # both, with their test accuracy and their 2 epochs
    listed = {run["name"]: run for run in json.loads(capsys.readouterr().out)}
    assert listed[from_window.name]["epochs"] == 2 and 0 < listed[from_window.name]["test_acc"] <= 1

    # After a restart the Runs tab reads the window's run from its folder, test accuracy included.
    window.close()
    again = make_window(qtbot, tmp_path, epochs=2)
    runs = again.runs_panel
    qtbot.waitUntil(lambda: runs.run_count() >= 1, timeout=RUN_TIMEOUT)
    test_column = COLUMNS.index("Test acc")
    rows = {row[0]: row for row in runs.table_rows()}
    assert rows[from_window.name][test_column] == percent(finished.args[0].test["accuracy"], 2)


def test_a_resumed_run_logs_tensorboard_scalars_like_a_new_one(qtbot, tmp_path, monkeypatch):
    seen = []
    real = runner.with_tensorboard

    def spy(run_dir, on_event):
        events, log = real(run_dir, on_event)

        def both(event):
            seen.append((Path(run_dir), event["event"], event.get("epoch")))
            events(event)

        return both, log

    monkeypatch.setattr(runner, "with_tensorboard", spy)
    stop = threading.Event()
    folder = tmp_path / "stopped"
    request = RunRequest(DataConfig(), ModelConfig(arch="mlp"), TrainConfig(epochs=2, precision="fp32"))
    runner.start(request, lambda e: e["event"] == "epoch_end" and stop.set(), stop, out=folder)
    seen.clear()
    window = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.training_panel.runFinished, timeout=RUN_TIMEOUT):
        assert window.training_panel.resume_run(folder)
    assert (folder, "epoch_end", 2) in seen
