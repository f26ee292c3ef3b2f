"""How well the default digit model reads real handwriting drawn as a canvas export.

Real digits the model never trained on are written dark on light at a random size (20-80 % of the
height) and place on a 280x280 white page, saved as PNG files and read by ``main.py predict`` in a
subprocess: the same preparation as the drawing canvas. Three sets, none of them trained on:

- ``real``: the 750 MNIST-sample digits that ``models/train_default.py`` holds out (or, with
  ``--folds K --fold I``, the part of a k-fold split that a cross-validation model left out);
- ``real_styled``: the same digits written with a drawing's variations (slant, width, pen
  thickness, hard edges);
- ``sklearn``: the 540 scikit-learn digits (8x8 scans, 43 writers) that "digits+synth" tests on.

Prints accuracy per set with the commonest mistakes, then one line ``canvas_sklearn_accuracy=...
canvas_real_styled_accuracy=... canvas_real_accuracy=X.XXXX``.

    .venv/bin/python bench/default_model_accuracy.py [--model models/default-digits.pt] [--seed 7]
        [--keep DIR] [--sets real,real_styled,sklearn] [--folds K --fold I]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SETS = ("real", "real_styled", "sklearn")
sys.path.insert(0, str(ROOT))

from engine.data.transforms import normalise  # noqa: E402
from engine.predict import Predictor  # noqa: E402
from models.train_default import draw_on_page, held_out_real, held_out_sklearn  # noqa: E402


def write_pages(folder: Path, name: str, images: torch.Tensor, labels: torch.Tensor, seed: int, style: bool):
    """One PNG page per digit, named ``NAME-INDEX-LABEL.png``; returns the paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        path = folder / f"{name}-{i:04d}-{int(label)}.png"
        draw_on_page(image[0].numpy(), rng, style=style).save(path)
        paths.append(path)
    return paths


def predict_files(model: Path, paths: list[Path]) -> dict[str, str]:
    """``main.py predict``'s top class for each file, run as a user runs it."""
    command = [sys.executable, str(ROOT / "main.py"), "predict", str(model), *map(str, paths), "--top", "1"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    rows = (line.split("\t") for line in done.stdout.splitlines() if line.count("\t") == 2)
    return {path: cls for path, cls, _ in rows}


def report(name: str, paths: list[Path], labels: torch.Tensor, predicted: dict[str, str]) -> float:
    truth = [str(int(label)) for label in labels]
    guesses = [predicted.get(str(path), "?") for path in paths]
    right = sum(g == t for g, t in zip(guesses, truth, strict=True))
    mistakes = Counter(f"{t}->{g}" for g, t in zip(guesses, truth, strict=True) if g != t)
    common = ", ".join(f"{pair} x{n}" for pair, n in mistakes.most_common(6))
    accuracy = right / len(truth)
    print(f"{name}: {right}/{len(truth)} = {accuracy:.4f}  wrong: {common or 'none'}")
    return accuracy


@torch.no_grad()
def framed_accuracy(model: Path, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy on the 28x28 arrays themselves, as MNIST framed them (no page, no preparation)."""
    predictor = Predictor.from_checkpoint(model)
    logits = predictor.model(normalise(images, predictor.spec))
    return float((logits.argmax(1) == labels).float().mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default-digits.pt")
    parser.add_argument("--seed", type=int, default=7, help="seed of the pages' sizes and places")
    parser.add_argument("--keep", type=Path, help="write the PNG pages here and keep them")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    # For a model trained with models.train_default --folds K --fold I: its held-out part instead.
    parser.add_argument("--folds", type=int, default=0, help="k of the k-fold split (0: the 750)")
    parser.add_argument("--fold", type=int, default=0, help="the part the model did not train on")
    args = parser.parse_args(argv)
    _, _, real_x, real_y = held_out_real(args.folds, args.fold)
    _, _, sk_x, sk_y = held_out_sklearn()
    print(f"framed 28x28 arrays (no page): real {framed_accuracy(args.model, real_x, real_y):.4f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        digits = {
            "real": (real_x, real_y, False),
            "real_styled": (real_x, real_y, True),
            "sklearn": (sk_x, sk_y, False),
        }
        sets = {
            name: (write_pages(folder, name, x, y, args.seed + SETS.index(name), style), y)
            for name, (x, y, style) in digits.items()
            if name in args.sets.split(",")
        }
        started = time.perf_counter()
        predicted = predict_files(args.model, [p for paths, _ in sets.values() for p in paths])
        print(f"main.py predict read {len(predicted)} pages in {time.perf_counter() - started:.0f}s")
        accuracy = {name: report(name, paths, labels, predicted) for name, (paths, labels) in sets.items()}
    print(" ".join(f"canvas_{name}_accuracy={value:.4f}" for name, value in reversed(accuracy.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
