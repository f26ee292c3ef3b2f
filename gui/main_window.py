"""Taller's main window: assembles the panels along the flow data -> model -> training.

The left column holds the Data and Model forms; the right side is a tab widget. Other panels join
with ``window.add_panel(widget, "Evaluation")`` and subscribe to the window's signals.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.config import ConfigError, DataConfig, ModelConfig, TrainConfig
from gui.panels import window_menus as frame
from gui.panels.data_panel import DataPanel
from gui.panels.evaluation_panel import EvaluationPanel
from gui.panels.finetune_panel import FineTunePanel
from gui.panels.inference_panel import InferencePanel
from gui.panels.model_panel import ModelPanel
from gui.panels.next_step import NextStepBar
from gui.panels.runs_library import connect_library
from gui.panels.runs_panel import RunsPanel
from gui.panels.starting_point import IMAGENET, RANDOM
from gui.panels.training_panel import TrainingPanel
from gui.settings import make_settings, read_str
from gui.tasks import Task, stop_all
from gui.theme import THEME_NAMES, apply_theme

MINIMUM, FIRST_SIZE = QSize(1000, 660), QSize(1280, 800)  # MINIMUM fits 1280x720 (1080p at 150 %)


def _group(title: str, panel: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    box.setObjectName(f"{panel.objectName()}Box")
    QVBoxLayout(box).addWidget(panel)
    return box


class MainWindow(QMainWindow):
    """The window: Data and Model forms on the left, Training (and later panels) in tabs.

    Signals
    -------
    dataLoaded(object)     ImageData of the dataset now shown in the Data panel
    runningChanged(bool)   a training run started (True) or ended (False)
    runFinished(object)    RunResult of a training run that ended (also when stopped)
    modelLoaded(object)    LoadedCheckpoint opened from a file
    modelChanged(object)   the current model: RunResult or LoadedCheckpoint (both have .model, .meta)
    """

    dataLoaded = Signal(object)
    runningChanged = Signal(bool)
    runFinished = Signal(object)
    modelLoaded = Signal(object)
    modelChanged = Signal(object)

    def __init__(
        self,
        settings: QSettings | None = None,
        models_dir: str | Path | None = None,
        load_preview: bool = True,
    ):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Train an image classifier")  # Qt adds " — Taller"
        self.setWindowIcon(QApplication.windowIcon())  # Taller's icon, set by gui.app
        self._unsaved = False  # a trained model that was not saved yet
        self._config_error = False  # the Training tab shows a settings message
        self.settings = settings if settings is not None else make_settings()
        self.data_panel = DataPanel()
        self.model_panel = ModelPanel()
        self.training_panel = TrainingPanel(models_dir)
        self.finetune_panel = FineTunePanel(models_dir)
        self.evaluation_panel = EvaluationPanel()
        self.runs_panel = RunsPanel()
        self.inference_panel = InferencePanel(models_dir)
        self._overrides: list[dict[str, Callable[[], dict]]] = []
        # TALLER_ASK_BEFORE_QUIT=0 closes without the question (scripts and the test suite).
        self.ask_before_closing = os.environ.get("TALLER_ASK_BEFORE_QUIT", "1") != "0"
        self._panels_with_settings: list[QWidget] = []
        self._build()
        self._connect()
        self._restore()
        if load_preview:
            self.data_panel.reload()

    def _build(self) -> None:
        column = QWidget(objectName="formsColumn")
        forms = QVBoxLayout(column)
        data_box = _group("1 · Data", self.data_panel)
        self.newDatasetAction = QAction("&New dataset…", self, objectName="newDatasetAction")
        self.newDatasetAction.setShortcut(QKeySequence.StandardKey.New)
        self.newDatasetAction.setToolTip("Create a dataset here: name classes and add pictures to each")
        self.newDatasetAction.triggered.connect(self.new_dataset)
        self.newDatasetButton = QPushButton("New dataset…", objectName="newDatasetButton")
        self.newDatasetButton.setToolTip(self.newDatasetAction.toolTip())
        self.newDatasetButton.clicked.connect(self.new_dataset)
        data_box.layout().addWidget(self.newDatasetButton, 0, Qt.AlignmentFlag.AlignLeft)
        forms.addWidget(data_box)
        forms.addWidget(_group("2 · Model", self.model_panel))
        forms.addStretch(1)
        scroll = QScrollArea(objectName="formsScroll", widgetResizable=True)
        scroll.setWidget(column)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(column.minimumSizeHint().width() + bar + 4)
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.setUsesScrollButtons(True)
        self.add_panel(self.training_panel, "3 · Train")
        self.add_panel(self.finetune_panel, "Layers")
        self.add_panel(self.evaluation_panel, "4 · Evaluate")
        self.add_panel(self.runs_panel, "Runs")
        self.add_panel(self.inference_panel, "5 · Try it")
        self.add_config_overrides(
            model=self.finetune_panel.model_overrides, train=self.finetune_panel.train_overrides
        )
        for name, plot in (
            ("loss_curves", self.training_panel.lossPlot),
            ("accuracy_curves", self.training_panel.accuracyPlot),
        ):
            self.evaluation_panel.add_export_plot(name, plot)
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
        self.statusBar().showMessage("Ready: choose data (1) and a model (2), then Train (Ctrl+Return)")
        self.setMinimumSize(MINIMUM)
        self.resize(FIRST_SIZE)

    def _connect(self) -> None:
        data, model, training = self.data_panel, self.model_panel, self.training_panel
        training.trainRequested.connect(self.train)
        training.lrFinder.set_config_source(self.current_configs, self.data_panel.data_for)
        training.lrFinder.rateChosen.connect(self.model_panel.learningRateSpin.setValue)
        training.runningChanged.connect(self._on_running_changed)
        model.splitChanged.connect(data.set_split)
        data.dataLoaded.connect(self.dataLoaded)
        training.runningChanged.connect(self.runningChanged)
        training.runFinished.connect(self.runFinished)
        training.modelLoaded.connect(self.modelLoaded)
        training.modelChanged.connect(self.modelChanged)
        for panel in (data, training, self.evaluation_panel, self.runs_panel, self.inference_panel):
            panel.statusMessage.connect(self._show_status)
        self._connect_panels()

    def _connect_panels(self) -> None:
        finetune, evaluation, runs, inference = (
            self.finetune_panel,
            self.evaluation_panel,
            self.runs_panel,
            self.inference_panel,
        )
        self.model_panel.archChanged.connect(self._update_layers)
        self.data_panel.dataLoaded.connect(self._update_layers)
        self.model_panel.epochsSpin.valueChanged.connect(finetune.set_epochs)
        finetune.set_epochs(self.model_panel.epochsSpin.value())
        # One choice shown in two places: the Model form's check and the Layers tab's starting point.
        self.model_panel.pretrainedCheck.toggled.connect(self._on_pretrained_toggled)
        finetune.startCombo.currentIndexChanged.connect(self._on_start_changed)
        self.runFinished.connect(evaluation.show_run)
        self.runFinished.connect(runs.add_result)
        self.modelLoaded.connect(evaluation.set_model)
        self.modelLoaded.connect(runs.add_checkpoint)
        self.dataLoaded.connect(evaluation.set_data)
        self.modelChanged.connect(inference.use_source)
        self.training_panel.modelSaved.connect(inference.on_model_saved)
        self.runFinished.connect(self._on_run_finished)
        # A settings message goes away when its cause may have: another dataset or value.
        self.data_panel.datasetChanged.connect(self._clear_config_error)
        self.model_panel.configChanged.connect(self._clear_config_error)
        self.training_panel.modelSaved.connect(self._on_model_saved)
        self.modelLoaded.connect(self._on_model_saved)
        self.nextStep.evaluateRequested.connect(self._go_evaluate)
        self.nextStep.tryRequested.connect(self._go_try)

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
        self.nextStep.hide()
        self.show_panel(self.training_panel)
        data = self.data_panel.data_for(data_cfg)
        return self.training_panel.start_run(data_cfg, model_cfg, train_cfg, data=data)

    # ---- reactions ----------------------------------------------------------------------------
    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        # The configs are captured at start; locking the forms makes that visible.
        self.model_panel.setEnabled(not running)
        self.finetune_panel.setEnabled(not running)
        self.data_panel.set_inputs_enabled(not running)

    @Slot()
    def _update_layers(self, *_) -> None:
        data = self.current_data()
        arch = self.model_panel.arch()
        if data is None:
            self.finetune_panel.set_context(arch)
        else:
            self.finetune_panel.set_context(arch, data.spec, len(data.classes), data.classes)

    @Slot(bool)
    def _on_pretrained_toggled(self, checked: bool) -> None:
        if checked or self.finetune_panel.start() == IMAGENET:
            self.finetune_panel.set_start(IMAGENET if checked else RANDOM)

    @Slot()
    def _on_start_changed(self) -> None:
        check = self.model_panel.pretrainedCheck
        check.blockSignals(True)
        check.setChecked(self.finetune_panel.start() == IMAGENET)
        check.blockSignals(False)

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
        self._unsaved = bool(getattr(result, "history", None))
        if result.history:
            self.nextStep.show_for(result)

    @Slot()
    def _on_model_saved(self, *_) -> None:
        self._unsaved = False

    @Slot()
    def _go_evaluate(self) -> None:
        self.show_panel(self.evaluation_panel)

    @Slot()
    def _go_try(self) -> None:
        self.show_panel(self.inference_panel)

    @Slot()
    def train_shortcut(self) -> None:
        if not self.training_panel.is_running():
            self.train()

    # ---- theme and help -----------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Apply "system", "light" or "dark" to the whole application and remember it."""
        name = name if name in THEME_NAMES else "system"
        for action in self.themeActions.actions():
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
        if s.value("window/geometry") is not None:
            self.restoreGeometry(s.value("window/geometry"))
        if s.value("window/splitter") is not None:
            self.splitter.restoreState(s.value("window/splitter"))
        self.fit_to_screen()
        self.set_theme(read_str(s, "window/theme", "system"))
        connect_library(self)  # the Runs table as it was (run folders, saved models); File > Export

    def fit_to_screen(self) -> None:
        """Keep the window inside its screen's free area (a first launch or a bigger old screen)."""
        frame.keep_on_screen(self)

    def save_settings(self) -> None:
        s = self.settings
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
        """True after a run whose model was not saved (nor replaced by an opened one)."""
        return self._unsaved

    def confirm_close(self) -> bool:
        """Ask before losing a running job or an unsaved model; True when closing may go on."""
        if self.training_panel.is_running():
            question = "A model is training. Stop it and quit?"
        elif self._unsaved:
            question = "The model you trained is not saved. Quit without saving it?"
        else:
            return True
        return frame.ask_to_quit(self, question)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.ask_before_closing and not self.confirm_close():
            event.ignore()
            return
        self.save_settings()
        for panel in (
            self.training_panel,
            self.finetune_panel,
            self.evaluation_panel,
            self.runs_panel,
            self.inference_panel,
        ):
            panel.shutdown()
        stop_all(self)  # loads, downloads and any task another panel parented to the window
        super().closeEvent(event)
