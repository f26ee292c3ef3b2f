"""Run folders: every run gets its own folder, written as it trains, and can be resumed from it.

``runs/<dataset>-<model>-<N>/`` (N counts up; an existing folder is never reused) holds

``config.json``
    The run's three configurations (``DataConfig``, ``ModelConfig``, ``TrainConfig`` as dicts).
``history.csv``
    One row per finished epoch (the columns of ``HISTORY_COLUMNS``), rewritten after every epoch.
``last.pt``
    A Taller checkpoint of the last finished epoch plus a ``"training"`` entry: optimizer, schedule,
    epoch, phase, history and random-number states (``engine.train.snapshot``). ``main.py train
    --resume RUN_DIR`` and the window's Resume button continue from it at the next epoch.
``best.pt``
    A Taller checkpoint of the epoch with the best validation accuracy so far.
``filters.npz``
    The first layer's weights as the run started and after each epoch (``engine.filter_history``).

Every file is written atomically (temporary name, fsync, rename), so a kill at any moment leaves
the previous epoch's files loadable. The runner (``engine.train.runner``) adds ``model.pt`` and the
metrics files at the end (``engine.files.write_set``). Lightning's ``version_N`` and Ultralytics'
``trainN`` folders are the model.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from engine.checkpoints import atomic_write, checkpoint_payload, plain, read_payload, save_payload
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import folder_path
from engine.errors import CheckpointError, TrainingError, os_reason
from engine.filter_history import record as record_filters
from engine.i18n import _
from engine.report.exports import HISTORY_COLUMNS
from engine.train.fallback import resume_stand_in
from engine.train.layout import BEST, CONFIG, HISTORY, LAST
from engine.train.layout import MODEL as MODEL  # the names callers have imported from here
from engine.train.layout import RUNS_ROOT as RUNS_ROOT
from engine.train.layout import runs_root as runs_root

# What config.json holds: enough to train the run again or resume it, readable without PyTorch.
CONFIG_KEYS = ("data_config", "model_config", "train_config", "created")


def run_name(dataset: str, arch: str) -> str:
    """``<dataset>-<arch>``: a folder dataset is named by its folder's own name."""
    path = folder_path(dataset)
    name = Path(path).name if path else dataset
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "data"
    return f"{safe}-{arch}"


def new_run_dir(root: str | Path, dataset: str, arch: str) -> Path:
    """Create and return ``root/<dataset>-<arch>-<N>`` with the first N not taken (never an old folder).

    ``mkdir`` without ``exist_ok`` makes the choice safe against another run starting at the same time.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    base = run_name(dataset, arch)
    taken = [p.name[len(base) + 1 :] for p in root.glob(f"{base}-*")]
    n = 1 + max((int(t) for t in taken if t.isdigit()), default=0)
    while True:
        path = root / f"{base}-{n}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


class RunFolder:
    """Writes a run's files as it trains: config first, then history, last and best after each epoch.

    Parameters
    ----------
    path : Path
        The run's folder (created if needed).
    meta : dict
        What every checkpoint of the run carries (``engine.train.run.run_meta`` of what is known
        before training: ``arch``, ``classes``, ``spec``, the configurations and the rest).
    """

    def __init__(self, path: str | Path, meta: dict[str, Any] | None = None):
        self.path = Path(path)
        self.meta = dict(meta or {})
        self.best_acc = -math.inf
        self.write_error: str | None = None  # why the last epoch's files could not be written
        self.saved_epoch = 0  # the epoch last.pt holds (0: none written by this run yet)
        self.best_epoch = 0  # the epoch best.pt holds, when this run wrote it (0: it did not)
        self._unwritten: dict[str, Any] | None = None  # the snapshot whose files failed, for retry()

    def start(self, meta: dict[str, Any], history: list[dict[str, Any]] | None = None) -> None:
        """Remember the checkpoint metadata and write ``config.json`` (its configurations and date).

        ``history`` is what a resumed run finished before, so ``best.pt`` is replaced only by a
        better epoch.
        """
        self.meta = dict(meta)
        self.best_acc = best_accuracy(history or [])
        config = {key: meta[key] for key in CONFIG_KEYS if key in meta}
        text = json.dumps(plain(config), indent=2)
        atomic_write(self.path / CONFIG, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def on_start(self, model) -> None:
        """Before the first epoch: keep the first layer's weights as the run starts them."""
        try:
            self._record_filters(0, 1, model.state_dict())
        except OSError:
            pass  # the history then starts at epoch 1; a folder that cannot be written fails there, said

    def _record_filters(self, epoch: int, phase: int, state_dict: dict[str, Any]) -> None:
        spec = self.meta.get("spec") or {}
        shape = tuple(int(spec.get(k, 0)) for k in ("channels", "height", "width"))
        record_filters(self.path, epoch, phase, state_dict, shape)

    def on_snapshot(self, snapshot: dict[str, Any]) -> None:
        """After an epoch: ``last.pt``, ``best.pt`` when validation accuracy improved, ``history.csv``.

        A file that cannot be written (disk full, folder made read-only) does not end the run: the
        model stays in memory for whoever saves it at the end, ``write_error`` says what failed and
        ``retry`` tries the snapshot again. torch.save reports a full disk as a RuntimeError of its
        zip writer, which counts as a failed write too.
        """
        try:
            self.write_epoch(snapshot)
        except OSError as e:
            self.write_error = f"{os_reason(e)} ({e.filename or self.path})"
            self._unwritten = snapshot
        except RuntimeError:
            self.write_error = _(
                "the files of epoch {epoch} could not be written (is the disk full?)"
            ).format(epoch=snapshot["epoch"])
            self._unwritten = snapshot
        else:
            self.write_error, self._unwritten = None, None
            self.saved_epoch = int(snapshot["epoch"])

    def retry(self) -> bool:
        """Write the last snapshot whose files failed, once more (the run's end); True when none is left."""
        if self._unwritten is not None:
            self.on_snapshot(self._unwritten)
        return self._unwritten is None

    def write_epoch(self, snapshot: dict[str, Any]) -> None:
        """The three files of one finished epoch."""
        history = snapshot["history"]
        meta = {**self.meta, "history": [epoch_record(h) for h in history], "stopped": False}
        last = checkpoint_payload(snapshot["model"], meta)
        training = {k: v for k, v in snapshot.items() if k != "model"}
        save_payload(self.path / LAST, {**last, "training": training})
        val_acc = float(history[-1].get("val_acc", math.nan))
        if math.isfinite(val_acc) and val_acc > self.best_acc:
            save_payload(self.path / BEST, last)
            # Only once written: a retry after a failed write must write it again.
            self.best_acc, self.best_epoch = val_acc, int(snapshot["epoch"])
        write_history(self.path / HISTORY, history)
        self._record_filters(int(snapshot["epoch"]), int(snapshot.get("phase", 1)), snapshot["model"])


def epoch_record(event: dict[str, Any]) -> dict[str, Any]:
    """An ``epoch_end`` event as the metadata keeps it (without the event's kind or replay mark)."""
    return {k: v for k, v in event.items() if k not in ("event", "replayed")}


def write_history(path: Path, history: list[dict[str, Any]]) -> Path:
    """history.csv: the header ``HISTORY_COLUMNS`` and one row per finished epoch."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(HISTORY_COLUMNS)
            out.writerows([[h.get(c) for c in HISTORY_COLUMNS] for h in history])

    return atomic_write(path, write)


def read_configs(run_dir: str | Path) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The three configurations in a run folder's ``config.json``.

    Raises
    ------
    TrainingError
        The folder is not a run folder, or its config.json is damaged.
    """
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).is_file():
        raise TrainingError(
            _("{run_dir} is not a run folder (it has no {config}); choose one under runs/").format(
                run_dir=run_dir, config=CONFIG
            )
        )
    try:
        config = json.loads((run_dir / CONFIG).read_text(encoding="utf-8"))
        return (
            DataConfig.from_dict(config["data_config"]),
            ModelConfig.from_dict(config["model_config"]),
            TrainConfig.from_dict(config["train_config"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise TrainingError(
            _("cannot resume {run_dir}: its {config} is damaged ({e})").format(
                run_dir=run_dir, config=CONFIG, e=e
            )
        ) from e


def load_run(run_dir: str | Path) -> tuple[DataConfig, ModelConfig, TrainConfig, dict[str, Any]]:
    """The configurations of a run folder and the snapshot to resume it from (its ``last.pt``).

    When last.pt cannot be read, best.pt or model.pt stands in (``engine.train.fallback``): the
    snapshot then lacks the optimizer and random-number states, and its ``"note"`` says so.

    Raises
    ------
    TrainingError
        The folder is not a run folder or has no finished epoch.
    """
    run_dir = Path(run_dir)
    data_cfg, model_cfg, train_cfg = read_configs(run_dir)
    if not (run_dir / LAST).is_file():
        raise TrainingError(
            _("cannot resume {run_dir}: no epoch finished before it stopped; start it again").format(
                run_dir=run_dir
            )
        )
    try:
        return data_cfg, model_cfg, train_cfg, _snapshot(run_dir)
    except CheckpointError as e:
        # A damaged last.pt: go on from best.pt or model.pt, saying so (snapshot["note"]).
        try:
            snapshot, note = resume_stand_in(run_dir, e)
        except CheckpointError as none_left:
            raise TrainingError(
                _("cannot resume {run_dir}: {message}").format(run_dir=run_dir, message=none_left.message)
            ) from e
        return data_cfg, model_cfg, train_cfg, {**snapshot, "note": note}


def _snapshot(run_dir: Path) -> dict[str, Any]:
    """The training snapshot in a run's last.pt, with its model's weights."""
    payload = read_payload(run_dir / LAST)
    training = payload.get("training")
    if not isinstance(training, dict) or "epoch" not in training:
        raise CheckpointError(_("its {last} holds no training state").format(last=LAST))
    return {**training, "model": payload["state_dict"]}


def best_accuracy(history: list[dict[str, Any]]) -> float:
    """The best finite validation accuracy of a history (-inf when there is none)."""
    accs = [float(h.get("val_acc", math.nan)) for h in history]
    return max((a for a in accs if math.isfinite(a)), default=-math.inf)
