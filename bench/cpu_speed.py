"""CPU training speed of ``--precision auto`` vs float32, and the accuracy each reaches.

From one run, interleaved (the machine is shared, so every round times every configuration once
and the median round counts):

- training samples per second through the engine's own loop (``train_one_epoch``, batch 64) of the
  ``cnn`` on 28x28 digits and ``resnet18`` on 32x32 colour images, in float32 and in ``auto``
  (bfloat16 autocast + channels-last where this CPU has native bfloat16, else float32);
- the achieved FLOP rate of each (forward + backward FLOPs counted by ``torch.utils.flop_counter``)
  as a fraction of this machine's matrix-multiply peak in the same precision, measured in the
  same rounds;
- the test accuracy of the ``cnn`` on the built-in digits (``--epochs`` epochs, ``--seeds``) and of
  a two-phase fine-tuning run (frozen features, then all layers), in each precision.

Last lines: ``ratio_auto_vs_fp32_cnn=``, ``ratio_auto_vs_fp32_resnet18=``, the same ratios of the
bare training step (``ratio_bare_step_auto_vs_fp32_cnn=``: the model, loss, backward and optimizer
step alone, timed in the same rounds, to tell the engine's overhead from the kernels' limit),
``fraction_of_peak_cnn=`` and the accuracies. Targets on a CPU with AMX/AVX-512 BF16: both ratios
>= 2.0, mean accuracy within 0.3 points. On a CPU without native bfloat16, ``auto`` is float32, in
channels-last on x86 (the ratios are then that layout's gain over NCHW, never below about 1.0).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from engine import precision  # noqa: E402
from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data.registry import load_dataset  # noqa: E402
from engine.data.types import InputSpec, Subset  # noqa: E402
from engine.models.build import build_model  # noqa: E402
from engine.threads import use_training_threads  # noqa: E402
from engine.train.loop import BatchFeeder, train_one_epoch  # noqa: E402
from engine.train.run import run  # noqa: E402
from engine.train.state import FitState, make_optimizer  # noqa: E402

BATCH = 64
MODELS = {
    "cnn": InputSpec(channels=1, height=28, width=28, mean=(0.5,), std=(0.5,)),
    "resnet18": InputSpec(channels=3, height=32, width=32, mean=(0.5,) * 3, std=(0.25,) * 3),
}


class Trainer:
    """One model training on random images through the engine's loop, a few batches per call."""

    def __init__(self, arch: str, choice: str, batches: int):
        spec = MODELS[arch]
        self.arch, self.choice = arch, choice
        torch.manual_seed(0)
        self.model = build_model(arch, spec, 10)
        n = batches * BATCH
        images = torch.randint(0, 256, (n, *spec.shape), dtype=torch.uint8)
        labels = torch.randint(0, 10, (n,))
        cfg = TrainConfig(epochs=1, batch_size=BATCH, precision=choice)
        self.state = FitState(spec=spec, cfg=cfg, precision=precision.resolve(choice, "cpu"))
        self.generator = torch.Generator().manual_seed(0)
        self.feeder = BatchFeeder(Subset(images, labels), self.state, self.generator)
        self.layout = contextlib.ExitStack()
        self.layout.enter_context(self.state.precision.layout(self.model))
        self.optimizer = make_optimizer(self.model, cfg, cfg.lr, ())
        self.criterion = nn.CrossEntropyLoss()
        self.flops = self.count_flops(spec)

    def count_flops(self, spec: InputSpec) -> float:
        """Forward + backward FLOPs of one training sample (convolutions and matrix products)."""
        x = torch.randn(BATCH, *spec.shape)
        with FlopCounterMode(display=False) as counter:
            self.criterion(self.model(x), torch.zeros(BATCH, dtype=torch.long)).backward()
        self.optimizer.zero_grad(set_to_none=True)
        return counter.get_total_flops() / BATCH

    def samples_per_second(self) -> float:
        clock = {"start": time.perf_counter()}
        started = time.perf_counter()
        train_one_epoch(
            self.model,
            self.feeder,
            self.optimizer,
            None,
            self.criterion,
            self.state,
            1,
            self.generator,
            clock,
        )
        return len(self.feeder) / (time.perf_counter() - started)

    def bare_samples_per_second(self) -> float:
        """The same model's training step with nothing of the engine around it: the ceiling.

        Forward in the precision, float32 loss, backward, optimizer step on one fixed batch: no
        feeding, no progress, no per-epoch metrics. Its auto/fp32 ratio is what PyTorch's kernels
        allow on this CPU, whatever the loop does.
        """
        x, y = self.feeder.batch(torch.arange(BATCH))
        x = self.state.precision.inputs(x)
        steps = len(self.feeder) // BATCH
        started = time.perf_counter()
        for _ in range(steps):
            with self.state.precision.autocast():
                out = self.model(x)
            loss = self.criterion(out.float(), y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return steps * BATCH / (time.perf_counter() - started)


def matmul_flops_per_second(dtype: torch.dtype, n: int = 1024, seconds: float = 0.3) -> float:
    """Achieved FLOP rate of an n x n matrix product in ``dtype`` (the machine's practical peak)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    reps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        torch.mm(a, b)
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - started)


def speed(rounds: int, batches: int) -> dict[str, float]:
    """Interleaved timing of every (model, precision) and of the matmul peaks; medians."""
    trainers = [Trainer(arch, choice, batches) for arch in MODELS for choice in ("fp32", "auto")]
    auto_dtype = precision.resolve("auto", "cpu").dtype or torch.float32
    peaks = {"fp32": torch.float32, "auto": auto_dtype}
    times: dict[str, list[float]] = {}
    for r in range(rounds + 1):  # round 0 warms up oneDNN's kernel caches and is not counted
        for t in trainers:
            rate, bare = t.samples_per_second(), t.bare_samples_per_second()
            if r:
                times.setdefault(f"{t.arch}_{t.choice}", []).append(rate)
                times.setdefault(f"bare_{t.arch}_{t.choice}", []).append(bare)
        for name, dtype in peaks.items():
            rate = matmul_flops_per_second(dtype)
            if r:
                times.setdefault(f"peak_{name}", []).append(rate)
    result = {k: statistics.median(v) for k, v in times.items()}
    for t in trainers:
        result[f"flops_{t.arch}"] = t.flops
    return result


def accuracy(seeds: list[int], epochs: int, finetune: bool) -> dict[str, list[float]]:
    """Test accuracy of the cnn on the built-in digits per precision, seeds interleaved."""
    data_cfg = DataConfig(dataset="digits")
    data = load_dataset(data_cfg)
    out: dict[str, list[float]] = {}
    runs = [("cnn", ModelConfig(arch="cnn"), {}, s) for s in seeds]
    if finetune:
        # Features frozen for half the epochs, then everything at a tenth of the rate.
        two_phase = {"unfreeze_after": max(1, epochs // 2)}
        model_cfg = ModelConfig(arch="cnn", frozen=("features.block1", "features.block2"))
        runs.append(("finetune", model_cfg, two_phase, seeds[0]))
    for name, model_cfg, extra, seed in runs:
        for choice in ("fp32", "auto"):
            cfg = TrainConfig(epochs=max(2, epochs), device="cpu", precision=choice, **extra)
            result = run(replace(data_cfg, seed=seed), model_cfg, cfg, data=data)
            out.setdefault(f"{name}_{choice}", []).append(result.test["accuracy"])
            print(f"  {name} seed {seed} {choice}: test accuracy {result.test['accuracy']:.4f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=8, help="batches of 64 per timing")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--no-finetune", action="store_true")
    parser.add_argument("--accuracy-only", action="store_true", help="skip the speed rounds")
    parser.add_argument("--threads", type=int, help="torch threads (default: the usable physical cores)")
    args = parser.parse_args()
    threads = use_training_threads()
    if args.threads:
        # On a machine shared with other jobs, fewer threads than cores avoid OpenMP's barrier stalls.
        torch.set_num_threads(threads := args.threads)
    auto = precision.resolve("auto", "cpu")
    print(
        f"cpu capability {torch.backends.cpu.get_cpu_capability()}; native bfloat16: "
        f"{precision.cpu_has_native_bf16()}; auto = {auto.describe()}; torch {torch.__version__}, "
        f"{threads} threads"
    )
    if not auto.mixed:
        layout = "channels-last, so the ratios are the layout's alone" if auto.channels_last else "NCHW"
        print(f"this CPU has no native bfloat16: auto is float32 ({layout})")
    if args.accuracy_only:
        print_accuracy(accuracy(args.seeds, args.epochs, not args.no_finetune))
        return
    s = speed(args.rounds, args.batches)
    print("| model (batch 64) | float32 samples/s | auto samples/s | ratio | fraction of peak fp32 / auto |")
    print("|---|---|---|---|---|")
    fractions = {}
    for arch in MODELS:
        for choice in ("fp32", "auto"):
            fractions[f"{arch}_{choice}"] = s[f"{arch}_{choice}"] * s[f"flops_{arch}"] / s[f"peak_{choice}"]
        print(
            f"| {arch} | {s[f'{arch}_fp32']:.0f} | {s[f'{arch}_auto']:.0f} | "
            f"{s[f'{arch}_auto'] / s[f'{arch}_fp32']:.2f} | "
            f"{fractions[f'{arch}_fp32']:.2f} / {fractions[f'{arch}_auto']:.2f} |"
        )
    for arch in MODELS:
        print(
            f"bare training step of {arch} (no engine around it): float32 {s[f'bare_{arch}_fp32']:.0f}, "
            f"auto {s[f'bare_{arch}_auto']:.0f} samples/s, "
            f"ratio {s[f'bare_{arch}_auto'] / s[f'bare_{arch}_fp32']:.2f}"
        )
    print(
        f"matmul peak (1024x1024): fp32 {s['peak_fp32'] / 1e9:.0f} GFLOP/s, "
        f"auto {s['peak_auto'] / 1e9:.0f} GFLOP/s"
    )
    acc = accuracy(args.seeds, args.epochs, not args.no_finetune) if args.seeds else {}
    for arch in MODELS:
        print(f"ratio_auto_vs_fp32_{arch}={s[f'{arch}_auto'] / s[f'{arch}_fp32']:.2f}")
    for arch in MODELS:
        print(f"ratio_bare_step_auto_vs_fp32_{arch}={s[f'bare_{arch}_auto'] / s[f'bare_{arch}_fp32']:.2f}")
    print(f"fraction_of_peak_cnn={fractions['cnn_auto']:.3f}")
    print(f"fraction_of_peak_cnn_fp32={fractions['cnn_fp32']:.3f}")
    print_accuracy(acc)


def print_accuracy(acc: dict[str, list[float]]) -> None:
    """One line per (run, precision): the mean test accuracy and each seed's; then the gap."""
    for key, values in sorted(acc.items()):
        print(
            f"accuracy_{key}={statistics.mean(values):.4f} (seeds: {', '.join(f'{v:.4f}' for v in values)})"
        )
    if acc:
        gap = statistics.mean(acc["cnn_auto"]) - statistics.mean(acc["cnn_fp32"])
        print(f"accuracy_gap_auto_minus_fp32_cnn_points={100 * gap:+.2f}")


if __name__ == "__main__":
    main()
