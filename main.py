"""Taller: with no arguments opens the window; `train`, `evaluate`, `predict`, `export` and
`import-weights` run the same engine from a terminal (`python main.py --help`). Installed, the same
is the `taller` command (``gui.launch``)."""

import sys

from gui.launch import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
