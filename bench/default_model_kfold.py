"""Cross-validation of the default model's recipe on real handwriting drawn as a canvas export.

For each fold I of a stratified k-fold split of the 5,000 real MNIST-sample digits (seed 0), trains
``python -m models.train_default --folds K --fold I`` (the shipped recipe, with part I held out
instead of the usual 750) and measures that model with ``bench/default_model_accuracy.py --folds K
--fold I``: the held-out part written on 280x280 white pages as PNG and read by ``main.py predict``.
Each fold's result is kept in ``WORK/fold-I.txt`` (and its model in ``WORK/fold-I.pt``), so folds
can run in separate processes or sessions; the summary covers every fold found in ``WORK``::

    .venv/bin/python bench/default_model_kfold.py [--folds 10] [--run 0,1,2] [--work DIR]
        [--cache DIR] [--sets real] [-- EXTRA TRAINING ARGUMENTS]

Prints one line per fold, then ``kfold_canvas_real_accuracy=MEAN (N folds, min .., max ..)``.
One fold costs one training run (see the README for its wall time here).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = re.compile(r"canvas_(\w+?)_accuracy=([0-9.]+)")


def run_fold(folds: int, fold: int, work: Path, cache: Path, extra: list[str], sets: str) -> None:
    """Train fold ``fold`` (unless its model is there) and write its bench output to ``fold-I.txt``."""
    model = work / f"fold-{fold}.pt"
    split = ["--folds", str(folds), "--fold", str(fold)]
    if not model.is_file():
        train = [
            sys.executable,
            "-m",
            "models.train_default",
            *split,
            "--out",
            str(model),
            "--cache",
            str(cache),
        ]
        subprocess.run([*train, *extra], check=True, cwd=ROOT)
    bench = [sys.executable, str(ROOT / "bench" / "default_model_accuracy.py"), "--model", str(model), *split]
    done = subprocess.run([*bench, "--sets", sets], check=True, cwd=ROOT, capture_output=True, text=True)
    print(done.stdout, end="", flush=True)
    (work / f"fold-{fold}.txt").write_text(done.stdout)


def summary(work: Path) -> list[tuple[int, dict[str, float]]]:
    """Each finished fold's accuracies (``real``, ``real_styled``), from the files in ``work``."""
    rows = []
    for path in sorted(work.glob("fold-*.txt"), key=lambda p: int(p.stem.split("-")[1])):
        found = dict(RESULT.findall(path.read_text().splitlines()[-1]))
        rows.append((int(path.stem.split("-")[1]), {name: float(v) for name, v in found.items()}))
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--run", help='folds to run now, e.g. "0,1" (default: all; "": none)')
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "default-kfold")
    parser.add_argument("--cache", type=Path, help="page drawings kept between folds (default: WORK)")
    parser.add_argument("--sets", default="real,real_styled", help="of default_model_accuracy.py's sets")
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.work.mkdir(parents=True, exist_ok=True)
    # --run "" runs nothing and only summarises the folds already in WORK.
    todo = range(args.folds) if args.run is None else [int(f) for f in args.run.split(",") if f]
    for fold in todo:
        run_fold(args.folds, fold, args.work, args.cache or args.work, extra, args.sets)
    rows = summary(args.work)
    for fold, acc in rows:
        print(f"fold {fold}: " + " ".join(f"{name}={value:.4f}" for name, value in acc.items()))
    real = [acc["real"] for _, acc in rows if "real" in acc]
    if real:
        mean = sum(real) / len(real)
        spread = f"min {min(real):.4f}, max {max(real):.4f}"
        print(f"kfold_canvas_real_accuracy={mean:.4f} ({len(real)} folds, {spread})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
