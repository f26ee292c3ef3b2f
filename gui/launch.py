"""The ``taller`` command (and ``python main.py``): no arguments opens the window, a sub-command
(train, evaluate, predict, export, import-weights) runs the command line without loading Qt."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Open the window, or run one CLI command; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        from gui.app import run_app  # deferred: the command line never loads Qt

        return run_app()  # it leaves one core to the event loop, once PyTorch has loaded
    # deferred: torch loads here for the CLI, and only after the window is shown for the window
    from engine.cli import main as cli_main
    from engine.threads import use_training_threads  # deferred: as above, torch

    use_training_threads()
    return cli_main(argv)


def entry() -> None:
    """The console script's entry point (``[project.scripts] taller``)."""
    sys.exit(main())
