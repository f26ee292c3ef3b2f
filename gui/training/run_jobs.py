"""The work the Training panel hands to its worker thread: a new run, or a stopped run resumed.

Both run in the worker (loading data and ``last.pt`` can take seconds) and both write a run folder
as they go (``engine.train.runs``), so closing the window or a crash loses at most the current epoch.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication

from engine.runs_library import with_tensorboard
from engine.train import run as train_run
from engine.train.runs import RunFolder, load_run, new_run_dir, runs_root


def train_job(data_cfg, model_cfg, train_cfg, data):
    """A task function: train in a new ``runs/<dataset>-<model>-<N>/`` folder."""

    def job(on_event, stop):
        folder = RunFolder(new_run_dir(runs_root(), data_cfg.dataset, model_cfg.arch))
        message = QCoreApplication.translate("run_jobs", "Saving each epoch in {folder}")
        on_event({"event": "status", "message": message.format(folder=folder.path)})
        on_event, tensorboard = with_tensorboard(folder.path, on_event)  # only if it is installed
        try:
            result = train_run.run(
                data_cfg, model_cfg, train_cfg, on_event=on_event, stop=stop, data=data, folder=folder
            )
        finally:
            tensorboard.close()
        result.meta["run_dir"] = str(folder.path)  # the Runs tab reopens, reruns and deletes it from there
        report_write_error(folder, on_event)
        return result

    return job


def resume_job(run_dir: str | Path):
    """A task function: continue the run in ``run_dir`` at its next epoch, in the same folder.

    The epochs finished before are replayed as ``epoch_end`` events first, so the curves are whole.
    """

    def job(on_event, stop):
        data_cfg, model_cfg, train_cfg, snapshot = load_run(run_dir)
        message = QCoreApplication.translate("run_jobs", "Resuming {folder} at epoch {epoch}")
        on_event({"event": "status", "message": message.format(folder=run_dir, epoch=snapshot["epoch"] + 1)})
        for event in snapshot["history"]:
            on_event({**event, "event": "epoch_end"})
        folder = RunFolder(run_dir)
        result = train_run.run(data_cfg, model_cfg, train_cfg, on_event, stop, folder=folder, resume=snapshot)
        report_write_error(folder, on_event)
        return result

    return job


def report_write_error(folder: RunFolder, on_event) -> None:
    """Say in the log when the run folder could not be written; the model itself is still in memory."""
    if folder.write_error:
        message = QCoreApplication.translate(
            "run_jobs", "Could not save epochs in {folder}: {reason}. Save model keeps the model."
        ).format(folder=folder.path, reason=folder.write_error)
        on_event({"event": "status", "message": message})
