"""How responsive the window stays while it trains.

Opens the main window (offscreen unless QT_QPA_PLATFORM says otherwise), clicks Train for a real
run (built-in digits, CNN, a few epochs) and meanwhile lets a 10 ms QTimer tick; each tick records
how much later than 10 ms it came. A late tick is time the GUI thread could not answer the user.

    .venv/bin/python bench/gui_latency.py [--epochs 3] [--arch cnn] [--batch-size 64]

A few seconds of the same heartbeat with the window idle come first, as a baseline for what the
machine's load alone costs. The last line is ``heartbeat_p99_ms=X.X heartbeat_max_ms=Y.Y``
(target: p99 < 16 ms, one 60 Hz frame).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

PERIOD_MS = 10


class Heartbeat:
    """A precise 10 ms timer that records how late each tick arrives."""

    def __init__(self):
        self.late_ms: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=PERIOD_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.late_ms.append(max(0.0, now - self._last - PERIOD_MS))
        self._last = now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--arch", default="cnn")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle baseline before the run")
    parser.add_argument("--screenshot", help="save a picture of the window mid-run to this PNG")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="taller-bench-"))
    os.environ["TALLER_SETTINGS"] = str(tmp / "settings.ini")  # leave the user's settings alone
    app = QApplication.instance() or QApplication([])
    from gui.app import apply_style
    from gui.window.main_window import MainWindow

    apply_style(app)
    window = MainWindow(models_dir=tmp / "models")
    window.show()
    deadline = time.monotonic() + 120
    while not (window.current_data() is not None and window.is_idle()) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)

    m = window.model_panel
    m.modelCombo.setCurrentIndex(m.modelCombo.findData(args.arch))
    m.epochsSpin.setValue(args.epochs)
    m.batchSizeSpin.setValue(args.batch_size)
    outcome: dict = {}
    window.runFinished.connect(lambda result: outcome.update(result=result))
    window.training_panel.runFailed.connect(lambda message: outcome.update(error=message))
    window.runFinished.connect(app.quit)
    window.training_panel.runFailed.connect(app.quit)
    if args.screenshot:

        def grab_mid_run(event: dict) -> None:
            if event.get("epoch") == max(1, args.epochs // 2 + 1) and "shot" not in outcome:
                window.grab().save(args.screenshot)
                outcome["shot"] = args.screenshot

        window.training_panel.epochEnded.connect(grab_mid_run)

    # The same heartbeat with the window idle: what the machine's load alone costs.
    idle = Heartbeat()
    idle.start()
    QTimer.singleShot(int(args.idle_seconds * 1000), app.quit)
    app.exec()
    idle.stop()

    heartbeat = Heartbeat()
    started = time.perf_counter()
    heartbeat.start()
    window.training_panel.trainButton.click()
    app.exec()
    heartbeat.stop()
    seconds = time.perf_counter() - started
    window.close()
    shutil.rmtree(tmp, ignore_errors=True)

    if "error" in outcome:
        print(f"run failed: {outcome['error']}", file=sys.stderr)
        return 1
    result = outcome["result"]
    late = np.asarray(heartbeat.late_ms)
    acc = result.history[-1]["val_acc"] if result.history else float("nan")
    print(
        f"run: {args.arch} on digits, {len(result.history)} epochs, batch {args.batch_size}, {seconds:.1f} s"
    )
    print(f"validation accuracy: {100 * acc:.1f}%")
    print(f"heartbeat ticks: {late.size} (expected about {seconds * 1000 / PERIOD_MS:.0f})")
    base = np.asarray(idle.late_ms)
    print(f"idle window baseline: p99 {np.percentile(base, 99):.1f} ms, max {base.max():.1f} ms")
    print(f"heartbeat late: median {np.median(late):.1f} ms, p95 {np.percentile(late, 95):.1f} ms")
    print(f"heartbeat_p99_ms={np.percentile(late, 99):.1f} heartbeat_max_ms={late.max():.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
