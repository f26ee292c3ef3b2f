"""The work the Training panel hands to its worker thread: a new run, or a stopped run resumed.

Both are the engine's runner (``engine.train.runner``), as the command line's are: the same run
folder, lock, TensorBoard scalars and final files. They run in the worker because loading data and
``last.pt`` can take seconds.
"""

from __future__ import annotations

from pathlib import Path

from engine.train import runner
from engine.train.request import RunRequest


def train_job(request: RunRequest):
    """A task function: train ``request`` in a new ``runs/<dataset>-<model>-<N>/`` folder."""

    def job(on_event, stop):
        return runner.start(request, on_event, stop)

    return job


def resume_job(run_dir: str | Path):
    """A task function: continue the run in ``run_dir`` at its next epoch, in the same folder.

    The epochs finished before are replayed as ``epoch_end`` events first, so the curves are whole.
    """

    def job(on_event, stop):
        return runner.resume(run_dir, on_event, stop)

    return job
