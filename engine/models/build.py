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
from engine.models.adapt import adapt_input, replace_heads
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


def build_model(arch: str, spec: InputSpec, num_classes: int, pretrained: bool = False) -> nn.Module:
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
    entry = architecture(arch)
    _check(entry, spec, num_classes, pretrained)
    build = constructor(arch)
    if entry.rules is None:
        return build(spec, num_classes)
    state = pretrained_state(arch) if pretrained else None  # fail fast, before building VGG
    model = build()
    if state is not None:
        _load(model, state)
    adapt_input(model, entry.rules, spec)
    replace_heads(model, entry.heads, num_classes)
    return model
