"""Memory while a large photo folder trains streamed: ResNet-18 at 224 px on synthetic 500x375 JPEGs.

The issue's check: 20,000 JPEGs train with ``--model resnet18 --image-size 224`` while the process
stays under 2 GB. Makes (or reuses, with ``--folder``) the folder of ``bench/folder_throughput.py``,
then runs ``engine.train.run.run`` on it exactly as ``main.py train --dataset folder:DIR --model
resnet18 --image-size 224 --loader stream`` does, stopping after ``--batches`` training batches (a
partial epoch: one epoch of 20,000 pictures takes hours on a CPU). Prints the peak RSS of the
training process and of its largest DataLoader worker, and ``peak_rss_mb=`` last.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.folder_throughput import make_folder  # noqa: E402
from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data.registry import folder_key  # noqa: E402
from engine.train.run import run  # noqa: E402


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: kB -> MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument(
        "--folder", help="where the JPEGs are (made there if missing; default: a temp folder)"
    )
    parser.add_argument("--batches", type=int, default=10, help="training batches before stopping")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--cache", action="store_true", help="fill and read the decode cache (default off)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="taller-bench-") as tmp:
        root = Path(args.folder or tmp) / f"photos-{args.images}"
        started = time.perf_counter()
        make_folder(root, args.images)
        print(f"folder: {args.images} JPEGs in {root} ({time.perf_counter() - started:.0f} s)", flush=True)
        stop = threading.Event()
        seen = {"batches": 0, "loaded": None}

        def on_event(event: dict) -> None:
            if event["event"] == "status":
                print(f"{event['message']} (peak RSS so far {rss_mb():.0f} MB)", flush=True)
                seen["loaded"] = seen["loaded"] or time.perf_counter()
            if event["event"] == "progress" and event["batch"] > seen["batches"]:
                seen["batches"] = event["batch"]
                print(f"batch {event['batch']}/{event['batches']}: peak RSS {rss_mb():.0f} MB", flush=True)
                if event["batch"] >= args.batches:
                    stop.set()

        data_cfg = DataConfig(
            dataset=folder_key(root), image_size=args.size, loader="stream", cache=args.cache
        )
        train_cfg = TrainConfig(epochs=1, batch_size=args.batch_size, precision="fp32")
        started = time.perf_counter()
        result = run(data_cfg, ModelConfig(arch=args.model), train_cfg, on_event=on_event, stop=stop)
        seconds = time.perf_counter() - started
        print(f"stopped={result.stopped} after {seen['batches']} batches, {seconds:.0f} s in all")
        print(f"worker_peak_rss_mb={rss_mb(resource.RUSAGE_CHILDREN):.0f}")
        print(f"peak_rss_mb={rss_mb():.0f}")


if __name__ == "__main__":
    main()
