"""The one table of architectures: every choice of model in Taller reads it.

The command line's ``--model`` and ``import-weights`` choices, ``ModelConfig`` validation, the
window's combo boxes and labels, the freezing presets and the parametrised model tests all come
from ``ARCHITECTURES``. Adding an architecture is one ``Architecture`` entry here; for example
EfficientNet-B0::

    Architecture(
        key="efficientnet",
        label="EfficientNet-B0",
        constructor="torchvision.models:efficientnet_b0",
        heads=("classifier.1",),
        blocks=("features.*",),
        weights=("https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth",),
        rules=InputRules(first_conv="features.0.0", unstride=("features.0.0",)),
    )

The table is plain data (names and strings, no torch): reading it costs nothing, so the window
and the command line list the models without importing torchvision, which takes seconds.
``engine.models.build`` turns an entry into a model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ModelError
from engine.i18n import N_, _, gettext

if TYPE_CHECKING:  # annotations only: the table itself must not import torch
    from torch import nn

MIN_CONV_SIZE = 8  # three 2x2 pools take 8x8 to 1x1
SMALL_IMAGE = 64  # below this short side, ImageNet stems keep their early resolution
# Up to this short side a 4096-wide classifier is mostly weights to learn from a few feature maps.
COMPACT_IMAGE = 64


@dataclass(frozen=True)
class InputRules:
    """How an ImageNet model (3x224x224 in, 1000 classes out) is fitted to the data.

    Attributes
    ----------
    first_conv : str
        The first convolution; for one-channel input it becomes a one-channel convolution whose
        kernel is the sum of the RGB kernels.
    unstride : tuple of str
        Convolutions whose stride becomes 1 on small images (short side below ``SMALL_IMAGE``).
    remove : tuple of str
        Modules (pools) replaced by ``nn.Identity`` on small images.
    trim_pools : str or None
        A ``nn.Sequential`` whose max-pools are replaced by ``nn.Identity`` from the first one
        that would shrink the feature map below 1x1, whatever the image size.
    compact : tuple of (str, str) or None
        ``(pool, classifier)``: on images of at most ``COMPACT_IMAGE`` pixels the adaptive pool
        becomes a global average pool and the classifier's linear layers shrink to the features'
        width (VGG-16's 25088-4096-4096 becomes 512-512-512, as CIFAR variants of VGG are).
    batchnorm : str or None
        A ``nn.Sequential`` whose convolutions get a BatchNorm after them when the model starts
        from random weights (``adapt.Conv2dBatchNorm``, under the convolutions' own names); a
        model that loads ImageNet weights stays as they were trained.
    zero_gamma : str or None
        From random weights, the BatchNorms whose dotted name ends with this start with a zero scale:
        the last of each residual branch, so that every block starts as the identity (Goyal et al.
        2017, torchvision's ``zero_init_residual``, pycls's ``ZERO_INIT_FINAL_GAMMA``). RegNet's
        16 blocks learn with it: 5 epochs on 3,700 32-px shapes, 0.386 with it, 0.218 without
        (chance 0.1). ResNet-18 does not need it and learns more slowly with it (0.940 vs 0.996).
    """

    first_conv: str
    unstride: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    trim_pools: str | None = None
    compact: tuple[str, str] | None = None
    batchnorm: str | None = None
    zero_gamma: str | None = None


@dataclass(frozen=True)
class Architecture:
    """One architecture Taller can train.

    Attributes
    ----------
    key : str
        The name in configurations, checkpoints and on the command line.
    label : str
        What a user reads (combo boxes, messages).
    constructor : str
        ``"module:function"``. With ``rules`` None it is called as ``f(spec, num_classes)`` and
        builds a model for the input; otherwise ``f()`` builds the ImageNet model that ``rules``
        then adapt.
    heads : tuple of str
        Dotted names of the modules that output the classes (replaced for the data's classes).
    blocks : tuple of str
        The blocks before the head, input to output, for the "last N blocks" preset. Each item is
        dotted names joined by ``+`` (one block of several modules, ``"conv1+bn1"``) or
        ``"NAME.*"``: each child of ``NAME`` is a block.
    weights : tuple of str
        Download addresses of torchvision's ImageNet weight files for this architecture, the one
        ``import-weights`` installs first; any of them in the local cache will do. Empty: none.
    rules : InputRules or None
        Input adaptation of an ImageNet model; None for models built for the input.
    hint : str
        One line for a tooltip: what the architecture is good for.
    min_size : int
        Smallest image side the architecture accepts.
    convolutional : bool
        Built of convolutions. On a CPU, bfloat16 autocast speeds these up; a fully connected
        network's small matrix products run slower in it than in float32 (``engine.precision``).
    cam_layer : str
        Dotted name of the module whose output, rectified, the Try it panel's map of what drove a
        prediction weighs (``engine.saliency``): the last convolutional block after its activation
        and before any final pooling, where the Grad-CAM paper and pytorch-grad-cam look. The
        model must rectify that output itself next (a ReLU, or a max-pool then a ReLU), so that the
        map explains the model as it is. Empty: no such block (the map is |gradient x input|).
    """

    key: str
    label: str
    constructor: str
    heads: tuple[str, ...]
    blocks: tuple[str, ...]
    weights: tuple[str, ...] = ()
    rules: InputRules | None = None
    hint: str = ""
    min_size: int = MIN_CONV_SIZE
    convolutional: bool = True
    cam_layer: str = ""

    def __post_init__(self):
        if self.weights and self.rules is None:
            raise ValueError(f"{self.key}: ImageNet weights need input rules to adapt the model")


_ENTRIES = (
    Architecture(
        key="mlp",
        label=N_("MLP (fully connected)"),
        constructor="engine.models.small:mlp",
        heads=("6",),
        blocks=("1", "4"),
        hint="Small and fast; sees pixels, not shapes",
        min_size=1,
        convolutional=False,
    ),
    Architecture(
        key="cnn",
        label=N_("Simple CNN"),
        constructor="engine.models.small:cnn",
        heads=("classifier.fc",),
        blocks=("features.*",),
        hint="Three convolution blocks; quick on any image size",
        # The last block computes conv, BatchNorm, max-pool, ReLU, the same as conv, BatchNorm, ReLU,
        # max-pool: its features after the ReLU and before the pool are BatchNorm's, rectified
        # (7x7 on digits, where the block's output is 3x3).
        cam_layer="features.block3.bn",
    ),
    Architecture(
        key="resnet18",
        label="ResNet-18",
        constructor="torchvision.models:resnet18",
        heads=("fc",),
        blocks=("conv1+bn1", "layer1", "layer2", "layer3", "layer4"),
        weights=("https://download.pytorch.org/models/resnet18-f37072fd.pth",),
        rules=InputRules(first_conv="conv1", unstride=("conv1",), remove=("maxpool",)),
        hint="11M parameters; a good first choice with ImageNet weights",
        cam_layer="layer4",  # its last block ends in the ReLU after the residual sum
    ),
    Architecture(
        key="vgg16",
        label="VGG-16",
        constructor="torchvision.models:vgg16",
        heads=("classifier.6",),
        # Five stages of convolutions, each ended by a max-pool (or the Identity replacing it).
        blocks=(
            "features.0+features.2",
            "features.5+features.7",
            "features.10+features.12+features.14",
            "features.17+features.19+features.21",
            "features.24+features.26+features.28",
            "classifier.0",
            "classifier.3",
        ),
        weights=("https://download.pytorch.org/models/vgg16-397923af.pth",),
        rules=InputRules(
            first_conv="features.0",
            trim_pools="features",
            compact=("avgpool", "classifier"),
            batchnorm="features",
        ),
        hint="Large and slow (15M parameters up to 64 px, 134M above); a classic for feature extraction",
        cam_layer="features.29",  # the ReLU after the last convolution (features.30 is its pool)
    ),
    Architecture(
        key="regnet",
        label="RegNetY-400MF",
        constructor="torchvision.models:regnet_y_400mf",
        heads=("fc",),
        blocks=("stem", "trunk_output.*"),
        # V2 and V1 share the architecture; either file in the cache will do.
        weights=(
            "https://download.pytorch.org/models/regnet_y_400mf-e6988f5f.pth",
            "https://download.pytorch.org/models/regnet_y_400mf-c65dace8.pth",
        ),
        rules=InputRules(first_conv="stem.0", unstride=("stem.0",), zero_gamma=".f.c.1"),
        hint="4M parameters; fast and accurate with ImageNet weights",
        cam_layer="trunk_output",
    ),
)

ARCHITECTURES: dict[str, Architecture] = {entry.key: entry for entry in _ENTRIES}


def architecture(key: str) -> Architecture:
    """The entry of ``key``.

    Raises
    ------
    ModelError
        ``key`` is not a registered architecture (the message lists those that are).
    """
    try:
        return ARCHITECTURES[key]
    except KeyError:
        raise ModelError(
            _("unknown model {key!r}; choose one of {architectures}").format(
                key=key, architectures=", ".join(ARCHITECTURES)
            )
        ) from None


def keys() -> tuple[str, ...]:
    """Every architecture's key, in the table's order."""
    return tuple(ARCHITECTURES)


def labels() -> dict[str, str]:
    """``{key: label}`` in the table's order."""
    return {key: gettext(entry.label) for key, entry in ARCHITECTURES.items()}


def label(key: str) -> str:
    """The label of ``key``, or ``key`` itself when it is not registered (for messages)."""
    entry = ARCHITECTURES.get(key)
    return gettext(entry.label) if entry is not None else key


def cam_layer(key: str | None) -> str:
    """The module the saliency map weighs in ``key``'s models (``Architecture.cam_layer``); "" if none.

    An MLP has none; neither has a key this table does not know (``engine.saliency`` then finds
    the activation after the model's last convolution itself).
    """
    entry = ARCHITECTURES.get(key) if key else None
    return entry.cam_layer if entry is not None else ""


def pretrainable() -> tuple[str, ...]:
    """Keys of the architectures that have ImageNet weights."""
    return tuple(key for key, entry in ARCHITECTURES.items() if entry.weights)


def supports_pretrained(key: str) -> bool:
    """Whether ImageNet weights exist for ``key`` (on this computer or not)."""
    entry = ARCHITECTURES.get(key)
    return entry is not None and bool(entry.weights)


def constructor(key: str) -> Callable[..., Any]:
    """The function that builds ``key`` (see ``Architecture.constructor``)."""
    module, _, name = architecture(key).constructor.partition(":")
    # Resolved on use: torchvision.models takes seconds to import, and reading the table must not.
    return getattr(importlib.import_module(module), name)


def head_names(key: str) -> tuple[str, ...]:
    """Dotted names of the modules that were replaced for the dataset's classes."""
    return architecture(key).heads


def block_groups(key: str, model: nn.Module) -> list[tuple[str, ...]]:
    """The model's blocks, input to output, each as the dotted names of the modules it is made of.

    The last block is always the head (``head_names(key)``).
    """
    groups: list[tuple[str, ...]] = []
    for item in architecture(key).blocks:
        if item.endswith(".*"):
            parent = item[:-2]
            groups += [(f"{parent}.{name}",) for name, _ in model.get_submodule(parent).named_children()]
        else:
            groups.append(tuple(item.split("+")))
    return [*groups, head_names(key)]


def block_names(key: str, model: nn.Module) -> list[str]:
    """Labels of the model's blocks, input to output, for the 'last N blocks' preset.

    A block made of several modules is shown joined by ``+`` (ResNet's stem is ``conv1+bn1``);
    use ``block_groups`` for the dotted names themselves. The last entry is the head.
    """
    return ["+".join(group) for group in block_groups(key, model)]


def pretrainable_labels() -> str:
    """The labels of the architectures with ImageNet weights, as a phrase: "A, B and C"."""
    names = [label(key) for key in pretrainable()]
    return " and ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else "none"
