"""Architectures: MLP, simple CNN, torchvision ResNet18 / VGG16 / RegNet with a new head.

CONTRACT (stub, to be implemented): other modules already code against these names.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from engine.config import InputSpec


class ModelError(Exception):
    """A model cannot be built or its weights cannot be loaded; the message says why."""


def build_model(arch: str, spec: InputSpec, num_classes: int, pretrained: bool = False) -> nn.Module:
    raise NotImplementedError


def head_names(arch: str) -> tuple[str, ...]:
    """Dotted names of the modules that were replaced for the dataset's classes."""
    raise NotImplementedError


def block_names(arch: str, model: nn.Module) -> list[str]:
    """Dotted names of the model's blocks, input to output, for the 'last N blocks' preset."""
    raise NotImplementedError


def weights_path(arch: str) -> Path:
    raise NotImplementedError


def weights_available(arch: str) -> bool:
    raise NotImplementedError


def import_weights(arch: str, file: str | Path) -> Path:
    raise NotImplementedError
