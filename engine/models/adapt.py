"""Fitting an ImageNet model to the data: grayscale input, small images, a head for the classes.

ResNet-18, VGG-16 and RegNetY-400MF are built with torchvision's own constructors, so their layer
names (``layer3.1.conv2``, ``features.17``, ``trunk_output.block2``) are torchvision's. Each entry's
``InputRules`` (``engine.models.registry``) then adapt the model in three steps. Grayscale images:
the first convolution is replaced by a one-channel convolution whose kernel is the sum of the
three RGB kernels (what timm's ``adapt_input_conv`` does); a gray image is the same intensity in R,
G and B, so this keeps the pretrained filters' responses meaningful instead of starting the first
layer from scratch. Small images (less than 64 pixels on the short side, such as 28x28 digits or
32x32 CIFAR): ImageNet models shrink the input 32-fold, so a 32x32 image would be down to 2x2
before the last stage and 1x1 after it, with little left to learn from; so ResNet-18's first
convolution keeps stride 1 and its max-pool is removed, RegNet's stem keeps stride 1 (both then end
at 4x4 or 2x2), and VGG-16 drops any trailing max-pool that would shrink its map below 1x1. These
changes alter strides and pooling only, never a weight's shape, so the pretrained weights still
load. Finally the 1000-class ImageNet classifier (``fc`` or ``classifier.6``) is replaced by a fresh
layer with one output per class. The adaptation depends only on the architecture, the input's
channels and size and the number of classes, so a saved model is reloaded by rebuilding it and
loading its weights.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.data.types import InputSpec
from engine.models.registry import SMALL_IMAGE, InputRules


def set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    """Put ``module`` in ``model`` under the dotted ``name``, replacing what was there."""
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def grayscale_conv(conv: nn.Conv2d) -> nn.Conv2d:
    """A one-channel copy of ``conv`` whose kernel is the sum of its input channels' kernels."""
    new = nn.Conv2d(
        1,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        bias=conv.bias is not None,
    )
    with torch.no_grad():
        # Gray = equal R, G, B, so the summed kernel responds exactly as the RGB one did.
        new.weight.copy_(conv.weight.sum(dim=1, keepdim=True))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


def trim_pools(features: nn.Sequential, size: int) -> None:
    """Replace the max-pools of ``features`` that would take a ``size`` map below 1x1."""
    # Identity keeps the indices, so features.N names and state-dict keys stay torchvision's.
    for i, layer in enumerate(features):
        if isinstance(layer, nn.MaxPool2d):
            if size // 2 >= 1:
                size //= 2
            else:
                features[i] = nn.Identity()


def adapt_input(model: nn.Module, rules: InputRules, spec: InputSpec) -> None:
    """Fit ``model`` to images of ``spec``: channels, then strides and pools for small images."""
    if spec.channels == 1:
        set_module(model, rules.first_conv, grayscale_conv(model.get_submodule(rules.first_conv)))
    size = min(spec.height, spec.width)
    if rules.trim_pools is not None:
        trim_pools(model.get_submodule(rules.trim_pools), size)
    if size < SMALL_IMAGE:
        for name in rules.unstride:
            model.get_submodule(name).stride = (1, 1)
        for name in rules.remove:
            set_module(model, name, nn.Identity())


def replace_heads(model: nn.Module, heads: tuple[str, ...], num_classes: int) -> None:
    """Replace each linear head with a fresh one giving ``num_classes`` outputs."""
    for name in heads:
        old = model.get_submodule(name)
        set_module(model, name, nn.Linear(old.in_features, num_classes))
