"""Checkpoints: weights plus everything needed to use them again, in one file.

A checkpoint is a plain dict ``{"format", "version", "meta", "state_dict"}`` holding only tensors and
JSON-like values, so it loads with ``torch.load(weights_only=True)``: opening a file someone sent
cannot run code. The model is rebuilt from ``meta`` (architecture, input spec, classes) and the
state dict is loaded strictly, so a file that does not match says what differs.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import torch
import torchvision
from torch import nn

from engine.data.registry import folder_path
from engine.data.types import InputSpec
from engine.errors import CheckpointError, ConfigError, ModelError
from engine.files import atomic_file
from engine.freezing import apply_freeze
from engine.i18n import _
from engine.models.build import build_for_weights
from engine.unreadable import (
    DAMAGED,
    EMPTY,
    FOREIGN,
    archive_damaged,
    diagnose,
    differences_summary,
    weight_differences,
)

FORMAT = "taller-checkpoint"
VERSION = 1
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
REQUIRED_META = ("arch", "classes", "spec")


@dataclass
class LoadedCheckpoint:
    model: nn.Module
    meta: dict[str, Any]
    path: Path
    note: str = ""  # set when another checkpoint of the run stands in for a damaged one

    @property
    def spec(self) -> InputSpec:
        return InputSpec.from_dict(self.meta["spec"])

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])


def plain(value: Any) -> Any:
    """Convert tuples, numpy scalars/arrays and dataclass-like dicts to JSON-like Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    # Subclasses of builtins (torch's TorchVersion is a str) would need their class to unpickle,
    # which weights_only loading refuses.
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def library_versions() -> dict[str, str]:
    """Versions of the libraries that wrote a checkpoint, saved in its metadata."""
    return {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def atomic_write(path: Path, write) -> Path:
    """Call ``write(tmp_path)``, fsync, then move the file into place: a crash never leaves half a file.

    ``engine.files.atomic_file`` does it (and removes temporary files of an earlier write that was killed).
    """
    return atomic_file(path, write)


def checkpoint_payload(state_dict: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    """The one checkpoint dict: a CPU copy of ``state_dict`` and ``meta`` with the library versions.

    ``meta`` must hold at least ``arch``, ``classes`` and ``spec`` (an ``InputSpec`` dict). A run
    folder's ``last.pt`` is this dict plus a ``"training"`` entry (``engine.train.snapshot``).
    """
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise CheckpointError(_("metadata lacks {missing}").format(missing=", ".join(missing)))
    meta = plain({**meta, "versions": library_versions()})
    state = {k: v.detach().cpu().clone() for k, v in state_dict.items()}
    return {"format": FORMAT, "version": VERSION, "meta": meta, "state_dict": state}


def save_payload(path: str | Path, payload: dict[str, Any]) -> Path:
    """torch.save a checkpoint dict atomically."""
    return atomic_write(Path(path), lambda tmp: torch.save(payload, tmp))


def save_checkpoint(path: str | Path, model: nn.Module, meta: dict[str, Any]) -> Path:
    """Write ``model``'s weights and ``meta`` atomically to ``path`` (``checkpoint_payload``)."""
    return save_payload(path, checkpoint_payload(model.state_dict(), meta))


def read_payload(path: str | Path) -> dict[str, Any]:
    """Read and validate a checkpoint file without building the model."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(
            _("{path}: a folder, not a checkpoint file (a run's model is its model.pt)").format(path=path)
        )
    if not path.is_file():
        raise CheckpointError(_("{path}: no such file").format(path=path))
    if archive_damaged(path):  # torch.load would not notice changed bytes, only a missing end
        raise CheckpointError(unreadable_message(path, None))
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - arbitrary bytes make the unpickler raise almost anything
        raise CheckpointError(unreadable_message(path, e)) from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        if (
            isinstance(payload, dict)
            and payload
            and all(isinstance(v, torch.Tensor) for v in payload.values())
        ):
            raise CheckpointError(
                _(
                    "{name} holds bare weights (a state dict), not a Taller checkpoint: it has no "
                    "classes or input size. For ImageNet weights use `python main.py import-weights ARCH "
                    "FILE`."
                ).format(name=path.name)
            )
        raise CheckpointError(_("{name} is not a Taller checkpoint").format(name=path.name))
    if payload.get("version", 0) > VERSION:
        raise CheckpointError(
            _("{name} was written by a newer Taller (format {version}); update Taller").format(
                name=path.name, version=payload["version"]
            )
        )
    meta = payload.get("meta")
    if not isinstance(meta, dict) or any(k not in meta for k in REQUIRED_META):
        raise CheckpointError(
            _("{name} is damaged: its metadata lacks {required_meta}").format(
                name=path.name, required_meta=", ".join(REQUIRED_META)
            )
        )
    check_meta(meta, path.name)
    if not isinstance(payload.get("state_dict"), dict):
        raise CheckpointError(
            _("{name} is damaged: its field 'state_dict' is not a set of weights").format(name=path.name)
        )
    return payload


def _list_of(kind: type) -> Any:
    return lambda v: isinstance(v, list) and all(isinstance(x, kind) for x in v)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Every metadata field something reads, and what it must be; a file sent by someone else (or
# damaged on disk) is checked here once, so no later use meets a value of the wrong type.
META_FIELDS: dict[str, tuple[Any, str]] = {
    "arch": (lambda v: isinstance(v, str) and v != "", "an architecture name"),
    "classes": (lambda v: _list_of(str)(v) and len(v) >= 1, "a list of class names"),
    "spec": (lambda v: isinstance(v, dict), "an input description"),
    "preparation": (lambda v: v in ("digit", "image"), "'digit' or 'image'"),
    "dataset": (lambda v: isinstance(v, str), "a dataset name"),
    "frozen": (_list_of(str), "a list of layer names"),
    "history": (_list_of(dict), "a list of epochs"),
    "test": (lambda v: isinstance(v, dict), "a set of test metrics"),
    "kfold": (lambda v: isinstance(v, dict), "a set of K-Fold results"),
    "data_config": (lambda v: isinstance(v, dict), "a data configuration"),
    "model_config": (lambda v: isinstance(v, dict), "a model configuration"),
    "train_config": (lambda v: isinstance(v, dict), "a training configuration"),
    "versions": (lambda v: isinstance(v, dict), "a set of library versions"),
    "trainable_params": (_number, "a number"),
    "total_params": (_number, "a number"),
    "seconds": (_number, "a number"),
    "stopped": (lambda v: isinstance(v, bool), "true or false"),
    "created": (lambda v: isinstance(v, str), "a date"),
}


def check_meta(meta: dict[str, Any], name: str = "checkpoint") -> None:
    """Raise CheckpointError naming the first metadata field whose value has the wrong type."""
    for key, (ok, expected) in META_FIELDS.items():
        if key in meta and meta[key] is not None and not ok(meta[key]):
            shown = type(meta[key]).__name__
            raise CheckpointError(
                _("{name} is damaged: its field '{key}' should be {expected}, not a {shown}").format(
                    name=name, key=key, expected=expected, shown=shown
                )
            )
    for i, epoch in enumerate(meta.get("history") or [], start=1):
        bad = [
            k
            for k, v in epoch.items()
            if k in ("val_acc", "val_loss", "train_acc", "train_loss") and not _number(v)
        ]
        if bad:
            raise CheckpointError(
                _("{name} is damaged: its field 'history' epoch {i} has a non-number '{bad}'").format(
                    name=name, i=i, bad=bad[0]
                )
            )
    try:
        spec = InputSpec.from_dict(meta["spec"])
        if not all(isinstance(v, int) and v > 0 for v in (spec.height, spec.width)):
            raise ValueError("height and width must be positive whole numbers")
        if not all(_number(v) for v in spec.mean + spec.std):
            raise ValueError("mean and std must be numbers")
    except (ConfigError, TypeError, ValueError) as e:
        raise CheckpointError(
            _("{name} is damaged: its field 'spec' is not a valid input description ({e})").format(
                name=name, e=e
            )
        ) from e


def unreadable_message(path: Path, error: BaseException | None) -> str:
    """What a file that torch.load refused (or whose archive is damaged) is, and what to do, without
    PyTorch's own text (its zip reader's, or its advice to load the file unsafely)."""
    found = diagnose(path, error, path.name)
    if found.kind in (EMPTY, DAMAGED):
        advice = _("copy it again from where it came from, or save or train the model again")
    elif found.kind == FOREIGN:
        advice = _("open a model saved by Taller (a .pt file, such as a run's model.pt)")
    else:
        advice = _("Taller opens only the models it saves itself (Save model, or a run's model.pt)")
    return f"{found.problem}; {advice}"


def shapes(state_dict: dict[str, Any]) -> dict[str, tuple[int, ...] | None]:
    """Each entry's shape (None: not a tensor), for ``engine.unreadable.weight_differences``."""
    return {k: tuple(v.shape) if isinstance(v, torch.Tensor) else None for k, v in state_dict.items()}


def check_compatible(
    meta: dict[str, Any],
    arch: str | None = None,
    classes: list[str] | None = None,
    spec: InputSpec | None = None,
    name: str = "checkpoint",
) -> None:
    """Raise CheckpointError saying what differs between a checkpoint and what the caller needs."""
    problems = []
    if arch is not None and meta["arch"] != arch:
        problems.append(_("it is a {arch} model, not {expected}").format(arch=meta["arch"], expected=arch))
    if classes is not None and len(meta["classes"]) != len(classes):
        problems.append(
            _("it has {n} classes, the data has {m}").format(n=len(meta["classes"]), m=len(classes))
        )
    elif classes is not None and list(meta["classes"]) != list(classes):
        problems.append(
            _("its class names differ from the data's: {diff}").format(
                diff=_diff_names(meta["classes"], classes)
            )
        )
    if spec is not None:
        theirs = InputSpec.from_dict(meta["spec"])
        if theirs.shape != spec.shape:
            problems.append(
                _("it takes input {theirs}, the data is {ours}").format(
                    theirs=_shape(theirs.shape), ours=_shape(spec.shape)
                )
            )
    if problems:
        raise CheckpointError(
            _("{name} does not fit: {problems}").format(name=name, problems="; ".join(problems))
        )


def _shape(shape: tuple[int, ...]) -> str:
    c, h, w = shape
    return f"{c}x{h}x{w}"


def _diff_names(theirs: list[str], ours: list[str]) -> str:
    only_theirs = [c for c in theirs if c not in ours][:3]
    only_ours = [c for c in ours if c not in theirs][:3]
    if not only_theirs and not only_ours:
        return _("same names in another order")
    return _("the model only {theirs}, the data only {ours}").format(
        theirs=", ".join(only_theirs) or "–", ours=", ".join(only_ours) or "–"
    )


def load_checkpoint(
    path: str | Path,
    arch: str | None = None,
    classes: list[str] | None = None,
    spec: InputSpec | None = None,
) -> LoadedCheckpoint:
    """Rebuild the model a checkpoint describes and load its weights.

    Passing ``arch``, ``classes`` or ``spec`` checks the checkpoint against them first, so a
    checkpoint for another architecture or class count gives a message saying what differs.
    """
    path = Path(path)
    payload = read_payload(path)
    meta = payload["meta"]
    check_compatible(meta, arch, classes, spec, name=path.name)
    try:
        model_spec = InputSpec.from_dict(meta["spec"])
        model = build_for_weights(meta["arch"], model_spec, len(meta["classes"]), payload["state_dict"])
    except (ModelError, TypeError, ValueError) as e:
        raise CheckpointError(
            _("{name}: cannot rebuild its {arch} model: {e}").format(
                name=path.name, arch=meta.get("arch"), e=e
            )
        ) from e
    found = weight_differences(shapes(payload["state_dict"]), shapes(model.state_dict()))
    if found:
        raise CheckpointError(
            _(
                "{name} is damaged: its weights do not fit a {arch} model for {classes} classes ({summary}); "
                "copy it again from where it came from, or save or train the model again"
            ).format(
                name=path.name,
                arch=meta["arch"],
                classes=len(meta["classes"]),
                summary=differences_summary(found),
            )
        )
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, TypeError, ValueError) as e:  # same names and shapes, yet torch refuses them
        raise CheckpointError(
            _("{name} is damaged: its weights cannot be loaded into its {arch} model").format(
                name=path.name, arch=meta["arch"]
            )
        ) from e
    try:
        apply_freeze(model, meta.get("frozen", []))
    except ValueError as e:
        raise CheckpointError(
            _("{name}: its frozen layers do not exist in the model: {e}").format(name=path.name, e=e)
        ) from e
    model.eval()
    return LoadedCheckpoint(model=model, meta=meta, path=path)


def default_checkpoint_name(meta: dict[str, Any], when: str) -> str:
    """A file name a user can recognise later: dataset, architecture and time."""
    key = str(meta.get("dataset", "data"))
    dataset = str(folder_path(key) or key).replace(os.sep, "_").strip("_")
    dataset = Path(dataset).name or "data"
    return f"{dataset}-{meta['arch']}-{when}.pt"
