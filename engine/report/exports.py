"""The one metrics layout, written by ``main.py train``, ``main.py evaluate --report`` and the Export button.

Every file is written atomically (``engine.checkpoints.atomic_write``) and opens without Taller:

``metrics.json``
    One object, strict JSON (NaN and infinities are ``null``)::

        {"arch", "dataset", "classes", "trainable_params", "total_params", "frozen", "seconds",
         "stopped", "created", "model_config", "data_config", "train_config",   # those the run has
         "warnings": [{"kind": "not_learning", "message", "epoch", "batches", "loss", "start",
                       "chance", "accuracy", "chance_accuracy", "flat", "peak", "cause", "lr"}],
                                                # only when the run warned (engine.train.guard)
         "epochs_run": int,
         "test": null | {"accuracy", "n", "classes", "per_class": [{"class", "precision", "recall",
                  "f1", "support"}], "averages": {"macro": {...}, "weighted": {...}},
                  "confusion": [[int]], "most_confused": [{"true", "predicted", "count"}]},
         "kfold": {"folds": [{"fold", "epochs_run", "train_acc", "val_loss", "val_acc"}],
                   "val_acc_mean", "val_acc_std"}}                             # K-Fold runs only
``history.json`` / ``history.csv``
    One record (csv: row) per finished epoch with the columns ``HISTORY_COLUMNS``: fold (0 or
    empty without K-Fold), epoch, phase (2 after unfreezing), train_loss, train_acc, val_loss,
    val_acc, lr, seconds. Accuracies are fractions (0..1).
``metrics.csv``
    ``class,precision,recall,f1,support``: one row per class, then ``macro avg``, ``weighted avg``
    and ``accuracy`` (f1 column), as scikit-learn's ``classification_report`` prints them. Only the
    header when there was no test.
``metrics.npz``
    Loads with ``allow_pickle=False``. Float arrays of every history column (NaN where missing);
    with a test: ``confusion_matrix`` (K, K) int64 (rows true, columns predicted),
    ``test_accuracy`` (scalar), ``classes`` (K,) str, ``per_class_precision``/``_recall``/``_f1``/
    ``_support`` (K,); with the test outputs: ``test_labels`` (N,) int and ``test_probabilities``
    (N, K) float.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from engine.checkpoints import atomic_write, plain
from engine.names import display_name

# The run folder's history.csv (engine.train.runs) and the exported one share these columns.
HISTORY_COLUMNS = (
    "fold",
    "epoch",
    "phase",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "seconds",
)
METRICS_FILES = ("metrics.json", "history.json", "history.csv", "metrics.csv", "metrics.npz")
SUMMARY_KEYS = (
    "arch",
    "dataset",
    "classes",
    "trainable_params",
    "total_params",
    "frozen",
    "seconds",
    "stopped",
    "created",
    "model_config",
    "data_config",
    "train_config",
    "warnings",
)


def write_metrics(
    folder: str | Path,
    meta: dict[str, Any],
    metrics: dict[str, Any] | None,
    probabilities: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> list[Path]:
    """Write the five files of the metrics layout into ``folder`` (created if needed).

    Parameters
    ----------
    folder : str or Path
        Destination; existing files of the same names are replaced.
    meta : dict
        A run's or checkpoint's metadata (``engine.train.run`` builds it).
    metrics : dict or None
        ``engine.evaluation.classification_metrics`` of the test set; None when there was no test.
    probabilities, labels : numpy arrays, optional
        Test probabilities ``(N, K)`` and true labels ``(N,)``, stored in metrics.npz.

    Returns
    -------
    list of Path
        The files written, in ``METRICS_FILES`` order.
    """
    folder = Path(folder)
    history = list(meta.get("history") or [])
    records = history_records(history)
    return [
        write_text(folder / "metrics.json", json.dumps(json_ready(summary(meta, metrics)), indent=2)),
        write_text(folder / "history.json", json.dumps(json_ready(records), indent=2)),
        write_csv(folder / "history.csv", [list(HISTORY_COLUMNS)] + [list(r.values()) for r in records]),
        write_csv(folder / "metrics.csv", metric_rows(metrics)),
        write_npz(folder / "metrics.npz", npz_arrays(history, metrics, probabilities, labels)),
    ]


def summary(meta: dict[str, Any], metrics: dict[str, Any] | None) -> dict[str, Any]:
    """What metrics.json holds: the run's identity, test metrics, K-Fold results and time."""
    out = {k: meta[k] for k in SUMMARY_KEYS if k in meta}
    out["epochs_run"] = len(meta.get("history") or [])
    out["test"] = metrics
    if meta.get("kfold"):
        out["kfold"] = meta["kfold"]
    return out


def history_records(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The epoch history reduced to ``HISTORY_COLUMNS`` (None where an epoch lacks a value)."""
    return [{c: h.get(c) for c in HISTORY_COLUMNS} for h in history]


def metric_rows(metrics: dict[str, Any] | None) -> list[list[Any]]:
    """metrics.csv: a header, one row per class, the two averages and accuracy (as scikit-learn prints)."""
    rows: list[list[Any]] = [["class", "precision", "recall", "f1", "support"]]
    if metrics is None:
        return rows
    for r in metrics["per_class"]:
        rows.append([r["class"], r["precision"], r["recall"], r["f1"], r["support"]])
    for name, r in metrics["averages"].items():
        rows.append([f"{name} avg", r["precision"], r["recall"], r["f1"], r["support"]])
    rows.append(["accuracy", "", "", metrics["accuracy"], metrics["n"]])
    return rows


def npz_arrays(
    history: list[dict[str, Any]],
    metrics: dict[str, Any] | None,
    probabilities: np.ndarray | None,
    labels: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """The arrays of metrics.npz (see the module docstring)."""
    arrays = {c: np.array([_float(h.get(c)) for h in history], dtype=np.float64) for c in HISTORY_COLUMNS}
    if metrics is not None:
        arrays["confusion_matrix"] = np.asarray(metrics["confusion"], dtype=np.int64)
        arrays["test_accuracy"] = np.array(metrics["accuracy"])
        arrays["classes"] = np.array([str(c) for c in metrics["classes"]])
        for key in ("precision", "recall", "f1", "support"):
            arrays[f"per_class_{key}"] = np.array([r[key] for r in metrics["per_class"]])
    if labels is not None:
        arrays["test_labels"] = np.asarray(labels)
    if probabilities is not None:
        arrays["test_probabilities"] = np.asarray(probabilities)
    return arrays


def json_ready(value: Any) -> Any:
    """Plain JSON values; NaN and infinities become null so any JSON reader accepts the file, and
    names that are not UTF-8 are written as shown (``display_name``), never as lone surrogates."""
    value = plain(value)
    if isinstance(value, str):
        return display_name(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {display_name(k) if isinstance(k, str) else k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically (a name that is not UTF-8 is written as ``display_name`` shows it)."""
    return atomic_write(path, lambda tmp: tmp.write_text(display_name(text), encoding="utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    """Write rows as CSV atomically (None becomes an empty cell)."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(
                [[display_name(c) if isinstance(c, str) else c for c in r] for r in rows]
            )

    return atomic_write(path, write)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write an uncompressed .npz atomically."""

    def write(tmp: Path) -> None:
        # A file object, not a path: np.savez would append ".npz" to the temporary name.
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    return atomic_write(path, write)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
