"""A run's final files: ``model.pt`` and the metrics files as one set, or the model somewhere safe.

When the run folder cannot be written (read-only, disk full, a file in the way) the model goes to a
fallback file beside it, else in the system's temporary folder, and the sentence returned names it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from engine.checkpoints import save_checkpoint
from engine.errors import os_reason
from engine.files import write_set
from engine.i18n import _
from engine.report.exports import write_metrics
from engine.train.run import RunResult
from engine.train.runs import MODEL


def save_final(out: Path, result: RunResult, also: str | Path | None = None) -> str | None:
    """Write model.pt and the metrics files into ``out`` as one set, then the copy at ``also``.

    Returns None when all was written, else the sentence a user reads: what could not be written and
    where the model is instead (a fallback file beside ``out``, else in the temporary folder).
    """
    labels = None
    if result.test_probabilities is not None and result.splits is not None:
        labels = result.splits.test.labels.numpy()

    def write(stage: Path) -> None:
        save_checkpoint(stage / MODEL, result.model, result.meta)
        write_metrics(stage, result.meta, result.test, result.test_probabilities, labels)

    try:
        write_set(out, write)
    except OSError as e:
        return _("could not write the run's files in {out} ({e}); {where}").format(
            out=out, e=reason(e), where=save_fallback(out, result)
        )
    if also:
        try:
            save_checkpoint(also, result.model, result.meta)
        except OSError as e:
            return _("could not write {also} ({e}); the run's files are in {out}").format(
                also=also, e=reason(e), out=out
            )
    return None


def save_fallback(out: Path, result: RunResult) -> str:
    """Save the model beside ``out``, else in the temporary folder; a sentence saying where (or not)."""
    name = f"{out.name or 'run'}-model-{time.strftime('%Y%m%d-%H%M%S')}.pt"
    tried = []
    for folder in (out.parent, Path(tempfile.gettempdir())):
        try:
            path = save_checkpoint(folder / name, result.model, result.meta)
            return _("the model was saved to {path} instead").format(path=path)
        except OSError as e:
            tried.append(f"{folder}: {reason(e)}")
    return _("the model could not be saved anywhere either ({tried})").format(tried="; ".join(tried))


def reason(error: OSError) -> str:
    """A failed file operation in the user's words (``permission denied``, ``the disk is full``)."""
    return os_reason(error)
