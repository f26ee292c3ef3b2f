"""Training: fit() over in-memory tensors, with events, cooperative stop and seeding.

The whole dataset sits in memory as tensors (airbench-style), so an epoch is a permutation and
slicing, not a DataLoader with a PIL round trip per sample. The loop reports through ``on_event``
with plain dicts and never knows who listens (fastai's Recorder, Lightning's hooks).

Events passed to ``on_event`` are plain dicts, always with key "event":

- ``{"event": "status", "message": str}``
- ``{"event": "progress", "epoch", "epochs", "batch", "batches", "fold", "seconds", "eta"}``, throttled
  to one every ``progress_interval`` seconds plus the last batch of each epoch (1-based counters;
  ``fold`` is 0 without K-Fold).
- ``{"event": "epoch_end", "epoch", "epochs", "train_loss", "train_acc", "val_loss", "val_acc", "lr",
  "seconds", "phase", "fold"}``
- ``{"event": "phase", "phase": 2, "epoch", "fold", "unfrozen": [names], "lr"}`` when fine-tuning starts
- ``{"event": "fold_end", "fold", "folds", "val_loss", "val_acc", "epochs_run"}`` (K-Fold only)
"""

from __future__ import annotations

import copy
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from engine import evaluation
from engine.config import DataConfig, InputSpec, ModelConfig, TrainConfig
from engine.datasets import ImageData, Splits, Subset, augment, load_dataset, normalise, split_dataset
from engine.errors import NonFiniteLossError, TrainingError

EventCallback = Callable[[dict[str, Any]], None]

# Above this, normalising the whole training set up front costs more memory than it saves time.
PRENORMALISE_MAX_BYTES = 1_500_000_000


class Stopped(Exception):
    """Raised inside the loop when the user asks to stop; caught by fit()."""


@dataclass
class RunResult:
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


@dataclass
class FitState:
    """What one call of fit() needs besides the model and the data."""

    spec: InputSpec
    cfg: TrainConfig
    head: tuple[str, ...] = ()
    frozen: tuple[str, ...] = ()
    freeze_bn_stats: bool = True
    augment: bool = False
    flip: bool = False
    fold: int = 0
    on_event: EventCallback | None = None
    stop: threading.Event | None = None
    progress_interval: float = 0.1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def should_stop(self) -> bool:
        return self.stop is not None and self.stop.is_set()


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when a GPU is usable, else the CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was chosen but no CUDA GPU is available; choose cpu or auto")
    return torch.device(name)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a generator for shuffling and augmentation."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def make_optimizer(
    model: nn.Module, cfg: TrainConfig, lr: float, head: tuple[str, ...]
) -> torch.optim.Optimizer:
    from engine.freezing import param_groups

    groups = param_groups(model, lr, head, cfg.backbone_lr_factor)
    if not groups:
        raise TrainingError("every layer is frozen: tick at least one layer as trainable")
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(groups, lr=lr, weight_decay=cfg.weight_decay)


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig, epochs: int, steps_per_epoch: int):
    """A per-batch learning-rate schedule over ``epochs`` epochs, or None."""
    total = max(1, epochs * steps_per_epoch)
    if cfg.schedule == "step":
        # Three drops of 10x over the run, the classic ImageNet recipe shortened.
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, total // 3), gamma=0.1)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if cfg.schedule == "onecycle":
        max_lr = [g["lr"] for g in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total)
    return None


class BatchFeeder:
    """Yields normalised (and optionally augmented) batches from uint8 tensors already in memory."""

    def __init__(self, subset: Subset, state: FitState, generator: torch.Generator):
        self.images = subset.images
        self.labels = subset.labels.to(state.device)
        self.spec = state.spec
        self.augment = state.augment
        self.flip = state.flip
        self.generator = generator
        self.device = state.device
        self.normalised = None
        if not self.augment and self.images.numel() * 4 <= PRENORMALISE_MAX_BYTES:
            self.normalised = normalise(self.images, self.spec).to(self.device)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.normalised is not None:
            return self.normalised[idx], self.labels[idx]
        x = self.images[idx].to(self.device, non_blocking=True)
        if self.augment:
            x = augment(x.float().div_(255.0), self.generator, self.flip)
            x = normalise(x, self.spec)
        else:
            x = normalise(x, self.spec)
        return x, self.labels[idx]


def train_one_epoch(
    model: nn.Module,
    feeder: BatchFeeder,
    optimizer: torch.optim.Optimizer,
    scheduler,
    criterion: nn.Module,
    state: FitState,
    epoch: int,
    generator: torch.Generator,
    clock: dict[str, float],
) -> tuple[float, float]:
    """One pass over the training set; returns (mean loss, accuracy)."""
    from engine.freezing import set_train_mode

    set_train_mode(model, state.frozen, state.freeze_bn_stats)
    n = len(feeder)
    bs = state.cfg.batch_size
    batches = math.ceil(n / bs)
    perm = torch.randperm(n, generator=generator).to(state.device)
    # Only references per batch: reducing loss and accuracy every batch would add half a dozen
    # kernel launches, as much as a small model's whole step. They are reduced once per epoch.
    losses: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []
    checked = 0
    last_report = time.perf_counter()
    for b in range(batches):
        if state.should_stop():
            raise Stopped
        x, y = feeder.batch(perm[b * bs : (b + 1) * bs])
        out = model(x)
        loss = criterion(out, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.detach())
        outputs.append(out.detach())
        now = time.perf_counter()
        if now - last_report >= state.progress_interval or b == batches - 1:
            last_report = now
            check_finite(losses, checked, epoch)
            checked = len(losses)
            report_progress(state, epoch, b + 1, batches, now, clock)
    return epoch_metrics(losses, outputs, feeder.labels[perm], bs)


def check_finite(losses: list[torch.Tensor], start: int, epoch: int) -> None:
    """Raise NonFiniteLossError naming the first batch since ``start`` whose loss is NaN or infinite."""
    bad = ~torch.isfinite(torch.stack(losses[start:]))
    if bad.any():
        first = start + int(bad.nonzero()[0, 0])
        raise NonFiniteLossError(
            f"the loss became {losses[first].item()} in epoch {epoch}, batch {first + 1}: lower the "
            "learning rate or check the data; the model keeps the weights of the last good epoch"
        )


@torch.no_grad()
def epoch_metrics(
    losses: list[torch.Tensor], outputs: list[torch.Tensor], labels: torch.Tensor, batch_size: int
) -> tuple[float, float]:
    """Mean loss over samples (the last batch may be smaller) and accuracy of one epoch."""
    n = labels.shape[0]
    weights = torch.full((len(losses),), float(batch_size), device=labels.device)
    weights[-1] = n - batch_size * (len(losses) - 1)
    mean_loss = float((torch.stack(losses).float() * weights).sum()) / n
    correct = int((torch.cat(outputs).argmax(dim=1) == labels).sum())
    return mean_loss, correct / n


def report_progress(state: FitState, epoch: int, batch: int, batches: int, now: float, clock: dict) -> None:
    elapsed = now - clock["start"]
    done = (epoch - 1) * batches + batch
    eta = elapsed / max(1, done) * (state.cfg.epochs * batches - done)
    state.emit(
        {
            "event": "progress",
            "epoch": epoch,
            "epochs": state.cfg.epochs,
            "batch": batch,
            "batches": batches,
            "fold": state.fold,
            "seconds": elapsed,
            "eta": eta,
        }
    )


@torch.inference_mode()
def validate(model: nn.Module, subset: Subset, state: FitState, criterion: nn.Module) -> tuple[float, float]:
    """Mean loss and accuracy on a subset, in eval mode."""
    if len(subset) == 0:
        return float("nan"), float("nan")
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(subset), 512):
        x = normalise(subset.images[start : start + 512], state.spec).to(state.device)
        y = subset.labels[start : start + 512].to(state.device)
        out = model(x)
        loss_sum += criterion(out, y).item() * y.shape[0]
        correct += (out.argmax(dim=1) == y).sum().item()
    return loss_sum / len(subset), correct / len(subset)


def fit(model: nn.Module, train: Subset, val: Subset, state: FitState) -> tuple[list[dict], bool]:
    """Train ``model`` in place for ``state.cfg.epochs`` epochs (two phases when configured).

    Returns the history (one ``epoch_end`` event per finished epoch) and whether the user stopped.
    On a non-finite loss the weights of the last good epoch are restored before the error propagates.
    """
    from engine.freezing import apply_freeze

    cfg = state.cfg
    generator = seed_everything(cfg.seed + state.fold)
    model.to(state.device)
    try:
        apply_freeze(model, state.frozen)
    except ValueError as e:  # a frozen name from another architecture or an old checkpoint
        raise TrainingError(str(e)) from e
    feeder = BatchFeeder(train, state, generator)
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    steps = math.ceil(len(train) / cfg.batch_size)
    phase1_epochs = cfg.unfreeze_after or cfg.epochs
    optimizer = make_optimizer(model, cfg, cfg.lr, state.head)
    scheduler = make_scheduler(optimizer, cfg, phase1_epochs, steps)
    history: list[dict] = []
    clock = {"start": time.perf_counter()}
    phase = 1
    for epoch in range(1, cfg.epochs + 1):
        if cfg.unfreeze_after is not None and epoch == cfg.unfreeze_after + 1:
            phase = 2
            optimizer, scheduler = start_phase_two(model, state, epoch, steps)
        good = copy.deepcopy(model.state_dict())
        started = time.perf_counter()
        try:
            train_loss, train_acc = train_one_epoch(
                model, feeder, optimizer, scheduler, criterion, state, epoch, generator, clock
            )
        except Stopped:
            return history, True
        except NonFiniteLossError as e:
            model.load_state_dict(good)
            e.history = history  # the epochs that did finish, for whoever keeps the model
            raise
        val_loss, val_acc = validate(model, val, state, criterion)
        event = {
            "event": "epoch_end",
            "epoch": epoch,
            "epochs": cfg.epochs,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": float(optimizer.param_groups[0]["lr"]),
            "seconds": time.perf_counter() - started,
            "phase": phase,
            "fold": state.fold,
        }
        history.append(event)
        state.emit(dict(event))
    return history, False


def start_phase_two(model: nn.Module, state: FitState, epoch: int, steps: int):
    """Unfreeze (all, or the chosen modules) and rebuild the optimizer at the fine-tuning rate."""
    from engine.freezing import release

    cfg = state.cfg
    names = tuple(cfg.unfreeze) or state.frozen
    try:
        # release() handles any nesting: unfreezing features.block3 out of a frozen "features".
        state.frozen = release(model, state.frozen, names)
    except ValueError as e:
        raise TrainingError(str(e)) from e
    lr = cfg.lr * cfg.finetune_lr_factor
    optimizer = make_optimizer(model, cfg, lr, state.head)
    scheduler = make_scheduler(optimizer, cfg, cfg.epochs - epoch + 1, steps)
    state.emit(
        {
            "event": "phase",
            "phase": 2,
            "epoch": epoch,
            "fold": state.fold,
            "unfrozen": sorted(names),
            "lr": lr,
        }
    )
    return optimizer, scheduler


# --- a whole run: data, model, training, test ------------------------------------------------------


def build_for_run(model_cfg: ModelConfig, data: ImageData, spec: InputSpec) -> nn.Module:
    """The model a run starts from: random, ImageNet weights, or an own checkpoint (transfer)."""
    from engine.models import ModelError, build_model

    try:
        model = build_model(model_cfg.arch, spec, len(data.classes), pretrained=model_cfg.pretrained)
    except ModelError as e:
        raise TrainingError(str(e)) from e
    if model_cfg.init_checkpoint:
        transfer_weights(model, model_cfg)
    return model


def transfer_weights(model: nn.Module, model_cfg: ModelConfig) -> list[str]:
    """Copy every weight of the same name and shape from an own checkpoint; the rest stays new.

    When the classes differ the head's shapes differ, so the head stays freshly initialised; that
    is the head replacement of transfer learning.
    """
    from engine.checkpoints import CheckpointError, read_payload

    try:
        payload = read_payload(model_cfg.init_checkpoint)
    except CheckpointError as e:
        raise TrainingError(f"cannot start from that checkpoint: {e}") from e
    if payload["meta"]["arch"] != model_cfg.arch:
        raise TrainingError(
            f"cannot start from {model_cfg.init_checkpoint}: it is a {payload['meta']['arch']} model, "
            f"not {model_cfg.arch}"
        )
    own = model.state_dict()
    taken = {k: v for k, v in payload["state_dict"].items() if k in own and own[k].shape == v.shape}
    if not taken:
        raise TrainingError(f"no weights of {model_cfg.init_checkpoint} fit this model (other input size?)")
    model.load_state_dict(taken, strict=False)
    return sorted(set(own) - set(taken))


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
) -> RunResult:
    """Load data (unless given), build the model, train, evaluate on the test split.

    With ``train_cfg.kfold = K`` the non-test data is split into K stratified folds, one fresh
    model trained per fold; the returned model is the fold with the best validation accuracy.
    """
    from engine.models import head_names

    started = time.perf_counter()
    error = None
    emit = on_event or (lambda e: None)
    if data is None:
        emit({"event": "status", "message": f"Loading {data_cfg.dataset}…"})
        data = load_dataset(data_cfg)
    spec = model_spec(data, model_cfg)
    device = resolve_device(train_cfg.device)
    state = FitState(
        spec=spec,
        cfg=train_cfg,
        head=tuple(head_names(model_cfg.arch)),
        frozen=tuple(model_cfg.frozen),
        freeze_bn_stats=model_cfg.freeze_bn_stats,
        augment=data_cfg.augment,
        flip=data.flip_ok,
        on_event=on_event,
        stop=stop,
        device=device,
    )
    splits = split_dataset(data, data_cfg.val_split, data_cfg.seed)
    if train_cfg.kfold:
        model, history, stopped, folds = run_kfold(model_cfg, data, splits, state)
    else:
        torch.manual_seed(train_cfg.seed)
        model = build_for_run(model_cfg, data, spec)
        emit(
            {
                "event": "status",
                "message": f"Training {model_cfg.arch} on {len(splits.train)} images on {device}",
            }
        )
        try:
            history, stopped = fit(model, splits.train, splits.val, state)
        except NonFiniteLossError as e:
            # Not lost work: the weights of the last good epoch come back, with the reason.
            history, stopped, error = e.history, True, str(e)
        folds = []
    test, probs = None, None
    if history and len(splits.test):
        test, probs = evaluation.evaluate(
            model, splits.test.images, splits.test.labels, spec, data.classes, device=device
        )
    model.cpu().eval()
    meta = run_meta(data_cfg, model_cfg, train_cfg, data, spec, model, history, test, folds, stopped)
    meta["seconds"] = time.perf_counter() - started
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


def run_kfold(model_cfg: ModelConfig, data: ImageData, splits: Splits, base: FitState):
    """Train one fresh model per stratified fold of the non-test data."""
    pool_images = torch.cat([splits.train.images, splits.val.images])
    pool_labels = torch.cat([splits.train.labels, splits.val.labels])
    k = base.cfg.kfold
    try:
        folds = evaluation.kfold_indices(pool_labels.numpy(), k, base.cfg.seed)
    except ValueError as e:
        raise TrainingError(str(e)) from e
    results, best = [], None
    history: list[dict] = []
    for i, (tr, va) in enumerate(folds, start=1):
        state = replace(base, fold=i, frozen=tuple(model_cfg.frozen))
        torch.manual_seed(base.cfg.seed + i)
        model = build_for_run(model_cfg, data, base.spec)
        tr_t, va_t = torch.as_tensor(tr), torch.as_tensor(va)
        fold_hist, stopped = fit(
            model,
            Subset(pool_images[tr_t], pool_labels[tr_t], tr_t),
            Subset(pool_images[va_t], pool_labels[va_t], va_t),
            state,
        )
        history.extend(fold_hist)
        if stopped:
            return (best or (model, None))[0], history, True, results
        last = fold_hist[-1]
        summary = {
            "event": "fold_end",
            "fold": i,
            "folds": k,
            "val_loss": last["val_loss"],
            "val_acc": last["val_acc"],
            "train_loss": last["train_loss"],
            "train_acc": last["train_acc"],
            "epochs_run": len(fold_hist),
            "val_indices": va.tolist(),
        }
        results.append(summary)
        base.emit({k_: v for k_, v in summary.items() if k_ != "val_indices"})
        if best is None or last["val_acc"] > best[1]:
            best = (model, last["val_acc"])
    return best[0], history, False, results


def run_meta(data_cfg, model_cfg, train_cfg, data, spec, model, history, test, folds, stopped) -> dict:
    """The metadata saved with the weights: enough to use the model again and to explain the run."""
    from engine.freezing import count_parameters, frozen_names

    trainable, total = count_parameters(model)
    meta: dict[str, Any] = {
        "arch": model_cfg.arch,
        "classes": list(data.classes),
        "spec": spec.to_dict(),
        "preparation": data.preparation,
        "dataset": data_cfg.dataset,
        "frozen": frozen_names(model),
        "trainable_params": trainable,
        "total_params": total,
        "data_config": data_cfg.to_dict(),
        "model_config": model_cfg.to_dict(),
        "train_config": {k: v for k, v in train_cfg.to_dict().items() if k != "extra"},
        "history": [{k: v for k, v in h.items() if k != "event"} for h in history],
        "stopped": stopped,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if test is not None:
        meta["test"] = test
    if folds:
        accs = [f["val_acc"] for f in folds]
        mean, std = evaluation.mean_std(accs)
        meta["kfold"] = {
            "folds": [{k: v for k, v in f.items() if k not in ("event", "val_indices")} for f in folds],
            "val_acc_mean": mean,
            "val_acc_std": std,
        }
    return meta
