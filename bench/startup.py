"""How long Taller takes to show something, against a bare PySide6 window, in the same run.

Each trial starts a fresh Python process (offscreen unless QT_QPA_PLATFORM says otherwise) and
times, from just before the process starts, the moment it prints a marker:

- bare: a QApplication and an empty QWidget shown (what any PySide6 program costs);
- taller first paint: Taller's splash painted (before PyTorch is imported);
- taller window: the main window shown with every panel built.

Trials alternate bare / Taller so that the machine's load falls on both alike; the first round is
dropped (cold disk cache). The last line is

    startup_to_first_paint_s=A startup_to_window_s=B bare_window_s=C window_ratio=B/C

    .venv/bin/python bench/startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget(); w.resize(1280, 720); w.show(); app.processEvents()
print("window", flush=True)
"""

TALLER = """
from gui.app import make_app, splash_screen
app = make_app([])
splash = splash_screen(); splash.show(); app.processEvents()
print("first_paint", flush=True)
from gui.main_window import MainWindow
w = MainWindow(); w.show(); app.processEvents()
print("window", flush=True)
"""


def trial(code: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds from process start to each marker line the child prints."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    marks = {}
    for line in child.stdout:
        marks[line.strip()] = time.perf_counter() - start
    child.wait()
    if child.returncode != 0 or "window" not in marks:
        raise SystemExit(f"the child failed (exit {child.returncode})")
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            "TALLER_SETTINGS": str(Path(tmp) / "settings.ini"),
            "TALLER_RUNS_DIR": str(Path(tmp) / "runs"),
            "PYTHONPATH": str(ROOT),
        }
        bare, paint, window = [], [], []
        for r in range(args.rounds + 1):
            b, t = trial(BARE, env), trial(TALLER, env)
            print(
                f"round {r}: bare {b['window']:.2f} s · first paint {t['first_paint']:.2f} s · "
                f"window {t['window']:.2f} s" + (" (cold, dropped)" if r == 0 else ""),
                flush=True,
            )
            if r:
                bare.append(b["window"])
                paint.append(t["first_paint"])
                window.append(t["window"])
    b, p, w = (statistics.median(v) for v in (bare, paint, window))
    print(
        f"startup_to_first_paint_s={p:.2f} startup_to_window_s={w:.2f} bare_window_s={b:.2f} "
        f"window_ratio={w / b:.2f} first_paint_ratio={p / b:.2f}"
    )


if __name__ == "__main__":
    main()
