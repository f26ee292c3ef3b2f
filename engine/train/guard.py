"""The "not learning" guard: one warning when the first epoch leaves the model no better than chance.

A run at a learning rate far too low (``--lr 1e-9``) or far too high (SGD at 10) ends its epochs
at chance, and nothing else says so. The guard looks once, at the end of the first epoch or after
its first ``CHECK_BATCHES`` batches when the epoch is longer, at the training batches seen so far:

- *chance loss*: the entropy of the class shares of their labels, ``ln C`` for C equally common
  classes: the loss of a model that ignores the pictures and answers with the class shares;
  *chance accuracy*: the commonest class's share (``1/C`` when balanced);
- *start*: the mean loss of the first tenth of those batches (1 to 10 batches), near where the
  weights began; *now*: the mean loss and the accuracy of their second half.

It warns when the loss now is no lower than chance (within ``TOLERANCE``, 2 %) AND either no lower
than at the start (within 2 %: it has not come down at all) or the accuracy now is at chance (within
``MARGIN``, 2 points, or two standard errors of that accuracy when more). A hard dataset that
learns slowly still brings its loss below chance, or down from the start with its accuracy above
chance, so it stays silent; a NaN loss is left to the loop's own message. The likely cause: a
batch loss ``BLOWUP`` times the start's or chance's on the way means steps that overshoot (rate too
high); a flat loss, steps too small to move the weights (rate too low).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from engine.report.advice import NOT_LEARNING, warning_text
from engine.train.state import EventCallback, FitState

CHECK_BATCHES = 300  # "the first few hundred batches": a long first epoch is not waited for
TOLERANCE = 0.02  # batch-to-batch noise of a loss that does not move stays within this share
MARGIN = 0.02  # accuracy points over chance that still read as guessing
BLOWUP = 3.0  # a batch loss this many times the start's: steps that overshoot, not noise


def after_batch(
    state: FitState,
    epoch: int,
    done: int,
    batches: int,
    losses: list[torch.Tensor],
    outputs: list[torch.Tensor],
    labels: list[torch.Tensor],
) -> None:
    """At the check point of the first epoch (first fold only: said once), warn if not learning."""
    if epoch != 1 or state.fold > 1 or done != min(batches, CHECK_BATCHES):
        return
    record = not_learning(losses, outputs, labels, state.cfg.lr)
    if record is not None:
        record["message"] = warning_text(record)
        state.emit({"event": "warning", "message": record["message"], "record": record})


@torch.no_grad()
def not_learning(
    losses: list[torch.Tensor], outputs: list[torch.Tensor], labels: list[torch.Tensor], lr: float
) -> dict[str, Any] | None:
    """The numbers of the module's rule for the batches seen, or None when the model is learning."""
    loss = torch.stack(losses).float().cpu()
    if not bool(torch.isfinite(loss).all()):
        return None  # the loop's non-finite loss error says it
    n = len(losses)
    start = float(loss[: max(1, min(10, n // 10))].mean())
    half = n // 2
    now = float(loss[half:].mean())
    seen = torch.cat(labels).cpu()
    shares = torch.bincount(seen).double() / len(seen)
    shares = shares[shares > 0]
    chance = float(-(shares * shares.log()).sum())
    chance_acc = float(shares.max())
    recent = torch.cat(labels[half:]).cpu()
    accuracy = float((torch.cat(outputs[half:]).argmax(dim=1).cpu() == recent).double().mean())
    margin = max(MARGIN, 2 * math.sqrt(chance_acc * (1 - chance_acc) / len(recent)))
    flat = now >= (1 - TOLERANCE) * start
    if not (now >= (1 - TOLERANCE) * chance and (flat or accuracy <= chance_acc + margin)):
        return None
    peak = float(loss.max())
    cause = "high" if peak >= BLOWUP * max(float(loss[0]), chance) else "low" if flat else "unclear"
    return {
        "kind": NOT_LEARNING,
        "epoch": 1,
        "batches": n,
        "loss": now,
        "start": start,
        "chance": chance,
        "accuracy": accuracy,
        "chance_accuracy": chance_acc,
        "flat": flat,
        "peak": peak,
        "cause": cause,
        "lr": lr,
    }


class Kept:
    """The caller's event callback, keeping the records of the warnings a run's report carries."""

    def __init__(self, on_event: EventCallback | None):
        self.on_event = on_event
        self.records: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "warning" and "record" in event:
            self.records.append(event["record"])
        if self.on_event is not None:
            self.on_event(event)
