"""The command line's arguments: one parser, with choices read from the registries."""

from __future__ import annotations

import argparse

from engine.config import DEVICES, LOADERS, OPTIMIZERS, SCHEDULES, DataConfig, ModelConfig, TrainConfig
from engine.data import registry as datasets
from engine.i18n import N_, _, gettext, translate_argparse
from engine.models import registry as architectures
from engine.precision import PRECISIONS

EVENT_FORMATS = ("text", "jsonl")
PRECISION_HELP = N_(
    "auto (default): bfloat16 mixed precision on CPUs with native bfloat16 (AVX-512 BF16/AMX), "
    "float32 in channels-last layout on other x86 CPUs, float16 with gradient scaling on CUDA, "
    "float32 elsewhere; fp32 turns it off (plain float32, NCHW layout)"
)


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(_("must be at least 1, not {value}").format(value=value))
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``taller COMMAND ...`` (or ``python main.py``); choices come from the registries."""
    translate_argparse()  # argparse's own words (usage:, options:) in the user's language
    parser = argparse.ArgumentParser(
        prog="taller",
        description=(
            _(
                "Taller: train image classifiers end to end. With no command, opens the window. "
                "`python main.py COMMAND ...` does the same as `taller COMMAND ...`."
            )
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_parser(sub)
    ev = sub.add_parser(
        "evaluate", help=_("test a saved model: accuracy, per-class metrics, confusion matrix")
    )
    ev.add_argument("checkpoint", help=_("a saved model (.pt)"))
    ev.add_argument("--dataset", help=_("dataset to test on (default: the one the model was trained on)"))
    ev.add_argument("--data-dir", help=_("folder holding downloaded datasets"))
    add_loader_options(ev)
    ev.add_argument(
        "--device",
        choices=DEVICES,
        default=TrainConfig.device,
        help=_("where to compute (default %(default)s: a GPU if any)"),
    )
    ev.add_argument(
        "--precision", choices=PRECISIONS, help=_("default: the precision the model was trained in")
    )
    ev.add_argument(
        "--report", metavar="DIR", help=_("also write an HTML report with plots and metrics files")
    )
    pr = sub.add_parser("predict", help=_("classify image files with a saved model"))
    pr.add_argument("checkpoint", help=_("a saved model (.pt)"))
    pr.add_argument("images", nargs="+", metavar="IMAGE", help=_("image files to classify"))
    pr.add_argument("--top", type=positive_int, default=1, help=_("print the top K classes per image"))
    xp = sub.add_parser(
        "export", help=_("write a saved model as ONNX (dynamic batch), checked at once with onnxruntime")
    )
    xp.add_argument("checkpoint", help=_("a saved model (.pt)"))
    xp.add_argument("out", metavar="OUT.onnx", help=_("the ONNX file to write"))
    rl = sub.add_parser(
        "runs", help=_("list the run folders under the runs folder (what the Runs tab shows)")
    )
    rl.add_argument("--root", help=_("the runs folder (default: $TALLER_RUNS_DIR or ./runs)"))
    add_code_parsers(sub)
    iw = sub.add_parser("import-weights", help=_("copy ImageNet weights you have into the local torch cache"))
    iw.add_argument(
        "arch", choices=architectures.pretrainable(), help=_("the architecture the weights are for")
    )
    iw.add_argument("file", help=_("the .pth file from torchvision's download address"))
    return parser


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """The ``train`` command: data, model, freezing, fine-tuning, optimisation and output options."""
    tr = sub.add_parser("train", help=_("train a model and save it with its history and metrics"))
    add_run_options(tr)
    add_process_options(tr)


def add_process_options(tr: argparse.ArgumentParser) -> None:
    """``--devices`` (several processes through torchrun) and ``--events`` (lines for the window)."""
    tr.add_argument(
        "--devices",
        type=positive_int,
        metavar="N",
        help=(
            _(
                "train on N processes of this machine (one per GPU on CUDA; N CPU processes otherwise) "
                "with PyTorch DDP, started through torchrun; --batch-size stays the global batch"
            )
        ),
    )
    tr.add_argument(
        "--events",
        choices=EVENT_FORMATS,
        default="text",
        help=_("jsonl: print every training event as one JSON object per line on stdout (for programs)"),
    )


def add_run_options(tr: argparse.ArgumentParser) -> None:
    """The options of a run (``train``; ``lr-find`` takes the same, to test the same run)."""
    tr.add_argument(
        "--dataset",
        default=DataConfig.dataset,
        help=_("the data: {choices}").format(choices=datasets.usage()),
    )
    tr.add_argument(
        "--data-dir",
        default=DataConfig.data_dir,
        help=_("folder holding downloaded datasets (default %(default)s)"),
    )
    tr.add_argument("--download", action="store_true", help=_("download the dataset if it is missing"))
    tr.add_argument(
        "--image-size",
        type=int,
        help=_(
            "resize image-folder pictures to this size (8-512; default: their common size up to 64 px, "
            "or with --pretrained the weights' own preprocessing, e.g. shorter side 256, centre crop 224)"
        ),
    )
    add_loader_options(tr)
    tr.add_argument(
        "--model",
        default=ModelConfig.arch,
        choices=architectures.keys(),
        help=_("the architecture (default %(default)s)"),
    )
    tr.add_argument(
        "--pretrained", action="store_true", help=_("start from ImageNet weights in the torch cache")
    )
    tr.add_argument("--init", metavar="CHECKPOINT", help=_("start from a model trained earlier in Taller"))
    tr.add_argument(
        "--freeze", nargs="+", default=[], metavar="NAME", help=_("dotted module names to freeze")
    )
    tr.add_argument(
        "--freeze-preset", help=_("'features' (train only the new head) or 'last:N' (last N blocks)")
    )
    tr.add_argument(
        "--train-bn", action="store_true", help=_("let BatchNorm statistics of frozen layers update")
    )
    tr.add_argument(
        "--unfreeze-after", type=positive_int, help=_("unfreeze after N epochs (two-phase fine-tuning)")
    )
    tr.add_argument(
        "--unfreeze", nargs="+", default=[], metavar="NAME", help=_("what to unfreeze (default all)")
    )
    tr.add_argument(
        "--finetune-lr-factor",
        type=float,
        default=TrainConfig.finetune_lr_factor,
        help=_("learning rate of the second fine-tuning phase, as a factor of --lr (default %(default)s)"),
    )
    tr.add_argument(
        "--backbone-lr-factor",
        type=float,
        default=TrainConfig.backbone_lr_factor,
        help=_("learning rate of the pretrained backbone, as a factor of the head's (default %(default)s)"),
    )
    tr.add_argument(
        "--epochs",
        type=positive_int,
        default=TrainConfig.epochs,
        help=_("number of epochs: passes over the training data (default %(default)s)"),
    )
    tr.add_argument(
        "--batch-size",
        type=positive_int,
        default=TrainConfig.batch_size,
        help=(
            _(
                "images per optimizer step (default %(default)s); the GLOBAL batch: on N processes "
                "(--devices N or torchrun) each takes batch-size/N, so the steps and loss match one process"
            )
        ),
    )
    tr.add_argument("--lr", type=float, default=TrainConfig.lr, help=_("learning rate (default %(default)s)"))
    tr.add_argument(
        "--weight-decay",
        type=float,
        default=TrainConfig.weight_decay,
        help=_("weight decay, L2 regularisation (default %(default)s)"),
    )
    tr.add_argument(
        "--momentum", type=float, default=TrainConfig.momentum, help=_("SGD's momentum (default %(default)s)")
    )
    tr.add_argument(
        "--label-smoothing",
        type=float,
        default=TrainConfig.label_smoothing,
        help=_(
            "label smoothing: the share of each target spread over the other classes, 0-1 "
            "(default %(default)s)"
        ),
    )
    tr.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=TrainConfig.optimizer,
        help=_("the optimizer (default %(default)s)"),
    )
    tr.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=TrainConfig.schedule,
        help=_("learning-rate schedule over the epochs (default %(default)s)"),
    )
    tr.add_argument(
        "--val-split",
        type=float,
        default=DataConfig.val_split,
        help=_("share of the training data kept for validation (default %(default)s)"),
    )
    tr.add_argument(
        "--seed",
        type=int,
        default=TrainConfig.seed,
        help=_("random seed: the same seed, the same split and run (default %(default)s)"),
    )
    tr.add_argument(
        "--device",
        choices=DEVICES,
        default=TrainConfig.device,
        help=_("where to compute (default %(default)s: a GPU if any)"),
    )
    tr.add_argument(
        "--precision", choices=PRECISIONS, default=TrainConfig.precision, help=gettext(PRECISION_HELP)
    )
    tr.add_argument(
        "--augment", action="store_true", help=_("random shifts/rotations (and flips for photos)")
    )
    tr.add_argument("--kfold", type=int, default=0, metavar="K", help=_("K-Fold cross-validation (2..10)"))
    tr.add_argument(
        "--out", help=_("run folder (default: a new runs/<dataset>-<model>-<N>; an existing one is replaced)")
    )
    tr.add_argument(
        "--resume", metavar="RUN_DIR", help=_("continue a stopped run at its next epoch (its own settings)")
    )
    tr.add_argument(
        "--save", metavar="PATH", help=_("also write the checkpoint to PATH (e.g. models/mine.pt)")
    )


def add_loader_options(parser: argparse.ArgumentParser) -> None:
    """``--loader`` and ``--no-cache``: how an image folder is read (in memory or streamed)."""
    parser.add_argument(
        "--loader",
        choices=LOADERS,
        default=DataConfig.loader,
        help=_(
            "image folders: memory (decoded once, held in memory), stream (decoded from disk batch by "
            "batch in worker processes) or auto (default: memory when the pixels fit comfortably)"
        ),
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help=_("a streamed folder does not keep its decoded pictures in the decode cache on disk"),
    )


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
        loader=args.loader,
        cache=not args.no_cache,
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
        momentum=args.momentum,
        label_smoothing=args.label_smoothing,
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
        help=_("write a Jupyter notebook (and/or a script) of plain PyTorch that redoes a run"),
    )
    ex.add_argument("run", help=_("a checkpoint file or a run folder"))
    ex.add_argument("out", nargs="?", metavar="OUT.ipynb", help=_("the notebook to write"))
    ex.add_argument("--script", metavar="OUT.py", help=_("also write the code as a Python script"))
    lf = sub.add_parser(
        "lr-find", help=_("learning-rate range test: prints suggested_lr=... for a run's settings")
    )
    add_run_options(lf)
    lf.add_argument("--start-lr", type=float, default=1e-7, help=_("smallest rate tried (default 1e-7)"))
    lf.add_argument("--end-lr", type=float, default=10.0, help=_("largest rate tried (default 10)"))
    lf.add_argument("--max-batches", type=positive_int, default=100, help=_("batches at most (default 100)"))


# The options that say a configuration on the command line: (option, config, field, kind), where kind
# is "value", "flag" (present when True), "not" (present when False) or "list" (nargs="+").
COMMAND_OPTIONS = (
    ("--dataset", "data", "dataset", "value"),
    ("--data-dir", "data", "data_dir", "value"),
    ("--download", "data", "download", "flag"),
    ("--image-size", "data", "image_size", "value"),
    ("--loader", "data", "loader", "value"),
    ("--no-cache", "data", "cache", "not"),
    ("--val-split", "data", "val_split", "value"),
    ("--augment", "data", "augment", "flag"),
    ("--model", "model", "arch", "value"),
    ("--pretrained", "model", "pretrained", "flag"),
    ("--init", "model", "init_checkpoint", "value"),
    ("--freeze", "model", "frozen", "list"),
    ("--train-bn", "model", "freeze_bn_stats", "not"),
    ("--unfreeze-after", "train", "unfreeze_after", "value"),
    ("--unfreeze", "train", "unfreeze", "list"),
    ("--finetune-lr-factor", "train", "finetune_lr_factor", "value"),
    ("--backbone-lr-factor", "train", "backbone_lr_factor", "value"),
    ("--epochs", "train", "epochs", "value"),
    ("--batch-size", "train", "batch_size", "value"),
    ("--lr", "train", "lr", "value"),
    ("--weight-decay", "train", "weight_decay", "value"),
    ("--momentum", "train", "momentum", "value"),
    ("--label-smoothing", "train", "label_smoothing", "value"),
    ("--optimizer", "train", "optimizer", "value"),
    ("--schedule", "train", "schedule", "value"),
    ("--seed", "train", "seed", "value"),
    ("--device", "train", "device", "value"),
    ("--precision", "train", "precision", "value"),
    ("--kfold", "train", "kfold", "value"),
)
# Fields with no option of their own: a value other than the default cannot travel as a command.
UNSAID = {"data": ("resize",), "model": (), "train": ()}


def train_arguments(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig) -> list[str]:
    """The ``train`` arguments that rebuild these configurations: ``configs_from_args`` of their
    parse gives them back. Options at their default are left out.

    Raises
    ------
    ValueError
        A setting the command line cannot say (the data and training seeds differ, or a field with
        no option has a value other than its default).
    """
    configs = {"data": data_cfg, "model": model_cfg, "train": train_cfg}
    defaults = {"data": DataConfig(), "model": ModelConfig(), "train": TrainConfig()}
    if data_cfg.seed != train_cfg.seed:
        raise ValueError("the data and training seeds differ: the command line has one --seed")
    for kind, names in UNSAID.items():
        for name in names:
            if getattr(configs[kind], name) != getattr(defaults[kind], name):
                raise ValueError(f"{name} = {getattr(configs[kind], name)!r} has no command-line option")
    args = ["train"]
    for option, kind, name, form in COMMAND_OPTIONS:
        value = getattr(configs[kind], name)
        if value == getattr(defaults[kind], name):
            continue
        if form == "list":
            args += [option, *value]
        elif form in ("flag", "not"):
            args.append(option)
        else:
            args += [option, repr(value) if isinstance(value, float) else str(value)]
    return args
