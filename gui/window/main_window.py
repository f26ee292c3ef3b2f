"""Taller's main window: assembles the panels along the flow data -> model -> training.

The left column holds the Data and Model forms; the right side is a tab widget. Other panels join
with ``window.add_panel(widget, "Evaluation")`` and subscribe to the window's signals.

The panels import PyTorch (through the engine), so this module does not: ``MainWindow(build=False)``
shows a loading page at once and ``load_panels()`` imports the engine in a worker thread, then
builds the panels (``gui.app`` does this; tests build them at once with the default ``build=True``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.errors import ConfigError
from engine.train.request import RunRequest
from gui.language import ensure_installed
from gui.settings import make_settings, read_str
from gui.tasks import Task, run_task, stop_all
from gui.theme import THEME_NAMES, apply_theme
from gui.widgets.wheel_guard import guard_wheel
from gui.window import loading, relanguage
from gui.window import menus as frame
from gui.window.forms_column import forms_column
from gui.window.next_step import NextStepBar

if TYPE_CHECKING:
    from engine.config import DataConfig, ModelConfig, TrainConfig

MINIMUM, FIRST_SIZE = QSize(1000, 660), QSize(1280, 800)  # MINIMUM fits 1280x720 (1080p at 150 %)


def run_saved(result) -> bool:
    """True when a finished run's model is in its run folder (``model.pt``, written by the runner)."""
    run_dir = getattr(result, "run_dir", None)
    return (
        run_dir is not None
        and not getattr(result, "save_error", None)
        and (Path(run_dir) / "model.pt").is_file()
    )


class MainWindow(QMainWindow):
    """The window: Data and Model forms on the left, Training (and later panels) in tabs.

    Signals
    -------
    dataLoaded(object)     ImageData of the dataset now shown in the Data panel
    runningChanged(bool)   a training run started (True) or ended (False)
    runFinished(object)    RunResult of a training run that ended (also when stopped)
    modelLoaded(object)    LoadedCheckpoint opened from a file
    modelChanged(object)   the current model: RunResult or LoadedCheckpoint (both have .model, .meta)
    panelsReady()          the panels were built (``ready`` is True from then on)
    """

    dataLoaded = Signal(object)
    runningChanged = Signal(bool)
    runFinished = Signal(object)
    modelLoaded = Signal(object)
    modelChanged = Signal(object)
    panelsReady = Signal()

    def __init__(
        self,
        settings: QSettings | None = None,
        models_dir: str | Path | None = None,
        load_preview: bool = True,
        build: bool = True,
    ):
        ensure_installed()  # the remembered language, when no launcher installed it (tests, embedding)
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Train an image classifier"))  # Qt adds " — Taller"
        self.setWindowIcon(QApplication.windowIcon())  # Taller's icon, set by gui.app
        self._unsaved = False  # a trained model that is nowhere on disk (its run folder failed)
        self._config_error = False  # the Training tab shows a settings message
        self.settings = settings if settings is not None else make_settings()
        self._models_dir, self._load_preview = models_dir, load_preview
        self._overrides: list[dict[str, Callable[[], dict]]] = []
        # TALLER_ASK_BEFORE_QUIT=0 closes without the question (scripts and the test suite).
        self.ask_before_closing = os.environ.get("TALLER_ASK_BEFORE_QUIT", "1") != "0"
        self._panels_with_settings: list[QWidget] = []
        self.ready = False  # the panels are built
        self.setMinimumSize(MINIMUM)
        self.resize(FIRST_SIZE)
        if self.settings.value("window/geometry") is not None:
            self.restoreGeometry(self.settings.value("window/geometry"))
        self.fit_to_screen()
        self.frame_children = set(self.children())  # what stays when the panels are rebuilt (relanguage)
        if build:
            self.build_panels()
        else:
            self.setCentralWidget(loading.loading_page())
            self.statusBar().showMessage(self.tr("Loading PyTorch…"))

    def load_panels(self) -> None:
        """Import the engine (PyTorch) in a worker thread, then build the panels in this thread.

        A busy cursor shows meanwhile; the window stays responsive (it can be moved or closed).
        """
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        run_task(self, loading.import_engine, "engineImport", self._on_engine_loaded, self._on_engine_failed)

    def _on_engine_loaded(self, _count) -> None:
        QApplication.restoreOverrideCursor()
        if self.isVisible():  # not closed while it loaded
            self.build_panels()

    def _on_engine_failed(self, message: str) -> None:
        QApplication.restoreOverrideCursor()
        loading.show_failure(self.centralWidget(), message)
        self.statusBar().showMessage(message.splitlines()[0] if message else "")

    def build_panels(self) -> None:
        """Create the panels, tabs and menus, connect them and give them their saved settings."""
        if self.ready:
            return
        # deferred: every panel imports the engine and PyTorch (seconds): the window shows first
        from gui.window import panels, wiring

        panels.make_panels(self, self._models_dir)
        self._build()
        self._connect()
        wiring.connect_panels(self)  # panel to panel, the Layers tab's links included
        self._restore()
        guard_wheel(self)  # the wheel scrolls the forms; it changes a value only once chosen
        wiring.connect_library(self)  # the Runs table as it was (run folders, saved models); File > Export
        self.ready = True
        if self._load_preview:
            self.data_panel.reload()
        self.panelsReady.emit()

    def _build(self) -> None:
        scroll = forms_column(self)  # also sets newDatasetAction and newDatasetButton
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.setUsesScrollButtons(True)
        # Numbered after 1 · Data and 2 · Model: Ctrl+number goes to each (View → Go to).
        self.add_panel(self.training_panel, self.tr("3 · Train"))
        self.add_panel(self.finetune_panel, self.tr("4 · Layers"))
        self.add_panel(self.evaluation_panel, self.tr("5 · Evaluate"))
        self.add_panel(self.runs_panel, self.tr("6 · Runs"))
        self.add_panel(self.inference_panel, self.tr("7 · Try it"))
        self.add_panel(self.compare_panel, self.tr("8 · Compare"))
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        self.nextStep = NextStepBar()
        right = QWidget(objectName="tabsColumn")
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.nextStep)
        right_column.addWidget(self.tabs, 1)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        frame.build_menus(self)
        self.statusBar().showMessage(
            self.tr("Ready: choose data (1) and a model (2), then Train (Ctrl+Return)")
        )

    def _connect(self) -> None:
        # The window's own connections; panel to panel is gui.window.wiring.
        data, training = self.data_panel, self.training_panel
        training.trainRequested.connect(self.train)
        data.dataLoaded.connect(self.dataLoaded)
        training.runningChanged.connect(self.runningChanged)
        training.runFinished.connect(self.runFinished)
        training.modelLoaded.connect(self.modelLoaded)
        training.modelChanged.connect(self.modelChanged)
        panels = (
            data,
            self.model_panel,
            training,
            self.evaluation_panel,
            self.runs_panel,
            self.inference_panel,
            self.compare_panel,
        )
        for panel in panels:
            panel.statusMessage.connect(self._show_status)
        once = (
            Qt.ConnectionType.UniqueConnection
        )  # the window's own signals: built again on a language switch
        self.runFinished.connect(self._on_run_finished, once)
        # A settings message goes away when its cause may have: another dataset or value.
        self.data_panel.datasetChanged.connect(self._clear_config_error)
        self.model_panel.configChanged.connect(self._clear_config_error)
        self.training_panel.modelSaved.connect(self._on_model_saved)
        self.modelLoaded.connect(self._on_model_saved, once)
        self.nextStep.evaluateRequested.connect(partial(self.show_panel, self.evaluation_panel))
        self.nextStep.tryRequested.connect(partial(self.show_panel, self.inference_panel))

    # ---- public API ---------------------------------------------------------------------------
    def add_panel(self, widget: QWidget, title: str) -> int:
        """Add a panel as a tab on the right; returns its tab index.

        A panel with ``restore_settings(QSettings)``/``save_settings(QSettings)`` gets its last
        choices back now and has them saved when the window closes. Tasks it parents to itself are
        stopped and waited for on close.
        """
        if hasattr(widget, "restore_settings"):
            widget.restore_settings(self.settings)
            self._panels_with_settings.append(widget)
        return self.tabs.addTab(frame.scrolling(widget), title)

    def show_panel(self, widget: QWidget) -> None:
        """Bring the tab that holds ``widget`` to the front."""
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if page is widget or (isinstance(page, QScrollArea) and page.widget() is widget):
                self.tabs.setCurrentIndex(i)
                return

    def current_panel(self) -> QWidget | None:
        """The panel of the tab in front."""
        page = self.tabs.currentWidget()
        return page.widget() if isinstance(page, QScrollArea) else page

    def add_config_overrides(
        self,
        data: Callable[[], dict] | None = None,
        model: Callable[[], dict] | None = None,
        train: Callable[[], dict] | None = None,
    ) -> None:
        """Let a panel fill config fields the forms do not show (e.g. the frozen layers).

        Each callable returns keyword arguments for DataConfig / ModelConfig / TrainConfig and may
        raise ConfigError; later sources win over earlier ones and over the forms.
        """
        self._overrides.append({k: f for k, f in (("data", data), ("model", model), ("train", train)) if f})

    def _merged(self, kind: str) -> dict:
        merged: dict = {}
        for source in self._overrides:
            if kind in source:
                merged.update(source[kind]())
        return merged

    def current_configs(self) -> tuple[DataConfig, ModelConfig, TrainConfig]:
        """The configs the forms describe; raises ConfigError with a message for the user."""
        data_cfg = self.data_panel.data_config(
            **{**self.model_panel.data_overrides(), **self._merged("data")}
        )
        model_cfg = self.model_panel.model_config(**self._merged("model"))
        return data_cfg, model_cfg, self.model_panel.train_config(**self._merged("train"))

    def current_data(self):
        """ImageData shown in the Data panel, or None while loading or after an error."""
        return self.data_panel.current_data()

    def current_model(self):
        """The last trained (RunResult) or opened (LoadedCheckpoint) model, or None."""
        return self.training_panel.current

    def is_idle(self) -> bool:
        """True when no worker of the window (load, run, save...) is busy."""
        return not any(task.is_running() for task in self.findChildren(Task))

    @Slot()
    def train(self) -> bool:
        """Start a run with the forms' settings (what the Train button does)."""
        try:
            data_cfg, model_cfg, train_cfg = self.current_configs()
        except ConfigError as exc:
            self.model_panel.show_error(str(exc))
            self.training_panel.messageLabel.show_error(str(exc))
            self._config_error = True
            return False
        self._clear_config_error()
        return self.start_run(RunRequest(data_cfg, model_cfg, train_cfg))

    def start_run(self, request: RunRequest) -> bool:
        """Train ``request`` in the Training tab: the forms' Train and the Runs tab's Run again.

        The Data panel's data is handed on when it is the data the request asks for.
        """
        if self.compare_panel.is_running():  # one job at a time: both would share the same cores
            self.training_panel.messageLabel.show_error(frame.busy_comparing())
            self.show_panel(self.training_panel)
            return False
        self.nextStep.hide()
        self.show_panel(self.training_panel)
        if request.data is None:
            request = replace(request, data=self.data_panel.data_for(request.data_cfg))
        return self.training_panel.start_run(request)

    # ---- reactions ----------------------------------------------------------------------------
    @Slot(str)
    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    @Slot()
    def _clear_config_error(self, *_) -> None:
        if self._config_error and not self.training_panel.is_running():
            self.training_panel.messageLabel.show_message("")
        self.model_panel.show_error("")
        self._config_error = False

    @Slot(object)
    def _on_run_finished(self, result) -> None:
        # A run saves its model in its folder; only a folder that could not be written loses it.
        self._unsaved = bool(getattr(result, "history", None)) and not run_saved(result)
        if result.history:
            self.nextStep.show_for(result)

    @Slot()
    def _on_model_saved(self, *_) -> None:
        self._unsaved = False

    @Slot()
    def train_shortcut(self) -> None:
        if not self.training_panel.is_running():
            self.train()

    # ---- theme and help -----------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Apply "system", "light" or "dark" to the whole application and remember it."""
        name = name if name in THEME_NAMES else "system"
        for action in self.themeActions.actions() if hasattr(self, "themeActions") else ():
            action.setChecked(action.data() == name)
        self.settings.setValue("window/theme", name)
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, name)

    @Slot(QAction)
    def on_theme_chosen(self, action: QAction) -> None:
        self.set_theme(str(action.data()))

    # ---- settings and closing -----------------------------------------------------------------
    def _restore(self) -> None:
        s = self.settings
        self.data_panel.restore_settings(s)
        self.model_panel.restore_settings(s)
        self.data_panel.set_split(self.model_panel.val_split(), self.model_panel.seedSpin.value())
        if s.value("window/splitter") is not None:
            self.splitter.restoreState(s.value("window/splitter"))
        self.fit_to_screen()
        self.set_theme(read_str(s, "window/theme", "system"))  # again: pyqtgraph's defaults too

    def fit_to_screen(self) -> None:
        """Keep the window inside its screen's free area (a first launch or a bigger old screen)."""
        frame.keep_on_screen(self)

    def save_settings(self) -> None:
        s = self.settings
        if not self.ready:  # closed while PyTorch loaded: only where the window was
            s.setValue("window/geometry", self.saveGeometry())
            return
        for panel in (self.data_panel, self.model_panel, *self._panels_with_settings):
            panel.save_settings(s)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.sync()

    @Slot()
    def new_dataset(self):
        """Open *New dataset…*; the saved dataset opens in the Data panel."""
        return frame.open_gather(self)

    def has_unsaved_model(self) -> bool:
        """True after a run whose folder could not take its model, until it is saved (or replaced
        by an opened one): the one trained model that quitting would lose."""
        return self._unsaved

    def confirm_close(self) -> bool:
        """Ask before losing a running job or a model that is nowhere on disk; True when closing may
        go on. A run that wrote its folder is not asked about: its model.pt is there."""
        question = frame.quit_question(self) if self.ready else None
        return question is None or frame.ask_to_quit(self, question)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.ask_before_closing and not self.confirm_close():
            event.ignore()
            return
        self.save_settings()
        for panel in (getattr(self, name) for name in relanguage.PANELS if self.ready):
            panel.shutdown()
        stop_all(self)  # loads, downloads and any task another panel parented to the window
        super().closeEvent(event)
