"""Taller's command line: train, evaluate, predict and import-weights run the window's engine.

Every error a user can cause ends with a message on stderr and a non-zero exit, never a traceback:
1 for data, model and checkpoint problems, 2 for bad arguments (argparse's convention), 130 when
interrupted with Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.config import ARCHITECTURES, DATASETS, DEVICES, OPTIMIZERS, SCHEDULES
from engine.errors import CliError, TallerError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Taller: train image classifiers end to end. With no command, opens the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_parser(sub)
    ev = sub.add_parser("evaluate", help="test a saved model: accuracy, per-class metrics, confusion matrix")
    ev.add_argument("checkpoint")
    ev.add_argument("--dataset", help="dataset to test on (default: the one the model was trained on)")
    ev.add_argument("--data-dir", help="folder holding downloaded datasets")
    ev.add_argument("--device", choices=DEVICES, default="auto")
    ev.add_argument("--report", metavar="DIR", help="also write an HTML report with plots and metrics files")
    pr = sub.add_parser("predict", help="classify image files with a saved model")
    pr.add_argument("checkpoint")
    pr.add_argument("images", nargs="+", metavar="IMAGE")
    pr.add_argument("--top", type=positive_int, default=1, help="print the top K classes per image")
    iw = sub.add_parser("import-weights", help="copy ImageNet weights you have into the local torch cache")
    iw.add_argument("arch", choices=[a for a in ARCHITECTURES if a not in ("mlp", "cnn")])
    iw.add_argument("file")
    return parser


def add_train_parser(sub) -> None:
    tr = sub.add_parser("train", help="train a model and save it with its history and metrics")
    tr.add_argument("--dataset", default="digits", help=f"{', '.join(DATASETS)} or folder:PATH")
    tr.add_argument("--data-dir", default="data", help="folder holding downloaded datasets (default ./data)")
    tr.add_argument("--download", action="store_true", help="download the dataset if it is missing")
    tr.add_argument("--image-size", type=int, help="resize image-folder pictures to this size")
    tr.add_argument("--model", default="cnn", choices=ARCHITECTURES)
    tr.add_argument(
        "--pretrained", action="store_true", help="start from ImageNet weights in the torch cache"
    )
    tr.add_argument("--init", metavar="CHECKPOINT", help="start from a model trained earlier in Taller")
    tr.add_argument("--freeze", nargs="+", default=[], metavar="NAME", help="dotted module names to freeze")
    tr.add_argument(
        "--freeze-preset", help="'features' (train only the new head) or 'last:N' (last N blocks)"
    )
    tr.add_argument(
        "--train-bn", action="store_true", help="let BatchNorm statistics of frozen layers update"
    )
    tr.add_argument(
        "--unfreeze-after", type=positive_int, help="unfreeze after N epochs (two-phase fine-tuning)"
    )
    tr.add_argument(
        "--unfreeze", nargs="+", default=[], metavar="NAME", help="what to unfreeze (default all)"
    )
    tr.add_argument("--finetune-lr-factor", type=float, default=0.1)
    tr.add_argument("--backbone-lr-factor", type=float, default=1.0)
    tr.add_argument("--epochs", type=positive_int, default=5)
    tr.add_argument("--batch-size", type=positive_int, default=64)
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--weight-decay", type=float, default=0.0)
    tr.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    tr.add_argument("--schedule", choices=SCHEDULES, default="none")
    tr.add_argument("--val-split", type=float, default=0.2)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--device", choices=DEVICES, default="auto")
    tr.add_argument("--augment", action="store_true", help="random shifts/rotations (and flips for photos)")
    tr.add_argument("--kfold", type=int, default=0, metavar="K", help="K-Fold cross-validation (2..10)")
    tr.add_argument("--out", default="runs/latest", help="folder for model.pt, history.json, metrics.json")
    tr.add_argument("--save", metavar="PATH", help="also write the checkpoint to PATH (e.g. models/mine.pt)")


def main(argv: list[str] | None = None) -> int:
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


def configs_from_args(args) -> tuple[Any, Any, Any]:
    from engine.config import DataConfig, ModelConfig, TrainConfig

    data_cfg = DataConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        val_split=args.val_split,
        seed=args.seed,
        augment=args.augment,
        image_size=args.image_size,
        download=args.download,
    )
    model_cfg = ModelConfig(
        arch=args.model,
        pretrained=args.pretrained,
        init_checkpoint=args.init,
        frozen=tuple(args.freeze),
        freeze_bn_stats=not args.train_bn,
    )
    train_cfg = TrainConfig(
        optimizer=args.optimizer,
        lr=args.lr,
        weight_decay=args.weight_decay,
        epochs=args.epochs,
        batch_size=args.batch_size,
        schedule=args.schedule,
        seed=args.seed,
        device=args.device,
        unfreeze_after=args.unfreeze_after,
        unfreeze=tuple(args.unfreeze),
        finetune_lr_factor=args.finetune_lr_factor,
        backbone_lr_factor=args.backbone_lr_factor,
        kfold=args.kfold,
    )
    return data_cfg, model_cfg, train_cfg


def resolve_preset(preset: str, model_cfg, data) -> tuple[str, ...]:
    """Turn 'features' or 'last:N' into dotted names for this model and data."""
    from engine.freezing import preset as freeze_preset
    from engine.models import build_model
    from engine.training import model_spec

    name, _, n = preset.partition(":")
    if name not in ("features", "last", "all") or (name == "last" and not n.isdigit()):
        raise CliError(f"--freeze-preset must be 'features', 'all' or 'last:N', not {preset!r}")
    model = build_model(model_cfg.arch, model_spec(data, model_cfg), len(data.classes))
    return freeze_preset(model, model_cfg.arch, "last_n" if name == "last" else name, int(n or 1))


def cmd_train(args) -> int:
    from dataclasses import replace

    from engine.checkpoints import save_checkpoint
    from engine.datasets import load_dataset
    from engine.training import run

    data_cfg, model_cfg, train_cfg = configs_from_args(args)
    out = Path(args.out)
    data = load_dataset(data_cfg)
    for path, reason in data.skipped[:5]:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    if data.skipped:
        print(f"skipped {len(data.skipped)} file(s) that are not usable images", file=sys.stderr)
    if args.freeze_preset:
        frozen = resolve_preset(args.freeze_preset, model_cfg, data)
        model_cfg = replace(model_cfg, frozen=tuple(dict.fromkeys(model_cfg.frozen + frozen)))
    bar = ProgressBar()
    stop = threading.Event()
    result = run(data_cfg, model_cfg, train_cfg, on_event=bar.on_event, stop=stop, data=data)
    bar.close()
    if not result.history:
        raise CliError(result.error or "the run ended before an epoch finished: nothing to save")
    save_checkpoint(out / "model.pt", result.model, result.meta)
    if args.save:
        save_checkpoint(args.save, result.model, result.meta)
    write_run_files(out, result)
    if result.error:
        # The last good epoch's model and files are kept, and the run still counts as failed.
        raise CliError(f"{result.error} (kept in {out})" if result.history else result.error)
    if result.test is None:
        raise CliError("no test accuracy: the run ended before an epoch finished")
    print(f"saved {out / 'model.pt'}")
    print(f"test_accuracy={result.test['accuracy']:.4f}")
    if result.folds:
        kf = result.meta["kfold"]
        print(f"kfold_val_accuracy_mean={kf['val_acc_mean']:.4f} std={kf['val_acc_std']:.4f}")
    return 0


def write_run_files(out: Path, result) -> None:
    """history.json, metrics.json and metrics.npz beside the checkpoint, each written atomically."""
    from engine.checkpoints import atomic_write, plain

    history = [{k: v for k, v in h.items() if k != "event"} for h in result.history]
    write_json(out / "history.json", history)
    metrics = {"test": result.test, "seconds": result.seconds, "stopped": result.stopped}
    if result.folds:
        metrics["kfold"] = result.meta["kfold"]
    write_json(out / "metrics.json", plain(metrics))
    arrays = {key: np.array([h[key] for h in history], dtype=np.float64) for key in HISTORY_KEYS}
    if result.test is not None:
        arrays["confusion_matrix"] = np.array(result.test["confusion"], dtype=np.int64)
        arrays["test_accuracy"] = np.array(result.test["accuracy"])
    if result.test_probabilities is not None and result.splits is not None:
        arrays["test_labels"] = result.splits.test.labels.numpy()
        arrays["test_probabilities"] = result.test_probabilities
    atomic_write(out / "metrics.npz", lambda tmp: save_npz(tmp, arrays))


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # A file object, not a path: np.savez would append ".npz" to the temporary name.
    with open(path, "wb") as f:
        np.savez(f, **arrays)


HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


def write_json(path: Path, value: Any) -> None:
    from engine.checkpoints import atomic_write

    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(value, indent=2, allow_nan=True)))


class ProgressBar:
    """A one-line progress bar on stderr (only on a terminal) and one stdout line per epoch."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream = stream
        self.width = width
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.drawn = False

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "progress" and self.live:
            self.draw(event)
        elif kind == "epoch_end":
            self.clear()
            fold = f"fold {event['fold']} " if event.get("fold") else ""
            print(
                f"{fold}epoch {event['epoch']}/{event['epochs']}  train_loss={event['train_loss']:.4f} "
                f"train_acc={event['train_acc']:.4f}  val_loss={event['val_loss']:.4f} "
                f"val_acc={event['val_acc']:.4f}  lr={event['lr']:.2g}  ({event['seconds']:.1f}s)",
                flush=True,
            )
        elif kind == "phase":
            self.clear()
            print(f"phase 2 from epoch {event['epoch']}: unfrozen, lr={event['lr']:.2g}", flush=True)
        elif kind == "fold_end":
            self.clear()
            print(f"fold {event['fold']}/{event['folds']}  val_acc={event['val_acc']:.4f}", flush=True)
        elif kind == "status":
            self.clear()
            print(event["message"], file=self.stream, flush=True)

    def draw(self, e: dict[str, Any]) -> None:
        done = int(self.width * e["batch"] / max(1, e["batches"]))
        fold = f"fold {e['fold']} " if e.get("fold") else ""
        self.stream.write(
            f"\r{fold}epoch {e['epoch']}/{e['epochs']} [{'#' * done}{'.' * (self.width - done)}] "
            f"{e['batch']}/{e['batches']}  {format_seconds(e['eta'])} left "
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


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


# --- evaluate ---------------------------------------------------------------------------------------


def cmd_evaluate(args) -> int:
    from engine import evaluation
    from engine.checkpoints import check_compatible, load_checkpoint
    from engine.config import DataConfig
    from engine.datasets import load_dataset, split_dataset
    from engine.training import resolve_device

    loaded = load_checkpoint(args.checkpoint)
    meta = loaded.meta
    saved = dict(meta.get("data_config") or {})
    saved.update(dataset=args.dataset or meta.get("dataset", "digits"), download=False, augment=False)
    if args.data_dir:
        saved["data_dir"] = args.data_dir
    data_cfg = DataConfig.from_dict(saved)
    data = load_dataset(data_cfg)
    check_compatible(meta, classes=data.classes, spec=data.spec, name=Path(args.checkpoint).name)
    # The same seed and split as in training, so a held-out test part is the one the model never saw.
    splits = split_dataset(data, data_cfg.val_split, data_cfg.seed)
    device = resolve_device(args.device)
    loaded.model.to(device)
    metrics, probs = evaluation.evaluate(
        loaded.model, splits.test.images, splits.test.labels, loaded.spec, data.classes, device=device
    )
    print_metrics(metrics)
    if args.report:
        write_report(args.report, loaded, data_cfg, splits, metrics, probs)
    print(f"test_accuracy={metrics['accuracy']:.4f}")
    return 0


def write_report(folder: str, loaded, data_cfg, splits, metrics, probs) -> None:
    from engine.report import write_report as write

    trained_on = loaded.meta.get("dataset")
    path = write(
        Path(folder),
        meta=loaded.meta,
        metrics=metrics,
        probabilities=probs,
        labels=splits.test.labels,
        images=splits.test.images,
        evaluated_on=data_cfg.dataset if data_cfg.dataset != trained_on else None,
    )
    print(f"report written to {path}")


def print_metrics(metrics: dict[str, Any]) -> None:
    print(f"test images: {metrics['n']}")
    name_w = max(8, *(len(c) for c in metrics["classes"]))
    print(f"{'class':<{name_w}}  precision  recall      f1  support")
    for row in metrics["per_class"]:
        print(
            f"{row['class']:<{name_w}}  {row['precision']:9.4f} {row['recall']:7.4f} {row['f1']:7.4f} "
            f"{row['support']:8d}"
        )
    for avg, row in metrics["averages"].items():
        label = f"{avg} avg"
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


def cmd_predict(args) -> int:
    from engine.inference import InferenceError, Predictor, load_image

    predictor = Predictor.from_checkpoint(args.checkpoint)
    failures = 0
    for path in args.images:
        try:
            prediction = predictor.predict(load_image(path))
        except InferenceError as e:
            print(f"error: {e}", file=sys.stderr)
            failures += 1
            continue
        for cls, prob in prediction.top[: args.top]:
            print(f"{path}\t{cls}\t{prob:.4f}")
    return EXIT_ERROR if failures else 0


def cmd_import(args) -> int:
    from engine.models import import_weights

    started = time.perf_counter()
    path = import_weights(args.arch, args.file)
    print(f"imported {args.arch} ImageNet weights to {path} ({time.perf_counter() - started:.1f}s)")
    return 0
