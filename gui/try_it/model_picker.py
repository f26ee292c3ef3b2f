"""The Inference panel's model catalogue: a combo box of the models a user can predict with.

Its entries: the model just trained (``set_trained``), every checkpoint in the models folder
(``default-digits.pt`` first), checkpoints opened from elsewhere, and "Open…". Choosing a file
loads it in a worker thread; the picker then announces the model with ``modelChosen``, and the
panel says with ``set_active`` whether it took it. Until then the picker shows the model in use.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QSizePolicy, QWidget

from engine.checkpoints import MODELS_DIR
from engine.train.fallback import open_checkpoint
from gui.tasks import error_message, run_task

DEFAULT_MODEL = "default-digits.pt"
MODEL_FILTER = QT_TRANSLATE_NOOP(
    "ModelPicker", "Taller models (*.pt);;All files (*)"
)  # translated where shown
TRAINED, OPEN = "trained", "open"  # item data of the "Model just trained" and "Open…" entries


class ModelPicker(QComboBox):
    """The ``modelPicker`` combo box: chooses, lists and loads models.

    Item data is ``TRAINED``, ``OPEN`` or a checkpoint's path (the key of a model).

    Signals
    -------
    modelChosen(object, object, str, str)   model, meta, key and display name of a model to use
    loadFailed(str)                          a checkpoint could not be loaded; the message
    statusMessage(str)                       short text for the status bar
    """

    modelChosen = Signal(object, object, str, str)
    loadFailed = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, models_dir: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setAccessibleName(self.tr("Model used for predictions"))
        self.setToolTip(self.tr("The model that predicts: the one just trained or a saved checkpoint"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setPlaceholderText(self.tr("No model yet: train one, or pick a saved model"))
        self.models_dir = Path(MODELS_DIR if models_dir is None else models_dir)
        self.active_key: str | None = None  # TRAINED or a checkpoint path
        self._trained: tuple[Any, dict, str] | None = None  # (model, meta, name)
        self._extra_files: list[str] = []  # checkpoints opened from outside models/
        self._load_seq = 0  # bumped per load: only the newest choice is used
        self._loading: set[int] = set()
        self._busy = False  # True while the entries are rebuilt or reselected by code
        self.currentIndexChanged.connect(self._on_changed)
        self.refresh()

    # ---- the catalogue ----------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Rebuild the entries from the models folder, keeping the active entry selected."""
        with self._quiet():
            self.clear()
            self.addItem(
                self._trained[2] if self._trained else self.tr("Model just trained (none yet)"), TRAINED
            )
            self.model().item(0).setEnabled(self._trained is not None)
            for path in self._checkpoint_paths():
                name = Path(path).name
                shown = (
                    self.tr("{name} (default digits model)").format(name=name)
                    if name == DEFAULT_MODEL
                    else name
                )
                self.addItem(shown, path)
                self.setItemData(self.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
            self.addItem(self.tr("Open…"), OPEN)
            self.select(self.active_key)

    def _checkpoint_paths(self) -> list[str]:
        files = sorted(self.models_dir.glob("*.pt"), key=lambda p: (p.name != DEFAULT_MODEL, p.name.lower()))
        paths = [str(p) for p in files]
        return paths + [p for p in self._extra_files if p not in paths]

    def set_trained(self, model, meta: dict[str, Any], name: str) -> None:
        """Make ``model`` the "Model just trained" entry (the panel then activates it)."""
        self._trained = (model, dict(meta), name)
        self.refresh()

    def add_loaded(self, loaded) -> None:
        """List a LoadedCheckpoint (``.model``, ``.meta``, ``.path``) and announce it as chosen."""
        path = str(loaded.path)
        if Path(path).parent.resolve() != self.models_dir.resolve() and path not in self._extra_files:
            self._extra_files.append(path)
        self.refresh()
        self.modelChosen.emit(loaded.model, loaded.meta, path, Path(path).name)
        if getattr(loaded, "note", ""):  # another checkpoint of its run stood in for a damaged one
            self.statusMessage.emit(loaded.note)

    # ---- selection --------------------------------------------------------------------------------
    def set_active(self, key: str) -> None:
        """The panel now predicts with the model of ``key``."""
        self.active_key = key
        self.select(key)

    def select(self, key: str | None) -> None:
        """Show the entry of ``key`` (none for None) without treating it as the user's choice."""
        with self._quiet():
            self.setCurrentIndex(self.findData(key) if key is not None else -1)

    @contextmanager
    def _quiet(self):
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    @Slot(int)
    def _on_changed(self, index: int) -> None:
        if self._busy or index < 0:
            return
        key = self.itemData(index)
        if key == self.active_key:
            return
        self.select(self.active_key)  # the model in use stays shown until the new one is ready
        if key == TRAINED and self._trained is not None:
            self.modelChosen.emit(*self._trained[:2], TRAINED, self._trained[2])
        elif key == OPEN:
            self.open_checkpoint()
        elif key:
            self.load(key)

    # ---- loading ----------------------------------------------------------------------------------
    @Slot()
    def open_checkpoint(self) -> None:
        """Ask for a checkpoint file and load it."""
        start = str(self.models_dir if self.models_dir.is_dir() else Path.home())
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open model"), start, self.tr(MODEL_FILTER))
        if path:
            self.load(path)

    def load_default(self) -> bool:
        """Load ``models/default-digits.pt`` if it exists; True if a load started."""
        default = self.models_dir / DEFAULT_MODEL
        if self.is_loading() or not default.is_file():
            return False
        self.load(default)
        return True

    def load(self, path: str | Path) -> None:
        """Load a checkpoint in a worker thread; once loaded it is announced with ``modelChosen``."""
        path = str(path)
        self._load_seq += 1
        seq = self._load_seq
        self._loading.add(seq)
        self.statusMessage.emit(self.tr("Loading {file}…").format(file=Path(path).name))
        run_task(self, _loader(seq, path), "inferenceLoadTask", on_done=self._on_loaded)

    def is_loading(self) -> bool:
        return bool(self._loading)

    @Slot(object)
    def _on_loaded(self, result: tuple) -> None:
        seq, loaded, message = result
        self._loading.discard(seq)
        if seq != self._load_seq:
            return  # the user chose another model meanwhile
        if loaded is not None:
            self.add_loaded(loaded)
            return
        self.select(self.active_key)
        self.loadFailed.emit(message)


def _loader(seq: int, path: str):
    """The worker's job: ``(seq, LoadedCheckpoint or None, message)``, never an exception."""

    def load(on_event, stop):
        try:
            return seq, open_checkpoint(path), ""
        except Exception as exc:  # noqa: BLE001 - reported in the pane, with its request number
            return seq, None, error_message(exc)

    return load
