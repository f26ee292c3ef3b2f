"""Everything training needs to go on exactly where it stopped: a snapshot taken after an epoch.

A snapshot holds the model's and optimizer's state, the learning-rate schedule, the epoch and phase,
the history so far and every random-number state (Python, numpy, torch, CUDA and the loop's own
shuffling generator), so that a run resumed from epoch N's snapshot trains the same batches in the
same order as a run that never stopped. Everything in it is a tensor or a plain value: it is saved
inside a checkpoint that loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.checkpoints import shapes
from engine.errors import TrainingError
from engine.i18n import _
from engine.unreadable import differences_summary, weight_differences


def rng_states(generator: torch.Generator) -> dict[str, Any]:
    """The states of every random-number generator training draws from, as tensors and plain values."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    states: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
        "generator": generator.get_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng(states: dict[str, Any], generator: torch.Generator) -> None:
    """Put back the states :func:`rng_states` took."""
    version, internal, gauss = states["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss))
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((str(kind), keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached)))
    torch.set_rng_state(states["torch"])
    generator.set_state(states["generator"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def capture(
    epoch: int,
    phase: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    generator: torch.Generator,
    history: list[dict[str, Any]],
    scaler: torch.amp.GradScaler | None = None,
) -> dict[str, Any]:
    """The snapshot after ``epoch`` (1-based) finished; the loop hands it to ``FitState.on_snapshot``.

    ``scaler``: float16's GradScaler, whose scale (grown and cut over the run) resumes as it was.
    """
    return {
        "scaler": None if scaler is None else scaler.state_dict(),
        "epoch": epoch,
        "phase": phase,
        "model": {k: v.detach() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": rng_states(generator),
        "history": [dict(h) for h in history],
    }


def restore(
    snapshot: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    generator: torch.Generator,
    scaler: torch.amp.GradScaler | None = None,
    steps_done: int = 0,
) -> list[dict[str, Any]]:
    """Load a snapshot into the model, optimizer, schedule, GradScaler and generators; returns the history.

    A snapshot without an optimizer state (a run's best.pt or model.pt standing in for a damaged
    last.pt, ``engine.train.fallback``) keeps the fresh optimizer and random-number states, and the
    schedule is stepped on by ``steps_done``, the batches of this phase already trained.

    Raises
    ------
    TrainingError
        The snapshot belongs to another model or optimizer (a run folder edited by hand).
    """
    found = weight_differences(shapes(snapshot["model"]), shapes(model.state_dict()))
    if found:
        raise TrainingError(
            _(
                "cannot resume: the saved weights do not fit this run's model ({summary}); the run folder "
                "was changed after the run stopped, so start the run again"
            ).format(summary=differences_summary(found))
        )
    try:
        model.load_state_dict(snapshot["model"])
        if "optimizer" not in snapshot:
            _step_schedule(scheduler, steps_done)
            return [dict(h) for h in snapshot.get("history", [])]
        optimizer.load_state_dict(snapshot["optimizer"])
        if scheduler is not None and snapshot.get("scheduler") is not None:
            scheduler.load_state_dict(snapshot["scheduler"])
        restore_rng(snapshot["rng"], generator)
        if scaler is not None and snapshot.get("scaler"):  # absent in snapshots of float32 runs
            scaler.load_state_dict(snapshot["scaler"])
    except (KeyError, ValueError, RuntimeError, TypeError) as e:
        raise TrainingError(
            _(
                "cannot resume: the training state saved in last.pt does not fit this run's settings (the "
                "run folder was changed after the run stopped); start the run again"
            )
        ) from e
    return [dict(h) for h in snapshot.get("history", [])]


def _step_schedule(scheduler: Any, steps: int) -> None:
    """Move a fresh learning-rate schedule on by ``steps`` batches, to where the run had it."""
    if scheduler is None:
        return
    with warnings.catch_warnings():
        # torch warns when a schedule steps before its optimizer has: here no batch is due.
        warnings.simplefilter("ignore", UserWarning)
        for _step in range(steps):
            scheduler.step()
