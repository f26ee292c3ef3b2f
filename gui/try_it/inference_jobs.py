"""One prediction of the Inference panel as a job: the request, its outcome and the engine call.

Nothing here touches a widget, so ``compute`` runs as well on the GUI thread (small models) as in
a worker thread (large models, image files, and every request of the Inside view). With ``inside``
the prediction's own forward pass is the one whose layers the Inside view shows (hooks of
``engine.inside.Capture``): one pass per update, never a second.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from engine.errors import describe
from engine.inside import Capture, Strip, drivers
from engine.predict import Predictor

TOP_K = 5
INLINE_MAX_PARAMS = 2_000_000  # models this small predict a drawing within a frame, on the GUI thread
INLINE_MAX_PIXELS = 64 * 64


@contextmanager
def single_torch_thread():
    """One intra-op thread while predicting a single small input, then the previous count again.

    For one 28x28 image a second OpenMP thread brings no speed, only wake-up jitter: measured
    canvas p95 23-71 ms with two threads, 16-23 ms with one. The count is process-wide, so it is
    restored at once; a training batch running meanwhile at most runs one batch on one thread.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def fits_inline(predictor: Predictor) -> bool:
    """Whether ``predictor`` is small enough to predict a drawing on the GUI thread.

    Decided by size, not by timing: timings taken in a worker are inflated by the thread's start
    and the GIL, and would keep a 10 ms model off the GUI thread for good. The digit CNN (~100k
    parameters) predicts a 28x28 drawing in about 10 ms.
    """
    params = sum(p.numel() for p in predictor.model.parameters())
    spec = predictor.spec
    return params < INLINE_MAX_PARAMS and spec.height * spec.width <= INLINE_MAX_PIXELS


@dataclass
class Request:
    """One input to predict; ``seq`` and ``generation`` tell whether its result is still wanted."""

    seq: int
    generation: int
    kind: str  # "canvas" or "file"
    payload: Any  # the drawing (uint8 H x W) or a file path
    saliency: bool
    inside: bool = False  # the Inside view is shown: keep every layer's output of the pass
    drivers: tuple[str, int] | None = None  # (layer, map) whose driving pixels are asked for


@dataclass
class Outcome:
    """A prediction ready to show, computed on the GUI thread or in a worker."""

    seq: int
    generation: int
    kind: str
    prediction: Any  # engine.predict.Prediction
    saliency: np.ndarray | None
    seconds: float
    saliency_error: str | None = None  # why a map that was asked for is missing, for the user
    strip: Strip | None = None  # the layers' outputs, when the request asked for them
    drivers: np.ndarray | None = None  # the pixels that drive the map asked for, (H, W) in [0, 1]
    drivers_error: str | None = None


def compute_in_worker(predictor: Predictor, request: Request) -> Outcome:
    """``compute`` in a worker thread: a model small enough for the GUI thread runs on one torch
    thread there too (the Inside view's CNN: 170 ms with two threads on a loaded 2-core machine,
    10 ms with one); the count is the worker thread's own, restored when it ends."""
    if not fits_inline(predictor):
        return compute(predictor, request)
    with single_torch_thread():
        return compute(predictor, request)


def compute(predictor: Predictor, request: Request) -> Outcome:
    """Run the engine on one request (safe in a worker thread: touches no widget)."""
    started = time.perf_counter()
    strip = None
    if request.inside:
        with Capture(predictor.model) as capture:
            prediction = predictor.predict(request.payload, top_k=TOP_K)
        strip = capture.strip(predictor.spec)
    else:
        prediction = predictor.predict(request.payload, top_k=TOP_K)
    heat, heat_error = None, None
    if request.saliency:
        try:
            heat = predictor.saliency(prediction.input)
        except Exception as exc:  # noqa: BLE001 - the prediction is still shown, and the panel says why the map is not
            heat_error = describe(exc)
    outcome = Outcome(request.seq, request.generation, request.kind, prediction, heat, 0.0, heat_error, strip)
    if request.drivers is not None:
        layer, index = request.drivers
        try:
            outcome.drivers = drivers(predictor.model, predictor.spec, prediction.input, layer, index)
        except Exception as exc:  # noqa: BLE001 - as the saliency map's: said beside the maps
            outcome.drivers_error = describe(exc)
    outcome.seconds = time.perf_counter() - started
    return outcome
