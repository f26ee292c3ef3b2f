"""Training throughput: Taller's engine vs a bare PyTorch loop vs the seed notebook's pipeline.

All three train the same MLP on the same 28x28 digit data (the built-in digits, tiled to a few
thousand samples so each run lasts seconds) with the same batch size and optimizer, and
run the same validation pass each epoch. Runs are interleaved and the median taken, since these
machines are noisy. Last line: ``ratio_engine_vs_bare=X.XX ratio_engine_vs_seed=Y.YY``
(targets >= 0.95 and >= 3.0).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from torchvision import transforms  # noqa: E402

from engine.config import DataConfig, TrainConfig  # noqa: E402
from engine.data.registry import load_dataset  # noqa: E402
from engine.data.splits import split_dataset  # noqa: E402
from engine.data.transforms import normalise  # noqa: E402
from engine.data.types import Subset  # noqa: E402
from engine.models.build import build_model  # noqa: E402
from engine.train.loop import fit  # noqa: E402
from engine.train.state import FitState  # noqa: E402

EPOCHS = 2
BATCH = 64
TILE = 16  # 1,221 training digits x 16 = 19,536 samples per epoch: runs of seconds, not milliseconds
ROUNDS = 5


def engine_run(train: Subset, val: Subset, spec) -> float:
    model = build_model("mlp", spec, 10)
    state = FitState(spec=spec, cfg=TrainConfig(epochs=EPOCHS, batch_size=BATCH), seed=0)
    started = time.perf_counter()
    fit(model, train, val, state)
    return time.perf_counter() - started


def bare_run(train: Subset, val: Subset, spec) -> float:
    torch.manual_seed(0)
    model = build_model("mlp", spec, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    started = time.perf_counter()
    x, y = normalise(train.images, spec), train.labels
    vx, vy = normalise(val.images, spec), val.labels
    for _ in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(y))
        for i in range(0, len(y), BATCH):
            idx = perm[i : i + BATCH]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            (model(vx).argmax(1) == vy).float().mean().item()
    return time.perf_counter() - started


class PilDigits(Dataset):
    """The seed notebook's way: a PIL image per sample, ToTensor + Normalize per sample."""

    def __init__(self, subset: Subset, spec):
        self.images = subset.images[:, 0].numpy()
        self.labels = subset.labels.tolist()
        self.tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(spec.mean, spec.std)])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.tf(Image.fromarray(self.images[i], mode="L")), self.labels[i]


def seed_run(train: Subset, val: Subset, spec) -> float:
    torch.manual_seed(0)
    model = build_model("mlp", spec, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    started = time.perf_counter()
    train_loader = DataLoader(PilDigits(train, spec), batch_size=BATCH, shuffle=True)
    val_loader = DataLoader(PilDigits(val, spec), batch_size=BATCH)
    for _ in range(EPOCHS):
        model.train()
        for xb, yb in train_loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for xb, yb in val_loader:
                (model(xb).argmax(1) == yb).sum().item()
    return time.perf_counter() - started


def main() -> None:
    data = load_dataset(DataConfig(dataset="digits"))
    splits = split_dataset(data, 0.2, 0)
    tile = lambda s: Subset(s.images.repeat(TILE, 1, 1, 1), s.labels.repeat(TILE))  # noqa: E731
    train, val = tile(splits.train), tile(splits.val)
    samples = EPOCHS * len(train)
    print(
        f"MLP on {len(train)} training + {len(val)} validation 28x28 digits, {EPOCHS} epochs, batch {BATCH}"
    )
    times = {"engine": [], "bare": [], "seed": []}
    runs = {"engine": engine_run, "bare": bare_run, "seed": seed_run}
    for r in range(ROUNDS):
        for name, fn in runs.items():
            times[name].append(fn(train, val, data.spec))
        print(f"round {r + 1}: " + "  ".join(f"{k}={v[-1]:.2f}s" for k, v in times.items()))
    rate = {k: samples / statistics.median(v) for k, v in times.items()}
    for k, v in rate.items():
        print(f"{k:>6}: {v:10.0f} samples/s (median of {ROUNDS})")
    print(
        f"ratio_engine_vs_bare={rate['engine'] / rate['bare']:.2f} "
        f"ratio_engine_vs_seed={rate['engine'] / rate['seed']:.2f}"
    )


if __name__ == "__main__":
    main()
