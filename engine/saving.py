"""What the command line does so that a run's work is never lost when a signal asks it to stop.

Ctrl+C (SIGINT) and SIGTERM during ``train`` stop the run like the window's Stop: the epoch in
progress ends at the next batch, finished epochs are saved (``engine.train.runner`` writes the final
files, with a fallback when the run folder cannot be written), and the exit says where. A second
Ctrl+C quits at once (the run folder's ``last.pt`` still holds the last finished epoch).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.i18n import _
from engine.signals import Terminated
from engine.train import distributed
from engine.train.run import RunResult
from engine.train.runs import LAST

STOP_SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM set ``stop`` (once) instead of killing the process.

    Yields a list that receives the number of the signal that asked to stop. A second signal raises
    ``Terminated`` (a KeyboardInterrupt), for a user who wants out at once. Outside the main thread
    (where Python cannot install handlers) nothing changes.
    """
    received: list[int] = []

    def handler(signum, _frame):
        if stop.is_set():
            raise Terminated(signum, running=True)
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


def stopped_message(signum: int, out: Path, result: RunResult, resumable: bool) -> str:
    """What the command line says when a signal stopped the run."""
    name = signal.Signals(signum).name
    epochs = len(result.history)
    if not epochs:  # asked while the data loaded, or in the first epoch
        return _(
            "stopped by {name} before the first epoch finished: there is no epoch to keep ({out} holds "
            "only the run's settings); run the command again to train"
        ).format(name=name, out=out)
    text = _("stopped by {name} after {epochs} finished epoch(s); saved in {out}").format(
        name=name, epochs=epochs, out=out
    )
    if resumable and (out / LAST).is_file():
        text += _(" (continue with: python main.py train --resume {out})").format(out=out)
    return text
