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
    # deferred: the CLI loads torch once its arguments are parsed, for the commands that compute
    from engine.cli import main as cli_main

    return cli_main(argv, training_threads=True)


def entry() -> None:
    """The console script's entry point (``[project.scripts] taller``)."""
    sys.exit(main())
