"""The Training panel's words for a run's events: log lines and the progress bar's text.

Plain functions of the engine's event dicts, so the panel only decides where the words go. The
words go through Qt's translation (context "run_lines"); numbers are written by gui.language
(engine.formatting's formats in the window's locale).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from gui.language import duration, number, percent


def epoch_line(event: dict[str, Any]) -> str:
    """One log line for an epoch_end event."""
    fold = (
        QCoreApplication.translate("run_lines", "Fold {fold} · ").format(fold=event["fold"])
        if event.get("fold")
        else ""
    )
    return fold + QCoreApplication.translate(
        "run_lines",
        "Epoch {epoch}/{epochs}: train loss {train_loss}, accuracy {train_acc} · "
        "validation loss {val_loss}, accuracy {val_acc} · {took}",
    ).format(
        epoch=event.get("epoch"),
        epochs=event.get("epochs"),
        train_loss=number(event.get("train_loss")),
        train_acc=percent(event.get("train_acc")),
        val_loss=number(event.get("val_loss")),
        val_acc=percent(event.get("val_acc")),
        took=duration(event.get("seconds", float("nan"))),
    )


def progress(event: dict[str, Any], folds: int, stopping: bool) -> tuple[float, str]:
    """(fraction done, progress-bar text) for a progress event; ``folds`` is 0 without K-Fold."""
    epoch, epochs = event.get("epoch", 1), max(1, event.get("epochs", 1))
    batch, batches = event.get("batch", 0), max(1, event.get("batches", 1))
    done = ((epoch - 1) + batch / batches) / epochs
    fold = event.get("fold", 0)
    if folds and fold:
        done = ((fold - 1) + done) / folds
    prefix = (
        QCoreApplication.translate("run_lines", "Fold {fold}/{folds} · ").format(fold=fold, folds=folds)
        if folds and fold
        else ""
    )
    eta = event.get("eta")
    left = (
        QCoreApplication.translate("run_lines", " · {time} left").format(time=duration(eta))
        if eta is not None
        else ""
    )
    tail = QCoreApplication.translate("run_lines", " · stopping…") if stopping else ""
    text = QCoreApplication.translate("run_lines", "Epoch {epoch}/{epochs} · batch {batch}/{batches}").format(
        epoch=epoch, epochs=epochs, batch=batch, batches=batches
    )
    return min(1.0, done), f"{prefix}{text}{left}{tail}"


def phase_line(event: dict[str, Any]) -> str:
    """Log line for a phase event (fine-tuning unfroze layers)."""
    names = event.get("unfrozen") or []
    more = (
        QCoreApplication.translate("run_lines", " and {count} more").format(count=len(names) - 4)
        if len(names) > 4
        else ""
    )
    shown = ", ".join(names[:4]) + more
    return QCoreApplication.translate(
        "run_lines", "Phase {phase} from epoch {epoch}: unfroze {layers}"
    ).format(
        phase=event.get("phase", 2),
        epoch=event.get("epoch"),
        layers=shown or QCoreApplication.translate("run_lines", "all layers"),
    )


def fold_line(event: dict[str, Any]) -> str:
    """Log line for a fold_end event."""
    return QCoreApplication.translate(
        "run_lines", "Fold {fold}/{folds} done: validation loss {val_loss}, accuracy {val_acc}"
    ).format(
        fold=event.get("fold"),
        folds=event.get("folds"),
        val_loss=number(event.get("val_loss")),
        val_acc=percent(event.get("val_acc")),
    )
