"""What a resumed run may change: more epochs, the device, how its data is read; nothing else.

A resume never ignores what it was asked: each change is applied or refused by name
(``resumed_configs``), and a run that has finished its epochs is not resumed (``check_unfinished``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import TrainingError
from engine.i18n import _

# How a run is read, or where it computes: a resumed run may change these and still be the same run.
RESUME_MAY_CHANGE = {
    ("data", "data_dir"),
    ("data", "download"),
    ("data", "loader"),
    ("data", "cache"),
    ("train", "device"),
}
# Schedules planned over the whole run: more epochs would bend their curve mid-run.
PLANNED_SCHEDULES = ("cosine", "onecycle")


def resumed_configs(
    folder: Path,
    configs: tuple[DataConfig, ModelConfig, TrainConfig],
    changes: Mapping[tuple[str, str], tuple[str, Any]] | None,
    done: int,
) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The run's own configurations with the ``changes`` that a resumed run can honour.

    More epochs than the ``done`` ones continue to the new total (unless the schedule was planned
    over the old one); how the data is read and the device may change. Any other change is refused,
    naming each one, so a resume never ignores what it was asked.

    Raises
    ------
    TrainingError
        A change that would make it another run.
    """
    kinds = dict(zip(("data", "model", "train"), configs, strict=True))
    applied: dict[str, dict[str, Any]] = {"data": {}, "model": {}, "train": {}}
    refused = []
    for (kind, name), (said, value) in (changes or {}).items():
        own = getattr(kinds[kind], name)
        if _same(value, own):
            continue
        why = _why_not(kind, name, value, own, kinds["train"], done)
        if why is None:
            applied[kind][name] = value
        else:
            refused.append(f"{said} ({why})")
    if refused:
        raise TrainingError(
            _(
                "{folder} resumes with its own settings, and these differ from them: {changes}. Leave them "
                "out to continue the run, or start a new run with them"
            ).format(folder=folder, changes="; ".join(refused))
        )
    return tuple(replace(kinds[k], **applied[k]) for k in ("data", "model", "train"))


def _why_not(kind: str, name: str, value: Any, own: Any, train_cfg: TrainConfig, done: int) -> str | None:
    """Why a resumed run cannot take this change (None: it can)."""
    if (kind, name) in RESUME_MAY_CHANGE:
        return None
    if (kind, name) != ("train", "epochs"):
        return _("the run has {value}").format(value=_shown(own))
    if value <= done:
        return _("the run has already finished {done} epochs").format(done=done)
    if train_cfg.schedule in PLANNED_SCHEDULES:
        return _("its {schedule} schedule was planned for {epochs} epochs").format(
            schedule=train_cfg.schedule, epochs=own
        )
    return None


def _same(value: Any, own: Any) -> bool:
    if isinstance(own, tuple):
        return tuple(value or ()) == own
    return value == own


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(value) or "–"
    return str(value)


def check_unfinished(folder: Path, snapshot: dict[str, Any], epochs: int) -> None:
    """Refuse to resume a run that has already finished ``epochs`` epochs."""
    done = int(snapshot["epoch"])
    if done >= epochs:
        raise TrainingError(
            _("{run_dir} already finished all {epochs} epochs; nothing to resume").format(
                run_dir=folder, epochs=done
            )
        )
