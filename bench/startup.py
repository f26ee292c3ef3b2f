"""How long Taller takes to show something, against a bare PySide6 window, in the same run.

Each trial starts a fresh Python process (offscreen unless QT_QPA_PLATFORM says otherwise) and
times, from just before the process starts, the moment it prints a marker:

- bare: a QApplication and an empty QWidget shown (what any PySide6 program costs);
- taller window: Taller's main window shown and painted, saying "Loading PyTorch…" (the way
  ``taller`` opens it: ``gui.app.open_window``, PyTorch not imported yet);
- taller ready: PyTorch imported in the background and every panel built (Train usable).

Trials alternate bare / Taller so that the machine's load falls on both alike; the first round is
dropped (cold disk cache). The last line is (with the 1-minute load average beside it)

    startup_to_window_s=A startup_to_ready_s=B bare_window_s=C window_ratio=A/C ready_ratio=B/C load=L

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
from gui.app import make_app, open_window
app = make_app([])
w = open_window(app)
print("window", flush=True)
w.panelsReady.connect(app.quit)
app.exec()
print("ready", flush=True)
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
        bare, window, ready = [], [], []
        for r in range(args.rounds + 1):
            b, t = trial(BARE, env), trial(TALLER, env)
            print(
                f"round {r}: bare {b['window']:.2f} s · window {t['window']:.2f} s · "
                f"ready {t['ready']:.2f} s" + (" (cold, dropped)" if r == 0 else ""),
                flush=True,
            )
            if r:
                bare.append(b["window"])
                window.append(t["window"])
                ready.append(t["ready"])
    b, w, r = (statistics.median(v) for v in (bare, window, ready))
    print(
        f"startup_to_window_s={w:.2f} startup_to_ready_s={r:.2f} bare_window_s={b:.2f} "
        f"window_ratio={w / b:.2f} ready_ratio={r / b:.2f} load={os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
