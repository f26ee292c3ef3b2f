"""A run folder's file names and where run folders go, readable without PyTorch.

``engine.train.runs`` writes these files as a run trains and the runner adds the final ones;
``engine.runs_library`` and ``taller runs`` read them back without importing torch.
"""

from __future__ import annotations

import os
from pathlib import Path

RUNS_ROOT = Path("runs")  # relative to the working folder, like Lightning's lightning_logs
CONFIG, HISTORY, LAST, BEST = "config.json", "history.csv", "last.pt", "best.pt"
MODEL = "model.pt"  # the run's final model, written with the metrics files when it ends
METRICS = "metrics.json"  # engine.report.exports' summary, written when the run ends


def runs_root() -> Path:
    """Where new run folders go: ``$TALLER_RUNS_DIR`` when set, else ``runs/`` in the working folder."""
    return Path(os.environ.get("TALLER_RUNS_DIR") or RUNS_ROOT)
