"""TensorBoard scalars beside a run (``tensorboard --logdir runs``), when the optional package is installed.

The run's events are the source: ``with_tensorboard`` wraps an event callback so that every
``epoch_end`` also becomes scalars in ``RUN_DIR/tensorboard``; without ``tensorboard`` it does nothing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.i18n import _
from engine.names import display_name

TENSORBOARD_DIR = "tensorboard"
SCALARS = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")


def tensorboard_available() -> bool:
    """True when the optional ``tensorboard`` package is installed."""
    return importlib.util.find_spec("tensorboard") is not None


class TensorBoardLog:
    """Writes each epoch's losses, accuracies and learning rate as TensorBoard scalars.

    A no-op when ``tensorboard`` is not installed, or when the run folder's path is not UTF-8 (a
    Latin-1 name), which TensorBoard's writer cannot open: ``unusable`` then says why. The scalars
    go to ``RUN_DIR/tensorboard``; with K-Fold each fold has its own tag prefix.
    """

    def __init__(self, run_dir: str | Path):
        self.folder = Path(run_dir) / TENSORBOARD_DIR
        self.writer = None
        self.unusable: str | None = None
        if tensorboard_available() and display_name(self.folder) != str(self.folder):
            self.unusable = _(
                "TensorBoard cannot write into {folder}: its path holds a name that is not UTF-8 "
                "text. The run goes on without TensorBoard scalars (history.csv holds the same "
                "numbers); to have them, keep the runs in a folder whose path has only UTF-8 names."
            ).format(folder=display_name(self.folder))
        elif tensorboard_available():
            # optional: tensorboard is never required; torch's writer needs it installed
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(self.folder))

    def on_event(self, event: dict[str, Any]) -> None:
        if self.writer is None or event.get("event") != "epoch_end":
            return
        prefix = f"fold{event['fold']}/" if event.get("fold") else ""
        for key in SCALARS:
            if event.get(key) is not None:
                self.writer.add_scalar(prefix + key, float(event[key]), int(event["epoch"]))
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def with_tensorboard(
    run_dir: str | Path, on_event: Callable[[dict[str, Any]], None] | None
) -> tuple[Callable[[dict[str, Any]], None], TensorBoardLog]:
    """An event callback that also logs to TensorBoard beside the run; close the log when done."""
    log = TensorBoardLog(run_dir)
    if log.unusable and on_event is not None:
        on_event({"event": "warning", "message": log.unusable})

    def both(event: dict[str, Any]) -> None:
        if on_event is not None:
            on_event(event)
        log.on_event(event)

    return both, log
