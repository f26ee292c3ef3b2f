"""SIGTERM answered like Ctrl+C from a command's first moment, and the line each stop ends with.

Python turns Ctrl+C (SIGINT) into ``KeyboardInterrupt``, but SIGTERM (``kill``, a job scheduler,
the window's Stop) ends a process at once and without a word, exit 143: while the data loads, or
while PyTorch is still being imported, a user saw nothing at all. ``terminate_as_interrupt`` makes
SIGTERM raise ``Terminated``, a ``KeyboardInterrupt`` that knows its signal, so the command line's
one boundary says a line and exits 128 + the signal's number. A training run puts its own handler
in place while it trains (``engine.saving.stop_on_signals``: stop after the batch, keep the
finished epochs) and this one back after.

Windows has ``signal.SIGTERM`` but no other process sends it (TerminateProcess ends a process with
no signal), so the handler is installed where it can be and is harmless where it never fires;
outside the main thread, where Python installs no handlers, nothing changes.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from engine.i18n import _


class Terminated(KeyboardInterrupt):
    """A stop signal as an exception. ``running``: raised during a run by a second signal, the one
    that quits at once (the run folder keeps the epochs that had finished)."""

    def __init__(self, signum: int, running: bool = False):
        super().__init__(signum)
        self.signum = int(signum)
        self.running = running


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(signum)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises ``Terminated`` (where it can be caught) instead of killing."""
    sig = getattr(signal, "SIGTERM", None)
    previous = None
    if sig is not None:
        try:
            previous = signal.signal(sig, _raise_terminated)
        except (ValueError, OSError):  # not the main thread, or a platform that refuses it
            sig = None
    try:
        yield
    finally:
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL if previous is None else previous)


def signal_number(exc: KeyboardInterrupt) -> int:
    """The signal behind ``exc``: a ``Terminated``'s own, SIGINT for Python's Ctrl+C."""
    return getattr(exc, "signum", int(signal.SIGINT))


def interrupted_message(exc: KeyboardInterrupt, command: str | None) -> str:
    """The one line a command stopped by a signal ends with: what was kept, what to do."""
    name = signal.Signals(signal_number(exc)).name
    if getattr(exc, "running", False):
        return _(
            "stopped at once by a second {name}: the run folder keeps the epochs that had finished "
            "(its last.pt), and python main.py train --resume RUN_DIR continues it"
        ).format(name=name)
    if command == "train":
        return _(
            "stopped by {name} before training began: no epoch had finished, so nothing is lost; "
            "run the command again to train"
        ).format(name=name)
    return _("stopped by {name} before `{command}` finished: run it again for its result").format(
        name=name, command=f"taller {command}" if command else "taller"
    )


def say_interrupted(exc: KeyboardInterrupt, argv: list[str]) -> int:
    """Print ``exc``'s line for the command of ``argv`` on stderr; the exit status, 128 + the signal."""
    command = next((word for word in argv[:1] if not word.startswith("-")), None)
    if os.environ.get("RANK", "0") == "0":  # under torchrun every process is stopped: one line, not one each
        print("\n" + interrupted_message(exc, command), file=sys.stderr, flush=True)
    return 128 + signal_number(exc)
