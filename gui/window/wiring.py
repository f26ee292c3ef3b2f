"""Every panel-to-panel connection of the window, in one place: who listens to whom.

The panels and their pieces know nothing of each other: each announces what happened with signals
and offers public slots. ``MainWindow.build_panels`` calls ``connect_panels`` once the panels, tabs
and menus exist and before the saved settings come back (so the Layers tab follows the restored
forms), then ``connect_library`` (the Runs table as it was, *Export model as ONNX…*). The window's own
connections (its status bar, its signals, the next-step strip) stay in ``MainWindow._connect``.

It imports the tab packages and with them the engine, so the window imports it only once PyTorch
has loaded (``gui.window.loading``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Slot

from engine.errors import ConfigError
from engine.train.request import RunRequest
from engine.train.runs import runs_root
from gui.compare.plan_dialog import PlanDialog
from gui.layers.starting_point import IMAGENET, RANDOM
from gui.training.model_export import ModelExporter
from gui.widgets.wheel_guard import guard_wheel


def connect_panels(window) -> None:
    """The forms feed Train and Layers; a run or an opened model goes to Evaluate, Runs and Try it."""
    data, model, training = window.data_panel, window.model_panel, window.training_panel
    finetune, evaluation = window.finetune_panel, window.evaluation_panel
    runs, inference = window.runs_panel, window.inference_panel
    window.add_config_overrides(model=finetune.model_overrides, train=finetune.train_overrides)
    training.processRun.configs = window.current_configs  # what Copy as command says
    training.lrFinder.set_config_source(window.current_configs, data.data_for)
    training.lrFinder.rateChosen.connect(model.learningRateSpin.setValue)
    training.runningChanged.connect(partial(lock_forms, window))
    model.splitChanged.connect(data.set_split)
    window.layerLinks = LayerLinks(window)  # the Layers tab follows the Data and Model forms
    model.weightsImported.connect(window.layerLinks.update_layers)  # ImageNet is a starting point now
    window.runFinished.connect(evaluation.show_run)
    window.runFinished.connect(runs.add_result)
    window.modelLoaded.connect(evaluation.set_model)
    window.modelLoaded.connect(runs.add_checkpoint)
    window.dataLoaded.connect(evaluation.set_data)
    window.modelChanged.connect(inference.use_source)
    training.modelSaved.connect(inference.on_model_saved)
    window.compareLinks = CompareLinks(window)  # Compare… from three places; the winner to Open, Try it


def lock_forms(window, running: bool) -> None:
    """Disable the Data, Model and Layers forms while a run goes, enable them after it."""
    # The configs are captured at start; locking the forms makes that visible.
    window.model_panel.setEnabled(not running)
    window.finetune_panel.setEnabled(not running)
    window.data_panel.set_inputs_enabled(not running)


def connect_library(window) -> None:
    """Route the Runs tab's Open / Run again to the Training panel, list the runs on disk, and add
    *Export model as ONNX…* to the File menu."""
    library = window.runs_panel.library
    library.openRequested.connect(window.training_panel.open_model)
    library.rerunRequested.connect(partial(rerun, window))
    library.load(runs_root(), window.training_panel.models_dir)
    add_export_action(window)


def rerun(window, configs) -> bool:
    """Train again with a run's configurations, the way the Train button starts a run."""
    return window.start_run(RunRequest(*configs))


def add_export_action(window) -> ModelExporter:
    """Put *Export model as ONNX…* in the window's File menu, right below Save model; how it went
    shows on the Train tab and in the status bar. Returns its owner (also ``window.modelExporter``)."""
    exporter = ModelExporter(window.current_model, window)
    exporter.message.connect(window.training_panel.messageLabel.show_message)
    exporter.statusMessage.connect(window.statusBar().showMessage)
    menu = window.fileMenu
    actions = menu.actions()
    save = window.training_panel.saveAction
    after = actions.index(save) + 1 if save in actions else len(actions)
    if after < len(actions):
        menu.insertAction(actions[after], exporter.action)
    else:
        menu.addAction(exporter.action)
    window.modelExporter = exporter
    return exporter


class LayerLinks(QObject):
    """Keeps ``window.finetune_panel`` in step with the Data and Model panels (parented to the window).

    One choice shows in two places (the Model form's "ImageNet weights" check and the Layers tab's
    starting point), and the Layers tab's context (architecture, data, epochs) follows the forms.
    """

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("layerLinks")
        self._window = window
        model, finetune = window.model_panel, window.finetune_panel
        model.archChanged.connect(self.update_layers)
        window.data_panel.dataLoaded.connect(self.update_layers)
        model.epochsSpin.valueChanged.connect(finetune.set_epochs)
        finetune.set_epochs(model.epochsSpin.value())
        model.augmentCheck.toggled.connect(finetune.set_augment)  # it says why frozen layers run each epoch
        finetune.set_augment(model.augmentCheck.isChecked())
        model.pretrainedCheck.toggled.connect(self._on_pretrained_toggled)
        finetune.startCombo.currentIndexChanged.connect(self._on_start_changed)
        # The form shows the recipe of the start the Layers tab describes (frozen layers, a checkpoint).
        finetune.configChanged.connect(self._tell_recipe_start)
        finetune.starting_point.changed.connect(self._tell_recipe_start)
        self._tell_recipe_start()

    @Slot()
    def update_layers(self, *_) -> None:
        """Tell the Layers tab the architecture and the data now chosen."""
        data = self._window.current_data()
        arch = self._window.model_panel.arch()
        if data is None:
            self._window.finetune_panel.set_context(arch)
        else:
            self._window.finetune_panel.set_context(arch, data.spec, len(data.classes), data.classes)

    @Slot(bool)
    def _on_pretrained_toggled(self, checked: bool) -> None:
        finetune = self._window.finetune_panel
        if checked or finetune.start() == IMAGENET:
            finetune.set_start(IMAGENET if checked else RANDOM)

    @Slot()
    def _tell_recipe_start(self) -> None:
        self._window.model_panel.set_recipe_start(self._window.finetune_panel.recipe_start())

    @Slot()
    def _on_start_changed(self) -> None:
        check = self._window.model_panel.pretrainedCheck
        check.blockSignals(True)
        check.setChecked(self._window.finetune_panel.start() == IMAGENET)
        check.blockSignals(False)


class CompareLinks(QObject):
    """*Compare…* (the Runs tab, the Model form, the Compare tab) opens the plan dialog on the forms'
    run; its plan runs on the Compare tab; a comparison picked in the Runs tab is shown there again;
    the winner opens in the Training tab (*Open*) or in Try it (*Try it*). Parented to the window."""

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("compareLinks")
        self._window, self._try = window, None
        compare, library = window.compare_panel, window.runs_panel.library
        for asked in (compare.newRequested, library.compareRequested, window.model_panel.compareRequested):
            asked.connect(self.open_dialog)
        library.comparisonChosen.connect(self.show_comparison)
        compare.openRequested.connect(self.open_winner)
        compare.tryRequested.connect(partial(self.open_winner, try_it=True))
        window.modelLoaded.connect(self._on_model_loaded)

    @Slot()
    def open_dialog(self) -> PlanDialog | None:
        """The plan dialog on the forms' run (None, with the form's message, when they are not valid)."""
        window = self._window
        try:
            configs = window.current_configs()
        except ConfigError as exc:
            window.model_panel.show_error(str(exc))
            window.compare_panel.messageLabel.show_error(str(exc))
            return None
        dialog = PlanDialog(configs, window.current_data(), window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.planChosen.connect(self.start)
        guard_wheel(dialog)
        dialog.open()
        return dialog

    @Slot(object)
    def start(self, plan) -> bool:
        """Run ``plan`` on the Compare tab, unless a model is training (one job at a time)."""
        window = self._window
        window.show_panel(window.compare_panel)
        if window.training_panel.is_running():
            window.compare_panel.messageLabel.show_error(
                QCoreApplication.translate(
                    "window_wiring",
                    "A model is training on the Train tab; start the comparison when it ends.",
                )
            )
            return False
        return window.compare_panel.start(plan)

    @Slot(str)
    def show_comparison(self, folder: str) -> bool:
        self._window.show_panel(self._window.compare_panel)
        return self._window.compare_panel.reopen(folder)

    @Slot(str)
    def open_winner(self, path: str, try_it: bool = False) -> bool:
        """Open the winner's model as *Open model* does; with ``try_it`` show Try it once it is loaded."""
        window = self._window
        self._try = path if try_it else None
        if not window.training_panel.open_model(path):
            return False
        if not try_it:
            window.show_panel(window.training_panel)
        return True

    @Slot(object)
    def _on_model_loaded(self, loaded) -> None:
        if self._try is not None and Path(loaded.path) == Path(self._try):
            self._try = None
            self._window.show_panel(self._window.inference_panel)
