"""The preprocessing ImageNet weights were trained with, read from torchvision's weights enums.

torchvision documents each weight file's own transforms (``weights.transforms()``: resize the
shorter side, centre crop, ImageNet mean and std). Taller keeps the weights by URL, so the enum
member is found by its URL; nothing is downloaded, only the enum's recorded numbers are read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torchvision.models as tv_models

from engine.models.registry import ARCHITECTURES


@dataclass(frozen=True)
class Preprocessing:
    """Shorter side resized to ``resize``, centre crop ``crop`` x ``crop``, then ``mean``/``std``."""

    crop: int
    resize: int
    mean: tuple[float, ...]
    std: tuple[float, ...]


@functools.cache
def _enum_members() -> dict[str, object]:
    """Every torchvision weights enum member, by URL."""
    found = {}
    for name in tv_models.list_models(module=tv_models):
        try:
            members = list(tv_models.get_model_weights(name))
        except (ValueError, KeyError):
            continue
        found.update({member.url: member for member in members})
    return found


@functools.cache
def weights_preprocessing(arch: str) -> Preprocessing | None:
    """The preprocessing of ``arch``'s ImageNet weights (the first URL torchvision knows), or None."""
    entry = ARCHITECTURES.get(arch)
    for url in entry.weights if entry is not None else ():
        member = _enum_members().get(url)
        if member is not None:
            t = member.transforms()
            return Preprocessing(int(t.crop_size[0]), int(t.resize_size[0]), tuple(t.mean), tuple(t.std))
    return None
