"""Canvas latency: from a stroke's mouse release to the probabilities painted, for the CNN on CPU.

An offscreen window holds the Inference panel with the simple CNN (``models/default-digits.pt``
when present, else one trained here on the built-in digits with ``engine.train.run.run``). Digit
strokes are drawn with QTest mouse events; for each stroke the clock starts just before the mouse
release and stops once the panel has emitted ``predictionShown`` and the pending repaint of the
bar chart, label and preview has run. Everything in between counts: the debounce, reading the
canvas, the engine's preparation, the forward pass, and updating the widgets.

Usage: python bench/inference_latency.py [--strokes 60] [--model PATH] [--saliency] [--threads N]
Last line: canvas_p95_ms=X.X (target < 30).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

# Digits as pen strokes in a 10 x 16 box (x right, y down), drawn at several sizes and places.
STROKES = {
    0: [[(5 + 4.3 * math.sin(a), 8 - 7.8 * math.cos(a)) for a in np.linspace(0, 2 * math.pi, 21)]],
    1: [[(2.5, 3), (5.5, 0), (5.5, 16)]],
    2: [[(1, 4), (2.5, 1), (5, 0), (8, 1), (9, 4), (7.5, 8), (4, 12), (0.5, 16), (10, 16)]],
    4: [[(1, 0), (0.5, 11), (10, 11)], [(7, 4), (7, 16)]],
    7: [[(0.5, 0), (9.5, 0), (5, 8), (3.5, 16)], [(3, 8), (7.5, 8)]],
}


def keep_singletons_alive() -> None:
    """Work around PySide6 6.12 on Python 3.11: many of its calls drop a reference to None, True or
    False (immortal only from Python 3.12 on), so a long run would free them and abort. Giving them
    references to spare changes no timing."""
    if sys.version_info >= (3, 12):
        return
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40  # ob_refcnt, the first field


def get_model(path: Path | None):
    """(model, meta, where from): a saved CNN checkpoint, or a CNN trained here for 2 epochs."""
    from engine.checkpoints import MODELS_DIR, load_checkpoint

    given = path is not None
    path = path or MODELS_DIR / "default-digits.pt"
    if path.is_file():
        loaded = load_checkpoint(path)
        if given or loaded.meta.get("arch") == "cnn":  # the default is used only if it is the CNN
            return loaded.model, loaded.meta, f"{path} ({loaded.meta.get('arch')})"
    from engine.config import DataConfig, ModelConfig, TrainConfig
    from engine.train.run import run

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # training only: a shared 2-core machine thrashes with more
    try:
        started = time.perf_counter()
        result = run(DataConfig(dataset="digits"), ModelConfig(arch="cnn"), TrainConfig(epochs=2, lr=3e-3))
    finally:
        torch.set_num_threads(threads)
    took, acc = time.perf_counter() - started, result.history[-1]["val_acc"]
    return result.model, result.meta, f"cnn trained here ({took:.0f} s, val acc {acc:.2f})"


def interpolate(points: list[tuple[float, float]], step: float = 4.0) -> list[tuple[int, int]]:
    """Mouse samples every ``step`` pixels along a polyline, as a mouse would report them."""
    out = [points[0]]
    for a, b in zip(points, points[1:], strict=False):
        n = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1]) / step))
        out += [(a[0] + (b[0] - a[0]) * t / n, a[1] + (b[1] - a[1]) * t / n) for t in range(1, n + 1)]
    return [(round(x), round(y)) for x, y in out]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=60)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--saliency", action="store_true", help="also compute the Grad-CAM overlay")
    parser.add_argument("--threads", type=int, default=0, help="torch threads while measuring (0: default)")
    args = parser.parse_args()
    keep_singletons_alive()

    from PySide6.QtCore import QEvent, QEventLoop, QObject, QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from gui.try_it.inference_panel import DEBOUNCE_MS, InferencePanel

    model, meta, source = get_model(args.model)
    if args.threads:
        torch.set_num_threads(args.threads)
    empty = tempfile.TemporaryDirectory()
    panel = InferencePanel(models_dir=empty.name)  # no checkpoint may replace the model under test
    panel.resize(1000, 680)
    panel.show()
    panel.set_model(model, meta)
    panel.saliencyCheck.setChecked(args.saliency)
    canvas = panel.canvas
    shown: list[float] = []
    panel.predictionShown.connect(lambda _p: shown.append(time.perf_counter()))

    class PaintWatch(QObject):
        """Notes when the bar chart's viewport gets a paint event."""

        painted = False

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    watch = PaintWatch()
    panel.probabilityPlot.viewport().installEventFilter(watch)

    def wait_shown() -> None:
        deadline = time.perf_counter() + 10
        while not shown and time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)

    def draw(points, release_clock: list[float]) -> None:
        button, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        QTest.mousePress(canvas, button, none, QPoint(*points[0]))
        for p in points[1:]:
            QTest.mouseMove(canvas, QPoint(*p))
        app.processEvents()  # the canvas repaints while drawing, as it would on screen
        release_clock.append(time.perf_counter())
        release_clock.append(time.process_time())
        QTest.mouseRelease(canvas, button, none, QPoint(*points[-1]))

    rng = np.random.default_rng(0)
    total, to_signal, compute, cpu = [], [], [], []
    digits = list(STROKES)
    done = 0
    while done < args.strokes + 5:  # the first five warm up caches and are not counted
        canvas.clear()
        app.processEvents()
        scale = rng.uniform(6, 13)
        left, top = rng.uniform(10, 270 - 10 * scale), rng.uniform(10, 270 - 16 * scale)
        for stroke in STROKES[digits[done % len(digits)]]:
            shown.clear()
            watch.painted = False
            clock: list[float] = []
            draw(interpolate([(left + scale * x, top + scale * y) for x, y in stroke]), clock)
            wait_shown()
            deadline = time.perf_counter() + 1
            while not watch.painted and time.perf_counter() < deadline:  # until the new bars are painted
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
            painted, painted_cpu = time.perf_counter(), time.process_time()
            if done >= 5 and shown:
                total.append(1000 * (painted - clock[0]))
                cpu.append(1000 * (painted_cpu - clock[1]))
                to_signal.append(1000 * (shown[0] - clock[0]))
                compute.append(1000 * panel.last_outcome.seconds)
            done += 1
    panel.close()
    empty.cleanup()

    def stats(name: str, values: list[float]) -> None:
        v = np.asarray(values)
        p50, p95 = np.percentile(v, [50, 95])
        print(f"{name:<30} min {v.min():6.1f}  median {p50:6.1f}  p95 {p95:6.1f}  max {v.max():6.1f} ms")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"model: {source}; torch threads {torch.get_num_threads()}; debounce {DEBOUNCE_MS} ms; "
        f"machine load {load:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"strokes measured: {len(total)}; saliency {'on' if args.saliency else 'off'}; "
        f"predictions on the GUI thread {panel.runs['inline']}, in a worker {panel.runs['worker']}"
    )
    stats("predict (prepare + forward)", compute)
    stats("release -> predictionShown", to_signal)
    stats("release -> painted", total)
    # CPU time of this process (all its threads) over the same span: what the work costs on a machine
    # no other job competes for; an idle machine would take about that plus the debounce.
    stats("  of which CPU time", cpu)
    print(f"canvas_p95_ms={np.percentile(total, 95):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
