"""Each architecture's from-scratch recipe, measured: the rows of the README's *Default recipes* table.

Trains ``taller train --model ARCH`` with no other option (the recipe, ``engine.models.recipes``)
on each data set, in a process of its own, and with ``--old`` also with the settings every model
had before the recipes (Adam at 1e-3, constant, 5 epochs, batches of 64, no augmentation; VGG-16
with its own). Prints one Markdown row per run: model, data, settings, test accuracy with its 95 %
interval, and the run's wall time on this machine, then the CPU.

Data (any may be left out with ``--data``):
- ``digits``: the built-in 5,000 real MNIST digits (``mnist-sample``, 28 px, grey);
- ``cifar``: CIFAR-10-shaped pictures in torchvision's layout (``--cifar DIR``; by default 3,700
  training and 932 test 32-px pictures of 10 shapes on noisy backgrounds, made here);
- ``photos``: a folder of pictures, one sub-folder per class (``--photos DIR``; none by default).

    .venv/bin/python bench/recipes.py [--data digits cifar photos] [--models cnn resnet18 ...]
        [--cifar DIR] [--photos DIR] [--old] [--image-sizes 64 128]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.frozen_features import cpu_name  # noqa: E402
from engine.models import recipes, registry  # noqa: E402

OLD = ["--optimizer", "adam", "--lr", "0.001", "--schedule", "none", "--epochs", "5", "--batch-size", "64"]
OLD += ["--no-augment"]


def write_cifar_shaped(root: Path, n_train: int = 3700, n_test: int = 932) -> Path:
    """CIFAR-10's pickles under ``root/cifar-10-batches-py``: 32-px shapes on noisy backgrounds."""
    from tests.helpers_data import SHAPES, shape_pictures, write_cifar_batches  # deferred: no --cifar

    x, y = shape_pictures(n_train + n_test, 10, 32, colour_cue=0.5, seed=7)
    # Batch b holds pictures b-1, b+4, b+9, ...: the files the README's rows were measured on.
    order = np.concatenate([np.arange(i, n_train, 5) for i in range(5)])
    write_cifar_batches(root, x[order], y[order], x[n_train:], y[n_train:], SHAPES)
    return root


def train(words: list[str], out: Path) -> tuple[str, float]:
    """Run ``main.py train`` with ``words``; its test accuracy line (with interval) and seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "main.py", "train", *words, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if "test_accuracy" not in lines:
        return f"failed ({done.stderr.strip().splitlines()[-1:]})", seconds
    low, high = lines.get("test_accuracy_ci", "?-?").split("-")
    return f"{float(lines['test_accuracy']):.3f} ({float(low):.2f}–{float(high):.2f})", seconds


def settings_words(arch: str, old: bool) -> str:
    """The settings of a row, as the README says them."""
    if old:
        return "before: Adam 0.001, constant, 5 epochs, batch 64"
    r = recipes.recipe(arch, recipes.SCRATCH)
    words = f"{r['optimizer'].capitalize()} {r['lr']:g}, {r['schedule']}, {r['epochs']} epochs"
    return words + f", batch {r['batch_size']}" + (", augmented" if r["augment"] else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["digits", "cifar", "photos"])
    parser.add_argument("--models", nargs="+", default=list(registry.keys()))
    parser.add_argument("--cifar", help="a CIFAR-10 folder in torchvision's layout (default: made here)")
    parser.add_argument("--photos", help="a folder of pictures, one sub-folder per class")
    parser.add_argument("--old", action="store_true", help="also run the settings before the recipes")
    parser.add_argument("--image-sizes", nargs="*", type=int, default=[], help="photos: also these sizes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {"digits": (["--dataset", "mnist-sample"], "5,000 real MNIST digits, 28 px")}
        if "cifar" in args.data:
            cifar = Path(args.cifar) if args.cifar else write_cifar_shaped(tmp / "cifar")
            what = "CIFAR-10 folder" if args.cifar else "CIFAR-shaped: 3,700 + 932 32-px shapes"
            sources["cifar"] = (["--dataset", "cifar10", "--data-dir", str(cifar)], what)
        if "photos" in args.data and args.photos:
            n = sum(1 for p in Path(args.photos).rglob("*") if p.is_file())
            sources["photos"] = (["--dataset", f"folder:{args.photos}"], f"photos: {n} in {args.photos}")
        print("| model | data | settings | test accuracy (95 % interval) | time |")
        print("|---|---|---|---|---|")
        for key in args.data:
            if key not in sources:
                continue
            data_words, what = sources[key]
            for arch in args.models:
                runs = [(False, [])] + ([(True, OLD)] if args.old else [])
                if key == "photos":
                    runs += [(False, ["--image-size", str(size)]) for size in args.image_sizes]
                for old, extra in runs:
                    result, seconds = train([*data_words, "--model", arch, *extra], tmp / "run")
                    settings = settings_words(arch, old) + (f", {extra[1]} px" if extra and not old else "")
                    label = registry.label(arch)
                    print(f"| {label} | {what} | {settings} | {result} | {seconds:.0f} s |", flush=True)
    print(f"cpu={cpu_name()}")


if __name__ == "__main__":
    main()
