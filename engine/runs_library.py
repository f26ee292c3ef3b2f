"""The runs library: every run folder under the runs folder, found again after the window closes.

``list_runs`` reads each run folder's metadata (``engine.train.runs`` writes ``config.json``,
``history.csv``, ``last.pt``, ``best.pt`` and, once the run has ended, ``model.pt``) without building
any model, so the window and the command line list hundreds of runs in a moment. ``delete_runs``
removes only folders that are run folders inside the runs folder. ``run_configs`` gives the three
configurations to run one again.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.checkpoints import read_payload
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import CheckpointError, ConfigError, TallerError
from engine.i18n import _
from engine.train.runs import BEST, CONFIG, LAST, MODEL

CHECKPOINTS = (MODEL, BEST, LAST)  # the one to reopen first: the final model, the best, the last


@dataclass
class SavedRun:
    """A run folder found on disk: its metadata (with history), the checkpoint to reopen, its name.

    An unfinished run (stopped before its first epoch ended, or starting now) has no checkpoint:
    ``checkpoint`` is None and ``meta`` holds its ``config.json`` with ``"unfinished": True``.
    """

    folder: Path
    checkpoint: Path | None
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name


def is_run_folder(path: Path) -> bool:
    """A folder Taller wrote for a run: it holds config.json or one of the run's checkpoints."""
    return path.is_dir() and any((path / name).is_file() for name in (CONFIG, *CHECKPOINTS))


def read_run(folder: str | Path) -> SavedRun:
    """One run folder's metadata, read from its first readable checkpoint (no model is built).

    Raises
    ------
    CheckpointError
        The folder has no readable checkpoint (no epoch finished, or damaged files).
    """
    folder = Path(folder)
    problems = []
    for name in CHECKPOINTS:
        path = folder / name
        if not path.is_file():
            continue
        try:
            meta = read_payload(path)["meta"]
        except CheckpointError as e:
            problems.append(e.message)
            continue
        meta["run_dir"] = str(folder)  # where it is now, even if the runs folder was moved or copied
        return SavedRun(folder=folder, checkpoint=path, meta=meta)
    detail = problems[0] if problems else _("no epoch finished")
    raise CheckpointError(
        _("run {name} has no model to open: {detail}").format(name=folder.name, detail=detail)
    )


def read_unfinished(folder: str | Path) -> SavedRun | None:
    """A run folder with its ``config.json`` and no checkpoint file yet (no epoch finished), else None."""
    folder = Path(folder)
    if any((folder / name).is_file() for name in CHECKPOINTS):
        return None
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        data, model = config["data_config"], config["model_config"]
        arch, dataset = model["arch"], data["dataset"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    meta = {**config, "arch": arch, "dataset": dataset, "history": [], "unfinished": True}
    meta["run_dir"] = str(folder)
    return SavedRun(folder=folder, checkpoint=None, meta=meta)


def list_runs(root: str | Path, unfinished: bool = False) -> tuple[list[SavedRun], list[str]]:
    """Every run folder directly under ``root``, oldest first, and a message per unreadable one.

    With ``unfinished`` a run whose first epoch never ended is listed (``read_unfinished``) instead
    of a message; its damaged files still give one.
    """
    root = Path(root)
    if not root.is_dir():
        return [], []
    folders = sorted(
        (p for p in root.iterdir() if is_run_folder(p)), key=lambda p: (p.stat().st_mtime, p.name)
    )
    runs, errors = [], []
    for folder in folders:
        try:
            runs.append(read_run(folder))
        except CheckpointError as e:
            waiting = read_unfinished(folder) if unfinished else None
            if waiting is None:
                errors.append(e.message)
            else:
                runs.append(waiting)
    return runs, errors


def delete_runs(folders: list[str | Path], root: str | Path) -> list[Path]:
    """Delete run folders that lie directly in ``root``; returns those deleted.

    Raises
    ------
    TallerError
        A path is not a run folder inside ``root`` (nothing else is ever deleted), or cannot be removed.
    """
    root = Path(root).resolve()
    targets = [Path(f).resolve() for f in folders]
    for target in targets:
        if target.parent != root or not is_run_folder(target):
            raise TallerError(
                _("{target} is not a run folder in {root}; nothing was deleted").format(
                    target=target, root=root
                )
            )
    deleted = []
    for target in targets:
        try:
            shutil.rmtree(target)
        except OSError as e:
            raise TallerError(
                _("cannot delete {name}: {e}").format(name=target.name, e=e.strerror or e)
            ) from e
        deleted.append(target)
    return deleted


def run_configs(meta: dict[str, Any]) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The configurations a run was made with (from its metadata, else its folder's config.json).

    Raises
    ------
    ConfigError
        The run does not say how it was made (an old or foreign checkpoint).
    """
    saved = meta
    folder = meta.get("run_dir")
    if "train_config" not in meta and folder and (Path(folder) / CONFIG).is_file():
        saved = json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8"))
    try:
        return (
            DataConfig.from_dict(saved["data_config"]),
            ModelConfig.from_dict(saved["model_config"]),
            TrainConfig.from_dict(saved["train_config"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(
            _("this run does not record how it was made, so it cannot be run again ({e})").format(e=e)
        ) from e
