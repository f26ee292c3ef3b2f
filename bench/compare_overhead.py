"""What a comparison costs beyond its runs: a plan of N runs against the same N runs started one by one.

The plan is N learning rates (``--runs``) of one base run (``--dataset``, ``--model``, ``--epochs``;
default: an MLP on the built-in digits, 2 epochs, so the queue's own work weighs most). Each round,
interleaved (shared machines are noisy), times ``engine.compare.queue.run_plan`` of the plan into a
comparison folder (loading the data once, writing plan.json and state.json, reading the table and the
verdicts back at the end), then the same N requests one by one through ``engine.train.runner.start``,
each loading its data as a separate ``taller train`` would (the registry's cache cleared before each).

Prints each round's two times and the queue's own share of the plan's (the plan's time less the time
inside ``runner.start``: folder files, the table and verdicts read back), then
``queue_own_seconds_median=`` and last ``ratio_plan_vs_single_runs=``: the median plan time over the
median time of the N single runs (target <= 1.05). The figures of ``engine.compare.estimate`` (one
epoch of the digits per architecture) come from ``--models``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine.compare.plan import Plan  # noqa: E402
from engine.compare.presets import expand  # noqa: E402
from engine.compare.queue import run_plan  # noqa: E402
from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data.registry import clear_cache, load_dataset  # noqa: E402
from engine.train import runner  # noqa: E402
from engine.train.run import run  # noqa: E402


def the_plan(args: argparse.Namespace) -> Plan:
    rates = [10 ** (-4 + 2 * i / max(1, args.runs - 1)) for i in range(args.runs)]
    train = TrainConfig(epochs=args.epochs, precision="fp32", device=args.device)
    base = DataConfig(dataset=args.dataset), ModelConfig(arch=args.model), train
    return Plan.from_configs("bench", *base, expand("learning-rates", args.model, rates))


INSIDE_RUNNER: list[float] = []  # seconds spent in runner.start during the last plan


def timed_plan(plan: Plan, root: Path, n: int) -> float:
    clear_cache()
    INSIDE_RUNNER.clear()
    real = runner.start

    def start(*args, **kwargs):
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            INSIDE_RUNNER.append(time.perf_counter() - began)

    runner.start = start
    started = time.perf_counter()
    try:
        run_plan(plan, root / f"compare-{n}", lambda event: None)
    finally:
        runner.start = real
    return time.perf_counter() - started


def timed_singles(plan: Plan, root: Path, n: int) -> float:
    started = time.perf_counter()
    for i, (_name, _repeat, request) in enumerate(plan.requests()):
        clear_cache()  # a separate `taller train` loads its data itself
        runner.start(request, lambda event: None, out=root / f"single-{n}-{i}")  # a listener, as train has
    return time.perf_counter() - started


def model_costs(threads: int) -> None:
    """Seconds per picture and epoch of each model on the digits (the table in engine.compare.estimate)."""
    data_cfg = DataConfig(dataset="digits")
    data = load_dataset(data_cfg)
    pictures = len(data.train_labels) + (len(data.test_labels) if data.test_labels is not None else 0)
    for arch in ("mlp", "cnn", "regnet", "resnet18", "vgg16"):
        started = time.perf_counter()
        run(
            data_cfg, ModelConfig(arch=arch), TrainConfig(epochs=1, precision="fp32", device="cpu"), data=data
        )
        seconds = time.perf_counter() - started
        print(
            f"model={arch} threads={threads} seconds_per_picture_epoch={seconds / pictures:.2g}", flush=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (default 1: steadier times)")
    parser.add_argument("--models", action="store_true", help="also time one epoch of every model")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    plan = the_plan(args)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        timed_plan(plan, root, -1)  # warm-up: imports, first allocations
        plans, singles, queue = [], [], []
        for n in range(args.rounds):
            plans.append(timed_plan(plan, root, n))
            queue.append(plans[-1] - sum(INSIDE_RUNNER))
            singles.append(timed_singles(plan, root, n))
            print(
                f"round={n + 1} plan_s={plans[-1]:.2f} single_runs_s={singles[-1]:.2f} "
                f"queue_own_s={queue[-1]:.3f}",
                flush=True,
            )
    if args.models:
        model_costs(args.threads)
    ratio = statistics.median(plans) / statistics.median(singles)
    print(f"runs={args.runs} epochs={args.epochs} model={args.model} dataset={args.dataset}")
    print(f"queue_own_seconds_median={statistics.median(queue):.3f}")
    print(f"ratio_plan_vs_single_runs={ratio:.3f}")


if __name__ == "__main__":
    main()
