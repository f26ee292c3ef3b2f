"""Progress on the terminal for the command line: tqdm bars on a terminal, plain lines when piped.

The engine reports "progress" events (``batch``/``batches`` of an epoch or of an evaluation,
``step``/``steps`` of an export); ``TerminalProgress`` draws them as a tqdm bar on stderr only when
stderr is a terminal, so a log file or a pipe gets the same per-epoch lines and no ``\\r`` clutter.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, TypeVar

from tqdm import tqdm

from engine.i18n import _

T = TypeVar("T")


def is_terminal(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal (not a pipe, a file or a test's buffer)."""
    return hasattr(stream, "isatty") and stream.isatty()


class TerminalProgress:
    """Draws "progress" events as a tqdm bar; prints epoch, phase, fold and status events as lines.

    Parameters
    ----------
    stream
        Where the bar and status lines go (stderr by default); epoch lines go to stdout.
    live
        Draw bars; by default only when ``stream`` is a terminal.
    label
        The bar's description; by default "epoch E/N" (with the fold) or the event's ``message``.
    mininterval
        Seconds between redraws (tqdm's throttle).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        live: bool | None = None,
        label: str | None = None,
        mininterval: float = 0.1,
    ):
        self.stream = stream or sys.stderr
        self.mininterval = mininterval
        self.live = is_terminal(self.stream) if live is None else live
        self.label = label
        self.bar: tqdm | None = None
        self._key: tuple | None = None

    def on_event(self, event: dict[str, Any]) -> None:
        """Draw a "progress" event; print the others as lines of their own."""
        if event["event"] == "progress":
            if self.live:
                self.draw(event)
            return
        line = None if event.get("replayed") else event_line(event)
        if line is not None:
            if event["event"] == "epoch_end":
                self.close()  # the epoch's bar gives way to the epoch's line
            spoken = event["event"] in ("status", "warning")  # to stderr, beside the bar; results to stdout
            tqdm.write(line, file=self.stream if spoken else sys.stdout)

    def draw(self, e: dict[str, Any]) -> None:
        """Move the bar to the event's count; a new epoch (or fold) starts a new bar."""
        done, total = (e["step"], e["steps"]) if "step" in e else (e["batch"], e["batches"])
        key = (e.get("fold"), e.get("epoch"), total)
        if self.bar is None or key != self._key:
            self.close()
            self._key = key
            self.bar = tqdm(
                total=total,
                desc=self.describe(e),
                file=self.stream,
                leave=False,
                dynamic_ncols=True,
                mininterval=self.mininterval,
                unit="step" if "step" in e else "batch",
            )
        self.bar.update(done - self.bar.n)

    def describe(self, e: dict[str, Any]) -> str:
        if self.label:
            return self.label
        if "epoch" in e:
            return _epoch_label(e)
        return str(e.get("message", ""))

    def close(self) -> None:
        """Remove the bar (call when the work ends; safe to call twice)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def track(items: Iterable[T], total: int, label: str, stream: TextIO | None = None) -> Iterator[T]:
    """``items`` with a tqdm bar on a terminal (several items only), unchanged when piped."""
    stream = stream or sys.stderr
    yield from tqdm(
        items, total=total, desc=label, file=stream, leave=False, disable=not is_terminal(stream) or total < 2
    )


def say(line: str, stream: TextIO | None = None) -> None:
    """Print a line (stdout by default) without breaking a bar being drawn."""
    tqdm.write(line, file=stream or sys.stdout)


def event_line(event: dict[str, Any]) -> str | None:
    """The line printed for an epoch, phase, fold, status or warning event (None for other events)."""
    kind = event["event"]
    if kind == "epoch_end":
        return (
            f"{_epoch_label(event)}  train_loss={event['train_loss']:.4f} "
            f"train_acc={event['train_acc']:.4f}  val_loss={event['val_loss']:.4f} "
            f"val_acc={event['val_acc']:.4f}  lr={event['lr']:.2g}  ({event['seconds']:.1f}s)"
        )
    if kind == "phase":
        return _("phase 2 from epoch {epoch}: unfrozen, lr={lr:.2g}").format(
            epoch=event["epoch"], lr=event["lr"]
        )
    if kind == "fold_end":
        fold = _("fold {fold}/{folds}").format(fold=event["fold"], folds=event["folds"])
        return f"{fold}  val_acc={event['val_acc']:.4f}"
    if kind == "status":
        return event["message"]
    if kind == "warning":
        return _("warning: {warning}").format(warning=event["message"])
    return None


def _epoch_label(e: dict[str, Any]) -> str:
    """``epoch 3/10``, or ``fold 2 epoch 3/10`` in a K-Fold run (the keys=values stay English)."""
    epoch = _("epoch {epoch}/{epochs}").format(epoch=e["epoch"], epochs=e["epochs"])
    return _("fold {fold} {epoch}").format(fold=e["fold"], epoch=epoch) if e.get("fold") else epoch
