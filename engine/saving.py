"""What the command line does so that a run's work is never lost: signals, one set of files, a fallback.

- Ctrl+C (SIGINT) and SIGTERM during ``train`` stop the run like the window's Stop: the epoch in
  progress ends at the next batch, finished epochs are saved, and the exit says where. A second
  Ctrl+C quits at once (the run folder's ``last.pt`` still holds the last finished epoch).
- ``model.pt`` and the metrics files are written as one set (``engine.files.write_set``).
- When the run folder cannot be written (read-only, disk full, a file in the way) the model goes to
  a fallback file beside it, else in the system's temporary folder, and the message names it.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.checkpoints import save_checkpoint
from engine.errors import CliError
from engine.files import write_set
from engine.i18n import _
from engine.report.exports import write_metrics
from engine.train import distributed
from engine.train.run import RunResult
from engine.train.runs import LAST

STOP_SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM set ``stop`` (once) instead of killing the process.

    Yields a list that receives the number of the signal that asked to stop. A second signal raises
    KeyboardInterrupt, for a user who wants out at once. Outside the main thread (where Python cannot
    install handlers) nothing changes.
    """
    received: list[int] = []

    def handler(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()
        if distributed.is_main():  # under torchrun every rank gets the signal: one line, not one each
            print(
                "\n"
                + _(
                    "stopping after the current batch; finished epochs will be saved (Ctrl+C again: quit now)"
                ),
                file=sys.stderr,
                flush=True,
            )

    previous = {}
    for sig in STOP_SIGNALS:
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread
            break
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def save_run(out: Path, result: RunResult, also: str | None = None) -> Path:
    """Write model.pt and the metrics files into ``out`` as one set, then the copy at ``also``.

    Raises
    ------
    CliError
        ``out`` could not be written: the message names the fallback file that holds the model.
        ``also`` could not be written: the message says the run's files are in ``out``.
    """
    labels = None
    if result.test_probabilities is not None and result.splits is not None:
        labels = result.splits.test.labels.numpy()

    def write(stage: Path) -> None:
        save_checkpoint(stage / "model.pt", result.model, result.meta)
        write_metrics(stage, result.meta, result.test, result.test_probabilities, labels)

    try:
        write_set(out, write)
    except OSError as e:
        where = save_fallback(out, result)
        raise CliError(
            _("could not write the run's files in {out} ({e}); {where}").format(
                out=out, e=reason(e), where=where
            )
        ) from e
    if also:
        try:
            save_checkpoint(also, result.model, result.meta)
        except OSError as e:
            raise CliError(
                _("could not write {also} ({e}); the run's files are in {out}").format(
                    also=also, e=reason(e), out=out
                )
            ) from e
    return out


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


def stopped_message(signum: int, out: Path, result: RunResult, resumable: bool) -> str:
    """What the command line says when a signal stopped the run."""
    name = signal.Signals(signum).name
    epochs = len(result.history)
    text = _("stopped by {name} after {epochs} finished epoch(s); saved in {out}").format(
        name=name, epochs=epochs, out=out
    )
    if resumable and (out / LAST).is_file():
        text += _(" (continue with: python main.py train --resume {out})").format(out=out)
    return text
