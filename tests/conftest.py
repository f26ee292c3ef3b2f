"""Test setup: Qt offscreen (set before any Qt import), settings in a temp file, windows closed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own settings file, so a user's choices never leak in (or out)."""
    monkeypatch.setenv("TALLER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("TALLER_ASK_BEFORE_QUIT", "0")  # no modal question when tests close windows
    monkeypatch.setenv("TALLER_LOG_DIR", str(tmp_path / "logs"))  # bug logs stay in the test's folder
    monkeypatch.setenv("TALLER_RUNS_DIR", str(tmp_path / "runs"))  # run folders too
    yield


@pytest.fixture(autouse=True)
def _close_windows(request):
    """Close every top-level widget after a GUI test (stopping any run it left going)."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() or widget.inherits("QMainWindow"):
            widget.close()
    from gui.tasks import wait_all

    wait_all()  # threads of windows that were dropped without closing: none may outlive the test
    app.processEvents()


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module of many tiny convolutions.

    When other jobs share the machine's cores, OpenMP's busy-waiting threads make tiny convolutions
    10-30x slower; one thread keeps such files fast and changes no result.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
