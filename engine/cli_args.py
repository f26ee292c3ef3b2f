"""The command line's arguments: one parser, with choices read from the registries."""

from __future__ import annotations

import argparse

from engine.config import DEVICES, OPTIMIZERS, SCHEDULES, DataConfig, ModelConfig, TrainConfig
from engine.data import registry as datasets
from engine.models import registry as architectures
from engine.precision import PRECISIONS

PRECISION_HELP = (
    "auto (default): bfloat16 mixed precision on CPUs with native bfloat16 (AVX-512 BF16/AMX), "
    "float16 with gradient scaling on CUDA, float32 elsewhere; fp32 turns it off"
)


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``taller COMMAND ...`` (or ``python main.py``); choices come from the registries."""
    parser = argparse.ArgumentParser(
        prog="taller",
        description=(
            "Taller: train image classifiers end to end. With no command, opens the window. "
            "`python main.py COMMAND ...` does the same as `taller COMMAND ...`."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_parser(sub)
    ev = sub.add_parser("evaluate", help="test a saved model: accuracy, per-class metrics, confusion matrix")
    ev.add_argument("checkpoint")
    ev.add_argument("--dataset", help="dataset to test on (default: the one the model was trained on)")
    ev.add_argument("--data-dir", help="folder holding downloaded datasets")
    ev.add_argument("--device", choices=DEVICES, default="auto")
    ev.add_argument("--precision", choices=PRECISIONS, help="default: the precision the model was trained in")
    ev.add_argument("--report", metavar="DIR", help="also write an HTML report with plots and metrics files")
    pr = sub.add_parser("predict", help="classify image files with a saved model")
    pr.add_argument("checkpoint")
    pr.add_argument("images", nargs="+", metavar="IMAGE")
    pr.add_argument("--top", type=positive_int, default=1, help="print the top K classes per image")
    xp = sub.add_parser(
        "export", help="write a saved model as ONNX (dynamic batch), checked at once with onnxruntime"
    )
    xp.add_argument("checkpoint")
    xp.add_argument("out", metavar="OUT.onnx")
    rl = sub.add_parser("runs", help="list the run folders under the runs folder (what the Runs tab shows)")
    rl.add_argument("--root", help="the runs folder (default: $TALLER_RUNS_DIR or ./runs)")
    add_code_parsers(sub)
    iw = sub.add_parser("import-weights", help="copy ImageNet weights you have into the local torch cache")
    iw.add_argument("arch", choices=architectures.pretrainable())
    iw.add_argument("file")
    return parser


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """The ``train`` command: data, model, freezing, fine-tuning, optimisation and output options."""
    add_run_options(sub.add_parser("train", help="train a model and save it with its history and metrics"))


def add_run_options(tr: argparse.ArgumentParser) -> None:
    """The options of a run (``train``; ``lr-find`` takes the same, to test the same run)."""
    tr.add_argument("--dataset", default="digits", help=datasets.usage())
    tr.add_argument("--data-dir", default="data", help="folder holding downloaded datasets (default ./data)")
    tr.add_argument("--download", action="store_true", help="download the dataset if it is missing")
    tr.add_argument("--image-size", type=int, help="resize image-folder pictures to this size")
    tr.add_argument("--model", default="cnn", choices=architectures.keys())
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
    tr.add_argument("--precision", choices=PRECISIONS, default="auto", help=PRECISION_HELP)
    tr.add_argument("--augment", action="store_true", help="random shifts/rotations (and flips for photos)")
    tr.add_argument("--kfold", type=int, default=0, metavar="K", help="K-Fold cross-validation (2..10)")
    tr.add_argument(
        "--out", help="run folder (default: a new runs/<dataset>-<model>-<N>; an existing one is replaced)"
    )
    tr.add_argument(
        "--resume", metavar="RUN_DIR", help="continue a stopped run at its next epoch (its own settings)"
    )
    tr.add_argument("--save", metavar="PATH", help="also write the checkpoint to PATH (e.g. models/mine.pt)")


def configs_from_args(args: argparse.Namespace) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The three configurations of ``train``'s arguments (they validate themselves)."""
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
        precision=args.precision,
        unfreeze_after=args.unfreeze_after,
        unfreeze=tuple(args.unfreeze),
        finetune_lr_factor=args.finetune_lr_factor,
        backbone_lr_factor=args.backbone_lr_factor,
        kfold=args.kfold,
    )
    return data_cfg, model_cfg, train_cfg


def add_code_parsers(sub: argparse._SubParsersAction) -> None:
    """``export-notebook`` (a run as a notebook and script) and ``lr-find`` (the range test)."""
    ex = sub.add_parser(
        "export-notebook",
        help="write a Jupyter notebook (and/or a script) of plain PyTorch that redoes a run",
    )
    ex.add_argument("run", help="a checkpoint file or a run folder")
    ex.add_argument("out", nargs="?", metavar="OUT.ipynb", help="the notebook to write")
    ex.add_argument("--script", metavar="OUT.py", help="also write the code as a Python script")
    lf = sub.add_parser(
        "lr-find", help="learning-rate range test: prints suggested_lr=... for a run's settings"
    )
    add_run_options(lf)
    lf.add_argument("--start-lr", type=float, default=1e-7, help="smallest rate tried (default 1e-7)")
    lf.add_argument("--end-lr", type=float, default=10.0, help="largest rate tried (default 10)")
    lf.add_argument("--max-batches", type=positive_int, default=100, help="batches at most (default 100)")
