"""Image folders at scale: the streaming loader and the decode cache vs torchvision's reference.

Makes its own folder of synthetic 500x375 JPEGs (10 classes), then measures, interleaved over
rounds (these machines are noisy; the median is kept):

- images per second delivered by Taller's streaming loader (``engine.data.stream``: decode and
  resize in DataLoader workers) vs torchvision's reference pipeline (``ImageFolder`` +
  ``DataLoader``, same workers, batch size and resolution), first epoch, no cache;
- the same from the decode cache (``engine.data.cache``: a uint8 memmap filled on the first pass);
- peak RSS of a child process that decodes into the cache and reads one epoch, with the small and
  the large folder (``rss_growth_mb``: how much more memory ten times the images cost).

Last lines: ``ratio_stream_vs_reference=``, ``ratio_cached_vs_reference=``, ``rss_growth_mb=``
(targets >= 1.0, >= 2.0, < 300). ``--images`` and ``--big`` shrink it for a busy machine.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402

from engine.data.stream import PhotoFiles, decoded_folder, stream_loader  # noqa: E402


def make_folder(root: Path, n: int, classes: int = 10, distinct: int = 40) -> tuple[list[Path], list[int]]:
    """n synthetic 500x375 JPEGs (smooth colour fields plus noise, like photos compress).

    ``distinct`` pictures per class are drawn and encoded; the other files are byte copies of
    them (decoding costs the same, and making 20,000 takes minutes, not an hour on a busy machine).
    """
    rng = np.random.default_rng(0)
    files, labels = [], []
    yy, xx = np.mgrid[0:375, 0:500]
    encoded: dict[tuple[int, int], bytes] = {}
    for i in range(n):
        k, variant = i % classes, (i // classes) % distinct
        folder = root / f"class{k}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{i:06d}.jpg"
        if not path.exists():
            if (k, variant) not in encoded:
                base = np.stack(
                    [(xx * (k + 1) + i) % 256, (yy * (k + 2)) % 256, (xx + yy + 40 * k) % 256], -1
                )
                noise = rng.integers(0, 40, base.shape)
                picture = Image.fromarray((base + noise).clip(0, 255).astype(np.uint8))
                buffer = io.BytesIO()
                picture.save(buffer, format="JPEG", quality=90)
                encoded[k, variant] = buffer.getvalue()
            path.write_bytes(encoded[k, variant])
        files.append(path)
        labels.append(k)
    order = sorted(range(n), key=lambda j: str(files[j]))  # ImageFolder's order
    return [files[j] for j in order], [labels[j] for j in order]


def rate(batches, n: int) -> float:
    started = time.perf_counter()
    for _batch in batches:
        pass
    return n / (time.perf_counter() - started)


def reference(root: Path, size: int, workers: int, batch: int) -> float:
    tf = transforms.Compose([transforms.Resize((size, size)), transforms.PILToTensor()])
    data = datasets.ImageFolder(str(root), transform=tf)
    return rate(DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers), len(data))


def streamed(files, labels, size: int, workers: int, batch: int) -> float:
    loader, order = stream_loader(PhotoFiles(files, labels, size, 3, augment=False), batch, workers)
    order.set_order(torch.randperm(len(files)))
    return rate(loader, len(files))


def cached(files, size: int, batch: int, cache: Path) -> float:
    images, _, _ = decoded_folder(files, size, 3, cache_root=cache)  # filled once, before the rounds
    perm = torch.randperm(len(files))
    chunks = (images.take(perm[k : k + batch]) for k in range(0, len(files), batch))
    return rate(chunks, len(files))


def rss_child(folder: str, n: int, size: int, cache: str) -> None:
    files, _ = make_folder(Path(folder), n)
    images, _, _ = decoded_folder(files, size, 3, cache_root=Path(cache))
    perm = torch.randperm(n)
    for k in range(0, n, 64):  # one epoch of batches, as training reads them
        images.take(perm[k : k + 64]).float().mean()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kB -> MB


def peak_rss(folder: Path, n: int, size: int, cache: Path) -> float:
    argv = [sys.executable, __file__, "--rss-child", str(folder), str(n), str(size), str(cache)]
    return float(subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--big", type=int, default=20000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-child", nargs=4, metavar=("DIR", "N", "SIZE", "CACHE"))
    parser.add_argument(
        "--folder", help="keep (and reuse) the JPEGs here: DIR/photos-N, as stream_train_memory"
    )
    args = parser.parse_args()
    if args.rss_child:
        folder, n, size, cache = args.rss_child
        return rss_child(folder, int(n), int(size), cache)
    with tempfile.TemporaryDirectory(prefix="taller-bench-") as tmp:
        tmp = Path(tmp)
        base = Path(args.folder) if args.folder else tmp
        small_dir, big_dir = base / f"photos-{args.images}", base / f"photos-{args.big}"
        files, labels = make_folder(small_dir, args.images)
        cached(files, args.size, args.batch, tmp / "cache")  # the first pass writes the cache
        ref, stream, cache = [], [], []
        for r in range(args.rounds):
            ref.append(reference(small_dir, args.size, args.workers, args.batch))
            stream.append(streamed(files, labels, args.size, args.workers, args.batch))
            cache.append(cached(files, args.size, args.batch, tmp / "cache"))
            rates = f"reference {ref[-1]:.0f} img/s, stream {stream[-1]:.0f}, cached {cache[-1]:.0f}"
            print(f"round {r + 1}: {rates}", flush=True)
        small = peak_rss(small_dir, args.images, args.size, tmp / "rss-cache")
        big = peak_rss(big_dir, args.big, args.size, tmp / "rss-cache")
        print(f"peak RSS: {small:.0f} MB with {args.images} images, {big:.0f} MB with {args.big}")
        med = statistics.median
        print(f"ratio_stream_vs_reference={med(stream) / med(ref):.2f}")
        print(f"ratio_cached_vs_reference={med(cache) / med(ref):.2f}")
        print(f"rss_growth_mb={big - small:.0f}")


if __name__ == "__main__":
    main()
