"""Architectures: MLP, simple CNN, torchvision ResNet18 / VGG16 / RegNet with a new head."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from torch import nn

from engine.config import ARCHITECTURES, InputSpec

ARCH_LABELS = {
    "mlp": "MLP (fully connected)",
    "cnn": "Simple CNN",
    "resnet18": "ResNet-18",
    "vgg16": "VGG-16",
    "regnet": "RegNetY-400MF",
}

MIN_CONV_SIZE = 8


class ModelError(Exception):
    """A model cannot be built or its weights cannot be loaded; the message says why."""


def _check(arch: str, spec: InputSpec, num_classes: int) -> None:
    if arch not in ARCHITECTURES:
        raise ModelError(f"unknown model {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    if num_classes < 2:
        raise ModelError(f"a classifier needs at least 2 classes, not {num_classes}")
    if arch != "mlp" and min(spec.height, spec.width) < MIN_CONV_SIZE:
        raise ModelError(
            f"{ARCH_LABELS[arch]} needs images of at least {MIN_CONV_SIZE}x{MIN_CONV_SIZE} pixels, "
            f"not {spec.height}x{spec.width}"
        )


def _mlp(spec: InputSpec, num_classes: int) -> nn.Sequential:
    # Exactly the original notebook's model, so its results can be reproduced here.
    c, h, w = spec.shape
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(c * h * w, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, num_classes),
    )


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            bn=nn.BatchNorm2d(out_channels),
            relu=nn.ReLU(inplace=True),
            pool=nn.MaxPool2d(2),
        )
    )


class SimpleCNN(nn.Module):
    """Three conv blocks (conv, BatchNorm, ReLU, 2x2 max-pool), a 2x2 average pool, linear head.

    Three halvings take an 8x8 image to 1x1; the adaptive pool to a fixed 2x2 grid makes the head
    independent of the input size, so the same class serves 28x28 digits, 32x32 CIFAR and larger
    folder images, while keeping coarse layout (a global 1x1 pool cost ~3 points on digits).
    """

    def __init__(self, in_channels: int, num_classes: int, widths: tuple[int, ...] = (32, 64, 128)):
        super().__init__()
        chans = (in_channels, *widths)
        blocks = [(f"block{i + 1}", _conv_block(chans[i], w)) for i, w in enumerate(widths)]
        self.features = nn.Sequential(OrderedDict(blocks))
        self.pool = nn.AdaptiveAvgPool2d(2)
        fc = nn.Linear(widths[-1] * 4, num_classes)
        self.classifier = nn.Sequential(OrderedDict(flatten=nn.Flatten(), dropout=nn.Dropout(0.2), fc=fc))

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


def build_model(arch: str, spec: InputSpec, num_classes: int, pretrained: bool = False) -> nn.Module:
    """Build a classifier for images of ``spec`` with ``num_classes`` outputs.

    Parameters
    ----------
    arch : str
        One of ``ARCHITECTURES``.
    spec : InputSpec
        Channels and size of the input images.
    num_classes : int
        Number of outputs of the new head.
    pretrained : bool
        Start from ImageNet weights found in the local torch cache (torchvision models only).

    Returns
    -------
    nn.Module
        The same ``(arch, spec, num_classes)`` always gives the same structure, so a saved state
        dict loads into a rebuilt model.
    """
    _check(arch, spec, num_classes)
    if pretrained and not supports_pretrained(arch):
        raise ModelError(f"{ARCH_LABELS[arch]} has no ImageNet weights; it always starts from random weights")
    if arch == "mlp":
        return _mlp(spec, num_classes)
    if arch == "cnn":
        return SimpleCNN(spec.channels, num_classes)
    raise NotImplementedError(arch)


def supports_pretrained(arch: str) -> bool:
    """Whether ImageNet weights exist for ``arch``."""
    return arch in ("resnet18", "vgg16", "regnet")


def head_names(arch: str) -> tuple[str, ...]:
    """Dotted names of the modules that were replaced for the dataset's classes."""
    heads = {"mlp": ("6",), "cnn": ("classifier.fc",), "resnet18": ("fc",), "vgg16": ("classifier.6",)}
    heads["regnet"] = ("fc",)
    if arch not in heads:
        raise ModelError(f"unknown model {arch!r}")
    return heads[arch]


def block_names(arch: str, model: nn.Module) -> list[str]:
    """Dotted names of the model's blocks, input to output, for the 'last N blocks' preset."""
    raise NotImplementedError


def weights_path(arch: str) -> Path:
    raise NotImplementedError


def weights_available(arch: str) -> bool:
    raise NotImplementedError


def import_weights(arch: str, file: str | Path) -> Path:
    raise NotImplementedError
