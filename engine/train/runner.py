"""The one way a run happens, whoever starts it: the window's Train, Resume and Run again, ``taller
train`` (``--resume`` too), each process of a ``--devices``/torchrun run, and K-Fold.

``start(request)`` trains a new run in its folder and ``resume(run_dir)`` continues a stopped one. Both

1. take the run folder's lock (``engine.train.lock``): a second writer is refused at once, naming the
   process that holds it; the lock of a process that died is taken over, and said so;
2. load the data unless the request carries it, and say what the data warns about (skipped files,
   class folders left out, imbalance) as ``warning`` events;
3. on resume, replay the finished epochs as ``epoch_end`` events marked ``"replayed": True``, so
   curves are whole (a terminal, which printed them when they ran, prints them not again);
4. log TensorBoard scalars beside the run when the package is installed (``engine.train.tensorboard``);
5. train (``engine.train.run.run``), writing config, history, ``last.pt`` and ``best.pt`` as it goes;
6. write ``model.pt`` and the metrics files as one set (``engine.train.final_files``), and when the
   folder cannot be written, the model to a fallback file that ``RunResult.save_error`` names.

So a run folder holds the same files whoever made it. Under torchrun only rank 0 does 1, 2, 4 and 6;
the other ranks train their shard in step.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.config import ModelConfig
from engine.data.registry import is_folder, load_dataset
from engine.data.splits import imbalance_warning
from engine.data.types import ImageData
from engine.errors import TrainingError
from engine.evaluation import unreadable_note
from engine.filter_history import FILTERS
from engine.formatting import dataset_name
from engine.freezing import preset as freeze_preset
from engine.i18n import _
from engine.models import registry as architectures
from engine.models.build import build_model
from engine.models.weights import require_weights
from engine.report.exports import METRICS_FILES
from engine.train import distributed
from engine.train.final_files import save_final
from engine.train.lock import RunLock
from engine.train.request import RunRequest
from engine.train.resume_rules import check_unfinished, resumed_configs
from engine.train.run import RunResult, model_spec, run
from engine.train.runs import BEST, CONFIG, HISTORY, LAST, MODEL, RunFolder, load_run, new_run_dir, runs_root
from engine.train.state import EventCallback
from engine.train.tensorboard import with_tensorboard

SKIPPED_SHOWN = 5  # unreadable files named one by one; the rest are counted
# A photo folder smaller than this, trained from random weights, gets the hint that ImageNet weights
# help: transfer learning's gain is largest where there are too few photos to learn features from.
SMALL_PHOTO_SET = 2000  # every photo of the folder: training, validation and test


# --- the two entry points ---------------------------------------------------------------------------


def start(
    request: RunRequest,
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
    out: str | Path | None = None,
    also: str | Path | None = None,
) -> RunResult:
    """Train a new run in ``out`` (default: a new ``runs/<dataset>-<model>-<N>``); see the module.

    An existing ``out`` is reused: the files of a run it held before are removed first, so no
    ``best.pt`` of another run stays beside this one. ``also`` is a second copy of ``model.pt``.
    """
    if not distributed.is_main():
        return _train_shard(request, None, stop)
    folder = Path(out) if out else new_run_dir(runs_root(), request.data_cfg.dataset, request.model_cfg.arch)
    with RunLock(folder) as lock:
        events = _Events(on_event)
        events.say_lock(lock)
        clear_run_files(folder)
        events.status(_("Saving each epoch in {folder}").format(folder=folder))
        events({"event": "run_folder", "path": str(folder)})  # where the window reads the filters
        try:
            request = prepared(request, events)
        except BaseException:
            _remove_if_empty(folder)  # data or weights missing: no empty run folder left behind
            raise
        return _train_in_folder(folder, request, None, events, stop, also)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only an empty folder goes: whatever the user put there stays
    except OSError:
        pass


def resume(
    run_dir: str | Path,
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
    changes: Mapping[tuple[str, str], tuple[str, Any]] | None = None,
    also: str | Path | None = None,
) -> RunResult:
    """Continue the stopped run in ``run_dir`` at its next epoch, in the same folder.

    ``changes`` are settings asked for with the resume, keyed by (config, field) with the words the
    user gave them in ("--epochs 10") and the value; see ``resumed_configs``.
    """
    folder = Path(run_dir)
    lock = RunLock(folder) if distributed.is_main() else nullcontext()
    with lock:
        events = _Events(on_event)
        events.say_lock(lock)
        data_cfg, model_cfg, train_cfg, snapshot = load_run(folder)
        configs = resumed_configs(folder, (data_cfg, model_cfg, train_cfg), changes, int(snapshot["epoch"]))
        data_cfg, model_cfg, train_cfg = configs
        check_unfinished(folder, snapshot, train_cfg.epochs)
        request = RunRequest(data_cfg, model_cfg, train_cfg)
        if not distributed.is_main():
            return _train_shard(request, snapshot, stop)
        events.status(
            _("Resuming {folder} at epoch {epoch}").format(folder=folder, epoch=int(snapshot["epoch"]) + 1)
        )
        events({"event": "run_folder", "path": str(folder)})
        if snapshot.get("note"):  # last.pt was damaged: another checkpoint of the run stands in
            events.warning(snapshot["note"])
        for epoch in snapshot["history"]:
            events({**epoch, "event": "epoch_end", "epochs": train_cfg.epochs, "replayed": True})
        request = prepared(request, events)
        return _train_in_folder(folder, request, snapshot, events, stop, also)


# --- the steps --------------------------------------------------------------------------------------


class _Events:
    """The caller's event callback, with the runner's own status and warning lines."""

    def __init__(self, on_event: EventCallback | None):
        self.on_event = on_event

    def __call__(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def status(self, message: str) -> None:
        self({"event": "status", "message": message})

    def warning(self, message: str) -> None:
        self({"event": "warning", "message": message})

    def say_lock(self, lock: RunLock | nullcontext) -> None:
        holder = getattr(lock, "taken_over", None)
        if holder:
            self.status(
                _("took over the lock of process {pid} on {host}, which ended without finishing").format(
                    pid=holder.get("pid", "?"), host=holder.get("host", "?")
                )
            )


def prepared(request: RunRequest, events: _Events) -> RunRequest:
    """The request with its data loaded (and warned about) and its freeze preset resolved."""
    distributed.local_batch(request.train_cfg.batch_size)  # an uneven split of the global batch: refused now
    if request.model_cfg.pretrained:
        require_weights(request.model_cfg.arch)  # before the data loads: it may take a minute
    data = request.data
    if data is None:
        events.status(_("Loading {dataset}…").format(dataset=dataset_name(request.data_cfg.dataset)))
        with distributed.main_first():  # one download, not one per process
            data = load_dataset(request.data_cfg)
    for message in data_warnings(data):
        events.warning(message)
    model_cfg = request.model_cfg
    hint = pretrained_hint(data, model_cfg)
    if hint:
        events.warning(hint)
    if request.freeze_preset:
        frozen = preset_names(request.freeze_preset, model_cfg, data)
        model_cfg = replace(model_cfg, frozen=tuple(dict.fromkeys(model_cfg.frozen + frozen)))
    return replace(request, data=data, model_cfg=model_cfg, freeze_preset=None)


def data_warnings(data: ImageData) -> list[str]:
    """What a user should know about the data before training on it: the first few files that could
    not be read and their count, class folders left out, a heavy imbalance."""
    lines = [
        _("skipped {path}: {reason}").format(path=path, reason=reason)
        for path, reason in data.skipped[:SKIPPED_SHOWN]
    ]
    if data.skipped:
        lines.append(_("skipped {n} file(s) that are not usable images").format(n=len(data.skipped)))
    return lines + [w for w in [*data.warnings, imbalance_warning(data)] if w]


def pretrained_hint(data: ImageData, model_cfg: ModelConfig) -> str | None:
    """The hint that ImageNet weights would help: for a small folder of photos and random weights."""
    random_start = not (model_cfg.pretrained or model_cfg.init_checkpoint)
    photos = is_folder(data.name) and data.preparation == "image"
    n = sum(
        len(labels) for labels in (data.train_labels, data.val_labels, data.test_labels) if labels is not None
    )
    if not (random_start and photos and n < SMALL_PHOTO_SET):
        return None
    models = ", ".join(architectures.label(key) for key in architectures.pretrainable())
    return _(
        "{n} photos and random weights: on a photo set this small, a model that starts from "
        "ImageNet weights ({models}) usually does much better, since it need not learn to see from these "
        "photos alone."
    ).format(n=n, models=models)


def preset_names(preset: str, model_cfg: ModelConfig, data: ImageData) -> tuple[str, ...]:
    """'features', 'all' or 'last:N' as the dotted layer names of this model on this data.

    Raises
    ------
    TrainingError
        Another preset.
    """
    name, _colon, n = preset.partition(":")
    if name not in ("features", "last", "all") or (name == "last" and not n.isdigit()):
        raise TrainingError(
            _("--freeze-preset must be 'features', 'all' or 'last:N', not {preset!r}").format(preset=preset)
        )
    model = build_model(model_cfg.arch, model_spec(data, model_cfg), len(data.classes))
    return freeze_preset(model, model_cfg.arch, "last_n" if name == "last" else name, int(n or 1))


def clear_run_files(folder: Path) -> None:
    """Remove the files a run leaves (only those) from a folder that a new run is about to fill."""
    for name in (CONFIG, HISTORY, LAST, BEST, MODEL, FILTERS, *METRICS_FILES):
        (folder / name).unlink(missing_ok=True)


def _train_in_folder(
    folder: Path,
    request: RunRequest,
    snapshot: dict[str, Any] | None,
    events: _Events,
    stop: threading.Event | None,
    also: str | Path | None,
) -> RunResult:
    """Steps 4 to 6 of the module's list, for rank 0 (or the only process)."""
    run_folder = RunFolder(folder)
    logged, tensorboard = with_tensorboard(folder, events)
    try:
        cfgs = (request.data_cfg, request.model_cfg, request.train_cfg)
        result = run(*cfgs, logged, stop, data=request.data, folder=run_folder, resume=snapshot)
    finally:
        tensorboard.close()
    result.run_dir = folder
    if result.test and unreadable_note(result.test):
        events.warning(unreadable_note(result.test))
    if run_folder.write_error and not run_folder.retry():  # tried again at the end: space may be free now
        events.warning(unwritten_message(folder, run_folder))
    if result.history:
        # A stopped run's model may be part-way through the epoch after the one best.pt holds.
        best_is_final = not result.stopped and run_folder.best_epoch == result.history[-1]["epoch"]
        result.save_error = save_final(folder, result, also, best_is_final=best_is_final)
    return result


def unwritten_message(folder: Path, run_folder: RunFolder) -> str:
    """What could not be written during the run, what is kept, and how to continue it."""
    kept = _("could not save epochs in {out}: {error}").format(out=folder, error=run_folder.write_error)
    if run_folder.saved_epoch:
        kept += _("; its last.pt holds epoch {epoch}, which --resume continues").format(
            epoch=run_folder.saved_epoch
        )
    return kept


def _train_shard(
    request: RunRequest, snapshot: dict[str, Any] | None, stop: threading.Event | None
) -> RunResult:
    """A torchrun rank other than 0: loads the data, trains its shard in step; writes and says nothing."""
    request = prepared(request, _Events(None))
    return run(
        request.data_cfg, request.model_cfg, request.train_cfg, None, stop, request.data, resume=snapshot
    )
