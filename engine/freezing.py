"""The layer tree as data, freeze sets, BatchNorm policy and optimizer parameter groups.

CONTRACT (stub, to be implemented): other modules already code against these names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from torch import nn

from engine.config import InputSpec


@dataclass(frozen=True)
class LayerInfo:
    name: str  # dotted name from named_modules()
    kind: str  # class name, e.g. "Conv2d"
    depth: int  # 0 for top-level children
    params: int  # parameters in this module and its children
    trainable: int  # of which require grad
    output_shape: tuple[int, ...] | None  # per-sample output shape for the input spec, None if n/a
    has_children: bool


def layer_tree(model: nn.Module, spec: InputSpec | None = None) -> list[LayerInfo]:
    raise NotImplementedError


def apply_freeze(model: nn.Module, frozen: Iterable[str]) -> None:
    raise NotImplementedError


def frozen_names(model: nn.Module) -> list[str]:
    raise NotImplementedError


def set_train_mode(model: nn.Module, frozen: Iterable[str], freeze_bn_stats: bool = True) -> None:
    raise NotImplementedError


def count_parameters(model: nn.Module) -> tuple[int, int]:
    raise NotImplementedError


def param_groups(model: nn.Module, lr: float, head: Iterable[str], backbone_lr_factor: float = 1.0) -> list[dict]:
    raise NotImplementedError


def preset(model: nn.Module, arch: str, name: str, n: int = 1) -> tuple[str, ...]:
    raise NotImplementedError
