"""The window most GUI tests start from: a small model on the built-in digits, data loaded."""

from __future__ import annotations

RUN_TIMEOUT = 120_000  # a shared 2-core machine; a 2-epoch MLP on digits takes a few seconds


def open_window(qtbot, tmp_path, arch="mlp", epochs=2, batch_size=None, timeout=RUN_TIMEOUT):
    """A shown window with ``arch`` for ``epochs`` in the forms, once its data has loaded.

    Waiting for the preview to finish lets a run reuse its data instead of loading it again.
    """
    from gui.window.main_window import MainWindow  # deferred: torch and every panel, after conftest's setup

    window = MainWindow(models_dir=tmp_path / "models")
    qtbot.addWidget(window)
    window.show()
    m = window.model_panel
    m.modelCombo.setCurrentIndex(m.modelCombo.findData(arch))
    m.epochsSpin.setValue(epochs)
    if batch_size is not None:
        m.batchSizeSpin.setValue(batch_size)
    qtbot.waitUntil(window.is_idle, timeout=timeout)
    return window
