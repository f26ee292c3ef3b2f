"""The Runs tab's *Export as notebook…*: the selected run written as a notebook or a script."""

from __future__ import annotations

import pytest

from engine.config import DataConfig, ModelConfig, TrainConfig
from gui.runs.runs_panel import RunsPanel

nbformat = pytest.importorskip("nbformat")  # the test extra


def meta(dataset="digits"):
    return {
        "arch": "cnn",
        "classes": [str(i) for i in range(10)],
        "spec": {"channels": 1, "height": 28, "width": 28, "mean": [0.1307], "std": [0.3081]},
        "dataset": dataset,
        "preparation": "digit",
        "data_config": DataConfig(dataset=dataset).to_dict(),
        "model_config": ModelConfig().to_dict(),
        "train_config": TrainConfig(epochs=3).to_dict(),
        "history": [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.0, "train_acc": 0.5, "val_acc": 0.5}],
        "test": {"accuracy": 0.9},
    }


def test_export_writes_the_selected_run_as_a_notebook_or_a_script(qtbot, tmp_path):
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.exportNotebookButton.isEnabled()  # no run selected
    first = panel.add_run(meta(), "digits run")
    panel.select_runs([first])
    assert panel.exportNotebookButton.isEnabled()
    with qtbot.waitSignal(panel.statusMessage, timeout=30_000) as done:
        assert panel.export_notebook(tmp_path / "run.ipynb")
    assert "run.ipynb" in done.args[0]
    nbformat.validate(nbformat.read(tmp_path / "run.ipynb", as_version=4))
    with qtbot.waitSignal(panel.statusMessage, timeout=30_000):
        assert panel.export_notebook(tmp_path / "run.py")
    compile((tmp_path / "run.py").read_text(), "run.py", "exec")
    second = panel.add_run(meta(), "another")
    panel.select_runs([first, second])
    assert not panel.exportNotebookButton.isEnabled()  # one run at a time


def test_a_run_on_generated_data_explains_why_it_cannot_be_exported(qtbot, tmp_path):
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.select_runs([panel.add_run(meta("synth-digits"), "synthetic")])
    assert panel.export_notebook(tmp_path / "synth.ipynb")
    qtbot.waitUntil(lambda: not panel.exporting.is_running(), timeout=30_000)
    assert "generates itself" in panel.messageLabel.text()
    assert not (tmp_path / "synth.ipynb").exists()
