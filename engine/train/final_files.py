"""A run's final files: ``model.pt`` and the metrics files as one set, or the model somewhere safe.

When the run folder cannot be written (read-only, disk full, a file in the way) the model goes to a
fallback file beside it, else in the system's temporary folder, and the sentence returned names it.

When the best epoch is the last one, ``best.pt`` would hold the same weights as ``model.pt``; it
becomes a hard link to ``model.pt`` instead, so a run folder does not store them twice (a VGG-16 run
at 224 px would spend 537 MB on the copy). Where the file system has no hard links (FAT, some
network shares) the ``best.pt`` written during the run stays as it is. Every reader opens either
name as an ordinary file, and a later write to either replaces that name only (``atomic_file``).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from engine.checkpoints import save_checkpoint
from engine.errors import os_reason
from engine.files import write_set
from engine.i18n import _
from engine.report.exports import write_metrics
from engine.train.run import RunResult
from engine.train.runs import BEST, MODEL


def save_final(
    out: Path, result: RunResult, also: str | Path | None = None, best_is_final: bool = False
) -> str | None:
    """Write model.pt and the metrics files into ``out`` as one set, then the copy at ``also``.

    ``best_is_final``: ``best.pt`` holds the weights of ``result.model``, so it becomes a link to
    ``model.pt`` (see the module).

    Returns None when all was written, else the sentence a user reads: what could not be written and
    where the model is instead (a fallback file beside ``out``, else in the temporary folder).
    """
    labels = None
    if result.test_probabilities is not None and result.splits is not None:
        labels = result.splits.test.labels.numpy()

    def write(stage: Path) -> None:
        save_checkpoint(stage / MODEL, result.model, result.meta)
        write_metrics(stage, result.meta, result.test, result.test_probabilities, labels)
        if best_is_final:
            try:
                os.link(stage / MODEL, stage / BEST)  # swapped in with the set, replacing the copy
            except OSError:
                pass  # no hard links here: the best.pt already in the folder is carried over

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
