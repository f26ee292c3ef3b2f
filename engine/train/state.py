"""What one fit needs besides the model and the data, and how its optimizer and schedule are made.

The training loop reports through ``FitState.on_event`` with plain dicts and never knows who
listens (fastai's Recorder, Lightning's hooks). Every event has the key "event":

- ``{"event": "status", "message": str}``
- ``{"event": "warning", "message": str}``: something a user should know about the run (the data's
  skipped files, an epoch's files that could not be written); it goes on. With a ``"record"`` (the
  "not learning" warning of ``engine.train.guard``) the run's metadata and report keep it too
- ``{"event": "progress", "epoch", "epochs", "batch", "batches", "fold", "seconds", "eta"}``, throttled
  to one every ``progress_interval`` seconds plus the last batch of each epoch (1-based counters;
  ``fold`` is 0 without K-Fold).
- ``{"event": "epoch_end", "epoch", "epochs", "train_loss", "train_acc", "val_loss", "val_acc", "lr",
  "seconds", "phase", "fold"}``
- ``{"event": "phase", "phase": 2, "epoch", "fold", "unfrozen": [names], "lr"}`` when fine-tuning starts
- ``{"event": "fold_end", "fold", "folds", "val_loss", "val_acc", "epochs_run"}`` (K-Fold only)

This module sits below both ``loop`` and ``finetune`` (phase two rebuilds the optimizer, and the
loop starts phase two), so neither has to import the other's helpers.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.config import TrainConfig
from engine.data.types import InputSpec
from engine.errors import TrainingError
from engine.freezing import param_groups
from engine.i18n import _
from engine.precision import FP32, Precision
from engine.throttle import PROGRESS_INTERVAL

EventCallback = Callable[[dict[str, Any]], None]
Scheduler = torch.optim.lr_scheduler.LRScheduler


class Stopped(Exception):
    """Raised inside the loop when the user asks to stop; caught by fit()."""


@dataclass
class FitState:
    """What one call of fit() needs besides the model and the data."""

    spec: InputSpec
    cfg: TrainConfig
    seed: int = 0  # the data's seed (DataConfig.seed): weights, shuffling and augmentation draw from it
    head: tuple[str, ...] = ()
    frozen: tuple[str, ...] = ()
    freeze_bn_stats: bool = True
    augment: bool = False
    flip: bool = False
    fold: int = 0
    on_event: EventCallback | None = None
    stop: threading.Event | None = None
    progress_interval: float = PROGRESS_INTERVAL
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    precision: Precision = FP32  # autocast dtype and layout, resolved for the device
    # After each finished epoch: called with the snapshot of engine.train.snapshot (a run folder's
    # last.pt). A snapshot to resume from makes fit() continue at the epoch after it.
    on_snapshot: Callable[[dict[str, Any]], None] | None = None
    # Before the first epoch of a run that is not resumed: called with the model as it starts (a run
    # folder keeps its first layer's weights, to show them change epoch by epoch).
    on_start: Callable[[nn.Module], None] | None = None
    resume: dict[str, Any] | None = None
    # The frozen front's outputs computed once when they can be (engine.train.frozen_features);
    # False: every epoch computes every layer (to compare the two).
    reuse_frozen: bool = True

    def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def should_stop(self) -> bool:
        return self.stop is not None and self.stop.is_set()


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a generator for shuffling and augmentation."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def make_optimizer(
    model: nn.Module, cfg: TrainConfig, lr: float, head: tuple[str, ...]
) -> torch.optim.Optimizer:
    """SGD or Adam over the parameters that still require grad (the head at ``lr``, the rest scaled).

    Raises
    ------
    TrainingError
        Every layer is frozen, so there is nothing to train.
    """
    groups = param_groups(model, lr, head, cfg.backbone_lr_factor)
    if not groups:
        raise TrainingError(_("every layer is frozen: tick at least one layer as trainable"))
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(groups, lr=lr, weight_decay=cfg.weight_decay)


def make_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, epochs: int, steps_per_epoch: int
) -> Scheduler | None:
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
