"""File > Export model…: the current model (trained or opened) as an ONNX file, in a worker.

The export and its check with onnxruntime are ``engine.export_onnx``; this module asks where to
write, runs it as a task and says how it went. Without the optional ``[export]`` extra the action
stays in the menu and says what to install.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from engine.checkpoints import LoadedCheckpoint
from engine.export_onnx import INSTALL_HINT, OnnxExport, export_in_child, missing_packages
from gui.tasks import TaskRunner


class ModelExporter(QObject):
    """Owns the *Export model…* action and its task.

    Parameters
    ----------
    current_model
        Returns the model to export (a RunResult or LoadedCheckpoint: ``.model``, ``.meta``) or None.
    window
        The main window: it holds the action and parents the file dialog.

    Signals
    -------
    message(str, str)        how it went: text and role ("ok", "error"), for a message label
    statusMessage(str, int)  text for the status bar and for how many ms (0: until the next one)
    """

    message = Signal(str, str)
    statusMessage = Signal(str, int)

    def __init__(self, current_model: Callable[[], Any], window: QWidget):
        super().__init__(window)
        self.setObjectName("modelExporter")
        self.window = window
        self.current_model = current_model
        self.runner = TaskRunner(self, "onnxExportTask")
        self.action = QAction(self.tr("Export model as ONNX…"), window, objectName="exportModelAction")
        self.action.setStatusTip(self.tr("Write the current model as an ONNX file other tools can run"))
        self.action.triggered.connect(self._on_triggered)
        self.runner.runningChanged.connect(self._on_running_changed)
        self.last: OnnxExport | None = None

    @Slot()
    def _on_triggered(self) -> None:
        self.export()

    def export(self, path: str | Path | None = None) -> bool:
        """Export the current model to ``path`` (asks with a dialog when None); False if not started."""
        missing = missing_packages()
        if missing:
            return self._say(
                self.tr("ONNX export needs {packages}. Install the export extra: {hint}").format(
                    packages=", ".join(missing), hint=INSTALL_HINT
                )
            )
        current = self.current_model()
        if current is None:
            return self._say(self.tr("Train or open a model first: there is no model to export yet."))
        if self.runner.is_running():
            return False
        meta = dict(current.meta)
        if not path:
            suggested = Path.home() / f"{meta.get('dataset', 'model')}-{meta.get('arch', 'model')}.onnx"
            path, _ = QFileDialog.getSaveFileName(
                self.window,
                self.tr("Export the model as ONNX"),
                str(suggested),
                self.tr("ONNX models (*.onnx)"),
            )
            if not path:
                return False
        # A copy: the worker moves it to the CPU and runs it while the window keeps using its own.
        loaded = LoadedCheckpoint(model=copy.deepcopy(current.model), meta=meta, path=Path(path))
        self.statusMessage.emit(self.tr("Exporting to {file}…").format(file=Path(path).name), 0)
        return self.runner.start(_export_job(loaded, Path(path)), on_done=self._on_done, on_failed=self._say)

    def _on_done(self, result: OnnxExport | None) -> None:
        if result is None:
            return
        self.last = result
        self._show(
            self.tr(
                "Exported to {path}: onnxruntime gives the same probabilities as PyTorch "
                "(largest difference {difference} on {n} {what})."
            ).format(
                path=result.path,
                difference=QLocale().toString(float(result.max_difference), "e", 1),
                n=result.checked,
                what=result.checked_on,
            ),
            role="ok",
        )

    def _say(self, message: str) -> bool:
        self._show(message, role="error")
        return False

    def _show(self, message: str, role: str) -> None:
        self.message.emit(message, role)
        self.statusMessage.emit(message.splitlines()[0], 10000)

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.action.setEnabled(not running)


def _export_job(loaded: LoadedCheckpoint, out: Path):
    """The worker's function: export, then check with onnxruntime."""

    def job(on_event, stop):
        message = QCoreApplication.translate(
            "model_export", "Exporting to {file} and checking it with onnxruntime…"
        ).format(file=out.name)
        on_event({"event": "status", "message": message})
        return export_in_child(loaded, out, stop=stop)

    return job
