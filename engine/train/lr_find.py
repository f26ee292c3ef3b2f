"""The learning-rate range test (Smith 2015; fastai's ``lr_find``, Lightning's ``LearningRateFinder``).

A fresh model of the run (same data, architecture, starting weights and frozen layers) trains for
up to a few hundred batches while the learning rate grows exponentially from ``start_lr`` to
``end_lr``. The loss, smoothed by an exponential moving average, first falls, then shoots up once
the rate is too high; the test stops there. The suggestion is the rate where the smoothed loss
falls fastest (steepest descent against log10 of the rate). The model the user trains next is
not touched: the test builds its own, and the random-number states are put back afterwards.

Events (``on_event``): ``{"event": "lr_find", "batch", "batches", "lr", "loss"}`` per batch, with
``loss`` the smoothed loss; ``{"event": "status", "message"}`` at the start.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.data.splits import split_dataset
from engine.data.types import ImageData
from engine.errors import TrainingError
from engine.freezing import apply_freeze, set_train_mode
from engine.i18n import _
from engine.train.finetune import build_for_run
from engine.train.loop import make_feeder
from engine.train.run import fit_state, fitted_data_config
from engine.train.state import EventCallback, make_optimizer

START_LR, END_LR, MAX_BATCHES = 1e-7, 10.0, 100
SMOOTHING = 0.98  # fastai's moving-average factor
DIVERGE = 4.0  # stop when the smoothed loss exceeds this many times its minimum
SKIP_START = 0.1  # the first batches only show the warm-up of the moving average


@dataclass
class LrFindResult:
    """The curve of a range test and its suggestion (None when the loss never fell)."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)  # smoothed
    raw_losses: list[float] = field(default_factory=list)
    suggestion: float | None = None
    diverged: bool = False
    stopped: bool = False


def suggest(lrs: list[float], losses: list[float]) -> float | None:
    """The rate of steepest descent of the smoothed loss, before its minimum (None if it never fell)."""
    if len(lrs) < 5:
        return None
    end = int(np.argmin(losses)) + 1
    start = min(int(len(lrs) * SKIP_START), max(0, end - 3))
    if end - start < 3:
        return None
    x = np.log10(np.asarray(lrs[start:end]))
    slope = np.gradient(np.asarray(losses[start:end]), x)
    best = int(np.argmin(slope))
    return float(lrs[start + best]) if slope[best] < 0 else None


def lr_find(
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    data: ImageData | None = None,
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    max_batches: int = MAX_BATCHES,
) -> LrFindResult:
    """Run the range test on the run's training split; returns the curve and the suggested rate.

    Raises
    ------
    TrainingError
        A bad range, every layer frozen, or a frozen name the model does not have.
    """
    if not 0 < start_lr < end_lr or max_batches < 5:
        raise TrainingError(_("the learning-rate range needs 0 < start < end and at least 5 batches"))
    fitted = fitted_data_config(data_cfg, model_cfg)  # as the run would read it
    data = load_dataset(fitted) if data is None or fitted != data_cfg else data
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        return _range_test(
            data_cfg, model_cfg, train_cfg, data, on_event, stop, start_lr, end_lr, max_batches
        )
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


def _range_test(data_cfg, model_cfg, train_cfg, data, on_event, stop, start_lr, end_lr, max_batches):
    """The test itself, on a fresh model built and frozen as the run would build it."""
    state = fit_state(data_cfg, model_cfg, train_cfg, data, on_event, stop)
    train = split_dataset(data, data_cfg.val_split, data_cfg.seed).train
    torch.manual_seed(data_cfg.seed)
    model = build_for_run(model_cfg, len(data.classes), state.spec).to(state.device)
    try:
        apply_freeze(model, state.frozen)
    except ValueError as e:
        raise TrainingError(str(e)) from e
    generator = torch.Generator().manual_seed(data_cfg.seed)
    feeder = make_feeder(train, state, generator)
    optimizer = make_optimizer(model, train_cfg, start_lr, state.head)
    ratios = [g["lr"] / start_lr for g in optimizer.param_groups]  # the backbone's factor stays
    criterion = nn.CrossEntropyLoss(label_smoothing=train_cfg.label_smoothing)
    state.emit(
        {"event": "status", "message": _("Finding a learning rate for {arch}…").format(arch=model_cfg.arch)}
    )
    result = LrFindResult()
    avg, best, batch = 0.0, math.inf, 0
    growth = (end_lr / start_lr) ** (1 / (max_batches - 1))
    with state.precision.layout(model):
        while batch < max_batches:
            set_train_mode(model, state.frozen, state.freeze_bn_stats)
            perm = torch.randperm(len(feeder), generator=generator).to(state.device)
            for idx in perm.split(train_cfg.batch_size):
                if batch >= max_batches:
                    break
                if state.should_stop():
                    result.stopped = True
                    break
                lr = start_lr * growth**batch
                loss = _step(model, feeder, idx, optimizer, ratios, lr, criterion, state)
                batch += 1
                if not math.isfinite(loss):
                    result.diverged = True
                    break
                avg = SMOOTHING * avg + (1 - SMOOTHING) * loss
                smooth = avg / (1 - SMOOTHING**batch)
                result.lrs.append(lr)
                result.losses.append(smooth)
                result.raw_losses.append(loss)
                state.emit(
                    {"event": "lr_find", "batch": batch, "batches": max_batches, "lr": lr, "loss": smooth}
                )
                best = min(best, smooth)
                if batch > 5 and smooth > DIVERGE * best:
                    result.diverged = True
                    break
            if result.stopped or result.diverged:
                break
    result.suggestion = suggest(result.lrs, result.losses)
    return result


def _step(model, feeder, idx, optimizer, ratios, lr, criterion, state) -> float:
    """One training step at ``lr``; returns the batch's loss."""
    for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
        group["lr"] = lr * ratio
    x, y = feeder.batch(idx)
    with state.precision.autocast():
        out = model(state.precision.inputs(x))
    loss = criterion(out.float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())
