"""The code of a run: its checkpoint metadata turned into plain PyTorch, in the percent format.

One Jinja2 template (``templates/run.py.j2``) holds the code; cells start at ``# %%`` lines and
markdown cells at ``# %% [markdown]`` (the format Jupytext, VS Code and Spyder read), so the same
text is both the script and, split at those lines, the notebook. The generated code mirrors the
engine step by step and in the same order of random draws (``engine.train.loop``), which is what
makes a rerun on the CPU give the run's numbers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import torch

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data import registry as datasets
from engine.errors import ExportError
from engine.freezing import expand_names
from engine.i18n import _
from engine.models import registry as architectures
from engine.names import display_name, display_names
from engine.precision import saved_layout

TEMPLATES = Path(__file__).resolve().parent / "templates"
_IDX_CLASSES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
_SCHEDULES = {
    "none": "constant",
    "step": "the rate divided by 10 three times over the run (StepLR)",
    "cosine": "cosine annealing to zero over the run, stepped every batch",
    "onecycle": "one cycle (OneCycleLR): warm-up to the rate, then annealing, stepped every batch",
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - the output is Python source, not HTML
    )


def data_context(meta: dict[str, Any]) -> dict[str, Any]:
    """How the generated code loads the run's data; generated datasets cannot be rebuilt outside Taller."""
    data_cfg = meta.get("data_config") or {}
    key = data_cfg.get("dataset") or meta.get("dataset", "")
    data_dir = str(Path(data_cfg.get("data_dir", "data")).expanduser().resolve())
    if key == "digits":
        return {"kind": "digits"}
    if key in _IDX_CLASSES:
        return {"kind": "idx", "tv_class": _IDX_CLASSES[key], "data_dir": data_dir}
    if key == "cifar10":
        return {"kind": "cifar10", "data_dir": data_dir}
    folder = datasets.folder_path(key)
    if folder is not None:
        if meta.get("preparation") == "digit":
            raise ExportError(
                _(
                    "this run trained on digits drawn in Taller's canvas, which are framed by Taller's "
                    "own code: exporting it as plain code is not supported"
                )
            )
        path = folder.expanduser().resolve()
        folders = _class_folders(path, list(meta["classes"]))
        return {"kind": "folder", "path": str(path), "shown": display_name(path), "folders": folders}
    raise ExportError(
        _(
            "the run trained on {key!r}, which Taller generates itself: it cannot be rebuilt in "
            "plain code (export a run on digits, MNIST, Fashion-MNIST, CIFAR-10 or an image "
            "folder)"
        ).format(key=datasets.dataset_label(key))
    )


def _weights_url(arch: str) -> str | None:
    """The first of the architecture's weight files that is in the local torch cache (else the first)."""
    urls = architectures.architecture(arch).weights
    cache_dir = Path(torch.hub.get_dir()) / "checkpoints"
    present = [u for u in urls if (cache_dir / u.rsplit("/", 1)[-1]).is_file()]
    return (present or list(urls) or [None])[0]


def model_context(meta: dict[str, Any]) -> dict[str, Any]:
    """The constructor and the input adaptations of ``engine.models.adapt`` for the run's model."""
    arch = meta["arch"]
    entry = architectures.architecture(arch)
    model_cfg = meta.get("model_config") or {}
    ctx: dict[str, Any] = {
        "kind": arch if entry.rules is None else "torchvision",
        "heads": list(entry.heads),
        "init_checkpoint": model_cfg.get("init_checkpoint"),
    }
    if entry.rules is None:
        return ctx
    rules = entry.rules
    side = min(meta["spec"]["height"], meta["spec"]["width"])
    small = side < architectures.SMALL_IMAGE
    compact = rules.compact is not None and side <= architectures.COMPACT_IMAGE
    ctx.update(
        constructor=entry.constructor.partition(":")[2],
        first_conv=rules.first_conv,
        trim_pools=rules.trim_pools,
        unstride=list(rules.unstride) if small else [],
        remove=list(rules.remove) if small else [],
        compact=list(rules.compact) if compact else None,
        batchnorm=None if model_cfg.get("pretrained") else rules.batchnorm,
        weights_url=_weights_url(arch) if model_cfg.get("pretrained") else None,
    )
    return ctx


def precision_context(meta: dict[str, Any]) -> dict[str, Any]:
    """The autocast dtype and layout the run computed in (``engine.precision``; older runs: float32)."""
    name = meta.get("precision", "fp32")
    dtype = {"bf16": "bfloat16", "fp16": "float16"}.get(name)
    words = {"bfloat16": "bfloat16 mixed precision", "float16": "float16 mixed precision"}.get(dtype, "")
    return {"dtype": dtype, "channels_last": saved_layout(meta), "words": words}


def _class_folders(root: Path, classes: list[str]) -> list[str] | None:
    """The real names of the class folders where some are not UTF-8 (the run's classes show them
    with U+FFFD, ``engine.names``); None when each class is named as its folder."""
    part = root / "train" if (root / "train").is_dir() else root
    try:
        names = sorted(d.name for d in part.iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError:
        return None  # the folder is not on this machine: the code names it and fails there, saying so
    real = dict(zip(display_names(names), names, strict=True))
    folders = [real.get(c, c) for c in classes]
    return folders if folders != classes else None


def context(meta: dict[str, Any]) -> dict[str, Any]:
    """Everything the template needs, read from a checkpoint's metadata."""
    for key in ("data_config", "model_config", "train_config"):
        if not meta.get(key):
            raise ExportError(
                _("the checkpoint has no {part}: it was not saved by a run").format(
                    part=key.replace("_", " ")
                )
            )
    # Through the dataclasses: keys an older checkpoint lacks get today's defaults.
    data_cfg = DataConfig.from_dict(meta["data_config"]).to_dict()
    model_cfg = ModelConfig.from_dict(meta["model_config"]).to_dict()
    train_cfg = TrainConfig.from_dict(meta["train_config"]).to_dict()
    spec = dict(meta["spec"])
    spec["mean"], spec["std"] = tuple(spec["mean"]), tuple(spec["std"])
    test = meta.get("test") or {}
    train = dict(train_cfg)
    train["unfreeze"] = list(expand_names(train.get("unfreeze") or []))
    return {
        "arch_label": architectures.label(meta["arch"]),
        "dataset_label": display_name(datasets.dataset_label(meta.get("dataset", ""))),
        "created": meta.get("created", "an earlier day"),
        "expected": test.get("accuracy"),
        "stopped_after": len(meta.get("history") or []) if meta.get("stopped") else None,
        "seed": int(data_cfg["seed"]),
        "classes": list(meta["classes"]),
        "data": data_context(meta),
        "val_split": float(data_cfg.get("val_split", 0.2)),
        "augment": bool(data_cfg.get("augment")),
        # Flips are valid for photos and clothes, never for digits (engine.data: flip_ok).
        "flip": meta.get("preparation") != "digit" and meta.get("dataset") != "mnist",
        "spec": spec,
        "pretrained": bool(model_cfg.get("pretrained")),
        "model": model_context(meta),
        "frozen": list(expand_names(model_cfg.get("frozen") or [])),
        "freeze_bn_stats": bool(model_cfg.get("freeze_bn_stats", True)),
        "train": train,
        "precision": precision_context(meta),
        "schedule_text": _SCHEDULES.get(train.get("schedule", "none"), train.get("schedule", "none")),
    }


def run_source(meta: dict[str, Any]) -> str:
    """The run as a percent-format Python script (markdown cells as ``# `` comment blocks)."""
    return _environment().get_template("run.py.j2").render(**context(meta))
