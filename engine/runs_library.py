"""The runs library: every run folder under the runs folder, found again after the window closes.

``list_runs`` reads each run folder's metadata (``engine.train.runs`` writes ``config.json``,
``history.csv``, ``last.pt``, ``best.pt`` and, once the run has ended, ``model.pt`` and
``metrics.json``) from its checkpoint without building any model: the window needs all of it.
``run_summaries`` reads only the plain files (config.json, history.csv, metrics.json) for the one
line ``taller runs`` prints per run, so it lists runs without importing torch; only a folder that
lacks them (an older version's run) is read from its checkpoint. ``delete_runs`` removes only
folders that are run folders inside the runs folder. ``run_configs`` gives the three
configurations to run one again.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import CheckpointError, ConfigError, TallerError, os_reason
from engine.i18n import _
from engine.train.layout import BEST, CONFIG, HISTORY, LAST, METRICS, MODEL

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
    # deferred: torch reads checkpoints; run_summaries lists runs without it
    from engine.checkpoints import read_payload

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


def run_folders(root: str | Path) -> list[Path]:
    """The run folders directly under ``root``, oldest first (none when ``root`` is not a folder)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if is_run_folder(p)), key=lambda p: (p.stat().st_mtime, p.name))


def list_runs(root: str | Path, unfinished: bool = False) -> tuple[list[SavedRun], list[str]]:
    """Every run folder directly under ``root``, oldest first, and a message per unreadable one.

    With ``unfinished`` a run whose first epoch never ended is listed (``read_unfinished``) instead
    of a message; its damaged files still give one.
    """
    runs, errors = [], []
    for folder in run_folders(root):
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
            raise TallerError(_("cannot delete {name}: {e}").format(name=target.name, e=os_reason(e))) from e
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


@dataclass(frozen=True)
class RunSummary:
    """One line of ``taller runs``: accuracies are fractions, None where the run has none (yet);
    ``checkpoint`` is None for a run stopped before its first epoch ended."""

    name: str
    model: str | None
    dataset: str | None
    epochs: int
    val_acc: float | None
    test_acc: float | None
    test_images: int | None
    checkpoint: Path | None
    ended: bool  # metrics.json written: the run finished, was stopped or failed, and is not running

    def to_json(self) -> dict[str, Any]:
        """The summary as plain JSON values (the path as a string)."""
        return {**asdict(self), "checkpoint": None if self.checkpoint is None else str(self.checkpoint)}


def run_summaries(root: str | Path) -> tuple[list[RunSummary], list[str]]:
    """A summary of every run folder under ``root``, oldest first, and a message per unreadable one."""
    summaries, errors = [], []
    for folder in run_folders(root):
        try:
            summaries.append(summarise_run(folder))
        except CheckpointError as e:
            errors.append(e.message)
    return summaries, errors


def summarise_run(folder: Path) -> RunSummary:
    """A run folder's summary from its config.json, history.csv and metrics.json, else its checkpoint.

    Raises
    ------
    CheckpointError
        The folder lacks those files and has no readable checkpoint either.
    """
    checkpoint = next((folder / n for n in CHECKPOINTS if (folder / n).is_file()), None)
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        if checkpoint is not None or (folder / HISTORY).is_file():  # an epoch finished
            with open(folder / HISTORY, newline="", encoding="utf-8") as fh:
                history = list(csv.DictReader(fh))
        else:
            history = []
        metrics = (
            json.loads((folder / METRICS).read_text(encoding="utf-8")) if (folder / METRICS).is_file() else {}
        )
        test = metrics.get("test") or {}
        return RunSummary(
            name=folder.name,
            model=config["model_config"]["arch"],
            dataset=config["data_config"]["dataset"],
            epochs=len(history),
            val_acc=_fraction(history[-1].get("val_acc")) if history else None,
            test_acc=_fraction(test.get("accuracy")),
            test_images=test.get("n"),
            checkpoint=checkpoint,
            ended=bool(metrics),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        # An older version's run, or plain files damaged: its checkpoint says the same, with torch.
        return _summary_of(read_run(folder))


def _summary_of(saved: SavedRun) -> RunSummary:
    history = saved.meta.get("history") or []
    test = saved.meta.get("test") or {}
    return RunSummary(
        name=saved.name,
        model=saved.meta.get("arch"),
        dataset=saved.meta.get("dataset"),
        epochs=len(history),
        val_acc=_fraction(history[-1].get("val_acc")) if history else None,
        test_acc=_fraction(test.get("accuracy")),
        test_images=test.get("n"),
        checkpoint=saved.checkpoint,
        ended=saved.checkpoint.name == MODEL,
    )


def _fraction(value: Any) -> float | None:
    """An accuracy read from CSV or JSON ("0.95", 0.95, "" or null) as a finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
