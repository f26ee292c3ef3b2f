"""Architectures: MLP, simple CNN, torchvision ResNet18 / VGG16 / RegNet with a new head.

Input adaptation of the torchvision models
------------------------------------------
ResNet-18, VGG-16 and RegNetY-400MF are built with torchvision's own constructors, so their layer
names (``layer3.1.conv2``, ``features.17``, ``trunk_output.block2``) are torchvision's, and, when
asked, their ImageNet weights are read from the local torch cache (Taller never downloads). The
models are then adapted to the data in three steps. Grayscale images: the first convolution is
replaced by a one-channel convolution whose kernel is the sum of the three RGB kernels (what timm's
``adapt_input_conv`` does); a gray image is the same intensity in R, G and B, so this keeps the
pretrained filters' responses meaningful instead of starting the first layer from scratch. Small
images (less than 64 pixels on the short side, such as 28x28 digits or 32x32 CIFAR): ImageNet models
shrink the input 32-fold, so a 32x32 image would be down to 2x2 before the last stage and 1x1 after
it, with little left to learn from; so ResNet-18's first convolution keeps stride 1 and its max-pool
is removed, RegNet's stem keeps stride 1 (both then end at 4x4 or 2x2), and VGG-16 drops any
trailing max-pool that would shrink its map below 1x1. These changes alter strides
and pooling only, never a weight's shape, so the pretrained weights still load. Finally the
1000-class ImageNet classifier (``fc`` or ``classifier.6``) is replaced by a fresh layer with one
output per class. The adaptation depends only on the architecture, the input's channels and size
and the number of classes, so a saved model is reloaded by rebuilding it and loading its weights.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch
import torchvision
from torch import nn

from engine.config import ARCHITECTURES, InputSpec
from engine.errors import ModelError

ARCH_LABELS = {
    "mlp": "MLP (fully connected)",
    "cnn": "Simple CNN",
    "resnet18": "ResNet-18",
    "vgg16": "VGG-16",
    "regnet": "RegNetY-400MF",
}

MIN_CONV_SIZE = 8
POOL_GRID = 3  # SimpleCNN's pooled feature grid


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


def _conv_block(in_channels: int, out_channels: int, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, bias=False),
            bn=nn.BatchNorm2d(out_channels),
            relu=nn.ReLU(inplace=True),
            pool=nn.MaxPool2d(2),
        )
    )


class SimpleCNN(nn.Module):
    """Three conv blocks (5x5 then 3x3 conv, BatchNorm, ReLU, 2x2 max-pool), 3x3 pool, linear head.

    Three halvings take an 8x8 image to 1x1 and a 28x28 digit to 3x3. The adaptive pool to a
    fixed 3x3 grid makes the head independent of the input size, so the same class serves 28x28
    digits, 32x32 CIFAR and larger folder images, while keeping where in the image each feature
    was (a global 1x1 pool lost 1-2 points on the built-in digits).
    """

    def __init__(self, in_channels: int, num_classes: int, widths: tuple[int, ...] = (32, 64, 128)):
        super().__init__()
        chans = (in_channels, *widths)
        # A 5x5 first layer sees whole stroke segments. On 10 splits of the built-in digits (5 epochs)
        # it lifted the worst test accuracy from 0.970 to 0.978 and the mean from 0.986 to 0.988;
        # two convs per block did slightly better (0.989 worst) at 2.4x the time.
        blocks = [
            (f"block{i + 1}", _conv_block(chans[i], w, 5 if i == 0 else 3)) for i, w in enumerate(widths)
        ]
        self.features = nn.Sequential(OrderedDict(blocks))
        self.pool = nn.AdaptiveAvgPool2d(POOL_GRID)
        fc = nn.Linear(widths[-1] * POOL_GRID**2, num_classes)
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

    Raises
    ------
    ModelError
        Unknown architecture, images too small, or pretrained weights missing or wrong.
    """
    _check(arch, spec, num_classes)
    if pretrained and not supports_pretrained(arch):
        raise ModelError(f"{ARCH_LABELS[arch]} has no ImageNet weights; it always starts from random weights")
    if arch == "mlp":
        return _mlp(spec, num_classes)
    if arch == "cnn":
        return SimpleCNN(spec.channels, num_classes)
    state = _pretrained_state(arch) if pretrained else None  # fail fast, before building VGG
    model = _TORCHVISION[arch].build(weights=None)
    if state is not None:
        for key, value in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                state.setdefault(key, torch.zeros_like(value))
        model.load_state_dict(state)
    _adapt_input(arch, model, spec)
    _replace_head(arch, model, num_classes)
    return model


# --- torchvision architectures -------------------------------------------------------------------


class _Torchvision:
    """How to build one torchvision architecture and where its ImageNet weights come from."""

    def __init__(self, build: Callable[..., nn.Module], weights: list, first_conv: str, head: str):
        self.build = build
        self.weights = weights  # torchvision Weights enum members; the first is the one we import as
        self.first_conv = first_conv
        self.head = head


_TORCHVISION = {
    "resnet18": _Torchvision(
        torchvision.models.resnet18, [torchvision.models.ResNet18_Weights.IMAGENET1K_V1], "conv1", "fc"
    ),
    "vgg16": _Torchvision(
        torchvision.models.vgg16,
        [torchvision.models.VGG16_Weights.IMAGENET1K_V1],
        "features.0",
        "classifier.6",
    ),
    # V2 and V1 share the architecture; either file in the cache will do.
    "regnet": _Torchvision(
        torchvision.models.regnet_y_400mf,
        [
            torchvision.models.RegNet_Y_400MF_Weights.IMAGENET1K_V2,
            torchvision.models.RegNet_Y_400MF_Weights.IMAGENET1K_V1,
        ],
        "stem.0",
        "fc",
    ),
}


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def _grayscale_conv(conv: nn.Conv2d) -> nn.Conv2d:
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


def _adapt_input(arch: str, model: nn.Module, spec: InputSpec) -> None:
    first = _TORCHVISION[arch].first_conv
    if spec.channels == 1:
        _set_module(model, first, _grayscale_conv(model.get_submodule(first)))
    if arch == "vgg16":
        _drop_vgg_pools(model.features, min(spec.height, spec.width))
    elif min(spec.height, spec.width) < 64:
        model.get_submodule(first).stride = (1, 1)
        if arch == "resnet18":
            model.maxpool = nn.Identity()


def _drop_vgg_pools(features: nn.Sequential, size: int) -> None:
    # Identity keeps the indices, so features.N names and state-dict keys stay torchvision's.
    for i, layer in enumerate(features):
        if isinstance(layer, nn.MaxPool2d):
            if size // 2 >= 1:
                size //= 2
            else:
                features[i] = nn.Identity()


def _replace_head(arch: str, model: nn.Module, num_classes: int) -> None:
    name = _TORCHVISION[arch].head
    old = model.get_submodule(name)
    _set_module(model, name, nn.Linear(old.in_features, num_classes))


# --- local ImageNet weights ----------------------------------------------------------------------


def _file_name(weights) -> str:
    return weights.url.rsplit("/", 1)[-1]


def _checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def weights_path(arch: str) -> Path:
    """Where the ImageNet weights of ``arch`` are expected: ``<torch hub dir>/checkpoints/<file>``.

    The file name is torchvision's, so a cache filled by torchvision elsewhere can be copied as is.
    """
    if not supports_pretrained(arch):
        raise ModelError(f"{ARCH_LABELS.get(arch, arch)} has no ImageNet weights")
    return _checkpoint_dir() / _file_name(_TORCHVISION[arch].weights[0])


def _find_weights(arch: str) -> Path | None:
    for weights in _TORCHVISION[arch].weights:
        path = _checkpoint_dir() / _file_name(weights)
        if path.is_file():
            return path
    return None


def weights_available(arch: str) -> bool:
    """Whether ImageNet weights for ``arch`` are in the local torch cache."""
    return supports_pretrained(arch) and _find_weights(arch) is not None


def _missing_weights_error(arch: str) -> ModelError:
    path = weights_path(arch)
    return ModelError(
        f"The ImageNet weights for {ARCH_LABELS[arch]} are not on this computer, and Taller never "
        f"downloads. The file {path.name} belongs at {path} ; it comes from "
        f"{_TORCHVISION[arch].weights[0].url} . Copy it there, or import a copy you have with: "
        f"python main.py import-weights {arch} FILE"
    )


def _read_state_dict(file: Path) -> tuple[dict[str, torch.Tensor], bool]:
    """The state dict in ``file`` and whether it had to be unwrapped from a training checkpoint."""
    try:
        data = torch.load(file, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises many types for a file that is not a checkpoint
        raise ModelError(f"{file} is not a PyTorch weights file that can be read safely ({exc})") from exc
    wrapped = False
    if isinstance(data, dict):
        for key in ("state_dict", "model"):
            if isinstance(data.get(key), dict):
                data, wrapped = data[key], True
                break
    if not isinstance(data, dict) or not data or not all(torch.is_tensor(v) for v in data.values()):
        raise ModelError(f"{file} does not hold a state dict (a mapping of layer names to tensors)")
    return data, wrapped


@functools.cache
def _expected_shapes(arch: str) -> dict[str, tuple[int, ...]]:
    """Shapes of torchvision's ImageNet ``arch`` state dict."""
    try:
        with torch.device("meta"):  # no memory, no random init cost for VGG's 138M weights
            model = _TORCHVISION[arch].build(weights=None)
    except NotImplementedError:  # RegNet computes its widths with tensors, which meta cannot read
        model = _TORCHVISION[arch].build(weights=None)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _differences(arch: str, state: dict[str, torch.Tensor]) -> list[str]:
    """How ``state`` differs from torchvision's ImageNet ``arch``; empty when it loads strictly."""
    expected = _expected_shapes(arch)
    # Old BatchNorm files lack this counter; torch fills it in on load.
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k}: file {tuple(state[k].shape)}, model {expected[k]}"
        for k in expected
        if k in state and tuple(state[k].shape) != expected[k]
    ]
    out = []
    for label, items in (
        ("missing layers", missing),
        ("unknown layers", unexpected),
        ("wrong shapes", shapes),
    ):
        if items:
            more = f" and {len(items) - 3} more" if len(items) > 3 else ""
            out.append(f"{len(items)} {label} ({'; '.join(items[:3])}{more})")
    return out


def _looks_like(state: dict[str, torch.Tensor], arch: str) -> str:
    others = [a for a in _TORCHVISION if a != arch and not _differences(a, state)]
    return f" The file looks like {ARCH_LABELS[others[0]]} weights." if others else ""


def _pretrained_state(arch: str) -> dict[str, torch.Tensor]:
    """The checked ImageNet state dict of ``arch`` from the local cache."""
    path = _find_weights(arch)
    if path is None:
        raise _missing_weights_error(arch)
    state, _ = _read_state_dict(path)
    diffs = _differences(arch, state)
    if diffs:
        raise ModelError(
            f"{path} does not hold {ARCH_LABELS[arch]} ImageNet weights: {', '.join(diffs)}. "
            f"Replace it with the file from {_TORCHVISION[arch].weights[0].url} "
            f"(python main.py import-weights {arch} FILE)."
        )
    return dict(state)


def import_weights(arch: str, file: str | Path) -> Path:
    """Check that ``file`` holds torchvision's ImageNet ``arch`` weights and copy it into the cache.

    Parameters
    ----------
    arch : str
        ``resnet18``, ``vgg16`` or ``regnet``.
    file : str or Path
        A state dict (or a checkpoint dict with a ``state_dict``/``model`` entry).

    Returns
    -------
    Path
        Where the weights now are (``weights_path(arch)``).

    Raises
    ------
    ModelError
        The file is missing, is not a checkpoint, or does not fit the architecture (says what differs).
    """
    if not supports_pretrained(arch):
        raise ModelError(f"{ARCH_LABELS.get(arch, arch)} has no ImageNet weights to import")
    file = Path(file)
    if not file.is_file():
        raise ModelError(f"{file} does not exist")
    state, wrapped = _read_state_dict(file)
    diffs = _differences(arch, state)
    if diffs:
        raise ModelError(
            f"{file} does not fit {ARCH_LABELS[arch]}: {', '.join(diffs)}.{_looks_like(state, arch)} "
            f"The right file is {_file_name(_TORCHVISION[arch].weights[0])} from "
            f"{_TORCHVISION[arch].weights[0].url}"
        )
    dest = weights_path(arch)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
        os.close(fd)
        try:
            # A plain file is copied byte for byte so it stays identical to torchvision's.
            if wrapped:
                torch.save(state, tmp)
            else:
                with open(file, "rb") as src, open(tmp, "wb") as dst:
                    while chunk := src.read(1 << 24):
                        dst.write(chunk)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError as exc:
        raise ModelError(f"could not copy the weights to {dest}: {exc}") from exc
    return dest


# --- names for the layer tree and freezing presets ------------------------------------------------


def supports_pretrained(arch: str) -> bool:
    """Whether ImageNet weights exist for ``arch``."""
    return arch in _TORCHVISION


def head_names(arch: str) -> tuple[str, ...]:
    """Dotted names of the modules that were replaced for the dataset's classes."""
    if arch == "mlp":
        return ("6",)
    if arch == "cnn":
        return ("classifier.fc",)
    if arch in _TORCHVISION:
        return (_TORCHVISION[arch].head,)
    raise ModelError(f"unknown model {arch!r}; choose one of {', '.join(ARCHITECTURES)}")


def block_groups(arch: str, model: nn.Module) -> list[tuple[str, ...]]:
    """The model's blocks, input to output, each as the dotted names of the modules it is made of.

    The last block is always the head (``head_names(arch)``).
    """
    if arch == "mlp":
        blocks = [(name,) for name, m in model.named_children() if isinstance(m, nn.Linear)]
    elif arch == "cnn":
        blocks = [(f"features.{name}",) for name, _ in model.features.named_children()] + [("classifier.fc",)]
    elif arch == "resnet18":
        blocks = [("conv1", "bn1"), ("layer1",), ("layer2",), ("layer3",), ("layer4",), ("fc",)]
    elif arch == "regnet":
        trunk = [(f"trunk_output.{name}",) for name, _ in model.trunk_output.named_children()]
        blocks = [("stem",), *trunk, ("fc",)]
    elif arch == "vgg16":
        blocks = _vgg_stages(model.features) + [(f"classifier.{i}",) for i in (0, 3, 6)]
    else:
        raise ModelError(f"unknown model {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return blocks


def _vgg_stages(features: nn.Sequential) -> list[tuple[str, ...]]:
    # A stage ends at a max-pool, or at the Identity that replaced one for small images.
    stages, current = [], []
    for name, layer in features.named_children():
        if isinstance(layer, nn.Conv2d):
            current.append(f"features.{name}")
        elif isinstance(layer, (nn.MaxPool2d, nn.Identity)) and current:
            stages.append(tuple(current))
            current = []
    return stages + ([tuple(current)] if current else [])


def block_names(arch: str, model: nn.Module) -> list[str]:
    """Labels of the model's blocks, input to output, for the 'last N blocks' preset.

    A block made of several modules is shown joined by ``+`` (ResNet's stem is ``conv1+bn1``);
    use ``block_groups`` for the dotted names themselves. The last entry is the head.
    """
    return ["+".join(group) for group in block_groups(arch, model)]
