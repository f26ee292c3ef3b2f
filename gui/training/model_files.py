"""Save model… and Open model…: the actions, their buttons, the file dialogs and the worker.

The Training panel owns one ``ModelFiles``; the window puts its actions in the File menu. Writing
and reading a checkpoint run in a worker (a big model takes seconds), one at a time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from engine.checkpoints import default_checkpoint_name, save_checkpoint
from engine.train.fallback import open_checkpoint
from gui.tasks import TaskRunner

FILTER = QT_TRANSLATE_NOOP("ModelFiles", "Taller models (*.pt)")  # translated where shown


class ModelFiles(QObject):
    """The Save/Open actions of a panel (added to it, so their shortcuts work there) and their jobs.

    Signals
    -------
    saved(str)            path of a checkpoint just written
    opened(object)        LoadedCheckpoint just read (.model, .meta, .path; .note when another
                          checkpoint of its run stood in for a damaged one)
    failed(str)           message when a file could not be written or read
    busyChanged(bool)     a file job started (True) or ended (False)
    statusMessage(str)    short text for the status bar
    """

    saved = Signal(str)
    opened = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)
    statusMessage = Signal(str)

    def __init__(self, panel: QWidget, models_dir: Path):
        super().__init__(panel)
        self._panel = panel
        self.models_dir = Path(models_dir)
        self.saveAction = QAction(self.tr("&Save model…"), panel, shortcut=QKeySequence.StandardKey.Save)
        self.saveAction.setToolTip(self.tr("Save the trained model to a file (Ctrl+S)"))
        self.openAction = QAction(self.tr("&Open model…"), panel, shortcut=QKeySequence.StandardKey.Open)
        self.openAction.setToolTip(self.tr("Open a model saved earlier (Ctrl+O)"))
        self.saveModelButton = QPushButton(self.tr("Save model…"), objectName="saveModelButton")
        self.openModelButton = QPushButton(self.tr("Open model…"), objectName="openModelButton")
        self.saveModelButton.setToolTip(self.saveAction.toolTip())
        self.openModelButton.setToolTip(self.openAction.toolTip())
        self.saveModelButton.clicked.connect(self.saveAction.trigger)
        self.openModelButton.clicked.connect(self.openAction.trigger)
        panel.addAction(self.saveAction)
        panel.addAction(self.openAction)
        self.runner = TaskRunner(panel, "checkpointTask")
        self.runner.runningChanged.connect(self.busyChanged)

    def is_busy(self) -> bool:
        return self.runner.is_running()

    def set_enabled(self, save: bool, open_: bool) -> None:
        """Enable the actions (and their buttons); both stay off while a file job runs."""
        self.saveAction.setEnabled(save and not self.is_busy())
        self.openAction.setEnabled(open_ and not self.is_busy())
        self.saveModelButton.setEnabled(self.saveAction.isEnabled())
        self.openModelButton.setEnabled(self.openAction.isEnabled())

    def default_save_path(self, meta: dict[str, Any]) -> Path:
        """models/<dataset>-<arch>-<time>.pt, what the Save dialog proposes."""
        return self.models_dir / default_checkpoint_name(meta, time.strftime("%Y%m%d-%H%M"))

    def save(self, model, meta: dict[str, Any], path: str | Path | None = None) -> bool:
        """Write ``model`` to ``path`` (asks with a file dialog when None); False if nothing started."""
        if self.is_busy():
            return False
        if not path:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            default = str(self.default_save_path(meta))
            path, _ = QFileDialog.getSaveFileName(
                self._panel, self.tr("Save model"), default, self.tr(FILTER)
            )
            if not path:
                return False
        path = Path(path)
        if path.suffix != ".pt":
            path = path.with_name(path.name + ".pt")
        self.statusMessage.emit(self.tr("Saving {file}…").format(file=path.name))
        return self.runner.start(
            lambda on_event, stop: str(save_checkpoint(path, model, meta)),
            on_done=self.saved.emit,
            on_failed=self.failed.emit,
        )

    def open(self, path: str | Path | None = None) -> bool:
        """Read a checkpoint or run folder (asks for a file when None); False if nothing started.

        A damaged checkpoint of a run folder is replaced by another of the same run
        (``engine.train.fallback``), and the opened checkpoint's ``note`` says so.
        """
        if self.is_busy():
            return False
        if not path:
            start = str(self.models_dir if self.models_dir.is_dir() else Path.home())
            path, _ = QFileDialog.getOpenFileName(
                self._panel, self.tr("Open model"), start, self.tr(FILTER) + ";;" + self.tr("All files (*)")
            )
            if not path:
                return False
        self.statusMessage.emit(self.tr("Opening {file}…").format(file=Path(path).name))
        return self.runner.start(
            lambda on_event, stop: open_checkpoint(path),
            on_done=self.opened.emit,
            on_failed=self.failed.emit,
        )


def meta_of(source) -> dict[str, Any]:
    """A model's checkpoint metadata: a LoadedCheckpoint's, or a RunResult's with its history and test."""
    meta = dict(getattr(source, "meta", None) or {})
    history = getattr(source, "history", None)
    if history is not None:
        meta.setdefault("history", history)
    test = getattr(source, "test", None)
    if test is not None:
        meta.setdefault("test", test)
    return meta
