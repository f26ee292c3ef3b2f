"""The Inference panel: draw a digit or drop an image file and see what the model says.

The model: the one just trained (``set_model``) or a checkpoint picked in ``modelPicker``
(``gui.try_it.model_picker``). Its metadata decides the preparation and the class names: digit
models get the drawing canvas, other models the image drop area (both stay available as tabs).
Preparation is the engine's (``engine.predict.Predictor``, as ``main.py predict``); the results
column (``gui.try_it.prediction_view``) shows bars, top class, top-k and the input the model saw.

Latency: a stroke's prediction runs right after the stroke is painted (a new stroke cancels one
not yet run). Small models on small inputs (``inference_jobs.fits_inline``: the digit CNN and MLP)
predict on the GUI thread, which costs less than a frame and avoids a thread hop: for the simple
CNN on a 280x280 drawing that is the engine's preparation (about 6 ms) plus the forward pass
(1-2 ms) on a 2-core CPU (bench/inference_latency.py). Larger models (VGG/ResNet), image files and
every update while the *Inside the model* tab is shown (``gui.try_it.inside_view``: the layers'
outputs come from the prediction's own forward pass) run in a worker thread (``gui.tasks``), one at
a time; only the newest input's result is shown (the latest drawing wins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from engine.errors import InferenceError
from engine.formatting import model_line
from engine.predict import Predictor
from gui.tasks import TaskRunner, error_message, stop_all
from gui.try_it import inference_ui
from gui.try_it.dataset_saver import DEFAULT_DATASET
from gui.try_it.inference_inputs import CANVAS, FILE
from gui.try_it.inference_jobs import (
    Outcome,
    Request,
    compute,
    compute_in_worker,
    fits_inline,
    single_torch_thread,
)
from gui.try_it.model_picker import TRAINED
from gui.widgets.image_drop import FileDropMixin

# 0 ms still waits for the stroke's own repaint (the timer fires after pending events); a new stroke
# cancels a prediction not yet run, so waiting longer would only add latency.
DEBOUNCE_MS = 0


class InferencePanel(FileDropMixin, QWidget):
    """Draw or drop an image, see the prediction live; save drawings into a dataset.

    Signals
    -------
    predictionShown(object)   a Prediction was just drawn (bars, label, preview updated)
    modelChanged(str)         the active model changed; its display name
    loadFailed(str)           a checkpoint could not be loaded; the message shown to the user
    sampleSaved(str)          path of a drawing just added to the dataset
    statusMessage(str)        short text for the status bar
    """

    predictionShown = Signal(object)
    modelChanged = Signal(str)
    loadFailed = Signal(str)
    sampleSaved = Signal(str)
    statusMessage = Signal(str)

    def __init__(
        self,
        models_dir: str | Path | None = None,
        dataset_root: str | Path = DEFAULT_DATASET,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("inferencePanel")
        self.setAcceptDrops(True)
        self.predictor: Predictor | None = None  # of the active model
        self.last_outcome: Outcome | None = None
        self._generation = 0  # bumped per model: results of an earlier model are dropped
        self._seq = 0  # bumped per input: only the newest input's result is shown
        self._pending: Request | None = None
        self.runs = {"inline": 0, "worker": 0}  # where predictions ran (for the bench and tests)
        self.predictions = TaskRunner(self, "inferenceTask")
        inference_ui.build(self, models_dir, dataset_root)
        self._connect()
        self.probabilityPlot.set_classes([str(d) for d in range(10)])  # a placeholder until a model comes
        self._sync_to_tab(CANVAS)
        self._show_empty()

    @property
    def models_dir(self) -> Path:
        return self.modelPicker.models_dir

    @property
    def active_key(self) -> str | None:
        """``TRAINED`` or the checkpoint path of the model in use (None before the first)."""
        return self.modelPicker.active_key

    def _connect(self) -> None:
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.predict_canvas)
        self.canvas.changed.connect(self.debounce.start)
        self.canvas.strokeStarted.connect(self.debounce.stop)  # the next stroke makes it stale
        self.modelPicker.modelChosen.connect(self._activate)
        self.modelPicker.loadFailed.connect(self._on_load_failed)
        self.modelPicker.statusMessage.connect(self.statusMessage)
        self.refreshModelsButton.clicked.connect(self.refresh_models)
        self.inputTabs.currentChanged.connect(self._on_tab_changed)
        self.inputTabs.fileChosen.connect(self.classify_file)
        self.saliencyCheck.toggled.connect(self._on_saliency_toggled)
        self.saver.saved.connect(self._on_sample_saved)
        self.saver.failed.connect(self.show_message)
        self.resultsTabs.currentChanged.connect(self._on_results_tab_changed)
        self.insideView.mapChosen.connect(
            lambda *_: self._predict_current()
        )  # drivers come with a prediction
        self.insideView.saved.connect(
            lambda path: self.statusMessage.emit(self.tr("Saved {path}").format(path=path))
        )
        self.insideView.failed.connect(self.show_message)

    # ---- models -----------------------------------------------------------------------------------
    def set_model(self, model, meta: dict[str, Any], name: str | None = None) -> bool:
        """Make ``model`` (with checkpoint ``meta``) the "Model just trained" entry and use it."""
        name = name or self.tr("Model just trained")
        self.modelPicker.set_trained(model, meta, name)
        return self._activate(model, meta, TRAINED, name)

    @Slot(object)
    def use_source(self, source) -> None:
        """Slot for the window's ``modelChanged``: a RunResult (just trained) or a LoadedCheckpoint."""
        if getattr(source, "path", None) is not None:
            self.modelPicker.add_loaded(source)
        else:
            self.set_model(source.model, source.meta)

    @Slot()
    def refresh_models(self) -> None:
        """Rebuild the picker from the models folder, keeping the active entry selected."""
        self.modelPicker.refresh()

    @Slot(str)
    def on_model_saved(self, path: str) -> None:
        """Slot for the Training panel's ``modelSaved``: list the new file."""
        self.refresh_models()

    def is_busy(self) -> bool:
        """True while a checkpoint loads or a prediction runs in a worker."""
        return self.modelPicker.is_loading() or self.predictions.is_running()

    def shutdown(self) -> None:
        """Wait for the worker threads (call before the panel goes away)."""
        self.debounce.stop()
        self._pending = None
        stop_all(self)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self.show_message(
            self.tr("{message}\nThe model in use has not changed.").format(message=message), role="error"
        )
        self.statusMessage.emit(self.tr("Could not load that model"))
        self.loadFailed.emit(message)

    @Slot(object, object, str, str)
    def _activate(self, model, meta: dict[str, Any], key: str, name: str) -> bool:
        try:
            predictor = Predictor(model, meta)
        except InferenceError as exc:
            self.show_message(
                self.tr("{model} cannot make predictions: {reason}").format(model=name, reason=exc),
                role="error",
            )
            self.modelPicker.select(self.active_key)
            return False
        # A new model is never taken silently: the line above the input says which one answers now.
        switched = self.predictor is not None and self.predictor.model is not model
        self.predictor = predictor
        self._generation += 1
        self.modelPicker.set_active(key)
        self.show_message("")
        line = model_line(meta, name, results=False, classes_shown=6, preparation=True, html=True)
        text = self.tr("Now predicting with: {model}") if switched else self.tr("Active model: {model}")
        self.activeModelLabel.setText(text.format(model=line))
        self.activeModelLabel.setProperty("role", "info" if switched else "")
        self.activeModelLabel.style().polish(self.activeModelLabel)  # the role's colours
        self.results.set_model(predictor)
        self.saver.set_classes(predictor.classes)
        # A model trained on drawings saved from this canvas reads drawings as they are, too.
        reads_drawings = meta.get("preparation") == "digit" or self.saver.is_source_of(meta)
        self._show_tab(CANVAS if reads_drawings else FILE)
        self.modelChanged.emit(name)
        self.statusMessage.emit(self.tr("Predicting with {model}").format(model=name))
        self._predict_current()
        return True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh_models()
        if self.predictor is None:
            self.modelPicker.load_default()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # ---- predictions ------------------------------------------------------------------------------
    @Slot()
    def predict_canvas(self) -> None:
        """Predict the drawing now (the debounce timer calls this after each stroke)."""
        self.debounce.stop()
        if self.canvas.is_empty():
            self._seq += 1  # a result still on its way is about a drawing that is gone
            self._show_empty()
            return
        self._request("canvas", self.canvas.image(ratio=1.0))

    @Slot(str)
    def classify_file(self, path: str) -> None:
        """Show ``path`` in the image tab and predict it (in a worker thread)."""
        self.inputTabs.show_file(path)
        self._sync_to_tab(FILE)
        self._request("file", self.inputTabs.file)

    @Slot()
    def open_image(self) -> None:
        self.inputTabs.open_image()

    def _predict_current(self) -> None:
        if self.inputTabs.currentIndex() == CANVAS:
            self.predict_canvas()
        elif self.inputTabs.file:
            self._request("file", self.inputTabs.file)
        else:
            self._seq += 1
            self._show_empty()

    def _request(self, kind: str, payload) -> None:
        if self.predictor is None:
            self.show_message(self.tr("No model yet: train one, or pick a saved model above."), role="info")
            return
        self._seq += 1
        inside = self.inside_shown()
        chosen = self.insideView.detail.chosen
        drivers = (self.insideView.selected, chosen) if inside and chosen is not None else None
        request = Request(
            self._seq, self._generation, kind, payload, self.saliencyCheck.isChecked(), inside, drivers
        )
        if self.predictions.is_running():
            self._pending = request  # one at a time; only the newest waiting request survives
            return
        self._run(request)

    def _runs_inline(self, request: Request) -> bool:
        # Never a file: decoding a big photo can take long; never the layers' outputs: the GUI
        # thread only draws them.
        return request.kind == "canvas" and not request.inside and fits_inline(self.predictor)

    def inside_shown(self) -> bool:
        """Whether the *Inside the model* tab is the one shown (its layers come with each prediction)."""
        return self.resultsTabs.currentIndex() == inference_ui.INSIDE

    def _run(self, request: Request) -> None:
        if self._runs_inline(request):
            self._run_inline(request)
        else:
            self._run_in_worker(request)

    def _run_inline(self, request: Request) -> None:
        self.runs["inline"] += 1
        try:
            with single_torch_thread():
                outcome = compute(self.predictor, request)
        except Exception as exc:  # noqa: BLE001 - shown in the pane like a worker's failure
            self._on_predict_failed(error_message(exc))
            return
        self._show_outcome(outcome)

    def _run_in_worker(self, request: Request) -> None:
        predictor = self.predictor
        self.runs["worker"] += 1
        self.predictions.start(
            lambda on_event, stop: compute_in_worker(predictor, request),
            on_done=self._show_outcome,
            on_failed=self._on_predict_failed,
            on_finished=self._on_task_finished,
        )

    def _on_task_finished(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending.generation == self._generation and pending.seq == self._seq:
            self._run(pending)

    @Slot(str)
    def _on_predict_failed(self, message: str) -> None:
        self.show_message(message, role="error")
        self.statusMessage.emit(message.splitlines()[0] if message else self.tr("Prediction failed"))

    @Slot(object)
    def _show_outcome(self, outcome: Outcome) -> None:
        if outcome.generation != self._generation or outcome.seq != self._seq:
            return  # another model, or a newer input, since this was asked for
        self.last_outcome = outcome
        if outcome.saliency_error is not None:
            self._show_saliency_failure(outcome.saliency_error)
        elif self.inferenceMessage.role() == "error":
            self.show_message("")
        self.results.show_prediction(outcome.prediction, outcome.saliency)
        if outcome.strip is not None:
            self.insideView.show_strip(outcome.strip, outcome.prediction, self.predictor.classes)
            if outcome.drivers is not None or outcome.drivers_error is not None:
                self.insideView.show_drivers(outcome.drivers, outcome.drivers_error)
        if outcome.kind == "canvas":
            self.saver.suggest(outcome.prediction.top[0][0])
        self.predictionShown.emit(outcome.prediction)

    def _show_empty(self) -> None:
        self.last_outcome = None
        if self.predictor is None:
            caption = self.tr("no model yet: train one or pick a saved model")
        elif self.inputTabs.currentIndex() == CANVAS:
            caption = self.tr("draw a digit on the canvas")
        else:
            caption = self.tr("drop an image file or open one")
        self.results.show_empty(caption)
        self.insideView.show_empty(caption[:1].upper() + caption[1:])

    # ---- tabs, saliency, saved drawings, messages -------------------------------------------------
    @Slot(bool)
    def _on_saliency_toggled(self, on: bool) -> None:
        outcome = self.last_outcome
        if outcome is None:
            return
        if on and outcome.saliency is None:
            self._predict_current()  # the map comes with a fresh prediction
        else:
            if not on and outcome.saliency_error is not None:
                self.show_message("")  # the missing map is no longer asked for
            self.results.show_preview(outcome.prediction.input, outcome.saliency)

    def _show_saliency_failure(self, reason: str) -> None:
        # Never a silent grey preview: the student would read it as "nothing mattered".
        text = self.tr("The prediction is shown, but the map of what drove it could not be made: {reason}")
        self.show_message(text.format(reason=reason), role="error")
        self.statusMessage.emit(self.tr("No map of what drove the prediction"))

    def _show_tab(self, index: int) -> None:
        """Switch input tabs without the tab's own prediction (the caller predicts)."""
        self.inputTabs.show_tab(index)
        self._sync_to_tab(index)

    def _sync_to_tab(self, index: int) -> None:
        self.saver.setEnabled(index == CANVAS)
        self.saver.update_enabled()
        # Digit bars already say it all; images (and long class lists) get the top-k list too.
        self.results.set_top_k_visible(index == FILE or not self.probabilityPlot.vertical)

    @Slot(int)
    def _on_results_tab_changed(self, index: int) -> None:
        if index == inference_ui.INSIDE and self.predictor is not None:
            self._predict_current()  # the layers come with a fresh prediction

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        self._sync_to_tab(index)
        if self.predictor is not None:
            self._predict_current()

    @Slot(str)
    def _on_sample_saved(self, path: str) -> None:
        self.show_message("")
        self.statusMessage.emit(self.tr("Saved {path}").format(path=path))
        self.sampleSaved.emit(path)

    @Slot(str)
    def show_message(self, text: str, role: str = "error") -> None:
        """A non-modal message under the model picker (empty text hides it)."""
        self.inferenceMessage.show_message(text, role)

    def file_dropped(self, path: str) -> None:
        self.classify_file(path)
