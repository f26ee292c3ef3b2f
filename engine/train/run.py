"""A whole run: config -> data -> model -> fit -> test. The one path the CLI and the window call.

With ``train_cfg.kfold = K`` the non-test data is split into K stratified folds and one fresh model
is trained per fold; the run keeps the fold with the best validation accuracy.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine import evaluation, precision
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import is_folder, load_dataset
from engine.data.splits import check_trainable, split_dataset
from engine.data.stream import concat
from engine.data.types import ImageData, InputSpec, Splits, Subset
from engine.errors import NonFiniteLossError, TrainingError
from engine.freezing import count_parameters, frozen_names
from engine.i18n import _
from engine.models.preprocessing import weights_preprocessing
from engine.models.registry import architecture, head_names
from engine.train import distributed, guard
from engine.train.finetune import build_for_run
from engine.train.loop import fit
from engine.train.runs import RunFolder, epoch_record
from engine.train.state import EventCallback, FitState


@dataclass
class RunResult:
    """What a run leaves: the model, its checkpoint metadata, history and test results."""

    model: nn.Module
    meta: dict[str, Any]  # everything checkpoints.save_checkpoint needs besides the weights
    history: list[dict[str, float]]  # one epoch_end event per epoch
    test: dict[str, Any] | None  # evaluation.classification_metrics on the test split
    stopped: bool
    seconds: float
    folds: list[dict[str, Any]] = field(default_factory=list)
    test_probabilities: np.ndarray | None = None
    splits: Splits | None = None
    error: str | None = None  # why the run ended early (a non-finite loss); the model is the last good one
    run_dir: Path | None = None  # the run folder (engine.train.runner)
    save_error: str | None = None  # its final files could not be written: what happened, where the model is


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when a GPU is usable, else the CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError(_("device 'cuda' was chosen but no CUDA GPU is available; choose cpu or auto"))
    mps = getattr(torch.backends, "mps", None)
    if name == "mps" and not (mps is not None and mps.is_available()):
        raise TrainingError(
            _("device 'mps' was chosen but PyTorch finds no Apple GPU (MPS); use cpu or auto")
        )
    return torch.device(name)


def fitted_data_config(data_cfg: DataConfig, model_cfg: ModelConfig) -> DataConfig:
    """ImageNet weights on an image folder whose size is left automatic: the weights' preprocessing.

    That is torchvision's ``weights.transforms()`` (e.g. shorter side 256, centre crop 224), the
    resolution the weights learnt at; a size the user chose, and built-in datasets, stay as they are.
    """
    if not (model_cfg.pretrained and is_folder(data_cfg.dataset) and data_cfg.image_size is None):
        return data_cfg
    pre = weights_preprocessing(model_cfg.arch)
    return data_cfg if pre is None else replace(data_cfg, image_size=pre.crop, resize=pre.resize)


def model_spec(data: ImageData, model_cfg: ModelConfig) -> InputSpec:
    """ImageNet weights expect ImageNet's normalisation; anything else uses the dataset's."""
    return data.spec.with_imagenet_normalisation() if model_cfg.pretrained else data.spec


def run(
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
    data: ImageData | None = None,
    folder: RunFolder | None = None,
    resume: dict[str, Any] | None = None,
) -> RunResult:
    """Load data (unless given), build the model, train, evaluate on the test split.

    A stop request or a non-finite loss ends the run early with the model of the last finished
    epoch (``stopped`` is True; ``error`` says why when it was the loss). With a run ``folder`` the
    config, history, ``last.pt`` and ``best.pt`` are written as the run goes; ``resume`` (a snapshot
    from ``engine.train.runs.load_run``) continues a stopped run at the epoch after it.
    """
    started = time.perf_counter()
    fitted = fitted_data_config(data_cfg, model_cfg)
    if fitted != data_cfg:  # the weights' own preprocessing: data read at another size does not do
        data_cfg, data = fitted, None
    if data is None:
        if on_event is not None:
            on_event({"event": "status", "message": _("Loading {dataset}…").format(dataset=data_cfg.dataset)})
        data = load_dataset(data_cfg)
    check_trainable(data)  # before any work: a class too small for the splits is refused
    if distributed.active() and train_cfg.unfreeze_after is not None:
        # Phase two changes which parameters train; DDP fixes that set when it wraps the model.
        raise TrainingError(_("two-phase fine-tuning (--unfreeze-after) runs on one process only for now"))
    kept = guard.Kept(on_event)  # the "not learning" warning goes into the run's metadata too
    state = fit_state(data_cfg, model_cfg, train_cfg, data, kept, stop)
    state.emit({"event": "status", "message": starting_point(model_cfg)})
    if resume is not None and train_cfg.kfold:
        raise TrainingError(_("K-Fold runs cannot be resumed; start the run again"))
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S")
    about = RunAbout(data_cfg, model_cfg, train_cfg, data, state, folder, started_at)
    if folder is not None:
        folder.start(run_meta(about), history=resume["history"] if resume else None)
        # K-Fold trains one model per fold: its folder gets config and final files, no per-epoch last.pt.
        if not train_cfg.kfold:
            state = replace(state, on_snapshot=folder.on_snapshot, on_start=folder.on_start)
    state = replace(state, resume=resume)
    splits = split_dataset(data, data_cfg.val_split, data_cfg.seed)
    error, folds = None, []
    if train_cfg.kfold:
        model, history, stopped, folds, error = run_kfold(model_cfg, data, splits, state)
    else:
        model, history, stopped, error = run_single(model_cfg, data, splits, state)
    test, probs = None, None
    if history and len(splits.test):
        # Under DDP each rank predicts its part of the test split; every rank gets the whole result.
        test, probs = distributed.evaluate(
            model,
            splits.test,
            state.spec,
            data.classes,
            device=state.device,
            precision=state.precision,
        )
    model.cpu().eval()
    meta = run_meta(about, model, history, test, folds, stopped)
    meta["seconds"] = time.perf_counter() - started
    if kept.records:
        meta["warnings"] = kept.records
    return RunResult(
        model=model,
        meta=meta,
        history=history,
        test=test,
        stopped=stopped,
        seconds=meta["seconds"],
        folds=folds,
        test_probabilities=probs,
        splits=splits,
        error=error,
    )


def starting_point(model_cfg: ModelConfig) -> str:
    """The sentence saying where the run's weights start: a run never starts elsewhere unsaid."""
    if model_cfg.pretrained:
        return _("Starting from ImageNet weights")
    if model_cfg.init_checkpoint:
        return _("Starting from the model in {path}").format(path=model_cfg.init_checkpoint)
    return _("Starting from random weights")


def fit_state(
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    data: ImageData,
    on_event: EventCallback | None,
    stop: threading.Event | None,
) -> FitState:
    """The FitState of a run: input spec, head, frozen layers, augmentation, device, listeners."""
    device = resolve_device(train_cfg.device)
    return FitState(
        spec=model_spec(data, model_cfg),
        cfg=train_cfg,
        seed=data_cfg.seed,
        head=tuple(head_names(model_cfg.arch)),
        frozen=tuple(model_cfg.frozen),
        freeze_bn_stats=model_cfg.freeze_bn_stats,
        augment=data_cfg.augment,
        flip=data.flip_ok,
        on_event=on_event,
        stop=stop,
        device=device,
        precision=precision.resolve(
            train_cfg.precision, device, convolutional=architecture(model_cfg.arch).convolutional
        ),
    )


def run_single(
    model_cfg: ModelConfig, data: ImageData, splits: Splits, state: FitState
) -> tuple[nn.Module, list[dict], bool, str | None]:
    """Train one model on the train split; returns (model, history, stopped, error)."""
    torch.manual_seed(state.seed)
    model = build_for_run(model_cfg, len(data.classes), state.spec)
    message = _("Training {arch} on {n} images on {device} ({precision})").format(
        arch=model_cfg.arch, n=len(splits.train), device=state.device, precision=state.precision.describe()
    )
    state.emit({"event": "status", "message": message})
    try:
        history, stopped = fit(model, splits.train, splits.val, state)
    except NonFiniteLossError as e:
        # Not lost work: the weights of the last good epoch come back, with the reason.
        return model, e.history, True, non_finite_message(e, e.history)
    return model, history, stopped, None


def non_finite_message(error: NonFiniteLossError, kept: list[dict]) -> str:
    """The error's sentence, saying what is kept only when a good epoch finished before it."""
    if not kept:
        return _("{error}; no epoch finished before it, so there is no model to keep").format(error=error)
    return _("{error}; the model keeps the weights of the last good epoch (epoch {epoch})").format(
        error=error, epoch=kept[-1]["epoch"]
    )


def run_kfold(
    model_cfg: ModelConfig, data: ImageData, splits: Splits, base: FitState
) -> tuple[nn.Module, list[dict], bool, list[dict[str, Any]], str | None]:
    """Train one fresh model per stratified fold of the non-test data.

    Returns (best model, history of all folds, stopped, one summary per finished fold, error: why a
    fold ended early with a non-finite loss, or None).
    """
    pool_images = concat([splits.train.images, splits.val.images])  # in memory or streamed
    pool_labels = torch.cat([splits.train.labels, splits.val.labels])
    try:
        folds = evaluation.kfold_indices(pool_labels.numpy(), base.cfg.kfold, base.seed)
    except ValueError as e:
        raise TrainingError(str(e)) from e
    results, best = [], None
    history: list[dict] = []
    for i, (tr, va) in enumerate(folds, start=1):
        state = replace(base, fold=i, frozen=tuple(model_cfg.frozen))
        torch.manual_seed(base.seed + i)
        model = build_for_run(model_cfg, len(data.classes), base.spec)
        tr_t, va_t = torch.as_tensor(tr), torch.as_tensor(va)
        try:
            fold_hist, stopped = fit(
                model,
                Subset(pool_images[tr_t], pool_labels[tr_t], tr_t),
                Subset(pool_images[va_t], pool_labels[va_t], va_t),
                state,
            )
        except NonFiniteLossError as e:
            # The folds finished so far are kept (the best of them), as when the user stops.
            history.extend(e.history)
            return (best or (model, None))[0], history, True, results, kfold_failure(e, results, i)
        history.extend(fold_hist)
        if stopped:
            return (best or (model, None))[0], history, True, results, None
        summary = fold_summary(fold_hist, i, len(folds), va)
        results.append(summary)
        base.emit({k: v for k, v in summary.items() if k != "val_indices"})
        if best is None or summary["val_acc"] > best[1]:
            best = (model, summary["val_acc"])
    return best[0], history, False, results, None


def kfold_failure(error: NonFiniteLossError, results: list[dict[str, Any]], fold: int) -> str:
    """The message of a K-Fold run whose fold ``fold`` hit a non-finite loss."""
    if results:
        best = max(results, key=lambda r: r["val_acc"])
        return _(
            "fold {fold}: {error}; the {n} fold(s) finished before it are kept, with the "
            "model of fold {best} (the best)"
        ).format(fold=fold, error=error, n=len(results), best=best["fold"])
    return _("fold {fold}: {error}").format(fold=fold, error=non_finite_message(error, error.history))


def fold_summary(fold_hist: list[dict], fold: int, folds: int, val_indices: np.ndarray) -> dict[str, Any]:
    """The "fold_end" event of one fold, with its validation indices (which the event omits)."""
    last = fold_hist[-1]
    return {
        "event": "fold_end",
        "fold": fold,
        "folds": folds,
        "val_loss": last["val_loss"],
        "val_acc": last["val_acc"],
        "train_loss": last["train_loss"],
        "train_acc": last["train_acc"],
        "epochs_run": len(fold_hist),
        "val_indices": val_indices.tolist(),
    }


@dataclass(frozen=True)
class RunAbout:
    """What describes a run before it trains: its settings, data, device and folder."""

    data_cfg: DataConfig
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    data: ImageData
    state: FitState
    folder: RunFolder | None
    created: str


def run_meta(
    about: RunAbout,
    model: nn.Module | None = None,
    history: list[dict] | None = None,
    test: dict[str, Any] | None = None,
    folds: list[dict[str, Any]] | None = None,
    stopped: bool = False,
) -> dict[str, Any]:
    """The metadata saved with the weights: enough to use the model again and to explain the run.

    The one builder of it: the run folder's checkpoints get it before training (``model`` None), the
    final ``model.pt`` with the trained model, its history and test results.
    """
    model_cfg, state = about.model_cfg, about.state
    convolutional = architecture(model_cfg.arch).convolutional
    meta: dict[str, Any] = {
        "arch": model_cfg.arch,
        "classes": list(about.data.classes),
        "spec": state.spec.to_dict(),
        "preparation": about.data.preparation,
        "dataset": about.data_cfg.dataset,
        "frozen": frozen_names(model) if model is not None else list(model_cfg.frozen),
        "data_config": about.data_cfg.to_dict(),
        "model_config": model_cfg.to_dict(),
        "train_config": about.train_cfg.to_dict(),
        "history": [epoch_record(h) for h in history or []],
        "stopped": stopped,
        "created": about.created,
        "precision": state.precision.name,  # what autocast computed in; the weights are float32
        "channels_last": state.precision.channels_last and convolutional,
    }
    if model is not None:
        meta["trainable_params"], meta["total_params"] = count_parameters(model)
    if distributed.active():
        meta["processes"] = distributed.world_size()  # trained with DDP; --batch-size was the global batch
    if about.folder is not None:
        meta["run_dir"] = str(about.folder.path)  # where last.pt, best.pt and history.csv are
    if test is not None:
        meta["test"] = test
    if folds:
        mean, std = evaluation.mean_std([f["val_acc"] for f in folds])
        meta["kfold"] = {
            "folds": [{k: v for k, v in f.items() if k not in ("event", "val_indices")} for f in folds],
            "val_acc_mean": mean,
            "val_acc_std": std,
        }
    return meta
