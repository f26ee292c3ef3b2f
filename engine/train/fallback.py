"""A run folder's checkpoints standing in for one another when one of them cannot be read.

A run folder holds three checkpoints (``engine.train.runs``): ``model.pt`` (the final model, written
when the run ended), ``best.pt`` (the epoch with the best validation accuracy) and ``last.pt`` (the
last finished epoch, with the training state ``--resume`` needs). When the one asked for is cut
short or otherwise damaged, the run's next one is used instead, and a note says which file was
damaged and which one is used: ``evaluate``, ``export``, ``export-notebook``, ``predict`` and the
window open models through ``open_checkpoint``/``read_run_payload``; ``--resume`` goes on from
``resume_stand_in``. A file that is not one of a run's checkpoints has no stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from engine import checkpoints
from engine.checkpoints import LoadedCheckpoint
from engine.errors import CheckpointError
from engine.i18n import _
from engine.train.layout import BEST, LAST, MODEL

# Which file stands in for which, in order: the final model is the run's answer, then the best
# epoch, then the last one (last.pt holds the same weights as model.pt once a run has ended).
STAND_INS = {MODEL: (BEST, LAST), BEST: (MODEL, LAST), LAST: (MODEL, BEST)}
RUN_ORDER = (MODEL, BEST, LAST)  # the file a run folder given by name is opened from
T = TypeVar("T")


def open_checkpoint(path: str | Path) -> LoadedCheckpoint:
    """``load_checkpoint(path)``, or another checkpoint of its run when it is damaged.

    ``path`` may also name a run folder (its model.pt, else best.pt, else last.pt). The loaded
    checkpoint's ``note`` says which file was damaged and which one is used instead ("" when none).

    Raises
    ------
    CheckpointError
        The file cannot be used and no other checkpoint of its run can either.
    """
    # Looked up when called, so a test can stand a failing loader in for it.
    loaded, _used, note = _first_readable(Path(path), checkpoints.load_checkpoint, lambda loaded: loaded.meta)
    loaded.note = note
    return loaded


def read_run_payload(path: str | Path) -> tuple[dict[str, Any], Path, str]:
    """``read_payload`` of a checkpoint or run folder with the same stand-ins as ``open_checkpoint``.

    Returns the payload, the file it came from and the note ("" when it is the one asked for).
    """
    return _first_readable(Path(path), checkpoints.read_payload, lambda payload: payload["meta"])


def resume_stand_in(run_dir: Path, error: CheckpointError) -> tuple[dict[str, Any], str]:
    """What a run goes on from when its ``last.pt`` cannot be read (``error``): the readable one of
    best.pt and model.pt that holds the most finished epochs, as a snapshot without optimizer or
    random-number states (``engine.train.snapshot.restore`` starts those afresh), and the note.

    Raises
    ------
    CheckpointError
        Neither can be used either, or neither holds a finished epoch.
    """
    found = []
    for name in (BEST, MODEL):
        try:
            payload = checkpoints.read_payload(run_dir / name)
        except CheckpointError:
            continue
        history = payload["meta"].get("history") or []
        if history:
            found.append((len(history), name, payload))
    if not found:
        raise _none_left(error, [BEST, MODEL])
    epochs, name, payload = max(found, key=lambda f: f[0])  # best.pt first among equals
    snapshot = {"epoch": epochs, "model": payload["state_dict"], "history": payload["meta"]["history"]}
    note = _(
        "{problem}. Resuming from {path} instead, after its epoch {epoch}: later epochs are trained again, "
        "and the optimizer and random state start afresh, so the result can differ a little from a run "
        "that never stopped."
    ).format(problem=error.message, path=run_dir / name, epoch=epochs)
    return snapshot, note


def _first_readable(
    path: Path, read: Callable[[Path], T], meta_of: Callable[[T], dict[str, Any]]
) -> tuple[T, Path, str]:
    """``read`` the checkpoint asked for, else its run's stand-ins in order; the value, file and note."""
    if path.is_dir() and any((path / name).is_file() for name in RUN_ORDER):
        path = next(path / name for name in RUN_ORDER if (path / name).is_file())
    try:
        return read(path), path, ""
    except CheckpointError as e:
        error = e
    others = [path.parent / name for name in STAND_INS.get(path.name, ()) if (path.parent / name).is_file()]
    for other in others:
        try:
            value = read(other)
        except CheckpointError:
            continue
        return value, other, _note(error, other, meta_of(value))
    if others:
        raise _none_left(error, [p.name for p in others]) from error
    raise error


def _note(error: CheckpointError, used: Path, meta: dict[str, Any]) -> str:
    done = len(meta.get("history") or [])
    planned = (meta.get("train_config") or {}).get("epochs")
    if done and isinstance(planned, int) and not isinstance(planned, bool):
        return _("{problem}. Using {path} of the same run instead (epoch {epoch} of {epochs}).").format(
            problem=error.message, path=used, epoch=done, epochs=planned
        )
    return _("{problem}. Using {path} of the same run instead.").format(problem=error.message, path=used)


def _none_left(error: CheckpointError, names: list[str]) -> CheckpointError:
    return CheckpointError(
        _("{problem}; the run's other checkpoints ({names}) cannot be used either").format(
            problem=error.message, names=", ".join(names)
        )
    )
