"""The training loop: fit() over in-memory tensors, with events, cooperative stop and seeding.

The whole dataset sits in memory as tensors (airbench-style), so an epoch is a permutation and
slicing, not a DataLoader with a PIL round trip per sample. The events it sends are listed in
``engine.train.state``.
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import nullcontext

import torch
from torch import nn

from engine.data.stream import STREAM_BATCH, LazyImages, labelled_batches
from engine.data.transforms import augment, normalise
from engine.data.types import Subset
from engine.errors import NonFiniteLossError, TrainingError
from engine.freezing import apply_freeze, set_train_mode
from engine.i18n import _
from engine.throttle import Throttle
from engine.train import distributed, guard
from engine.train.feed import StreamFeeder, device_facts, eval_outputs, gpu_memory_error
from engine.train.finetune import start_phase_two
from engine.train.frozen_features import FrozenOnce
from engine.train.interrupt import stop_between_layers
from engine.train.snapshot import capture, restore
from engine.train.state import FitState, Scheduler, Stopped, make_optimizer, make_scheduler, seed_everything

# Above this, normalising the whole training set up front costs more memory than it saves time.
PRENORMALISE_MAX_BYTES = 1_500_000_000


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
        """Images (normalised float) and labels at ``idx``, on the feeder's device."""
        if self.normalised is not None:
            return self.normalised[idx], self.labels[idx]
        x = self.images[idx].to(self.device, non_blocking=True)
        if self.augment:
            x = augment(x.float().div_(255.0), self.generator, self.flip)
        return normalise(x, self.spec), self.labels[idx]

    def batches(self, order: torch.Tensor, batch_size: int):
        """(images, labels) of ``order`` (1-D indices) in batches of ``batch_size``."""
        for start in range(0, len(order), batch_size):
            yield self.batch(order[start : start + batch_size])


def make_feeder(subset: Subset, state: FitState, generator: torch.Generator) -> BatchFeeder | StreamFeeder:
    """The feeder of a split: slices of tensors in memory, or a DataLoader over a streamed folder."""
    if isinstance(subset.images, LazyImages):
        return StreamFeeder(subset, state, generator)
    return BatchFeeder(subset, state, generator)


def train_one_epoch(
    model: nn.Module,
    feeder: BatchFeeder | StreamFeeder,
    optimizer: torch.optim.Optimizer,
    scheduler: Scheduler | None,
    criterion: nn.Module,
    state: FitState,
    epoch: int,
    generator: torch.Generator,
    clock: dict[str, float],
    scaler: torch.amp.GradScaler | None = None,
    whole: nn.Module | None = None,
) -> tuple[float, float]:
    """One pass over the training set; returns (mean loss, accuracy).

    The forward pass runs in ``state.precision`` (autocast); ``scaler`` scales float16 gradients.
    ``whole``: the model whose part ``model`` is (the layers after a frozen front computed once).
    """
    set_train_mode(
        whole if whole is not None else distributed.unwrap(model), state.frozen, state.freeze_bn_stats
    )
    bs = distributed.local_batch(state.cfg.batch_size)  # under DDP: this process's share
    # Under DDP: this rank's shard from a DistributedSampler (set_epoch); else the generator's order.
    perm = distributed.epoch_order(len(feeder), generator, state.seed + state.fold, epoch)
    perm = perm.to(state.device)
    batches = math.ceil(len(perm) / bs)
    # Only references per batch: reducing loss and accuracy every batch would add half a dozen
    # kernel launches, as much as a small model's whole step. They are reduced once per epoch.
    losses: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []
    labels: list[torch.Tensor] = []  # as fed: a streamed picture that could not be read is left out
    checked = 0
    throttle = Throttle(state.progress_interval, started=True)
    for b, (x, y) in enumerate(feeder.batches(perm, bs)):
        if distributed.any_rank(state.should_stop()):  # under DDP every rank stops at the same batch
            raise Stopped
        with state.precision.autocast():
            out = model(state.precision.inputs(x))
        # The loss (and what metrics see) is float32 whatever the activations were.
        out = out.float()
        loss = criterion(out, y)
        optimizer.zero_grad(set_to_none=True)
        step(loss, optimizer, scaler)
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.detach())
        outputs.append(out.detach())
        labels.append(y)
        guard.after_batch(state, epoch, b + 1, batches, losses, outputs, labels)  # once, in epoch 1
        # The same pace bounds the loss checks: each one waits for the device to catch up.
        if throttle.due(last=b == batches - 1):
            if b == batches - 1 or not distributed.active():  # under DDP: once, at the same batch
                check_finite(losses, checked, epoch)
                checked = len(losses)
            report_progress(state, epoch, b + 1, batches, time.perf_counter(), clock)
    return epoch_metrics(losses, outputs, labels)


def step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
    """Backward and optimizer step, through the GradScaler when float16 needs one."""
    if scaler is None:
        loss.backward()
        optimizer.step()
        return
    scaler.scale(loss).backward()
    scaler.step(optimizer)  # skips the step when scaled gradients overflowed
    scaler.update()


def check_finite(losses: list[torch.Tensor], start: int, epoch: int) -> None:
    """Raise NonFiniteLossError naming the first batch since ``start`` whose loss is NaN or infinite."""
    bad = ~torch.isfinite(torch.stack(losses[start:]))
    if distributed.any_rank(bool(bad.any())) and not bad.any():
        raise NonFiniteLossError(
            _(
                "the loss became non-finite on another process in epoch {epoch}: lower the learning "
                "rate or check the data"
            ).format(epoch=epoch)
        )
    if bad.any():
        first = start + int(bad.nonzero()[0, 0])
        raise NonFiniteLossError(
            _(
                "the loss became {item} in epoch {epoch}, batch {first}: lower the learning rate or "
                "check the data"
            ).format(item=losses[first].item(), epoch=epoch, first=first + 1)
        )


@torch.no_grad()
def epoch_metrics(
    losses: list[torch.Tensor], outputs: list[torch.Tensor], labels: list[torch.Tensor]
) -> tuple[float, float]:
    """Mean loss over samples (batches may differ in size) and accuracy of one epoch."""
    sizes = [int(y.shape[0]) for y in labels]
    n = sum(sizes)
    weights = torch.tensor(sizes, dtype=torch.float32, device=labels[0].device)
    loss_sum = float((torch.stack(losses).float() * weights).sum())
    correct = int((torch.cat(outputs).argmax(dim=1) == torch.cat(labels)).sum())
    loss_sum, correct, n = distributed.sum_all(loss_sum, correct, n)  # under DDP: over all ranks
    return loss_sum / n, correct / n


def report_progress(
    state: FitState, epoch: int, batch: int, batches: int, now: float, clock: dict[str, float]
) -> None:
    """Send a "progress" event with the time spent and an estimate of the time left."""
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
def validate(
    model: nn.Module, subset: Subset, state: FitState, criterion: nn.Module, lost: set[int] | None = None
) -> tuple[float, float]:
    """Mean loss and accuracy on a subset, in eval mode.

    A streamed picture that can no longer be read is left out, its place added to ``lost``.
    """
    if len(subset) == 0:
        return float("nan"), float("nan")
    model.eval()
    subset = distributed.shard(subset)  # under DDP: every N-th sample here, summed over the ranks below
    loss_sum, correct, seen = 0.0, 0, 0
    size = STREAM_BATCH if isinstance(subset.images, LazyImages) else 512  # streamed: bounded memory
    for images, y in labelled_batches(subset.images, subset.labels, size, lost):
        x = normalise(images, state.spec).to(state.device, non_blocking=True)
        y = y.to(state.device, non_blocking=True)
        out = eval_outputs(model, x, state)  # out of GPU memory: the batch is halved, not the run ended
        loss_sum += criterion(out, y).item() * y.shape[0]
        correct += (out.argmax(dim=1) == y).sum().item()
        seen += y.shape[0]
    loss_sum, correct, n = distributed.sum_all(loss_sum, correct, seen)
    if not n:  # every picture left out (a streamed folder removed): no measure, not a division by 0
        return float("nan"), float("nan")
    return loss_sum / n, correct / n


def fit(model: nn.Module, train: Subset, val: Subset, state: FitState) -> tuple[list[dict], bool]:
    """Train ``model`` in place for ``state.cfg.epochs`` epochs (two phases when configured).

    Returns the history (one ``epoch_end`` event per finished epoch) and whether the user stopped.
    On a non-finite loss the weights of the last good epoch are restored before the error propagates.
    """
    generator = seed_everything(state.seed + state.fold)
    model.to(state.device)
    with state.precision.layout(model):
        return fit_epochs(model, train, val, state, generator)


def fit_epochs(
    model: nn.Module, train: Subset, val: Subset, state: FitState, generator: torch.Generator
) -> tuple[list[dict], bool]:
    """The epochs of ``fit``, with the model on its device and in its precision's layout."""
    cfg = state.cfg
    scaler = state.precision.scaler()
    try:
        apply_freeze(model, state.frozen)
    except ValueError as e:  # a frozen name from another architecture or an old checkpoint
        raise TrainingError(str(e)) from e
    feeder = make_feeder(train, state, generator)
    net = distributed.wrap(model, state.device)  # DDP averages gradients over the ranks; else model
    once = FrozenOnce(model, train, val, state)  # the frozen front's outputs, computed once if it can
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    steps = distributed.steps_per_epoch(len(train), cfg.batch_size)
    optimizer = make_optimizer(model, cfg, cfg.lr, state.head)
    scheduler = make_scheduler(optimizer, cfg, cfg.unfreeze_after or cfg.epochs, steps)
    history: list[dict] = []
    clock = {"start": time.perf_counter()}
    phase = 1
    resumed = 0 if state.resume is None else int(state.resume["epoch"])
    if state.on_start is not None and state.resume is None:
        state.on_start(model)
    for epoch in range(1, cfg.epochs + 1):
        if cfg.unfreeze_after is not None and epoch == cfg.unfreeze_after + 1:
            phase = 2
            once.release()  # the released layers train: every epoch computes them again
            optimizer, scheduler = start_phase_two(model, state, epoch, steps)
        if epoch <= resumed:
            continue  # finished before the run stopped; phase two above is set up again all the same
        if epoch == resumed + 1 and state.resume is not None:
            # The batches of this phase's schedule already trained (phase two starts a new schedule).
            done = (resumed - (cfg.unfreeze_after or 0 if phase == 2 else 0)) * steps
            history = restore(state.resume, model, optimizer, scheduler, generator, scaler, steps_done=done)
        good = copy.deepcopy(model.state_dict())
        started = time.perf_counter()
        # Under DDP the ranks stop together at a batch boundary (the loop's collective check).
        interrupt = nullcontext() if distributed.active() else stop_between_layers(model, state)
        try:
            with interrupt:
                part, fed = once.ready(net, feeder)  # the first epoch of phase 1 computes the front
                train_loss, train_acc = train_one_epoch(
                    part, fed, optimizer, scheduler, criterion, state, epoch, generator, clock, scaler, model
                )
        except Stopped:
            return history, True
        except NonFiniteLossError as e:
            model.load_state_dict(good)
            e.history = history  # the epochs that did finish, for whoever keeps the model
            raise
        except torch.cuda.OutOfMemoryError as e:
            # Never a crash: the epoch ends with a batch size that fits (halving), the last good weights.
            error = gpu_memory_error(*once.step_parts(model, feeder), state, criterion, epoch)
            model.load_state_dict(good)
            if error is None:  # not even one image fits: the general out-of-memory message
                raise
            error.history = history
            raise error from e
        if once.active:
            val_loss, val_acc = once.validate(criterion)
        else:
            val_loss, val_acc = validate(model, val, state, criterion, getattr(feeder, "lost", None))
        if isinstance(feeder, StreamFeeder):
            feeder.say_lost()  # pictures that vanished during this epoch, once the epoch has read them all
        if len(val) and not math.isfinite(val_loss):
            # Weights that give a NaN/inf validation loss are not a good epoch: the last good one stays.
            model.load_state_dict(good)
            error = NonFiniteLossError(
                _(
                    "the validation loss became {val_loss} in epoch {epoch}: lower the learning rate or "
                    "check the data"
                ).format(val_loss=val_loss, epoch=epoch)
            )
            error.history = history
            raise error
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
        state.emit({**event, **device_facts(state.device)})  # the window shows them; history keeps none
        if state.on_snapshot is not None:  # a run folder's last.pt: at most this epoch can be lost
            state.on_snapshot(capture(epoch, phase, model, optimizer, scheduler, generator, history, scaler))
    return history, False
