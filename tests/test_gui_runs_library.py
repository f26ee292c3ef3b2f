"""The Runs tab as a library: runs made from the command line appear after a start, filter, sort,
reopen (curves, evaluation, Try it), run again, and are deleted only after a confirmation; File >
Export model as ONNX… writes a checked file or says what to install."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from engine import export_onnx
from engine.cli import main
from gui.training import model_export
from gui.window.main_window import MainWindow
from tests.test_gui_training import RUN_TIMEOUT


@pytest.fixture(scope="module")
def two_cli_runs(tmp_path_factory):
    """`taller train` twice into a runs folder of their own (made once for the module)."""
    root = tmp_path_factory.mktemp("cli-runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TALLER_RUNS_DIR", str(root))
        for seed in range(2):
            args = ["train", "--model", "mlp", "--epochs", "1", "--seed", str(seed), "--precision", "fp32"]
            assert main(args) == 0
    return root


@pytest.fixture
def cli_runs(two_cli_runs):
    """Copies the module's CLI runs into this test's runs folder (conftest sets TALLER_RUNS_DIR)."""

    def copy(count: int = 2) -> Path:
        root = Path(os.environ["TALLER_RUNS_DIR"])
        for folder in sorted(two_cli_runs.iterdir())[:count]:
            shutil.copytree(folder, root / folder.name)
        return root

    return copy


def open_window(qtbot, tmp_path, rows: int) -> MainWindow:
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.runs_panel.run_count() == rows, timeout=RUN_TIMEOUT)
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    return window


def visible_names(table) -> list[str]:
    return [table.item(r, 0).text() for r in range(table.rowCount()) if not table.isRowHidden(r)]


def answer_next_question(button: QMessageBox.StandardButton) -> None:
    """Press ``button`` in the question that is about to open (a modal dialog blocks the test)."""

    def press():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        assert box.objectName() == "deleteRunsQuestion"
        box.button(button).click()

    QTimer.singleShot(0, press)


def test_cli_runs_listed_filtered_and_sorted_after_a_start(qtbot, tmp_path, cli_runs):
    cli_runs()
    window = open_window(qtbot, tmp_path, rows=2)
    runs = window.runs_panel
    table = runs.runsTable
    assert sorted(visible_names(table)) == ["digits-mlp-1", "digits-mlp-2"]
    runs.library.filterEdit.setText("MLP-2")
    assert visible_names(table) == ["digits-mlp-2"]
    runs.library.filterEdit.clear()
    table.sortItems(0, Qt.SortOrder.DescendingOrder)
    assert visible_names(table) == ["digits-mlp-2", "digits-mlp-1"]


def test_reopen_a_run_for_its_curves_evaluation_and_try_it(qtbot, tmp_path, cli_runs):
    cli_runs(1)
    window = open_window(qtbot, tmp_path, rows=1)
    runs = window.runs_panel
    runs.select_runs([0])
    with qtbot.waitSignal(window.training_panel.modelLoaded, timeout=RUN_TIMEOUT) as opened:
        qtbot.mouseClick(runs.library.openButton, Qt.MouseButton.LeftButton)
    assert Path(opened.args[0].path).parent.name == "digits-mlp-1"
    assert window.current_model() is opened.args[0]
    assert runs.run_count() == 1  # selected again, not added twice


def test_run_again_trains_with_the_same_configuration(qtbot, tmp_path, cli_runs):
    cli_runs(1)
    window = open_window(qtbot, tmp_path, rows=1)
    window.runs_panel.select_runs([0])
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        qtbot.mouseClick(window.runs_panel.library.rerunButton, Qt.MouseButton.LeftButton)
    meta = finished.args[0].meta
    assert (meta["arch"], meta["dataset"], len(meta["history"])) == ("mlp", "digits", 1)
    assert meta["data_config"]["seed"] == 0 and meta["train_config"]["precision"] == "fp32"
    assert Path(meta["run_dir"]).name == "digits-mlp-2"  # a new folder beside the first


def test_delete_asks_first_and_removes_only_the_picked_run(qtbot, tmp_path, cli_runs):
    root = cli_runs()
    window = open_window(qtbot, tmp_path, rows=2)
    runs, library = window.runs_panel, window.runs_panel.library
    first = next(i for i in runs.all_ids() if runs.record(i)["name"] == "digits-mlp-1")
    runs.select_runs([first])
    answer_next_question(QMessageBox.StandardButton.Cancel)
    assert not library.delete_selected()
    assert (root / "digits-mlp-1").is_dir() and runs.run_count() == 2
    answer_next_question(QMessageBox.StandardButton.Yes)
    assert library.delete_selected()
    qtbot.waitUntil(lambda: not library.deleting.is_running(), timeout=RUN_TIMEOUT)
    assert runs.run_count() == 1, runs.messageLabel.text()
    assert not (root / "digits-mlp-1").exists() and (root / "digits-mlp-2").is_dir()
    assert visible_names(runs.runsTable) == ["digits-mlp-2"]


@pytest.mark.skipif(bool(export_onnx.missing_packages()), reason='needs pip install -e ".[export]"')
def test_file_menu_exports_the_current_model_as_onnx(qtbot, tmp_path, cli_runs):
    cli_runs(1)
    window = open_window(qtbot, tmp_path, rows=1)
    assert window.modelExporter.action in window.fileMenu.actions()
    window.runs_panel.select_runs([0])
    with qtbot.waitSignal(window.training_panel.modelLoaded, timeout=RUN_TIMEOUT):
        window.runs_panel.library.open_selected()
    out = tmp_path / "digits.onnx"
    with qtbot.waitSignal(window.modelExporter.runner.runningChanged, timeout=RUN_TIMEOUT):
        assert window.modelExporter.export(out)
    qtbot.waitUntil(lambda: window.modelExporter.last is not None, timeout=RUN_TIMEOUT)
    assert out.is_file() and window.modelExporter.last.max_difference < 1e-4
    assert "Exported to" in window.training_panel.messageLabel.text()


def test_export_without_the_extra_says_what_to_install(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot, tmp_path, rows=0)
    monkeypatch.setattr(model_export, "missing_packages", lambda: ["onnxruntime"])
    window.modelExporter.action.trigger()  # no dialog: the message comes first
    text = window.training_panel.messageLabel.text()
    assert 'pip install -e ".[export]"' in text and "onnxruntime" in text
