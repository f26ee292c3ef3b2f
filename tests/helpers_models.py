"""A registry entry that is not in the table: the registry's own EfficientNet example."""

from __future__ import annotations

from engine.models.registry import Architecture, InputRules

EFFICIENTNET = Architecture(
    key="efficientnet",
    label="EfficientNet-B0",
    constructor="torchvision.models:efficientnet_b0",
    heads=("classifier.1",),
    blocks=("features.*",),
    weights=("https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth",),
    rules=InputRules(first_conv="features.0.0", unstride=("features.0.0",)),
)
