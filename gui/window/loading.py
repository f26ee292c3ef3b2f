"""Opening the window before PyTorch: the page shown while it loads and the job that loads it.

The panels import the engine, and the engine imports PyTorch, torchvision, scikit-learn and
matplotlib: seconds, most of the start-up. ``gui.app`` shows the window with ``loading_page``
at once, runs ``import_engine`` in a worker thread (``gui.tasks``) and builds the panels when it
is done; importing them then costs only Qt widgets and pyqtgraph. Only modules without Qt are
imported off the GUI thread (the engine never imports Qt: an import-linter contract).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

# What the panels import from below, heaviest first; importing them warms sys.modules.
ENGINE_MODULES = (
    "torch",
    "torchvision",
    "engine.config",
    "engine.checkpoints",
    "engine.evaluation",
    "engine.predict",
    "engine.saliency",
    "engine.train.run",
    "engine.train.lr_find",
    "engine.runs_library",
    "engine.export_onnx",
    "engine.report.html",
    "engine.codegen.notebook",
    "engine.threads",
)


def import_engine(on_event: Callable[[dict[str, Any]], None], stop) -> int:
    """Import ``ENGINE_MODULES`` (a ``gui.tasks`` job); returns how many were imported."""
    for count, name in enumerate(ENGINE_MODULES, 1):
        if stop.is_set():
            return count - 1
        importlib.import_module(name)
        on_event({"event": "progress", "batch": count, "batches": len(ENGINE_MODULES), "module": name})
    return len(ENGINE_MODULES)


def loading_page() -> QWidget:
    """The window's content while PyTorch loads: one calm sentence in the middle."""
    page = QWidget(objectName="loadingPage")
    column = QVBoxLayout(page)
    label = QLabel(objectName="loadingLabel", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
    label.setText(
        QCoreApplication.translate(
            "window_loading",
            "<h2>Taller</h2><p>Loading PyTorch…</p>"
            "<p>Then: 1 Data · 2 Model · 3 Train · 4 Evaluate · 5 Try it</p>",
        )
    )
    column.addWidget(label)
    return page


def show_failure(page: QWidget, message: str) -> None:
    """Say on the loading page that the engine could not load, and why (no traceback)."""
    label = page.findChild(QLabel, "loadingLabel")
    if label is not None:
        label.setText(
            QCoreApplication.translate("window_loading", "Taller could not load PyTorch:")
            + f"<p>{message}</p>"
        )
