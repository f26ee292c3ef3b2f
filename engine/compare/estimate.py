"""A rough time for a plan before it starts: a table of each model's cost per picture, not a test run.

Timing batches of each model would itself take a minute for VGG-16 on a CPU; the table answers at
once, and the queue corrects its time left by the ratio of the measured to the estimated time of the
runs finished so far. The costs were measured on the development machine: one epoch of the built-in
digits (1,797 pictures of 28×28, every split), one CPU thread, float32 (``bench/compare_overhead.py``
prints the figures it rests on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.data.registry import is_folder

if TYPE_CHECKING:
    from engine.data.types import ImageData
    from engine.train.request import RunRequest

# Seconds per picture and epoch at 28×28 (one thread, CPU, float32), measured as the module says.
SECONDS_PER_PICTURE = {"mlp": 4e-5, "cnn": 8.5e-4, "resnet18": 0.019, "regnet": 0.0058, "vgg16": 0.030}
UNKNOWN_MODEL = 0.01
BASE_SIDE = 28
IMAGENET_SIDE = 224
SMALL_SIDE = 64  # below it ImageNet models keep their early resolution (engine.models.registry)
# Pictures in every split of each built-in dataset; an image folder is guessed at FOLDER_PICTURES.
PICTURES = {
    "digits": 1797,
    "mnist-sample": 5000,
    "synth-digits": 25_000,
    "digits+synth": 26_000,
    "mnist": 70_000,
    "fashion-mnist": 70_000,
    "cifar10": 60_000,
}
FOLDER_PICTURES = 2000
SIDES = {"cifar10": 32}  # every other built-in dataset is 28×28
FOLDER_SIDE = 64
# Frozen layers are computed once per picture (a forward pass, a third of a training step); then only
# the head trains, nearly free.
FROZEN_ONCE, FROZEN_EPOCH = 1 / 3, 0.05
GPU_SPEEDUP = 20.0
START_SECONDS = 2.0  # building the model, evaluating the test split, writing the files


def estimate_seconds(plan: Any, data: ImageData | None = None) -> float:
    """Seconds the whole plan should take: the sum of its runs' ``run_seconds``."""
    return sum(run_seconds(request, data) for _name, _repeat, request in plan.requests())


def run_seconds(request: RunRequest, data: ImageData | None = None) -> float:
    """Seconds one run should take (``data``: the loaded data, when it is the run's)."""
    data_cfg, model_cfg, train_cfg = request.data_cfg, request.model_cfg, request.train_cfg
    pictures, side = _pictures_and_side(data_cfg, data)
    arch = model_cfg.arch
    per_epoch = SECONDS_PER_PICTURE.get(arch, UNKNOWN_MODEL) * pictures * _size_factor(arch, side)
    epochs = train_cfg.epochs * max(1, train_cfg.kfold)
    if request.freeze_preset is not None or model_cfg.frozen:
        frozen_epochs = train_cfg.unfreeze_after or epochs
        cost = per_epoch * (FROZEN_ONCE + FROZEN_EPOCH * frozen_epochs + (epochs - frozen_epochs))
    else:
        cost = per_epoch * epochs
    return START_SECONDS + cost / (GPU_SPEEDUP if _on_gpu(train_cfg.device) else 1.0)


def _pictures_and_side(data_cfg: Any, data: ImageData | None) -> tuple[int, int]:
    if data is not None and data_cfg.dataset == data.name:
        counted = [data.train_labels, data.val_labels, data.test_labels]
        return sum(len(labels) for labels in counted if labels is not None), int(data.spec.height)
    if is_folder(data_cfg.dataset):
        return FOLDER_PICTURES, data_cfg.image_size or FOLDER_SIDE
    return PICTURES.get(data_cfg.dataset, FOLDER_PICTURES), SIDES.get(data_cfg.dataset, BASE_SIDE)


def _size_factor(arch: str, side: int) -> float:
    """How much more a picture of ``side`` costs than one of 28: ImageNet models on small pictures
    keep their early resolution, so they cost as if at the full scale up to ``SMALL_SIDE``."""
    if arch in ("mlp", "cnn") or side < SMALL_SIDE:
        return (side / BASE_SIDE) ** 2
    return 4 * (side / IMAGENET_SIDE) ** 2


def _on_gpu(device: str) -> bool:
    if device == "cuda":
        return True
    if device != "auto":
        return False
    # deferred: whether a GPU is there is PyTorch's to say; the queue and the window have it loaded
    import torch

    return torch.cuda.is_available()
