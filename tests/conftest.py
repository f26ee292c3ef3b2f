"""Test setup: Qt offscreen (set before any Qt import), settings in a temp file, windows closed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The suite reads English messages whatever this machine's locale (engine.i18n and Qt follow
# LC_ALL/LC_MESSAGES/LANG/LANGUAGE); the language tests set Spanish explicitly, in-process or in
# the environment of the subprocess they start.
for _name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own settings file, so a user's choices never leak in (or out)."""
    monkeypatch.setenv("TALLER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("TALLER_ASK_BEFORE_QUIT", "0")  # no modal question when tests close windows
    monkeypatch.setenv("TALLER_LOG_DIR", str(tmp_path / "logs"))  # bug logs stay in the test's folder
    monkeypatch.setenv("TALLER_RUNS_DIR", str(tmp_path / "runs"))  # run folders too
    monkeypatch.setenv("TALLER_CACHE_DIR", str(tmp_path / "decoded"))  # and the decode cache
    yield


@pytest.fixture(autouse=True)
def _english_window(request):
    """GUI tests read the window in English with its plural forms ("1 run", "2 runs"), as ``taller``
    starts it on an English system, whatever this machine's locale (tests in Spanish switch it)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qapp")  # translators belong to the application
    from gui import language

    if language.installed() != "en":
        language.install("en")
    yield


@pytest.fixture(autouse=True)
def _close_windows(request):
    """Close every top-level widget after a GUI test (stopping any run it left going).

    During a GUI test Python's cyclic garbage collector runs only here, in the GUI thread, as in
    the app (``gui.app.collect_garbage_in_gui_thread``): run by a worker thread it would destroy
    Qt objects of earlier tests off the GUI thread, a crash at a random moment of the suite.
    """
    if "qtbot" not in request.fixturenames:
        yield
        return
    import gc

    gc.disable()
    try:
        yield
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
    finally:
        gc.collect()  # here, in the GUI thread, with no worker left running
        gc.enable()


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
