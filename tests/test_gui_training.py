"""Training from the window: real short runs on the built-in digits, stop, close, failure, save/open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine.formatting import accuracy_text
from gui.window.main_window import MainWindow
from tests.helpers_gui import RUN_TIMEOUT, open_window

LEFT = Qt.MouseButton.LeftButton


def make_window(qtbot, tmp_path, arch="mlp", epochs=2, batch_size=32) -> MainWindow:
    return open_window(qtbot, tmp_path, arch, epochs, batch_size)


def curve_points(plot) -> list[int]:
    return [len(item.getData()[0] if item.getData()[0] is not None else []) for item in plot.listDataItems()]


def epoch_lines(window) -> list[str]:
    text = window.training_panel.trainingLog.toPlainText()
    return [line for line in text.splitlines() if line.startswith("Epoch ")]


def wait_for_batches(qtbot, window) -> None:
    bar = window.training_panel.trainingProgress
    qtbot.waitUntil(lambda: "batch" in bar.format(), timeout=RUN_TIMEOUT)


def test_train_click_draws_one_point_per_epoch_and_saves_and_opens(qtbot, tmp_path, monkeypatch):
    import engine.train.runner as training

    window = make_window(qtbot, tmp_path)
    panel = window.training_panel
    given = {}
    real_run = training.run

    def spy(*args, data=None, **kwargs):
        given["data"] = data
        return real_run(*args, data=data, **kwargs)

    monkeypatch.setattr(training, "run", spy)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        qtbot.mouseClick(panel.trainButton, LEFT)
        assert not panel.trainButton.isEnabled() and panel.stopButton.isEnabled()
    assert given["data"] is window.current_data()  # the previewed data, not loaded a second time
    result = finished.args[0]
    assert not result.stopped and len(result.history) == 2
    assert curve_points(panel.lossPlot) == [2, 2]
    assert curve_points(panel.accuracyPlot) == [2, 2]
    assert len(epoch_lines(window)) == 2
    assert panel.trainButton.isEnabled() and not panel.stopButton.isEnabled()
    assert panel.saveModelButton.isEnabled()
    assert panel.trainingProgress.value() == panel.trainingProgress.maximum()
    # Digits test on a few hundred images: the accuracy carries its 95 % interval, explained on hover.
    interval = accuracy_text(result.test["accuracy"], result.test["n"])
    assert "–" in interval and interval in panel.trainingProgress.format()
    assert interval in panel.modelInfoLabel.text() and "95%" in panel.modelInfoLabel.toolTip()

    # Save: the dialog proposes dataset-model-time.pt in models/.
    proposed = {}

    def fake_save_dialog(parent, title, default, filters):
        proposed["path"] = default
        return str(tmp_path / "models" / "mine"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save_dialog))
    with qtbot.waitSignal(panel.modelSaved, timeout=30_000) as saved:
        qtbot.mouseClick(panel.saveModelButton, LEFT)
    assert Path(proposed["path"]).parent == tmp_path / "models"
    assert Path(proposed["path"]).name.startswith("digits-mlp-")
    assert saved.args[0].endswith("mine.pt") and Path(saved.args[0]).is_file()

    # Open: the curves come back from the checkpoint's history.
    panel._clear_plots()
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (saved.args[0], "Taller models (*.pt)"))
    )
    with qtbot.waitSignal(window.modelLoaded, timeout=30_000) as loaded:
        window.training_panel.openAction.trigger()
    assert loaded.args[0].meta["arch"] == "mlp"
    assert curve_points(panel.lossPlot) == [2, 2]
    assert "mlp" in panel.modelInfoLabel.text()


def test_opening_a_file_that_is_not_a_checkpoint_shows_why(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path)
    bad = tmp_path / "notes.pt"
    bad.write_text("not a model")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    window.activateWindow()
    qtbot.waitActive(window)
    with qtbot.assertNotEmitted(window.modelLoaded):
        qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)  # Ctrl+O
        assert not window.training_panel.openModelButton.isEnabled()  # busy reading the file
        qtbot.waitUntil(lambda: window.training_panel.openModelButton.isEnabled(), timeout=30_000)
    message = window.training_panel.messageLabel
    assert message.isVisible() and "notes.pt" in message.text()


def test_stop_mid_run_ends_quickly_and_leaves_the_window_usable(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, epochs=200, batch_size=8)
    panel = window.training_panel
    qtbot.mouseClick(panel.trainButton, LEFT)
    wait_for_batches(qtbot, window)
    with qtbot.waitSignal(window.runFinished, timeout=10_000) as finished:
        qtbot.mouseClick(panel.stopButton, LEFT)
    assert finished.args[0].stopped
    assert len(finished.args[0].history) < 200
    assert panel.trainButton.isEnabled() and not panel.stopButton.isEnabled()
    assert window.model_panel.isEnabled() and window.data_panel.datasetCombo.isEnabled()


def test_closing_mid_run_stops_and_waits_for_the_thread(qtbot, tmp_path, qtlog):
    window = make_window(qtbot, tmp_path, epochs=200, batch_size=8)
    panel = window.training_panel
    qtbot.mouseClick(panel.trainButton, LEFT)
    wait_for_batches(qtbot, window)
    thread = panel.training.task.thread
    window.close()
    assert thread.isFinished()
    qtbot.wait(50)
    assert not any("Destroyed while thread" in record.message for record in qtlog.records)


def test_a_failing_run_shows_the_message_and_the_window_stays_usable(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    data = window.data_panel
    data.set_dataset("mnist")
    data.dataFolderEdit.setText(str(tmp_path / "nothing-here"))
    data.dataFolderEdit.editingFinished.emit()
    with qtbot.waitSignal(window.training_panel.runFailed, timeout=RUN_TIMEOUT) as failed:
        qtbot.mouseClick(window.training_panel.trainButton, LEFT)
    assert "MNIST" in failed.args[0]
    message = window.training_panel.messageLabel
    assert message.isVisible() and "nothing-here" in message.text()
    assert "Run failed" in window.training_panel.trainingLog.toPlainText()
    assert window.training_panel.trainButton.isEnabled()
