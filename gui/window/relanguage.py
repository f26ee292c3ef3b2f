"""View → Language applies at once: the window rebuilds its panels in the new language, keeping its work.

Every text is translated when it is set, in some six hundred places; rather than a second code path
that sets each of them again (and is forgotten for the next one), the panels are built again by the
code that built them, after the new translators are installed. What the user had stays: the forms'
values (saved and restored as at a restart), the tab in front, the model trained or opened with its
curves, the results on the Evaluate tab, the model in Try it, the runs listed, the comparison on the
Compare tab (read again from its folder). The Training log and a drawing on the canvas start afresh.
A run (or any other job) going on is never torn down: the switch waits until the window is idle and
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QMenuBar

from gui import language

PANELS = (
    "training_panel",
    "finetune_panel",
    "evaluation_panel",
    "runs_panel",
    "inference_panel",
    "compare_panel",
)
RETRY_MS = 300  # how often a deferred switch looks whether the window is idle yet


@dataclass
class Kept:
    """What the user had on screen, carried over to the rebuilt panels."""

    tab: int = 0
    model: Any = None  # RunResult or LoadedCheckpoint: the Training panel's current model
    last_run: Any = None  # the RunResult of the last run (the next-step strip's)
    shown: dict[str, Any] | None = None  # the Evaluate tab's results
    next_step: bool = False
    unsaved: bool = False  # the last run's folder could not be written: its model is only here
    extra_runs: list[dict[str, Any]] = field(default_factory=list)  # Runs rows from files elsewhere
    comparison: Path | None = None  # the Compare tab's folder: read back in the new language


def switch(window, code: str) -> bool:
    """Speak ``code`` ("en"/"es") now; True when done, False when it waits for the window to be idle."""
    waiting = getattr(window, "_pending_language", None) == code  # a retry of a deferred switch
    window._pending_language = None
    if code == language.installed():
        return True
    if not window.ready:  # the loading page: the panels will be built in the new language
        language.install(code)
        return True
    if not window.is_idle() or window.training_panel.is_running():  # a run on N processes is no Task
        window._pending_language = code
        if not waiting:  # said once, where it stays: the status bar changes with every epoch
            note = QCoreApplication.translate(
                "window_menus", "Taller speaks {language} as soon as the work going on ends."
            ).format(language=language.LANGUAGE_NAMES[code])
            window.statusBar().showMessage(note)
            window.training_panel.log(note)
        QTimer.singleShot(RETRY_MS, window, lambda: _retry(window))
        return False
    kept = keep(window)
    window.save_settings()
    tear_down(window)
    language.install(code)
    window.setWindowTitle(QCoreApplication.translate("MainWindow", "Train an image classifier"))
    window.build_panels()
    give_back(window, kept)
    window.statusBar().showMessage(
        QCoreApplication.translate("window_menus", "Taller speaks {language} now.").format(
            language=language.LANGUAGE_NAMES[code]
        ),
        8000,
    )
    return True


def _retry(window) -> None:
    code = getattr(window, "_pending_language", None)
    if code and shiboken6.isValid(window):
        switch(window, code)


def keep(window) -> Kept:
    training, runs = window.training_panel, window.runs_panel
    own = [runs_root_path(), Path(training.models_dir)]
    extra = [
        {"meta": run["meta"], "name": run["name"], "checkpoint": run["checkpoint"]}
        for run in runs.runs()
        if run.get("checkpoint") and not any(_inside(run["checkpoint"], folder) for folder in own)
    ]
    return Kept(
        tab=window.tabs.currentIndex(),
        model=training.current,
        last_run=training.result,
        shown=window.evaluation_panel.result(),
        next_step=window.nextStep.isVisible(),
        unsaved=window.has_unsaved_model(),
        extra_runs=extra,
        comparison=window.compare_panel.folder if window.compare_panel.comparison is not None else None,
    )


def tear_down(window) -> None:
    """Remove the panels, menus, actions and helpers ``build_panels`` made; the window itself stays."""
    for name in PANELS:
        getattr(window, name).shutdown()
    window.setMenuBar(QMenuBar(window))  # the old one (its menus and their actions) goes with it
    central = window.takeCentralWidget()
    made = [child for child in window.children() if child not in window.frame_children]
    for child in [central, *made]:
        if child is not None and shiboken6.isValid(child) and not isinstance(child, QMenuBar):
            if child is not window.statusBar():
                shiboken6.delete(child)  # at once: nothing of the old panels may answer a signal
    window.ready = False
    window._overrides.clear()
    window._panels_with_settings.clear()
    window._config_error = False


def give_back(window, kept: Kept) -> None:
    training, evaluation, runs = window.training_panel, window.evaluation_panel, window.runs_panel
    for run in kept.extra_runs:
        runs.add_run(run["meta"], name=run["name"], select=False, checkpoint=run["checkpoint"])
    training.result = kept.last_run
    model = kept.model
    if model is not None:
        if getattr(model, "path", None) is not None:  # an opened file
            training.show_opened(model)
        else:
            training.show_finished(model)
            if kept.unsaved:  # not in a run folder: the Runs table lists it from memory only
                runs.add_result(model)
        evaluation.set_model(model)
        window.modelChanged.emit(model)  # Try it
    if kept.shown is not None:
        evaluation.show_result(**kept.shown)
    window._unsaved = kept.unsaved
    if kept.next_step and kept.last_run is not None:
        window.nextStep.show_for(kept.last_run)
    if kept.comparison is not None:  # its verdicts are sentences: read again, they come in the new words
        window.compare_panel.reopen(kept.comparison)
    window.tabs.setCurrentIndex(kept.tab)


def runs_root_path() -> Path:
    from engine.train.runs import runs_root  # deferred: the engine loads with the panels

    return Path(runs_root())


def _inside(path: str | Path, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except OSError:
        return False
