"""``build_model``: a registry entry, the input and the classes in; a model ready to train out.

Kept apart from ``registry`` so that the table stays plain data (reading it imports no torch),
and apart from ``weights`` and ``adapt``, which it combines.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.data.types import InputSpec
from engine.errors import ModelError
from engine.i18n import _, gettext
from engine.models.adapt import adapt_input, replace_heads, zero_residual_gamma
from engine.models.registry import Architecture, architecture, constructor
from engine.models.weights import pretrained_state


def _check(entry: Architecture, spec: InputSpec, num_classes: int, pretrained: bool) -> None:
    if num_classes < 2:
        raise ModelError(
            _("a classifier needs at least 2 classes, not {num_classes}").format(num_classes=num_classes)
        )
    if min(spec.height, spec.width) < entry.min_size:
        raise ModelError(
            _("{label} needs images of at least {min_size}x{min_size} pixels, not {height}x{width}").format(
                label=gettext(entry.label), min_size=entry.min_size, height=spec.height, width=spec.width
            )
        )
    if pretrained and not entry.weights:
        raise ModelError(
            _("{label} has no ImageNet weights; it always starts from random weights").format(
                label=gettext(entry.label)
            )
        )


def _load(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    # Old BatchNorm files lack this counter; a strict load needs it.
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state.setdefault(key, torch.zeros_like(value))
    model.load_state_dict(state)


def build_model(
    arch: str,
    spec: InputSpec,
    num_classes: int,
    pretrained: bool = False,
    compact: bool = True,
    batchnorm: bool | None = None,
) -> nn.Module:
    """Build a classifier for images of ``spec`` with ``num_classes`` outputs.

    Parameters
    ----------
    arch : str
        A key of ``registry.ARCHITECTURES``.
    spec : InputSpec
        Channels and size of the input images.
    num_classes : int
        Number of outputs of the new head.
    pretrained : bool
        Start from ImageNet weights found in the local torch cache (``weights.weights_path``).
    compact : bool
        A compact classifier on small images where the architecture has one (``InputRules.compact``);
        False rebuilds the full one of a model saved before (``build_for_weights``).
    batchnorm : bool or None
        BatchNorm after the convolutions where the architecture adds it (``InputRules.batchnorm``);
        None: when the model starts from random weights (not ``pretrained``).

    Returns
    -------
    nn.Module
        The same arguments always give the same structure, so a saved state dict loads into a
        rebuilt model (``build_for_weights`` finds the arguments of saved weights).

    Raises
    ------
    ModelError
        Unknown architecture, images too small, or pretrained weights missing or wrong.
    """
    entry = architecture(arch)
    _check(entry, spec, num_classes, pretrained)
    build = constructor(arch)
    if entry.rules is None:
        return build(spec, num_classes)
    state = pretrained_state(arch) if pretrained else None  # fail fast, before building VGG
    model = build()
    if state is not None:
        _load(model, state)
    elif entry.rules.zero_gamma is not None:
        zero_residual_gamma(model, entry.rules.zero_gamma)
    adapt_input(
        model, entry.rules, spec, compact, batchnorm=not pretrained if batchnorm is None else batchnorm
    )
    replace_heads(model, entry.heads, num_classes)
    return model


def build_for_weights(
    arch: str, spec: InputSpec, num_classes: int, state: dict[str, torch.Tensor]
) -> nn.Module:
    """``build_model`` with the structure of saved weights: BatchNorm after the convolutions when they
    have it (a model trained from random weights), none when they do not (from ImageNet weights, or
    saved before), and the full classifier of a VGG-16 saved before it was compact on small images."""
    rules = architecture(arch).rules
    if rules is None:
        return build_model(arch, spec, num_classes)
    batchnorm = rules.batchnorm is not None and any(
        key.startswith(f"{rules.batchnorm}.") and ".bn." in key for key in state
    )
    model = build_model(arch, spec, num_classes, batchnorm=batchnorm)
    if rules.compact is None:
        return model
    prefix, heads = f"{rules.compact[1]}.", tuple(f"{h}." for h in architecture(arch).heads)
    ours = model.state_dict()
    wide = any(
        key.startswith(prefix)
        and not key.startswith(heads)
        and key in ours
        and torch.is_tensor(value)
        and ours[key].shape != value.shape
        for key, value in state.items()
    )
    return build_model(arch, spec, num_classes, compact=False, batchnorm=batchnorm) if wide else model
