"""Predictions and metrics: accuracy, per-class precision/recall/F1, confusion, K-Fold splits.

scikit-learn computes the numbers; this module only feeds it tensors and shapes the results into
plain dicts that go into JSON, checkpoints and the window. ``evaluate_model`` is the one way a
saved or just-trained model is tested on a dataset: ``main.py evaluate`` and the Evaluation tab
both call it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from torch import nn

from engine.checkpoints import check_compatible
from engine.config import DataConfig
from engine.data.splits import split_dataset
from engine.data.stream import image_batches
from engine.data.transforms import normalise
from engine.data.types import ImageData, InputSpec, Subset
from engine.errors import EvaluationError
from engine.i18n import _
from engine.precision import FP32, Precision, of_run
from engine.throttle import throttled

EventCallback = Callable[[dict[str, Any]], None]
UNREAD = -1.0  # the probabilities of a picture that could not be read


@torch.inference_mode()
def predict_probabilities(
    model: nn.Module,
    images: torch.Tensor,
    spec: InputSpec,
    batch_size: int = 512,
    device: torch.device | str = "cpu",
    precision: Precision = FP32,
) -> np.ndarray:
    """Class probabilities ``(N, K)`` for uint8 images ``(N, C, H, W)``, in eval mode.

    ``precision`` is the autocast and layout of a run (evaluation of a test split); the canvas and
    ``main.py predict`` keep float32, so one drawing gives the same answer as before. The row of a
    streamed picture that could not be read (its file gone or damaged since) is ``UNREAD`` (-1, which
    no probability is; a model's own NaN stays NaN and is scored as before): ``scored`` leaves it out.
    """
    was_training = model.training
    model.eval()
    out: list[torch.Tensor] = []
    unreadable: list[int] = []
    try:
        with precision.layout(model):
            # a streamed set is read batch by batch
            for batch in image_batches(images, batch_size, unreadable=unreadable):
                x = normalise(batch, spec).to(device, non_blocking=True)
                with precision.autocast():
                    logits = model(precision.inputs(x))
                out.append(torch.softmax(logits.float(), dim=1).cpu())
    finally:
        model.train(was_training)
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    probabilities = torch.cat(out).numpy()
    probabilities[unreadable] = UNREAD
    return probabilities


def read_rows(probabilities: np.ndarray) -> np.ndarray:
    """Which rows of ``predict_probabilities`` hold a picture's probabilities (not ``UNREAD``)."""
    return ~(probabilities == UNREAD).all(axis=1) if len(probabilities) else np.zeros(0, dtype=bool)


def scored(y_true: np.ndarray, probabilities: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """``classification_metrics`` of the pictures that could be read (rows not ``UNREAD``); the
    metrics say how many were left out (``unreadable``) when any were."""
    y_true = np.asarray(y_true)
    if not len(probabilities):
        return classification_metrics(y_true, np.zeros(0, dtype=np.int64), classes)
    readable = read_rows(probabilities)
    if not readable.any():
        raise EvaluationError(
            _("none of the {n} test pictures could be read: their files were removed or damaged").format(
                n=len(readable)
            )
        )
    metrics = classification_metrics(y_true[readable], probabilities[readable].argmax(axis=1), classes)
    if not readable.all():
        metrics["unreadable"] = int((~readable).sum())
    return metrics


def unreadable_note(metrics: dict[str, Any]) -> str:
    """A sentence for test pictures that could not be read and were left out ("" when none)."""
    n = int(metrics.get("unreadable") or 0)
    if not n:
        return ""
    return _(
        "{n} test pictures could not be read (their files were removed or damaged since) and were left "
        "out: the test accuracy is on the other {m}."
    ).format(n=n, m=metrics.get("n", 0))


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, classes: list[str], top_pairs: int = 5
) -> dict[str, Any]:
    """Accuracy, per-class and averaged precision/recall/F1/support, confusion matrix, worst pairs."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    labels = list(range(len(classes)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = [
        {"class": c, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
        for i, c in enumerate(classes)
    ]
    averages = {}
    for avg in ("macro", "weighted"):
        pa, ra, fa, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=avg, zero_division=0
        )
        averages[avg] = {
            "precision": float(pa),
            "recall": float(ra),
            "f1": float(fa),
            "support": int(len(y_true)),
        }
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "n": int(len(y_true)),
        "classes": list(classes),
        "per_class": per_class,
        "averages": averages,
        "confusion": cm.tolist(),
        "most_confused": most_confused(cm, classes, top_pairs),
    }


def most_confused(cm: np.ndarray, classes: list[str], k: int = 5) -> list[dict[str, Any]]:
    """The ``k`` largest off-diagonal cells: (true, predicted, count), most errors first."""
    cm = np.asarray(cm)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1]
    pairs = []
    for flat in order[:k]:
        t, p = np.unravel_index(flat, off.shape)
        if off[t, p] == 0:
            break
        pairs.append({"true": classes[t], "predicted": classes[p], "count": int(off[t, p])})
    return pairs


def top_losses(probabilities: np.ndarray, y_true: np.ndarray, k: int | None = None) -> np.ndarray:
    """Indices of misclassified samples sorted by loss (most confidently wrong first), fastai-style."""
    y_true = np.asarray(y_true)
    p_true = probabilities[np.arange(len(y_true)), y_true]
    readable = read_rows(probabilities)  # a picture that could not be read is no mistake
    wrong = np.flatnonzero((probabilities.argmax(axis=1) != y_true) & readable)
    order = wrong[np.argsort(p_true[wrong], kind="stable")]
    return order if k is None else order[:k]


def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    spec: InputSpec,
    classes: list[str],
    device: torch.device | str = "cpu",
    precision: Precision = FP32,
) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics of ``model`` on a labelled set, and the probabilities they came from."""
    probs = predict_probabilities(model, images, spec, device=device, precision=precision)
    return scored(labels.cpu().numpy(), probs, classes), probs


def kfold_indices(labels: np.ndarray, k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-Fold (train, validation) index pairs; every sample is validated exactly once."""
    labels = np.asarray(labels)
    counts = np.bincount(labels) if len(labels) else np.zeros(0, dtype=np.int64)
    # min(initial=0) would always give 0; classes absent from the pool do not limit K.
    smallest = int(counts[counts > 0].min()) if counts.any() else 0
    if smallest < k:
        raise ValueError(
            f"K-Fold with K={k} needs at least {k} samples of every class (smallest has {smallest})"
        )
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in folds.split(np.zeros(len(labels)), labels)]


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and population standard deviation, as reported for K-Fold."""
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std())


# --- the evaluation panel, reports and the evaluate command ----------------------------------------


def cell_indices(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    true_class: int,
    predicted_class: int,
    probabilities: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the samples in one confusion-matrix cell (row ``true_class``, column ``predicted_class``).

    With ``probabilities`` the least likely true class comes first (the highest loss), as in
    ``top_losses``, and a picture that could not be read (an ``UNREAD`` row, whose argmax says class
    0) is in no cell, as in the confusion matrix; otherwise the indices are in data order.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    idx = np.flatnonzero((y_true == true_class) & (y_pred == predicted_class))
    if probabilities is None or not len(idx):
        return idx
    probabilities = np.asarray(probabilities)
    idx = idx[read_rows(probabilities)[idx]]
    return idx[np.argsort(probabilities[idx, true_class], kind="stable")]


def evaluate_with_progress(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    spec: InputSpec,
    classes: list[str],
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
    chunk: int = 2048,
    device: torch.device | str = "cpu",
    precision: Precision = FP32,
) -> tuple[dict[str, Any], np.ndarray] | None:
    """``evaluate`` in chunks for a worker thread: "progress" events and a cooperative stop.

    Events have the training loop's progress keys (``epoch``/``epochs`` are 1, ``batch``/``batches``
    count chunks) so the same progress bar shows them. Returns None when ``stop`` (a
    ``threading.Event``) is set between chunks.
    """
    if len(labels) == 0:
        raise EvaluationError(_("the test split is empty: choose a dataset with images to test on"))
    emit = throttled(on_event)
    emit({"event": "status", "message": _("Evaluating on {n} test images…").format(n=len(labels))})
    started = time.perf_counter()
    chunks = range(0, images.shape[0], chunk)
    parts = []
    for n, start in enumerate(chunks, start=1):
        if stop is not None and stop.is_set():
            return None
        part = images[start : start + chunk]
        parts.append(predict_probabilities(model, part, spec, device=device, precision=precision))
        elapsed = time.perf_counter() - started
        eta = elapsed / n * (len(chunks) - n)
        progress = {"epoch": 1, "epochs": 1, "batch": n, "batches": len(chunks), "fold": 0}
        emit({"event": "progress", **progress, "seconds": elapsed, "eta": eta})
    probs = np.concatenate(parts)
    return scored(labels.cpu().numpy(), probs, classes), probs


@dataclass
class ModelEvaluation:
    """A model tested on the test split of a dataset: what ``evaluate_model`` returns."""

    meta: dict[str, Any]  # the model's checkpoint metadata
    metrics: dict[str, Any]  # classification_metrics
    probabilities: np.ndarray  # (N, K), one row per test image
    test: Subset  # the test images and labels the metrics are about
    data_name: str  # the dataset tested on


def data_config_for(
    meta: dict[str, Any],
    dataset: str | None = None,
    data_dir: str | None = None,
    loader: str = "auto",
    cache: bool = True,
) -> DataConfig:
    """The data configuration a model was trained with, to load its test data again.

    ``dataset`` tests on another dataset (split the same way); ``data_dir`` says where datasets lie
    on this machine; ``loader`` and ``cache`` how an image folder is read here (in memory or
    streamed). Downloading and augmentation are off.
    """
    saved = dict(meta.get("data_config") or {})
    saved.update(dataset=dataset or meta.get("dataset", "digits"), download=False, augment=False)
    saved.update(loader=loader, cache=cache)
    if data_dir:
        saved["data_dir"] = data_dir
    return DataConfig.from_dict(saved)


def model_test_split(data: ImageData, meta: dict[str, Any]) -> Subset:
    """The test part of ``data`` split with the model's own seed and fractions.

    On the dataset a model was trained on, this is the part it never saw.
    """
    saved = meta.get("data_config") or {}
    defaults = DataConfig()
    val_split = float(saved.get("val_split", defaults.val_split))
    return split_dataset(data, val_split, int(saved.get("seed", defaults.seed))).test


def evaluate_model(
    model: nn.Module,
    meta: dict[str, Any],
    data: ImageData,
    device: torch.device | str = "cpu",
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
    name: str = "the model",
    precision: Precision | None = None,
) -> ModelEvaluation | None:
    """Test a model on the test split of ``data``; None when ``stop`` was set.

    The model is moved to ``device``. ``name`` is how messages call the model (a file name).
    ``precision`` is the autocast the test runs in (``engine.precision.resolve``); by default the
    one the model was trained in (``meta["precision"]``), so a run's own test split gives the run's
    own numbers.

    Raises
    ------
    CheckpointError
        The model's classes or input size do not fit the data.
    EvaluationError
        The test split is empty.
    """
    check_compatible(meta, classes=list(data.classes), spec=data.spec, name=name)
    test = model_test_split(data, meta)
    spec = InputSpec.from_dict(meta["spec"])
    if precision is None:
        precision = of_run(meta, device)
    model.to(device)
    out = evaluate_with_progress(
        model,
        test.images,
        test.labels,
        spec,
        list(data.classes),
        on_event,
        stop,
        device=device,
        precision=precision,
    )
    if out is None:
        return None
    metrics, probabilities = out
    return ModelEvaluation(meta, metrics, probabilities, test, str(data.name))
