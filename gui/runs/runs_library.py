"""The Runs tab's library bar: every run on disk listed at start, a filter, Open, Run again, Delete…,
and *Compare…* with the comparisons made before.

The engine finds and deletes run folders (``engine.runs_library``); this bar reads them in a worker,
adds one row per run to the Runs panel's table, and asks before deleting anything. *Open* and *Run
again* are signals the window routes to the Training panel, *Compare…* and a comparison picked from
the *Comparisons* menu (``runs/compare-*/``) to the Compare tab (``gui.window.wiring``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QMenu, QMessageBox, QPushButton, QWidget

from engine.checkpoints import read_payload
from engine.compare.folder import list_comparisons
from engine.errors import CheckpointError, ConfigError
from engine.runs_library import CHECKPOINTS, delete_runs, list_runs, run_configs
from engine.train.runs import runs_root
from gui.tasks import TaskRunner


def run_folder(record: dict[str, Any]) -> Path | None:
    """The run folder of a row (a run trained in a folder, or a checkpoint read from one), or None."""
    folder = record["meta"].get("run_dir")
    return Path(folder) if folder and Path(folder).is_dir() else None


def checkpoint_of(record: dict[str, Any]) -> Path | None:
    """The file to reopen a row from: the checkpoint it was read from, else its folder's best one."""
    if record.get("checkpoint") and Path(record["checkpoint"]).is_file():
        return Path(record["checkpoint"])
    folder = run_folder(record)
    found = [folder / name for name in CHECKPOINTS] if folder else []
    return next((path for path in found if path.is_file()), None)


def ask_delete(parent: QWidget, question: str) -> bool:
    """Delete / Cancel (Cancel is the default); True when the user chose Delete."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        QCoreApplication.translate("runs_library", "Delete runs"),
        question,
        parent=parent,
    )
    box.setObjectName("deleteRunsQuestion")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText(QCoreApplication.translate("runs_library", "Delete"))
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Yes


class RunsLibraryBar(QWidget):
    """Filter, Open, Run again and Delete… over the rows of a ``RunsPanel``.

    Signals
    -------
    openRequested(str)      a checkpoint to open (curves, evaluation, Try it)
    rerunRequested(object)  (DataConfig, ModelConfig, TrainConfig) of a run to train again
    compareRequested()      *Compare…*: plan a comparison of the forms' run
    comparisonChosen(str)   a comparison folder to show again on the Compare tab
    """

    openRequested = Signal(str)
    rerunRequested = Signal(object)
    compareRequested = Signal()
    comparisonChosen = Signal(str)

    def __init__(self, panel):
        super().__init__(panel)
        self.setObjectName("runsLibraryBar")
        self.panel = panel
        self.root = runs_root()
        self.listing = TaskRunner(self, "runsListTask")
        self.deleting = TaskRunner(self, "runsDeleteTask")
        self.filterEdit = QLineEdit(objectName="runsFilterEdit", placeholderText=self.tr("Filter runs…"))
        self.filterEdit.setClearButtonEnabled(True)
        self.openButton = QPushButton(self.tr("Open"), objectName="openRunButton")
        self.openButton.setToolTip(self.tr("Open the run's model: its curves, evaluation and Try it"))
        self.rerunButton = QPushButton(self.tr("Run again"), objectName="rerunButton")
        self.rerunButton.setToolTip(self.tr("Train a new run with the same data, model and settings"))
        self.deleteButton = QPushButton(self.tr("Delete…"), objectName="deleteRunsButton")
        self.deleteButton.setToolTip(self.tr("Delete the selected run folders from disk (asks first)"))
        self.compareButton = QPushButton(self.tr("Compare…"), objectName="compareButton")
        self.compareButton.setToolTip(
            self.tr("Compare approaches in one go: variants of the forms' run, one after another")
        )
        self.comparisonsButton = QPushButton(self.tr("Comparisons"), objectName="comparisonsButton")
        self.comparisonsButton.setToolTip(self.tr("Show a comparison made before on the Compare tab"))
        self.comparisonsMenu = QMenu(self.comparisonsButton, objectName="comparisonsMenu")
        self.comparisonsButton.setMenu(self.comparisonsMenu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filterEdit, 1)
        for button in (self.openButton, self.rerunButton, self.deleteButton, self.compareButton):
            layout.addWidget(button)
        layout.addWidget(self.comparisonsButton)
        self.compareButton.clicked.connect(self.compareRequested)
        self.comparisonsMenu.aboutToShow.connect(self._list_comparisons)
        self.filterEdit.textChanged.connect(self.panel.runsTable.filter_rows)
        self.openButton.clicked.connect(self.open_selected)
        self.rerunButton.clicked.connect(self.rerun_selected)
        self.deleteButton.clicked.connect(partial(self.delete_selected, None))
        self.panel.runsTable.itemSelectionChanged.connect(self.update_buttons)
        self.deleting.runningChanged.connect(self.update_buttons)
        self.update_buttons()

    # ---- listing ------------------------------------------------------------------------------
    def load(self, root: str | Path, models_dir: str | Path | None = None) -> bool:
        """List the run folders under ``root`` (and the models saved in ``models_dir``) in a worker."""
        self.root = Path(root)
        job = _list_job(Path(root), Path(models_dir) if models_dir else None)
        return self.listing.start(job, on_done=self._on_listed, on_failed=self.panel.show_error)

    def _on_listed(self, found: tuple[list[tuple[dict, str, Path]], list[str]]) -> None:
        rows, errors = found
        known = {self.panel.record(i).get("checkpoint") for i in self.panel.all_ids()}
        folders = {str(run_folder(self.panel.record(i))) for i in self.panel.all_ids()}
        added = 0
        for meta, name, path in rows:
            if (path and str(path) in known) or (meta.get("run_dir") and str(meta["run_dir"]) in folders):
                continue  # already in the table (a run of this session, or opened)
            self.panel.add_run(meta, name, select=False, checkpoint=path)
            added += 1
        self.panel.runsTable.filter_rows(self.filterEdit.text())
        self.panel.show_error("\n".join(errors[:5]))
        if added:
            self.panel.statusMessage.emit(self.tr("Runs: %n saved run(s) found on disk", "", added))

    def comparisons(self) -> list[Path]:
        """The comparison folders under the runs folder, newest first (what the menu lists)."""
        return list(reversed(list_comparisons(self.root)))

    @Slot()
    def _list_comparisons(self) -> None:
        self.comparisonsMenu.clear()
        for folder in self.comparisons():
            action = self.comparisonsMenu.addAction(folder.name)
            action.setToolTip(str(folder))
            action.triggered.connect(partial(self.comparisonChosen.emit, str(folder)))
        if self.comparisonsMenu.isEmpty():
            self.comparisonsMenu.addAction(self.tr("No comparison yet: Compare… plans one")).setEnabled(False)

    # ---- actions ------------------------------------------------------------------------------
    def selected(self) -> list[dict[str, Any]]:
        return [self.panel.record(i) for i in self.panel.selected_ids()]

    @Slot()
    def update_buttons(self, *_) -> None:
        picked = self.selected()
        one = len(picked) == 1
        self.openButton.setEnabled(one and checkpoint_of(picked[0]) is not None)
        self.rerunButton.setEnabled(one)
        deletable = bool(picked) and all(run_folder(r) is not None for r in picked)
        self.deleteButton.setEnabled(deletable and not self.deleting.is_running())

    @Slot()
    def open_selected(self) -> bool:
        """Ask the window to open the selected run's model; False when there is none to open."""
        picked = self.selected()
        path = checkpoint_of(picked[0]) if len(picked) == 1 else None
        if path is None:
            return False
        self.openRequested.emit(str(path))
        return True

    @Slot()
    def rerun_selected(self) -> bool:
        """Ask the window to train the selected run again with its own configuration."""
        picked = self.selected()
        if len(picked) != 1:
            return False
        try:
            configs = run_configs(picked[0]["meta"])
        except ConfigError as e:
            self.panel.show_error(e.message)
            return False
        self.rerunRequested.emit(configs)
        return True

    def _delete_question(self, names: list[str]) -> str:
        shown = ", ".join(names[:5])
        if len(names) > 5:
            shown += self.tr(" and {n} more").format(n=len(names) - 5)
        return self.tr(
            "Delete %n run folder(s) from disk: {names}?\nTheir models and files cannot be recovered.",
            "",
            len(names),
        ).format(names=shown)

    def delete_selected(self, confirm: bool | None = None) -> bool:
        """Delete the selected run folders after asking (``confirm`` answers for the user in tests)."""
        ids = self.panel.selected_ids()
        folders = [run_folder(self.panel.record(i)) for i in ids]
        if not ids or None in folders or self.deleting.is_running():
            return False
        if confirm is None:
            confirm = ask_delete(self, self._delete_question([f.name for f in folders]))
        if not confirm:
            return False
        job = _delete_job(folders, self.root)
        return self.deleting.start(
            job, on_done=partial(self._on_deleted, ids), on_failed=self.panel.show_error
        )

    def _on_deleted(self, ids: list[int], deleted: list[Path]) -> None:
        self.panel.remove_ids(set(ids))
        self.panel.statusMessage.emit(self.tr("Deleted %n run folder(s)", "", len(deleted)))


def _list_job(root: Path, models_dir: Path | None):
    """The worker's function: (meta, name, checkpoint or None) per run folder and saved model, and errors."""

    def job(on_event, stop):
        runs, errors = list_runs(root, unfinished=True)  # a run with no epoch yet: a row saying so
        rows = [(run.meta, run.name, run.checkpoint) for run in runs]
        for path in sorted(models_dir.glob("*.pt")) if models_dir and models_dir.is_dir() else []:
            if stop.is_set():
                break
            try:
                rows.append((read_payload(path)["meta"], path.name, path))
            except CheckpointError as e:
                errors.append(e.message)
        return rows, errors

    return job


def _delete_job(folders: list[Path], root: Path):
    def job(on_event, stop):
        return delete_runs(folders, root)

    return job
