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
6. write ``model.pt`` and the metrics files as one set (``engine.files.write_set``), and when the
   folder cannot be written, the model to a fallback file that ``RunResult.save_error`` names.

So a run folder holds the same files whoever made it. Under torchrun only rank 0 does 1, 2, 4 and 6;
the other ranks train their shard in step.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.checkpoints import save_checkpoint
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import is_folder, load_dataset
from engine.data.splits import imbalance_warning
from engine.data.types import ImageData
from engine.errors import TrainingError
from engine.files import write_set
from engine.freezing import preset as freeze_preset
from engine.i18n import _
from engine.models import registry as architectures
from engine.models.build import build_model
from engine.models.weights import require_weights
from engine.report.exports import METRICS_FILES, write_metrics
from engine.train import distributed
from engine.train.lock import RunLock
from engine.train.request import RunRequest
from engine.train.run import RunResult, model_spec, run
from engine.train.runs import BEST, CONFIG, HISTORY, LAST, MODEL, RunFolder, load_run, new_run_dir, runs_root
from engine.train.state import EventCallback
from engine.train.tensorboard import with_tensorboard

SKIPPED_SHOWN = 5  # unreadable files named one by one; the rest are counted
# A photo folder smaller than this, trained from random weights, gets the hint that ImageNet weights
# help: transfer learning's gain is largest where there are too few photos to learn features from.
SMALL_PHOTO_SET = 2000  # every photo of the folder: training, validation and test
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
        request = prepared(request, events)
        return _train_in_folder(folder, request, None, events, stop, also)


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
        events.status(_("Loading {dataset}…").format(dataset=request.data_cfg.dataset))
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
    for name in (CONFIG, HISTORY, LAST, BEST, MODEL, *METRICS_FILES):
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
    if run_folder.write_error and not run_folder.retry():  # tried again at the end: space may be free now
        events.warning(unwritten_message(folder, run_folder))
    if result.history:
        result.save_error = save_final(folder, result, also)
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


# --- resume's rules ---------------------------------------------------------------------------------


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


# --- the final files --------------------------------------------------------------------------------


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
    """The OS's words for a failed file operation (``Permission denied``, ``No space left on device``)."""
    return error.strerror or str(error) or type(error).__name__
