"""Taller's command line: train, evaluate, predict and import-weights run the window's engine.

Every error a user can cause ends with a message on stderr and a non-zero exit, never a traceback:
1 for data, model and checkpoint problems, 2 for bad arguments (argparse's convention), 130 when
interrupted with Ctrl+C. The arguments are defined in ``engine.cli_args``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from engine import evaluation
from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.cli_args import build_parser, configs_from_args
from engine.config import ModelConfig
from engine.data.registry import load_dataset
from engine.data.types import ImageData
from engine.errors import CliError, InferenceError, TallerError
from engine.formatting import duration
from engine.freezing import preset as freeze_preset
from engine.models.build import build_model
from engine.models.weights import import_weights
from engine.predict import Predictor
from engine.report.exports import write_metrics
from engine.train.run import RunResult, model_spec, resolve_device, run

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = build_parser().parse_args(argv)
    commands = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "predict": cmd_predict,
        "import-weights": cmd_import,
    }
    try:
        return commands[args.command](args)
    except TallerError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# --- train ------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train, save model.pt and the metrics files in ``--out``, print the test accuracy last."""
    data_cfg, model_cfg, train_cfg = configs_from_args(args)
    data = load_dataset(data_cfg)
    report_skipped(data)
    if args.freeze_preset:
        frozen = resolve_preset(args.freeze_preset, model_cfg, data)
        model_cfg = replace(model_cfg, frozen=tuple(dict.fromkeys(model_cfg.frozen + frozen)))
    bar = ProgressBar()
    result = run(data_cfg, model_cfg, train_cfg, on_event=bar.on_event, data=data)
    bar.close()
    if not result.history:
        raise CliError(result.error or "the run ended before an epoch finished: nothing to save")
    out = Path(args.out)
    save_run(out, result, args.save)
    if result.error:
        # The last good epoch's model and files are kept, and the run still counts as failed.
        raise CliError(f"{result.error} (kept in {out})")
    if result.test is None:
        raise CliError("no test accuracy: the run ended before an epoch finished")
    print(f"saved {out / 'model.pt'}")
    print(f"test_accuracy={result.test['accuracy']:.4f}")
    if result.folds:
        kf = result.meta["kfold"]
        print(f"kfold_val_accuracy_mean={kf['val_acc_mean']:.4f} std={kf['val_acc_std']:.4f}")
    return 0


def report_skipped(data: ImageData) -> None:
    """Name the first few files of an image folder that could not be read, and count them all."""
    for path, reason in data.skipped[:5]:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    if data.skipped:
        print(f"skipped {len(data.skipped)} file(s) that are not usable images", file=sys.stderr)


def resolve_preset(preset: str, model_cfg: ModelConfig, data: ImageData) -> tuple[str, ...]:
    """Turn 'features', 'all' or 'last:N' into dotted names for this model and data."""
    name, _, n = preset.partition(":")
    if name not in ("features", "last", "all") or (name == "last" and not n.isdigit()):
        raise CliError(f"--freeze-preset must be 'features', 'all' or 'last:N', not {preset!r}")
    model = build_model(model_cfg.arch, model_spec(data, model_cfg), len(data.classes))
    return freeze_preset(model, model_cfg.arch, "last_n" if name == "last" else name, int(n or 1))


def save_run(out: Path, result: RunResult, also: str | None) -> None:
    """model.pt (and a copy at ``also``) plus the metrics files of ``engine.report.exports``."""
    save_checkpoint(out / "model.pt", result.model, result.meta)
    if also:
        save_checkpoint(also, result.model, result.meta)
    labels = None
    if result.test_probabilities is not None and result.splits is not None:
        labels = result.splits.test.labels.numpy()
    write_metrics(out, result.meta, result.test, result.test_probabilities, labels)


class ProgressBar:
    """A one-line progress bar on stderr (only on a terminal) and one stdout line per epoch."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30):
        self.stream = stream
        self.width = width
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.drawn = False

    def on_event(self, event: dict[str, Any]) -> None:
        """Draw a "progress" event; print the others as lines of their own."""
        if event["event"] == "progress":
            if self.live:
                self.draw(event)
            return
        line = event_line(event)
        if line is not None:
            self.clear()
            print(line, file=self.stream if event["event"] == "status" else sys.stdout, flush=True)

    def draw(self, e: dict[str, Any]) -> None:
        done = int(self.width * e["batch"] / max(1, e["batches"]))
        fold = f"fold {e['fold']} " if e.get("fold") else ""
        self.stream.write(
            f"\r{fold}epoch {e['epoch']}/{e['epochs']} [{'#' * done}{'.' * (self.width - done)}] "
            f"{e['batch']}/{e['batches']}  {duration(e['eta'], clock=True)} left "
        )
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()
            self.drawn = False

    def close(self) -> None:
        self.clear()


def event_line(event: dict[str, Any]) -> str | None:
    """The line printed for an epoch, phase, fold or status event (None for other events)."""
    kind = event["event"]
    if kind == "epoch_end":
        fold = f"fold {event['fold']} " if event.get("fold") else ""
        return (
            f"{fold}epoch {event['epoch']}/{event['epochs']}  train_loss={event['train_loss']:.4f} "
            f"train_acc={event['train_acc']:.4f}  val_loss={event['val_loss']:.4f} "
            f"val_acc={event['val_acc']:.4f}  lr={event['lr']:.2g}  ({event['seconds']:.1f}s)"
        )
    if kind == "phase":
        return f"phase 2 from epoch {event['epoch']}: unfrozen, lr={event['lr']:.2g}"
    if kind == "fold_end":
        return f"fold {event['fold']}/{event['folds']}  val_acc={event['val_acc']:.4f}"
    if kind == "status":
        return event["message"]
    return None


# --- evaluate ---------------------------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Test a checkpoint on its dataset's held-out test part (or on ``--dataset``), print metrics."""
    loaded = load_checkpoint(args.checkpoint)
    data_cfg = evaluation.data_config_for(loaded.meta, args.dataset, args.data_dir)
    data = load_dataset(data_cfg)
    result = evaluation.evaluate_model(
        loaded.model,
        loaded.meta,
        data,
        device=resolve_device(args.device),
        name=Path(args.checkpoint).name,
    )
    print_metrics(result.metrics)
    if args.report:
        write_report(args.report, result)
    print(f"test_accuracy={result.metrics['accuracy']:.4f}")
    return 0


def write_report(folder: str, result: evaluation.ModelEvaluation) -> None:
    """report.html, its charts and the metrics files of one evaluation."""
    # deferred: matplotlib and Jinja2 load only when a report is asked for (a second at start-up).
    from engine.report.html import write_report as write

    trained_on = result.meta.get("dataset")
    path = write(
        Path(folder),
        meta=result.meta,
        metrics=result.metrics,
        probabilities=result.probabilities,
        labels=result.test.labels,
        images=result.test.images,
        evaluated_on=result.data_name if result.data_name != trained_on else None,
    )
    print(f"report written to {path}")


def print_metrics(metrics: dict[str, Any]) -> None:
    """Per-class table, averages, confusion matrix and the most confused pairs, as plain text."""
    print(f"test images: {metrics['n']}")
    name_w = max(8, *(len(c) for c in metrics["classes"]))
    print(f"{'class':<{name_w}}  precision  recall      f1  support")
    rows = [(row["class"], row) for row in metrics["per_class"]]
    rows += [(f"{avg} avg", row) for avg, row in metrics["averages"].items()]
    for label, row in rows:
        print(
            f"{label:<{name_w}}  {row['precision']:9.4f} {row['recall']:7.4f} {row['f1']:7.4f} "
            f"{row['support']:8d}"
        )
    print("confusion matrix (rows: true, columns: predicted):")
    cm = np.array(metrics["confusion"])
    width = max(4, len(str(cm.max(initial=0))) + 1)
    print(" " * name_w + "".join(f"{c[: width - 1]:>{width}}" for c in metrics["classes"]))
    for c, row in zip(metrics["classes"], cm, strict=True):
        print(f"{c:<{name_w}}" + "".join(f"{v:>{width}}" for v in row))
    for pair in metrics["most_confused"]:
        print(f"confused: {pair['true']} -> {pair['predicted']}: {pair['count']}")


# --- predict, import-weights ------------------------------------------------------------------------


def cmd_predict(args: argparse.Namespace) -> int:
    """Print ``path<TAB>class<TAB>probability`` for the top classes of each image."""
    predictor = Predictor.from_checkpoint(args.checkpoint)
    failures = 0
    for path in args.images:
        try:
            prediction = predictor.predict(path)
        except InferenceError as e:
            print(f"error: {e}", file=sys.stderr)
            failures += 1
            continue
        for cls, prob in prediction.top[: args.top]:
            print(f"{path}\t{cls}\t{prob:.4f}")
    return EXIT_ERROR if failures else 0


def cmd_import(args: argparse.Namespace) -> int:
    """Copy a downloaded ImageNet weights file into the local torch cache."""
    started = time.perf_counter()
    path = import_weights(args.arch, args.file)
    print(f"imported {args.arch} ImageNet weights to {path} ({time.perf_counter() - started:.1f}s)")
    return 0
