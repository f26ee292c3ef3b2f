"""The window's side of the fault suite: the same messages as the command line, never a traceback.

Real threads (``gui.tasks``), a real window training run that runs out of memory, and image folders
whose layout (split folders, empty classes, imbalance) the Data panel reports.
"""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from torch import nn

from gui.tasks import Task
from gui.window.main_window import MainWindow
from tests.helpers_gui import RUN_TIMEOUT, open_window

TIMEOUT = 5000
CPU_OOM = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 34359738368 bytes."


def failure_of(qtbot, exc: BaseException) -> str:
    def job(on_event, stop):
        raise exc

    owner = QWidget()
    qtbot.addWidget(owner)
    task = Task(job, parent=owner)
    with qtbot.waitSignal(task.failed, timeout=TIMEOUT) as failed:
        task.start()
    return failed.args[0]


def test_tasks_classify_like_the_command_line(qtbot, tmp_path):
    assert failure_of(qtbot, RuntimeError(CPU_OOM)).startswith("Out of memory: the computer ran out")
    full = failure_of(qtbot, OSError(errno.ENOSPC, "No space left on device", "/runs/model.pt"))
    assert full.startswith("The disk is full (/runs/model.pt)")
    bug = failure_of(qtbot, ZeroDivisionError("division by zero"))
    log = Path(bug.split("the details are in ")[1].split(". Please")[0])
    assert "bug in Taller" in bug and log.is_file() and "ZeroDivisionError" in log.read_text()


def make_window(qtbot, tmp_path) -> MainWindow:
    return open_window(qtbot, tmp_path, epochs=1)


def test_out_of_memory_in_a_window_run_is_a_message(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path)

    def forward(self, x):
        raise RuntimeError(CPU_OOM)

    monkeypatch.setattr(nn.Linear, "forward", forward)
    with qtbot.waitSignal(window.training_panel.runFailed, timeout=RUN_TIMEOUT) as failed:
        qtbot.mouseClick(window.training_panel.trainButton, Qt.MouseButton.LeftButton)
    assert "Out of memory" in failed.args[0] and "smaller batch size" in failed.args[0]
    assert "Unexpected" not in window.training_panel.messageLabel.text()
    assert window.training_panel.trainButton.isEnabled()


def write(root: Path, layout: dict[str, int]) -> Path:
    for folder, n in layout.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8), (20 * i + len(folder)) % 256, np.uint8)).save(
                root / folder / f"{i}.png"
            )
    return root


def test_data_panel_shows_the_split_layout_and_warnings(qtbot, tmp_path):
    root = write(tmp_path / "pets", {"train/cat": 30, "train/dog": 2, "val/cat": 2, "val/dog": 1})
    (root / "train" / "empty").mkdir()
    (root / "val" / "empty").mkdir()
    window = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30000) as loaded:
        window.data_panel.set_image_folder(root)
    assert loaded.args[0].classes == ["cat", "dog"]
    text = window.data_panel.classCountsLabel.text()
    assert "Layout: train/ + val/ folders" in text
    assert "left out 1 class folder(s)" in text and "empty" in text
    assert "heavily unbalanced" in text
    assert "<b>27</b> train · <b>3</b> validation · <b>5</b> test" in window.data_panel.splitSizesLabel.text()


def test_data_panel_warns_before_training_when_a_class_is_too_small(qtbot, tmp_path):
    root = write(tmp_path / "few", {"a": 2, "b": 8})
    window = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30000):
        window.data_panel.set_image_folder(root)
    text = window.data_panel.classCountsLabel.text()
    assert "too few images to train and test" in text and "a: 2, b: 8" in text


def test_mixed_layout_is_refused_in_the_data_panel(qtbot, tmp_path):
    root = write(tmp_path / "mixed", {"train/cat": 3, "train/dog": 3, "birds": 3})
    window = make_window(qtbot, tmp_path)
    window.data_panel.set_image_folder(root)
    qtbot.waitUntil(lambda: "two layouts" in window.data_panel.messageLabel.text(), timeout=30000)


def test_an_error_outside_any_task_is_a_message_box(qtbot, monkeypatch, capsys):
    import gui.app as app

    shown = []
    monkeypatch.setattr(
        app.QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text))
    )
    try:
        raise OSError(errno.EROFS, "Read-only file system", "/media/card/model.pt")
    except OSError as exc:
        app.report_uncaught(type(exc), exc, exc.__traceback__)
    assert shown == ["The disk is read-only (/media/card/model.pt): choose a folder on a writable disk."]
    assert "Traceback" not in capsys.readouterr().err
