"""The table the course writes by hand, read from a comparison folder: one row per variant, verdicts, winner.

Each run is read from the plain files of its run folder (``metrics.json``, ``history.json`` or, while
it trains, ``history.csv``, and the test labels and probabilities of ``metrics.npz``), so a comparison
loads without PyTorch. A row holds, per variant: the final and best train and validation accuracy,
the best epoch, the test accuracy with its 95 % Wilson interval, macro F1, trainable/total
parameters and wall time; with repeats each is the mean over the finished seeds, with ``std`` and
``per_seed`` beside it. Verdicts: ``engine.compare.stats``.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from engine.compare import stats
from engine.compare.folder import read_folder
from engine.compare.plan import Plan
from engine.formatting import (
    MISSING,
    accuracy_interval,
    accuracy_text,
    duration,
    finite,
    integer,
    number,
    percent,
)
from engine.i18n import N_
from engine.train.layout import HISTORY, METRICS

NPZ = "metrics.npz"
# The numbers of a row: means over the seeds with repeats (best_epoch too).
METRICS_KEYS = (
    "train_acc",
    "best_train_acc",
    "val_acc",
    "best_val_acc",
    "best_epoch",
    "test_acc",
    "macro_f1",
    "trainable_params",
    "total_params",
    "seconds",
)


@dataclass
class Comparison:
    """A comparison folder read back: its plan, the state of each run, the table and the verdicts.

    ``runs`` are ``state.json``'s entries, each with its ``record`` (``run_record``) once its folder
    holds an epoch; ``run_dirs`` maps each variant to its run folders, in seed order.
    """

    folder: Path
    plan: Plan
    runs: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]
    winner: str | None
    run_dirs: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return all(r["status"] == "finished" for r in self.runs)

    def winner_dir(self) -> Path | None:
        """The winner's run folder to open or try (its best seed by test accuracy)."""
        runs = [r for r in self.runs if r["variant"] == self.winner and r.get("record")]
        if not runs:
            return None
        best = max(runs, key=lambda r: _score(r["record"]))
        return self.folder / best["dir"]


def load_comparison(folder: str | Path) -> Comparison:
    """Read a comparison folder (finished, stopped or running) into a ``Comparison``.

    Raises
    ------
    ConfigError
        Not a comparison folder, or its plan or state is damaged.
    """
    folder = Path(folder)
    plan, state = read_folder(folder)
    runs = []
    for entry in state["runs"]:
        record = run_record(folder / entry["dir"])
        runs.append({**entry, "record": record})
    rows = variant_rows(plan, runs)
    verdicts = pair_verdicts(folder, plan, runs, rows)
    winner = pick_winner(rows)
    for row in rows:
        row["winner"] = row["variant"] == winner
    run_dirs = {v.name: [folder / r["dir"] for r in runs if r["variant"] == v.name] for v in plan.variants}
    return Comparison(folder, plan, runs, rows, verdicts, winner, run_dirs)


# --- one run ----------------------------------------------------------------------------------------


def run_record(run_dir: Path) -> dict[str, Any] | None:
    """One run's numbers from its folder; None while no epoch has finished."""
    summary = _json(run_dir / METRICS) or {}
    history = _json(run_dir / "history.json") if summary else None
    if history is None:
        history = _history_csv(run_dir / HISTORY)
    if not history:
        return None
    val = [_num(h.get("val_acc")) for h in history]
    best = max(range(len(history)), key=lambda i: val[i] if finite(val[i]) else -math.inf)
    test = summary.get("test") or {}
    record = {
        "epochs_run": len(history),
        "train_acc": _num(history[-1].get("train_acc")),
        "best_train_acc": max((_num(h.get("train_acc")) for h in history), default=math.nan),
        "val_acc": val[-1],
        "best_val_acc": val[best],
        "best_epoch": int(_num(history[best].get("epoch"))),
        "test_acc": _num(test.get("accuracy")),
        "test_n": test.get("n"),
        "macro_f1": _num(((test.get("averages") or {}).get("macro") or {}).get("f1")),
        "per_class_f1": {str(r["class"]): _num(r.get("f1")) for r in test.get("per_class") or []},
        "trainable_params": summary.get("trainable_params"),
        "total_params": summary.get("total_params"),
        "seconds": summary.get("seconds"),
        "stopped": bool(summary.get("stopped")) if summary else True,
        "history": history,
    }
    record["test_ci"] = accuracy_interval(record["test_acc"], record["test_n"])
    return record


def saved_predictions(run_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(true labels, predicted labels) of a run's test images, from its metrics.npz; None without."""
    try:
        with np.load(run_dir / NPZ, allow_pickle=False) as npz:
            if "test_labels" not in npz or "test_probabilities" not in npz:
                return None
            return npz["test_labels"].astype(np.int64), npz["test_probabilities"].argmax(axis=1)
    except (OSError, ValueError):
        return None


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _history_csv(path: Path) -> list[dict[str, Any]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(fh)]
    except (OSError, ValueError):
        return []


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _score(record: dict[str, Any]) -> tuple[float, float]:
    """What ranks runs: the test accuracy, then the best validation accuracy (NaN last)."""
    return tuple(v if finite(v) else -math.inf for v in (record["test_acc"], record["best_val_acc"]))


# --- the table --------------------------------------------------------------------------------------


def variant_rows(plan: Plan, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per variant, in the plan's order (see the module)."""
    rows = []
    for variant in plan.variants:
        mine = [r for r in runs if r["variant"] == variant.name]
        done = [r for r in mine if r.get("record")]
        row: dict[str, Any] = {
            "variant": variant.name,
            "changes": variant.changes,
            "status": _status([r["status"] for r in mine]),
            "runs": [r["dir"] for r in mine],
            "seeds": [r["seed"] for r in done],
            "finished": sum(r["status"] == "finished" for r in mine),
            "repeats": len(mine),
            "wall_seconds": sum(float(r.get("seconds") or 0) for r in mine),
            "std": {},
            "per_seed": {},
        }
        for key in METRICS_KEYS:
            values = [_num(r["record"][key]) for r in done]
            kept = [v for v in values if finite(v)]
            row[key] = float(np.mean(kept)) if kept else None
            if len(mine) > 1:
                row["per_seed"][key] = [v if finite(v) else None for v in values]
                row["std"][key] = float(np.std(kept, ddof=1)) if len(kept) > 1 else None
        first = done[0]["record"] if done else {}
        row["test_n"] = first.get("test_n")
        row["test_ci"] = first.get("test_ci") if len(done) == 1 else None
        rows.append(row)
    return rows


def _status(statuses: list[str]) -> str:
    for status in ("failed", "running", "stopped"):
        if status in statuses:
            return status
    return "finished" if all(s == "finished" for s in statuses) else "pending"


def pick_winner(rows: list[dict[str, Any]]) -> str | None:
    """The variant with the best mean test accuracy (the best validation accuracy without a test)."""
    scored = [r for r in rows if r["test_acc"] is not None or r["best_val_acc"] is not None]
    if not scored:
        return None
    return max(scored, key=lambda r: _score({k: _num(r[k]) for k in ("test_acc", "best_val_acc")}))["variant"]


def pair_verdicts(
    folder: Path, plan: Plan, runs: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A verdict for each pair of variants with results on the same test images (see the module).

    One seed: McNemar's test on the runs' paired predictions. Repeats: the paired t-test over the
    seeds both finished. A pair whose test images differ gets no verdict.
    """
    verdicts = []
    by_variant = {v.name: [r for r in runs if r["variant"] == v.name] for v in plan.variants}
    for first, second in combinations([v.name for v in plan.variants], 2):
        if plan.repeats > 1:
            found = _over_seeds(by_variant[first], by_variant[second], (first, second))
        else:
            found = _mcnemar(folder, by_variant[first][0], by_variant[second][0], (first, second))
        if found is not None:
            found["sentence"] = stats.sentence(found)
            verdicts.append(found)
    return sorted(verdicts, key=lambda v: (-v["real"], v["p"]))


def _mcnemar(folder: Path, a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> dict | None:
    if a["status"] != "finished" or b["status"] != "finished":
        return None
    outcomes = [saved_predictions(folder / r["dir"]) for r in (a, b)]
    if any(o is None for o in outcomes):
        return None
    (labels_a, pred_a), (labels_b, pred_b) = outcomes
    if labels_a.shape != labels_b.shape or not np.array_equal(labels_a, labels_b):
        return None  # other test images: nothing is paired
    only_a, only_b, p = stats.mcnemar(pred_a == labels_a, pred_b == labels_b)
    accuracies = (float(np.mean(pred_a == labels_a)), float(np.mean(pred_b == labels_b)))
    return stats.verdict(names, accuracies, p, stats.MCNEMAR, len(labels_a), only_a=only_a, only_b=only_b)


def _over_seeds(a: list[dict], b: list[dict], names: tuple[str, str]) -> dict | None:
    pairs = [
        (ra["record"]["test_acc"], rb["record"]["test_acc"])
        for ra, rb in zip(a, b, strict=True)
        if ra["status"] == rb["status"] == "finished"
        and finite(ra["record"]["test_acc"])
        and finite(rb["record"]["test_acc"])
    ]
    if len(pairs) < 2:
        return None
    acc_a, acc_b = (list(x) for x in zip(*pairs, strict=True))
    p = stats.paired_over_seeds(acc_a, acc_b)
    accuracies = (float(np.mean(acc_a)), float(np.mean(acc_b)))
    return stats.verdict(names, accuracies, p, stats.PAIRED_T, len(pairs))


# --- the table as a user reads it (the command line, the report, the window) -------------------------

TABLE_HEADER = (
    N_("variant"),
    N_("test accuracy"),
    N_("validation, final / best"),
    N_("best epoch"),
    N_("train, final / best"),
    N_("macro F1"),
    N_("parameters trained / total"),
    N_("time"),
)


def row_cells(row: dict[str, Any]) -> list[str]:
    """A row in words, the header's columns: the winner starred, means ± std with repeats."""
    name = f"★ {row['variant']}" if row.get("winner") else row["variant"]
    if row["repeats"] > 1 and row["test_acc"] is not None:
        test = _mean_std(row, "test_acc")
    else:
        test = accuracy_text(row["test_acc"], row["test_n"], images=False)
    val = f"{_mean_std(row, 'val_acc')} / {_mean_std(row, 'best_val_acc')}"
    train = f"{_mean_std(row, 'train_acc')} / {_mean_std(row, 'best_train_acc')}"
    if row["best_epoch"] is None:
        epoch = MISSING
    else:  # a mean over the seeds with repeats
        epoch = number(row["best_epoch"], 1) if row["repeats"] > 1 else str(int(row["best_epoch"]))
    params = (
        f"{integer(row['trainable_params'])} / {integer(row['total_params'])}"
        if finite(row["trainable_params"]) and finite(row["total_params"])
        else MISSING
    )
    return [
        name,
        test,
        val,
        epoch,
        train,
        number(row["macro_f1"], 3),
        params,
        duration(row["wall_seconds"]),
    ]


def _mean_std(row: dict[str, Any], key: str) -> str:
    std = row["std"].get(key)
    if std is None:
        return percent(row[key])
    return f"{percent(row[key])} ± {number(100 * std, 1)}"
