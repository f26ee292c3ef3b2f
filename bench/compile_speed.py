"""Does ``torch.compile`` pay for itself on a CPU training run? Compile time included.

Trains the ``cnn`` (28x28, batch 64) in the precision ``auto`` picks, eager and compiled, and
measures the compiled model's first steps (tracing and code generation) and the steady step time
of both, interleaved. Prints the time a 1-minute and a 10-minute eager run would take compiled,
as ``compiled_vs_eager_1min=`` and ``compiled_vs_eager_10min=`` (below 1.0: compile wins).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.nn import functional  # noqa: E402

from engine import precision  # noqa: E402
from engine.data.types import InputSpec  # noqa: E402
from engine.models.build import build_model  # noqa: E402
from engine.threads import use_training_threads  # noqa: E402

SPEC = InputSpec(channels=1, height=28, width=28, mean=(0.5,), std=(0.5,))


def trainer(compiled: bool, prec: precision.Precision):
    """A step function training a fresh cnn (compiled or not) in ``prec``."""
    torch.manual_seed(0)
    model = build_model("cnn", SPEC, 10)
    if prec.channels_last:
        model = model.to(memory_format=torch.channels_last)
    forward = torch.compile(model) if compiled else model
    optimizer = torch.optim.Adam(model.parameters())
    x = prec.inputs(torch.randn(64, *SPEC.shape))
    y = torch.randint(0, 10, (64,))

    def step() -> None:
        with prec.autocast():
            out = forward(x)
        loss = functional.cross_entropy(out.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def timed(step, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    threads = use_training_threads()
    if args.threads:
        torch.set_num_threads(threads := args.threads)
    prec = precision.resolve("auto", "cpu")
    eager, compiled = trainer(False, prec), trainer(True, prec)
    started = time.perf_counter()
    for _ in range(3):  # forward and backward graphs, then the optimizer's first real step
        compiled()
    compile_s = time.perf_counter() - started
    eager()
    times: dict[str, list[float]] = {"eager": [], "compiled": []}
    for _ in range(args.rounds):
        times["eager"].append(timed(eager, args.steps))
        times["compiled"].append(timed(compiled, args.steps))
    e, c = statistics.median(times["eager"]), statistics.median(times["compiled"])
    print(f"{prec.describe()}, {threads} threads: compile (first 3 steps) {compile_s:.1f} s;")
    print(f"steady step: eager {1000 * e:.1f} ms, compiled {1000 * c:.1f} ms ({e / c:.2f}x)")
    for minutes in (1, 10):
        steps = minutes * 60 / e
        print(f"compiled_vs_eager_{minutes}min={(compile_s + steps * c) / (minutes * 60):.2f}")


if __name__ == "__main__":
    main()
