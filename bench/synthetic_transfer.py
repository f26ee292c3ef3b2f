"""Synthetic -> real transfer: train the Taller CNN only on generated digits, test on real ones.

The model is trained by ``engine.train.run.run`` on the "synth-digits" dataset (generated digits,
a fifth held out for validation) and tested on all 1,797 scikit-learn digits (43 writers) in
MNIST's framing, none of which the generator ever saw. Prints progress, accuracy per real digit
with its most common mistake, and as the last line ``synthetic_to_real_accuracy=X.XXXX``.

    .venv/bin/python bench/synthetic_transfer.py [--train 20000] [--epochs 4] [--seed 0] [--threads N]
        [--style lowres=0.5 "width=(2, 4)"]
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data import synth  # noqa: E402
from engine.data.builtin import real_digits  # noqa: E402
from engine.data.transforms import normalise  # noqa: E402
from engine.train.run import run  # noqa: E402


@torch.no_grad()
def predict(model: torch.nn.Module, images: torch.Tensor, spec) -> torch.Tensor:
    model.eval()
    batches = [normalise(images[i : i + 512], spec) for i in range(0, len(images), 512)]
    return torch.cat([model(batch).argmax(1) for batch in batches])


def per_class_report(pred: torch.Tensor, labels: torch.Tensor) -> str:
    """Accuracy per real digit and its most common mistake, e.g. ``1: 0.93 (->8 x9)``."""
    parts = []
    for digit in range(10):
        mine = pred[labels == digit]
        wrong = mine[mine != digit]
        text = f"{digit}: {float((mine == digit).float().mean()):.2f}"
        if len(wrong):
            common = int(wrong.mode().values)
            text += f" (->{common} x{int((wrong == common).sum())})"
        parts.append(text)
    return "; ".join(parts)


def print_event(event: dict) -> None:
    if event.get("event") == "epoch_end":
        print(
            f"epoch {event['epoch']}/{event['epochs']}: train loss {event['train_loss']:.4f}, "
            f"synthetic val acc {event['val_acc']:.4f} ({event['seconds']:.1f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=synth.SYNTH_TRAIN_SIZE, help="generated digits")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument(
        "--style", nargs="*", default=[], help="generator settings, e.g. lowres=0.5 width=(2,4)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    real_digits()  # framed once and kept, so the timing below is the generator's
    style = {key: ast.literal_eval(value) for key, value in (item.split("=", 1) for item in args.style)}
    data_cfg = DataConfig(dataset="synth-digits", seed=args.seed)
    started = time.perf_counter()
    data = synth.synth_dataset(seed=args.seed, size=args.train, **style)
    print(
        f"generated {args.train} digits in {time.perf_counter() - started:.2f} s "
        f"({torch.get_num_threads()} torch threads); "
        f"testing on {len(data.test_labels)} real scikit-learn digits",
        flush=True,
    )

    train_cfg = TrainConfig(epochs=args.epochs, batch_size=128, lr=2e-3, schedule="onecycle")
    result = run(data_cfg, ModelConfig(arch="cnn"), train_cfg, on_event=print_event, data=data)

    pred = predict(result.model, data.test_images, data.spec)
    real = float((pred == data.test_labels).float().mean())
    print(f"per real digit: {per_class_report(pred, data.test_labels)}")
    print(f"total {time.perf_counter() - start:.1f} s", flush=True)
    print(f"synthetic_to_real_accuracy={real:.4f}")


if __name__ == "__main__":
    main()
