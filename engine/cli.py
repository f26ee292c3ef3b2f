"""Taller's command line: train, evaluate, predict and import-weights run the window's engine.

Every error a user can cause ends with a message on stderr and a non-zero exit, never a traceback
(``engine.errors.describe``; a bug's traceback goes to a log file the message names): 1 for data,
model, checkpoint, file-system and out-of-memory problems, 2 for bad arguments (argparse's
convention), 130 when interrupted with Ctrl+C. The arguments are defined in ``engine.cli_args``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from engine import evaluation, precision
from engine.checkpoints import load_checkpoint
from engine.cli_args import build_parser, configs_from_args
from engine.codegen.notebook import export_run
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.data.splits import imbalance_warning
from engine.data.types import ImageData
from engine.errors import CliError, describe, user_message
from engine.export_onnx import export_checkpoint
from engine.freezing import preset as freeze_preset
from engine.i18n import _
from engine.launcher import JsonEvents, launch_train
from engine.models.build import build_model
from engine.models.weights import import_weights
from engine.predict import Predictor
from engine.progress import TerminalProgress, say, track
from engine.runs_library import list_runs, with_tensorboard
from engine.saving import save_run, stop_on_signals, stopped_message
from engine.train import distributed
from engine.train.lr_find import lr_find
from engine.train.run import model_spec, resolve_device, run
from engine.train.runs import RunFolder, load_run, new_run_dir, runs_root

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # what --devices hands on to torchrun
    commands = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "predict": cmd_predict,
        "import-weights": cmd_import,
        "export": cmd_export,
        "runs": cmd_runs,
        "export-notebook": cmd_export_notebook,
        "lr-find": cmd_lr_find,
    }
    try:
        return commands[args.command](args)
    except Exception as e:  # noqa: BLE001 - the one boundary: a message, never a traceback
        # Expected failures (ours, OSError, out of memory) get advice; a bug gets a log file.
        print(f"error: {describe(e)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\n" + _("interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED


# --- train ------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train in a run folder (a new one, ``--out``, or ``--resume``'s), print the test accuracy last.

    Ctrl+C or SIGTERM stop like the window's Stop: finished epochs are saved, exit 128 + signal.
    ``--devices N`` runs the same command on N processes through torchrun; started by torchrun, the
    processes train together (``engine.train.distributed``) and only rank 0 prints and writes.
    """
    if args.devices and args.devices > 1 and not distributed.launched():
        return launch_train(args.argv, args.devices, args.device)
    snapshot = None
    if args.resume:
        data_cfg, model_cfg, train_cfg, snapshot = load_run(args.resume)
    else:
        data_cfg, model_cfg, train_cfg = configs_from_args(args)
    distributed.start(resolve_device(train_cfg.device))  # under torchrun: join the other ranks
    try:
        return train_in_folder(args, data_cfg, model_cfg, train_cfg, snapshot)
    except RuntimeError as e:  # a collective failed: say which process it was, not "a bug"
        message = distributed.lost_peer(e)
        if message is None:
            raise
        raise CliError(message) from e
    finally:
        distributed.finish()


def train_in_folder(
    args: argparse.Namespace,
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    snapshot: dict[str, Any] | None,
) -> int:
    """Load the data and train; rank 0 (or the only process) reports and writes the run folder."""
    distributed.local_batch(train_cfg.batch_size)  # an uneven split of the global batch: refused now
    with distributed.main_first():  # one download, not one per process
        data = load_dataset(data_cfg)
    if distributed.is_main():
        report_skipped(data)
    if args.freeze_preset and snapshot is None:
        frozen = resolve_preset(args.freeze_preset, model_cfg, data)
        model_cfg = replace(model_cfg, frozen=tuple(dict.fromkeys(model_cfg.frozen + frozen)))
    if not distributed.is_main():
        return train_quietly(data_cfg, model_cfg, train_cfg, data, snapshot)
    out = Path(args.resume or args.out or new_run_dir(runs_root(), data_cfg.dataset, model_cfg.arch))
    bar = JsonEvents() if args.events == "jsonl" else TerminalProgress()
    events, tensorboard = with_tensorboard(out, bar.on_event)  # scalars beside the run, if installed
    stop = threading.Event()
    folder = RunFolder(out)
    with stop_on_signals(stop) as signals:
        result = run(data_cfg, model_cfg, train_cfg, events, stop, data, folder=folder, resume=snapshot)
    bar.close()
    tensorboard.close()
    if folder.write_error:
        warning = _("could not save epochs in {out}: {error}").format(out=out, error=folder.write_error)
        print(_("warning: {warning}").format(warning=warning), file=sys.stderr)
    if not result.history:
        raise CliError(result.error or _("the run ended before an epoch finished: nothing to save"))
    save_run(out, result, args.save)
    if signals:
        print(stopped_message(signals[0], out, result, resumable=not train_cfg.kfold), file=sys.stderr)
        return 128 + signals[0]
    if result.error:
        # The last good epoch's model and files are kept, and the run still counts as failed.
        raise CliError(_("{error} (kept in {out})").format(error=result.error, out=out))
    if result.test is None:
        raise CliError(_("no test accuracy: the run ended before an epoch finished"))
    if args.events == "jsonl":
        bar.on_event({"event": "saved", "run_dir": str(out), "test_accuracy": result.test["accuracy"]})
    print(_("saved {path}").format(path=out / "model.pt"))
    print(f"test_accuracy={result.test['accuracy']:.4f}")
    if result.folds:
        kf = result.meta["kfold"]
        print(f"kfold_val_accuracy_mean={kf['val_acc_mean']:.4f} std={kf['val_acc_std']:.4f}")
    return 0


def train_quietly(
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    data: ImageData,
    snapshot: dict[str, Any] | None,
) -> int:
    """A rank other than 0: trains its shard in step with the others; prints and writes nothing."""
    stop = threading.Event()
    with stop_on_signals(stop) as signals:
        result = run(data_cfg, model_cfg, train_cfg, None, stop, data, resume=snapshot)
    if signals:
        return 128 + signals[0]
    return EXIT_ERROR if result.error or not result.history else 0


def report_skipped(data: ImageData) -> None:
    """Name the first few files of an image folder that could not be read, and count them all;
    then the data's warnings (class folders left out, heavy imbalance)."""
    for path, reason in data.skipped[:5]:
        print(_("skipped {path}: {reason}").format(path=path, reason=reason), file=sys.stderr)
    if data.skipped:
        n = len(data.skipped)
        print(_("skipped {n} file(s) that are not usable images").format(n=n), file=sys.stderr)
    for warning in [*data.warnings, imbalance_warning(data)]:
        if warning:
            print(_("warning: {warning}").format(warning=warning), file=sys.stderr)


def resolve_preset(preset: str, model_cfg: ModelConfig, data: ImageData) -> tuple[str, ...]:
    """Turn 'features', 'all' or 'last:N' into dotted names for this model and data."""
    name, _colon, n = preset.partition(":")
    if name not in ("features", "last", "all") or (name == "last" and not n.isdigit()):
        raise CliError(
            _("--freeze-preset must be 'features', 'all' or 'last:N', not {preset!r}").format(preset=preset)
        )
    model = build_model(model_cfg.arch, model_spec(data, model_cfg), len(data.classes))
    return freeze_preset(model, model_cfg.arch, "last_n" if name == "last" else name, int(n or 1))


# --- evaluate ---------------------------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Test a checkpoint on its dataset's held-out test part (or on ``--dataset``), print metrics."""
    loaded = load_checkpoint(args.checkpoint)
    data_cfg = evaluation.data_config_for(
        loaded.meta, args.dataset, args.data_dir, loader=args.loader, cache=not args.no_cache
    )
    data = load_dataset(data_cfg)
    device = resolve_device(args.device)
    bar = TerminalProgress(label=_("evaluating"))
    result = evaluation.evaluate_model(
        loaded.model,
        loaded.meta,
        data,
        device=device,
        on_event=bar.on_event,
        name=Path(args.checkpoint).name,
        precision=precision.resolve(args.precision, device) if args.precision else None,
    )
    bar.close()
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
    print(_("report written to {path}").format(path=path))


def print_metrics(metrics: dict[str, Any]) -> None:
    """Per-class table, averages, confusion matrix and the most confused pairs, as plain text."""
    print(_("test images: {n}").format(n=metrics["n"]))
    name_w = max(8, *(len(c) for c in metrics["classes"]))
    print(f"{'class':<{name_w}}  precision  recall      f1  support")
    rows = [(row["class"], row) for row in metrics["per_class"]]
    rows += [(f"{avg} avg", row) for avg, row in metrics["averages"].items()]
    for label, row in rows:
        print(
            f"{label:<{name_w}}  {row['precision']:9.4f} {row['recall']:7.4f} {row['f1']:7.4f} "
            f"{row['support']:8d}"
        )
    print(_("confusion matrix (rows: true, columns: predicted):"))
    cm = np.array(metrics["confusion"])
    width = max(4, len(str(cm.max(initial=0))) + 1)
    print(" " * name_w + "".join(f"{c[: width - 1]:>{width}}" for c in metrics["classes"]))
    for c, row in zip(metrics["classes"], cm, strict=True):
        print(f"{c:<{name_w}}" + "".join(f"{v:>{width}}" for v in row))
    for pair in metrics["most_confused"]:
        print(_("confused: {true} -> {predicted}: {count}").format(**pair))


# --- predict, import-weights ------------------------------------------------------------------------


def cmd_predict(args: argparse.Namespace) -> int:
    """Print ``path<TAB>class<TAB>probability`` for the top classes of each image."""
    predictor = Predictor.from_checkpoint(args.checkpoint)
    failures = 0
    for path in track(args.images, len(args.images), _("predicting")):
        try:
            prediction = predictor.predict(path)
        except Exception as e:  # noqa: BLE001 - one bad image must not end the others
            message = user_message(e)
            if message is None:
                raise  # a bug: the boundary in main() logs it
            named = message if str(path) in message else f"{path}: {message}"
            print(f"error: {named}", file=sys.stderr)
            failures += 1
            continue
        for cls, prob in prediction.top[: args.top]:
            say(f"{path}\t{cls}\t{prob:.4f}")
    return EXIT_ERROR if failures else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a checkpoint as ONNX and say how closely onnxruntime matched PyTorch."""
    bar = TerminalProgress(label=_("exporting"))
    result = export_checkpoint(args.checkpoint, args.out, on_event=bar.on_event)
    bar.close()
    print(
        _(
            "wrote {path} (checked with onnxruntime on {checked} {checked_on}: "
            "max |difference in probability| {difference:.1e})"
        ).format(
            path=result.path,
            checked=result.checked,
            checked_on=result.checked_on,
            difference=result.max_difference,
        )
    )
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """One line per run folder: name, model, dataset, epochs, accuracies and the file to reopen."""
    runs, errors = list_runs(args.root or runs_root())
    for saved in runs:
        meta, history = saved.meta, saved.meta.get("history") or []
        val = history[-1].get("val_acc") if history else None
        test = (meta.get("test") or {}).get("accuracy")
        print(
            f"{saved.name}\t{meta.get('arch')}\t{meta.get('dataset')}\tepochs={len(history)}\t"
            f"val_acc={'' if val is None else f'{val:.4f}'}\ttest_acc={'' if test is None else f'{test:.4f}'}"
            f"\t{saved.checkpoint}"
        )
    for message in errors:
        print(_("warning: {warning}").format(warning=message), file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Copy a downloaded ImageNet weights file into the local torch cache."""
    started = time.perf_counter()
    path = import_weights(args.arch, args.file)
    seconds = time.perf_counter() - started
    print(
        _("imported {arch} ImageNet weights to {path} ({seconds:.1f}s)").format(
            arch=args.arch, path=path, seconds=seconds
        )
    )
    return 0


# --- export-notebook, lr-find -----------------------------------------------------------------------


def cmd_export_notebook(args: argparse.Namespace) -> int:
    """Write the notebook and/or script of plain PyTorch that redoes a run."""
    if not args.out and not args.script:
        raise CliError(_("say where to write: OUT.ipynb, --script OUT.py, or both"))
    source = export_run(args.run, args.out, args.script)
    for path in filter(None, (args.out, args.script)):
        print(_("wrote {path} (from {source})").format(path=path, source=source))
    return 0


def cmd_lr_find(args: argparse.Namespace) -> int:
    """The learning-rate range test for a run's settings; prints the curve's points and the suggestion."""
    data_cfg, model_cfg, train_cfg = configs_from_args(args)
    data = load_dataset(data_cfg)
    if args.freeze_preset:
        frozen = resolve_preset(args.freeze_preset, model_cfg, data)
        model_cfg = replace(model_cfg, frozen=tuple(dict.fromkeys(model_cfg.frozen + frozen)))
    result = lr_find(
        data_cfg,
        model_cfg,
        train_cfg,
        data,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        max_batches=args.max_batches,
    )
    for lr, loss in zip(result.lrs[::10], result.losses[::10], strict=True):
        print(f"lr={lr:.3g}  loss={loss:.4f}")
    if result.suggestion is None:
        raise CliError(_("the loss never fell over the range: try a larger --end-lr or more --max-batches"))
    print(f"suggested_lr={result.suggestion:.3g}")
    return 0


if __name__ == "__main__":  # `python -m engine.cli train ...`: what --devices hands to torchrun
    sys.exit(main())
