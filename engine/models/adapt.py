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
changes alter strides and pooling only, never a convolution's shape, so the pretrained weights still
load. Up to 64 pixels VGG-16's classifier is compact: its 7x7 pool spread a 1x1 or 2x2 map over 49
cells, so 102M of its 134M weights were a 25088-wide layer seeing a few numbers each; a global
average pool and linear layers 512 wide (CIFAR variants of VGG do the same) leave 15M weights, the
ImageNet convolutions as they were. From random weights VGG-16 gets a BatchNorm after each
convolution (``Conv2dBatchNorm``): without it, 13 convolutions map every image to nearly the same
features (cosine 0.96 between any two at the last one), and it stayed at chance for three epochs
with every optimizer and rate tried. Finally the 1000-class ImageNet classifier (``fc`` or
``classifier.6``) is replaced by a fresh layer with one output per class. The adaptation depends
only on the architecture, the input's channels and size and the number of classes, so a saved model
is reloaded by rebuilding it and loading its weights.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.data.types import InputSpec
from engine.models.registry import COMPACT_IMAGE, SMALL_IMAGE, InputRules


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


def compact_classifier(model: nn.Module, pool: str, classifier: str) -> None:
    """Global average pooling at ``pool``, and ``classifier``'s linear layers as wide as the features.

    The layers keep their places in ``classifier`` (``classifier.6`` is still the head), so the
    freezing presets and layer names stay those of the full model; the new layers start as
    ``nn.Linear`` does (the ImageNet classifier's weights do not fit them). The dropout layers
    become ``nn.Identity``, as in the CIFAR variants of VGG with BatchNorm: two dropouts of 0.5 on
    512 features took a 3-epoch run on 32-px pictures from 0.53 to 0.32 accuracy.
    """
    old_pool = model.get_submodule(pool)
    cells = old_pool.output_size if isinstance(old_pool.output_size, tuple) else (old_pool.output_size,) * 2
    layers = model.get_submodule(classifier)
    linears = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)]
    width = layers[linears[0]].in_features // (cells[0] * cells[1])  # the features' channels
    set_module(model, pool, nn.AdaptiveAvgPool2d(1))
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            layers[i] = nn.Linear(width, layer.out_features if i == linears[-1] else width)
        elif isinstance(layer, nn.Dropout):
            layers[i] = nn.Identity()


class Conv2dBatchNorm(nn.Conv2d):
    """A convolution and the BatchNorm after it, as one module under the convolution's name.

    torchvision's ``vgg16_bn`` puts its BatchNorm layers at indices of their own, which renames
    every layer after the first; here ``features.0`` stays ``features.0`` (its ``weight`` and
    ``bias`` keep their names) and its BatchNorm is ``features.0.bn``, so the freezing presets, the
    saliency layer and the names in a checkpoint stay those of ``vgg16``.
    """

    def __init__(self, conv: nn.Conv2d):
        super().__init__(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            groups=conv.groups,
            bias=conv.bias is not None,
            padding_mode=conv.padding_mode,
        )
        with torch.no_grad():
            self.weight.copy_(conv.weight)
            if conv.bias is not None:
                self.bias.copy_(conv.bias)
        self.bn = nn.BatchNorm2d(conv.out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(super().forward(x))


def zero_residual_gamma(model: nn.Module, suffix: str) -> None:
    """Start the BatchNorms named ``...suffix`` with a zero scale (``InputRules.zero_gamma``)."""
    for name, module in model.named_modules():
        if name.endswith(suffix) and isinstance(module, nn.modules.batchnorm._BatchNorm):
            nn.init.zeros_(module.weight)


def add_batchnorm(layers: nn.Sequential) -> None:
    """Give every convolution of ``layers`` a BatchNorm after it (``Conv2dBatchNorm``)."""
    for i, layer in enumerate(layers):
        if type(layer) is nn.Conv2d:
            layers[i] = Conv2dBatchNorm(layer)


def adapt_input(
    model: nn.Module, rules: InputRules, spec: InputSpec, compact: bool = True, batchnorm: bool = False
) -> None:
    """Fit ``model`` to images of ``spec``: channels, then strides and pools for small images.

    ``compact`` False keeps a full classifier on small images (models saved before it was compact);
    ``batchnorm`` adds BatchNorm after the convolutions of ``rules.batchnorm`` (a model that starts
    from random weights).
    """
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
    if rules.compact is not None and compact and size <= COMPACT_IMAGE:
        compact_classifier(model, *rules.compact)
    if rules.batchnorm is not None and batchnorm:
        add_batchnorm(model.get_submodule(rules.batchnorm))


def replace_heads(model: nn.Module, heads: tuple[str, ...], num_classes: int) -> None:
    """Replace each linear head with a fresh one giving ``num_classes`` outputs."""
    for name in heads:
        old = model.get_submodule(name)
        set_module(model, name, nn.Linear(old.in_features, num_classes))
