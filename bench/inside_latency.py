"""What the Inside view adds to an update of Try it, for the simple CNN and ResNet-18, interleaved.

An offscreen Inference panel is measured two ways, alternating update by update so that the
machine's load falls on both alike:

- **predict**: today's path, the *Answer* tab shown (for the CNN a drawing predicts on the GUI thread);
- **inside**: the *Inside the model* tab shown: the prediction and every layer's output from one
  forward pass on the inference thread, then the strip of tiles drawn.

For the CNN (``models/default-digits.pt``) the clock runs from a stroke's mouse release to the first
paint of the new result (the bar chart, or the first layer's tile), as ``bench/inference_latency.py``
measures it. For ResNet-18 at 224 px (random weights, 10 classes: the time does not depend on them)
an image file is classified, from the call to the paint; meanwhile a 10 ms heartbeat timer on the GUI
thread records the longest gap between its ticks (the window's responsiveness).

Usage: python bench/inside_latency.py [--strokes 40] [--files 16]
Prints per model ``predict_p95_ms=``, ``inside_p95_ms=`` and ``inside_added_p95_ms=``, and for
ResNet-18 the GUI thread's longest pause per update in both modes (``gui_gap_max_ms``). Target: the
CNN's added p95 at most 20 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from inference_latency import STROKES, interpolate, keep_singletons_alive  # noqa: E402


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown CPU"
    return next(
        (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?"
    )


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=40, help="CNN strokes per mode")
    parser.add_argument("--files", type=int, default=16, help="ResNet-18 images per mode")
    args = parser.parse_args()
    keep_singletons_alive()

    from PIL import Image
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from engine.checkpoints import MODELS_DIR, load_checkpoint
    from engine.data.types import InputSpec
    from engine.models.build import build_model
    from gui.try_it import inference_ui
    from gui.try_it.inference_panel import InferencePanel

    app = QApplication.instance() or QApplication([])
    empty = tempfile.TemporaryDirectory()
    panel = InferencePanel(models_dir=empty.name)
    panel.resize(1000, 680)
    panel.show()

    class PaintWatch(QObject):
        """Notes a paint of the watched widgets, and ends ``loop`` once the result asked for is painted:
        the wait runs in Qt's own event loop, as the window's does, not a Python loop that would take
        the interpreter's lock from the inference thread every few milliseconds."""

        painted = False
        loop: QEventLoop | None = None
        seq = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                self.painted = True
                outcome = panel.last_outcome
                if self.loop is not None and outcome is not None and outcome.seq >= self.seq:
                    self.loop.quit()
            return False

    watch = PaintWatch()
    give_up = QTimer(singleShot=True, interval=30_000)
    give_up.timeout.connect(lambda: watch.loop is not None and watch.loop.quit())
    panel.probabilityPlot.viewport().installEventFilter(watch)
    watched_tiles: set[int] = set()

    def settle() -> None:
        """Until no prediction is running or waiting and the newest one is shown."""
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            outcome = panel.last_outcome  # None: an empty canvas, nothing to predict
            if not panel.is_busy() and (outcome is None or outcome.seq == panel._seq):
                break
        for _ in range(5):
            app.processEvents()

    def use(mode: str) -> None:
        index = inference_ui.INSIDE if mode == "inside" else inference_ui.ANSWER
        if panel.resultsTabs.currentIndex() != index:
            panel.resultsTabs.setCurrentIndex(index)  # predicts the current input again
            settle()
        tiles = panel.insideView.tiles
        first = next((tile for key, tile in tiles.items() if key not in ("input", "softmax")), None)
        if first is not None and id(first) not in watched_tiles:
            first.installEventFilter(watch)
            watched_tiles.add(id(first))

    def wait_painted(seq: int) -> float:
        """Run the event loop until the result of update ``seq`` is painted (30 s at most)."""
        outcome = panel.last_outcome
        if not (watch.painted and outcome is not None and outcome.seq >= seq):
            watch.loop, watch.seq = QEventLoop(), seq
            give_up.start()
            watch.loop.exec()
            give_up.stop()
            watch.loop = None
        return time.perf_counter()

    # ---- the CNN: strokes on the canvas --------------------------------------------------------
    loaded = load_checkpoint(MODELS_DIR / "default-digits.pt")
    panel.set_model(loaded.model, loaded.meta, "default-digits.pt")
    canvas = panel.canvas
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {"predict": [], "inside": []}
    digits = list(STROKES)
    n = 0
    while min(len(v) for v in times.values()) < args.strokes:
        mode = ("predict", "inside")[n % 2]
        canvas.clear()
        settle()
        use(mode)
        scale = rng.uniform(6, 13)
        left, top = rng.uniform(10, 270 - 10 * scale), rng.uniform(10, 270 - 16 * scale)
        points = interpolate(
            [(left + scale * x, top + scale * y) for x, y in STROKES[digits[n % len(digits)]][0]]
        )
        button, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        QTest.mousePress(canvas, button, none, QPoint(*points[0]))
        for p in points[1:]:
            QTest.mouseMove(canvas, QPoint(*p))
        app.processEvents()
        watch.painted = False
        seq = panel._seq + 1
        started = time.perf_counter()
        QTest.mouseRelease(canvas, button, none, QPoint(*points[-1]))
        took = 1000 * (wait_painted(seq) - started)
        if n >= 6:  # the first rounds warm up caches
            times[mode].append(took)
        n += 1
    cnn = times

    # ---- ResNet-18 at 224 px: image files ------------------------------------------------------
    spec = InputSpec(3, 224, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    torch.manual_seed(0)
    model = build_model("resnet18", spec, 10).eval()
    meta = {
        "arch": "resnet18",
        "classes": [f"class {i}" for i in range(10)],
        "spec": spec.to_dict(),
        "preparation": "image",
    }
    panel.set_model(model, meta, "resnet18")
    files = []
    for i in range(4):
        path = Path(empty.name) / f"photo-{i}.png"
        Image.fromarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)).save(path)
        files.append(str(path))
    ticks: list[float] = []
    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    times = {"predict": [], "inside": []}
    gaps: dict[str, list[float]] = {"predict": [], "inside": []}  # each update's longest heartbeat gap
    n = 0
    while min(len(v) for v in times.values()) < args.files:
        mode = ("predict", "inside")[n % 2]
        use(mode)
        settle()
        watch.painted = False
        ticks.clear()
        heartbeat.start()
        seq = panel._seq + 1
        started = time.perf_counter()
        panel.classify_file(files[n % len(files)])
        took = 1000 * (wait_painted(seq) - started)
        heartbeat.stop()
        if n >= 2:
            times[mode].append(took)
            if len(ticks) > 1:
                gaps[mode].append(1000 * float(np.max(np.diff(ticks))))
        n += 1
    resnet = times
    panel.close()
    empty.cleanup()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    threads = torch.get_num_threads()
    print(f"cpu: {cpu_name()}; {os.cpu_count()} cores; load average {load:.1f}; torch threads {threads}")
    for name, values in (("cnn", cnn), ("resnet18_224", resnet)):
        predict, inside = p95(values["predict"]), p95(values["inside"])
        median = {mode: float(np.median(values[mode])) for mode in values}
        print(
            f"{name}: updates {len(values['predict'])}+{len(values['inside'])} "
            f"predict_median_ms={median['predict']:.1f} inside_median_ms={median['inside']:.1f}"
        )
        line = f"{name} predict_p95_ms={predict:.1f} inside_p95_ms={inside:.1f}"
        print(f"{line} inside_added_p95_ms={inside - predict:.1f}")
    # The GUI thread's longest pause per update (10 ms heartbeat), for both modes: load alone shows in both.
    pauses = {mode: (np.median(v), max(v)) for mode, v in gaps.items()}
    print(
        "resnet18_224 gui_gap_median_ms predict={:.1f} inside={:.1f}; gui_gap_max_ms predict={:.1f} "
        "inside={:.1f}".format(
            pauses["predict"][0], pauses["inside"][0], pauses["predict"][1], pauses["inside"][1]
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
