"""The default recipe of each architecture and start: the settings a run uses where the user gives none.

A start is where the weights begin: random weights (``SCRATCH``), ImageNet weights with every layer
but the new head frozen (``FROZEN``, feature extraction; two-phase fine-tuning starts this way too),
or ImageNet weights all trained (``FINETUNE``). A run from a checkpoint of Taller's has no recipe:
it keeps the table's defaults (``engine.settings``).

Each recipe names every setting in ``NAMES``, so changing the model or the start shows a whole
recipe, never a mix of two. The image size is not among them: a folder's pictures are read at their
common size up to 64 px from random weights (``SMALL_IMAGE``; measured below) and at the weights'
own preprocessing (shorter side 256, centre crop 224) from ImageNet weights
(``engine.models.preprocessing``).

How they were chosen (``bench/recipes.py`` prints the README's table; README, *Default recipes*):
the from-scratch recipes by runs on this project's CPUs, on real MNIST digits (the built-in
5,000), on CIFAR-10-shaped pictures and on a folder of real photographs and drawings; the ImageNet
recipes cannot be measured offline (no weights here) and follow the practice of torchvision's
fine-tuning tutorial and Keras's transfer-learning guide: a frozen backbone lets the head take
Adam's usual 1e-3 (its features are computed once, so more epochs cost little), while training the
whole network takes a rate ten times smaller, so the first steps do not wreck what ImageNet taught.
"""

from __future__ import annotations

from typing import Any

from engine.i18n import N_

SCRATCH, FROZEN, FINETUNE = "scratch", "frozen", "finetune"
STARTS = (SCRATCH, FROZEN, FINETUNE)
START_LABELS = {
    SCRATCH: N_("from random weights"),
    FROZEN: N_("ImageNet weights, frozen"),
    FINETUNE: N_("ImageNet weights, fine-tuned"),
}
# The settings (``engine.settings`` names) every recipe gives, in the order tables show them.
NAMES = ("optimizer", "lr", "momentum", "weight_decay", "schedule", "epochs", "batch_size", "augment")


def _recipe(
    optimizer: str = "adam",
    lr: float = 1e-3,
    schedule: str = "none",
    epochs: int = 5,
    batch_size: int = 64,
    augment: bool = False,
    weight_decay: float = 0.0,
    momentum: float = 0.9,
) -> dict[str, Any]:
    return {
        "optimizer": optimizer,
        "lr": lr,
        "momentum": momentum,
        "weight_decay": weight_decay,
        "schedule": schedule,
        "epochs": epochs,
        "batch_size": batch_size,
        "augment": augment,
    }


# The head on features computed once (engine.train.frozen_features): augmentation off keeps them so.
_IMAGENET_FROZEN = _recipe(lr=1e-3, epochs=10)
# Every layer trains: a tenth of the rate, annealed, with augmentation against overfitting a small set;
# batches of 32 keep 224-px activations within a laptop's memory.
_IMAGENET_FINETUNE = _recipe(lr=1e-4, schedule="cosine", epochs=5, batch_size=32, augment=True)

RECIPES: dict[tuple[str, str], dict[str, Any]] = {
    ("mlp", SCRATCH): _recipe(schedule="cosine", epochs=15),
    # Real CIFAR-10 pictures (3.7k, issue 30): 0.503 with 5 epochs of Adam; 0.606 with these.
    ("cnn", SCRATCH): _recipe(schedule="cosine", epochs=15, augment=True),
    # Batches of 32: twice the steps of 64 in an epoch, which small sets need (450 32-px shapes, 3 epochs:
    # ResNet-18 0.64 at 32 vs 0.48 at 64; RegNet 0.55 vs 0.41; chance 0.25). 3,700 CIFAR-shaped pictures,
    # 5 epochs: ResNet-18 0.996 with this recipe, 0.976 with Adam's constant 1e-3 in batches of 64.
    ("resnet18", SCRATCH): _recipe(schedule="cosine", batch_size=32),
    ("resnet18", FROZEN): _IMAGENET_FROZEN,
    ("resnet18", FINETUNE): _IMAGENET_FINETUNE,
    # Plain VGG-16 (with its BatchNorm) from random weights: Adam at 1e-3 stays at chance; 1e-4 and
    # batches of 32 reached 0.63 in 3 epochs of 32-px shapes (0.53 at batch 64, 0.43 at 3e-4).
    ("vgg16", SCRATCH): _recipe(lr=1e-4, batch_size=32),
    ("vgg16", FROZEN): _IMAGENET_FROZEN,
    ("vgg16", FINETUNE): _IMAGENET_FINETUNE,
    # RegNet learns slowly at Adam's usual rate: 3,700 CIFAR-shaped pictures, 5 epochs: 0.386 at 1e-3,
    # 0.617 at 3e-3, 0.670 at 1e-2 (450 shapes: 0.55, 0.66, 0.64; real digits 0.961, 0.968 at 3e-3).
    ("regnet", SCRATCH): _recipe(lr=3e-3, schedule="cosine", batch_size=32),
    ("regnet", FROZEN): _IMAGENET_FROZEN,
    ("regnet", FINETUNE): _IMAGENET_FINETUNE,
}


def start_of(pretrained: bool, frozen: bool, checkpoint: bool = False) -> str | None:
    """The start of a run: None from a checkpoint (no recipe), else ``SCRATCH``, ``FROZEN`` or ``FINETUNE``.

    ``frozen``: some layers are frozen (ticked, a preset, or the first phase of two-phase fine-tuning).
    """
    if checkpoint:
        return None
    if not pretrained:
        return SCRATCH
    return FROZEN if frozen else FINETUNE


def recipe(arch: str, start: str | None) -> dict[str, Any]:
    """The settings of ``arch``'s recipe for ``start`` (every name in ``NAMES``); {} if it has none."""
    return dict(RECIPES.get((arch, start), {}))
