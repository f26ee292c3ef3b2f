"""Speed-up of one run on 2 processes (torchrun, DDP over gloo) against the same run on 1 process.

Both train the same model on the same data with the same global batch. One process runs twice,
with all the CPU threads (``OMP_NUM_THREADS`` = cores) and with one thread (on a machine shared with
other jobs OpenMP's busy-waiting threads can make the first much slower); the 2 processes get
cores/2 threads each. The time compared is the training epochs' own seconds (the ``epoch_end``
events, first epoch left out as warm-up), not the seconds spent starting Python and torchrun. The
configurations are interleaved in every round (rotated order) so a machine whose load changes
affects all alike; the ratio is the median of the better one-process setting over the median of
two processes.

    python bench/ddp_speed.py [--rounds 3] [--model cnn] [--epochs 3]

prints one line per run, then ``ratio_2proc_vs_1proc=X.XX`` (above 1: two processes are faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def train_seconds(processes: int, threads: int, args: argparse.Namespace, out: Path) -> tuple[float, float]:
    """(seconds of the epochs after the first, wall seconds) of one run on ``processes`` processes."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT))
    train = ["-m", "engine.cli", "train", "--dataset", args.dataset, "--model", args.model]
    train += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--device", "cpu"]
    train += ["--precision", "fp32", "--events", "jsonl", "--out", str(out)]
    if processes > 1:
        launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
        command = [sys.executable, *launcher, *train]
    else:
        command = [sys.executable, *train]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"the {processes}-process run failed:\n{done.stderr[-2000:]}")
    epochs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    seconds = [e["seconds"] for e in epochs if e.get("event") == "epoch_end"]
    return sum(seconds[1:]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    setups = [(1, cores), (1, 1), (2, max(1, cores // 2))]  # (processes, threads per process)
    times: dict[tuple[int, int], list[float]] = {setup: [] for setup in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for processes, threads in setups[r % 3 :] + setups[: r % 3]:
                out = Path(tmp) / f"run-{r}-{processes}-{threads}"
                seconds, wall = train_seconds(processes, threads, args, out)
                times[(processes, threads)].append(seconds)
                print(
                    f"round {r + 1}: {processes} process(es) x {threads} thread(s): epochs 2..{args.epochs} "
                    f"{seconds:.2f}s (wall with start-up {wall:.1f}s)",
                    flush=True,
                )
    medians = {setup: statistics.median(t) for setup, t in times.items()}
    one = min(medians[(1, cores)], medians[(1, 1)])
    two = medians[(2, max(1, cores // 2))]
    print(f"cores={cores} model={args.model} dataset={args.dataset} batch={args.batch_size}")
    print(" ".join(f"median_{p}proc_{t}thr_s={m:.2f}" for (p, t), m in medians.items()))
    print(f"ratio_2proc_vs_1proc={one / two:.2f}")


if __name__ == "__main__":
    main()
