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


def drag(canvas, points) -> None:
    """Press the left button at the first point, move through the others, release at the last."""
    from PySide6.QtCore import QPoint, Qt  # deferred: this module stays free of Qt until a test draws
    from PySide6.QtTest import QTest  # deferred: as above

    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(canvas, left, none, QPoint(*points[0]))
    for point in points[1:]:
        QTest.mouseMove(canvas, QPoint(*point))
    QTest.mouseRelease(canvas, left, none, QPoint(*points[-1]))


def line(a, b, steps=12) -> list[tuple[int, int]]:
    """``steps`` + 1 points from ``a`` to ``b``, for ``drag``."""
    return [
        (round(a[0] + (b[0] - a[0]) * t / steps), round(a[1] + (b[1] - a[1]) * t / steps))
        for t in range(steps + 1)
    ]


def shown_inference_panel(qtbot, tmp_path, model, meta, name=None):
    """Try it's panel, shown at a window's size, answering with ``model`` (an empty models folder)."""
    from gui.try_it.inference_panel import InferencePanel  # deferred: torch and the panel

    models = tmp_path / "models"
    models.mkdir()
    widget = InferencePanel(models_dir=models, dataset_root=tmp_path / "my-digits")
    qtbot.addWidget(widget)
    widget.resize(1000, 680)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_model(model, meta, name=name)
    return widget
