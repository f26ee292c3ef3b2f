"""Frozen layers computed once vs every epoch: ResNet-18 feature extraction at 224 px on photos.

Makes a folder of synthetic 500x375 JPEGs (``--images``, 2 classes; ``bench/folder_throughput.py``'s
pictures), reads it at 224 px, and trains ResNet-18 (random weights: the timing is the same as with
ImageNet's, and nothing is downloaded) with every layer but ``fc`` frozen (the Layers tab's *Feature
extraction*), ``--epochs`` epochs per run. Each round trains twice from the same seed, interleaved
(shared machines are noisy): once computing every layer every epoch (``FitState.reuse_frozen``
off, as before) and once with the frozen layers' outputs computed once
(``engine.train.frozen_features``). An epoch's time is its ``epoch_end`` event's (training and
validation).

Prints each run's epoch times, whether the two runs ended with the same weights, and last
``ratio_cached_vs_recomputed_epoch=``: the median epoch recomputing over the median epoch after the
first with the outputs computed once (target >= 10).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.folder_throughput import make_folder  # noqa: E402
from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data.registry import folder_key, load_dataset  # noqa: E402
from engine.data.splits import split_dataset  # noqa: E402
from engine.freezing import preset  # noqa: E402
from engine.models.build import build_model  # noqa: E402
from engine.train.loop import fit  # noqa: E402
from engine.train.run import fit_state  # noqa: E402


def cpu_name() -> str:
    """The CPU's model name as lscpu shows it (Linux), else what Python knows."""
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def train(data, data_cfg, train_cfg, reuse: bool) -> tuple[list[float], dict, list[str]]:
    """Epoch times, final weights and the "Frozen layers" log lines of one feature-extraction run."""
    splits = split_dataset(data, data_cfg.val_split, data_cfg.seed)
    torch.manual_seed(data_cfg.seed)
    model = build_model("resnet18", data.spec, len(data.classes))
    model_cfg = ModelConfig(arch="resnet18", frozen=preset(model, "resnet18", "features"))
    said: list[str] = []

    def on_event(event: dict) -> None:
        if event.get("message", "").startswith("Frozen layers"):
            said.append(event["message"])

    state = replace(fit_state(data_cfg, model_cfg, train_cfg, data, on_event, None), reuse_frozen=reuse)
    history, _stopped = fit(model, splits.train, splits.val, state)
    return [h["seconds"] for h in history], model.state_dict(), said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--precision", default="auto", help="fp32, bf16 or auto (as train's --precision)")
    args = parser.parse_args()
    print(f"cpu: {cpu_name()}, torch threads {torch.get_num_threads()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="taller-bench-") as tmp:
        root = Path(tmp) / "photos"
        started = time.perf_counter()
        make_folder(root, args.images, classes=2)
        data_cfg = DataConfig(dataset=folder_key(root), image_size=args.size, loader="memory")
        data = load_dataset(data_cfg)
        print(f"folder: {args.images} JPEGs, read at {args.size} px ({time.perf_counter() - started:.0f} s)")
        train_cfg = TrainConfig(epochs=args.epochs, precision=args.precision)
        recomputed, cached, same = [], [], []
        for r in range(1, args.rounds + 1):
            times_r, weights_r, _said = train(data, data_cfg, train_cfg, reuse=False)
            times_c, weights_c, said = train(data, data_cfg, train_cfg, reuse=True)
            recomputed += times_r
            cached += times_c[1:]
            same.append(
                all(torch.allclose(weights_r[k].float(), weights_c[k].float(), atol=1e-4) for k in weights_r)
            )
            print(f"round {r}: recomputed epochs " + " ".join(f"{t:.2f}" for t in times_r) + " s")
            print(f"round {r}: computed once   epochs " + " ".join(f"{t:.2f}" for t in times_c) + " s")
            print(f"round {r}: {said[-1]}", flush=True)
        epoch_recomputed, epoch_cached = statistics.median(recomputed), statistics.median(cached)
        print(f"recomputed_epoch_s={epoch_recomputed:.3f} cached_epoch_s={epoch_cached:.3f}")
        print(f"same_weights={all(same)}")
        print(f"ratio_cached_vs_recomputed_epoch={epoch_recomputed / epoch_cached:.1f}")


if __name__ == "__main__":
    main()
