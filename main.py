"""Taller: with no arguments opens the window; `train`, `evaluate`, `predict`, `import-weights` run
the same engine from a terminal (`python main.py --help`)."""

import sys


def main(argv: list[str]) -> int:
    if not argv:
        from gui.app import run_app  # deferred: the command line never loads Qt

        return run_app()
    from engine.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
