"""The window hands a run to other processes: "Copy as command" and "Run on N processes" (a real child)."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from engine.cli_args import build_parser, configs_from_args
from gui.window.main_window import MainWindow
from tests.helpers_gui import open_window

LEFT = Qt.MouseButton.LeftButton
CHILD_TIMEOUT = 300_000  # torchrun and two processes importing torch on a shared 2-core machine


def make_window(qtbot, tmp_path, epochs: int) -> MainWindow:
    return open_window(qtbot, tmp_path, epochs=epochs, batch_size=32, timeout=CHILD_TIMEOUT)


def test_copy_as_command_puts_the_forms_on_the_clipboard(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, epochs=3)
    panel = window.training_panel
    panel.processControls.processesSpin.setValue(2)
    qtbot.mouseClick(panel.processControls.copyButton, LEFT)
    text = QGuiApplication.clipboard().text()
    words = shlex.split(text)
    assert words[:3] == ["python", "main.py", "train"]
    args = build_parser().parse_args(words[2:])
    assert configs_from_args(args) == window.current_configs()  # the command says the forms exactly
    assert args.devices == 2
    assert text in panel.messageLabel.text()


def test_run_on_two_processes_draws_its_epochs_stops_and_opens_the_result(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the child's processes share 2 cores with the tests
    window = make_window(qtbot, tmp_path, epochs=40)
    panel = window.training_panel
    panel.processControls.processesSpin.setValue(2)
    qtbot.mouseClick(panel.trainButton, LEFT)
    assert panel.processRun.is_running()
    assert not panel.trainButton.isEnabled() and panel.stopButton.isEnabled()
    log = panel.trainingLog
    qtbot.waitUntil(lambda: "Epoch 1/40" in log.toPlainText(), timeout=CHILD_TIMEOUT)  # a JSON line drawn
    assert panel.trainingProgress.value() > 0
    with qtbot.waitSignal(window.modelLoaded, timeout=CHILD_TIMEOUT) as loaded:
        qtbot.mouseClick(panel.stopButton, LEFT)  # SIGTERM: the ranks stop after the batch and save
    checkpoint = loaded.args[0]
    run_dir = Path(checkpoint.path).parent
    assert run_dir.parent == tmp_path / "runs" and (run_dir / "last.pt").is_file()
    assert 1 <= len(checkpoint.meta["history"]) < 40  # stopped early, finished epochs kept
    assert checkpoint.meta.get("processes") == 2
    assert not panel.processRun.is_running() and panel.trainButton.isEnabled()
