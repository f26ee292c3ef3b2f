"""Taller's main window: assembles the panels along the flow data -> model -> training.

The left column holds the Data and Model forms; the right side is a tab widget. Other panels join
with ``window.add_panel(widget, "Evaluation")`` and subscribe to the window's signals.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QGroupBox,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.config import ConfigError, DataConfig, ModelConfig, TrainConfig
from gui.panels.data_panel import DataPanel
from gui.panels.evaluation_panel import EvaluationPanel
from gui.panels.finetune_panel import FineTunePanel
from gui.panels.inference_panel import InferencePanel
from gui.panels.model_panel import ModelPanel
from gui.panels.runs_panel import RunsPanel
from gui.panels.starting_point import IMAGENET, RANDOM
from gui.panels.training_panel import TrainingPanel
from gui.settings import make_settings
from gui.tasks import Task, stop_all


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
        self.setWindowTitle("Taller — train an image classifier")
        self.settings = settings if settings is not None else make_settings()
        self.data_panel = DataPanel()
        self.model_panel = ModelPanel()
        self.training_panel = TrainingPanel(models_dir)
        self.finetune_panel = FineTunePanel(models_dir)
        self.evaluation_panel = EvaluationPanel()
        self.runs_panel = RunsPanel()
        self.inference_panel = InferencePanel(models_dir)
        self._overrides: list[dict[str, Callable[[], dict]]] = []
        self._panels_with_settings: list[QWidget] = []
        self._build()
        self._connect()
        self._restore()
        if load_preview:
            self.data_panel.reload()

    def _build(self) -> None:
        column = QWidget(objectName="formsColumn")
        forms = QVBoxLayout(column)
        forms.addWidget(_group("1 · Data", self.data_panel))
        forms.addWidget(_group("2 · Model and settings", self.model_panel))
        forms.addStretch(1)
        scroll = QScrollArea(objectName="formsScroll", widgetResizable=True)
        scroll.setWidget(column)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(column.sizeHint().width() + 20)
        self.tabs = QTabWidget(objectName="mainTabs")
        self.add_panel(self.training_panel, "3 · Training")
        self.add_panel(self.finetune_panel, "Layers")
        self.add_panel(self.evaluation_panel, "Evaluation")
        self.add_panel(self.runs_panel, "Runs")
        self.add_panel(self.inference_panel, "Try it")
        self.add_config_overrides(
            model=self.finetune_panel.model_overrides, train=self.finetune_panel.train_overrides
        )
        for name, plot in (
            ("loss_curves", self.training_panel.lossPlot),
            ("accuracy_curves", self.training_panel.accuracyPlot),
        ):
            self.evaluation_panel.add_export_plot(name, plot)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.training_panel.openAction)
        file_menu.addAction(self.training_panel.saveAction)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.statusBar().showMessage("Ready: press Train to train the model on the chosen data")
        self.resize(1280, 800)

    def _connect(self) -> None:
        data, model, training = self.data_panel, self.model_panel, self.training_panel
        training.trainRequested.connect(self.train)
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
        return self.tabs.addTab(widget, title)

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
            return False
        self.model_panel.show_error("")
        self.tabs.setCurrentWidget(self.training_panel)
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

    def save_settings(self) -> None:
        s = self.settings
        for panel in (self.data_panel, self.model_panel, *self._panels_with_settings):
            panel.save_settings(s)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
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
