"""The layer tree as data, freeze sets, BatchNorm policy and optimizer parameter groups.

Modules are keyed by their dotted ``named_modules()`` names, as timm's ``freeze(root, submodules)``
and Lightning's ``BaseFinetuning`` do: a freeze set is a tuple of such names, saved in the run's
configuration and re-applied to a rebuilt model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from engine.data.types import InputSpec
from engine.i18n import _
from engine.models.registry import block_groups, head_names

PRESETS = ("all", "features", "last_n")


@dataclass(frozen=True)
class LayerInfo:
    name: str  # dotted name from named_modules()
    kind: str  # class name, e.g. "Conv2d"
    depth: int  # 0 for top-level children
    params: int  # parameters in this module and its children
    trainable: int  # of which require grad
    output_shape: tuple[int, ...] | None  # per-sample output shape for the input spec, None if n/a
    has_children: bool


def _output_shapes(model: nn.Module, spec: InputSpec) -> dict[str, tuple[int, ...]]:
    """Per-sample output shape of every module for one forward pass of a zero batch."""
    shapes: dict[str, tuple[int, ...]] = {}

    def hook(name):
        def record(_module, _inputs, output):
            if torch.is_tensor(output) and name not in shapes:
                shapes[name] = tuple(output.shape[1:])

        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n]
    modes = {m: m.training for m in model.modules()}  # set_train_mode leaves mixed modes: keep them
    param = next(model.parameters(), None)
    x = torch.zeros(2, *spec.shape, device=param.device if param is not None else "cpu")
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    except RuntimeError:
        pass  # the tree is still useful without shapes (e.g. an input the model cannot take)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            module.training = training
    return shapes


def layer_tree(model: nn.Module, spec: InputSpec | None = None) -> list[LayerInfo]:
    """Every module of ``model`` (root excluded) in ``named_modules()`` order.

    Parameters
    ----------
    model : nn.Module
    spec : InputSpec, optional
        When given, a dummy batch is passed through the model (eval mode, no gradients; the
        modules' train/eval modes are restored) to record each module's output shape.

    Returns
    -------
    list[LayerInfo]
    """
    shapes = _output_shapes(model, spec) if spec is not None else {}
    tree = []
    for name, module in model.named_modules():
        if not name:
            continue
        params = list(module.parameters())
        tree.append(
            LayerInfo(
                name=name,
                kind=type(module).__name__,
                depth=name.count("."),
                params=sum(p.numel() for p in params),
                trainable=sum(p.numel() for p in params if p.requires_grad),
                output_shape=shapes.get(name),
                has_children=next(module.children(), None) is not None,
            )
        )
    return tree


def expand_names(names: Iterable[str]) -> list[str]:
    """Dotted names with block labels such as ``"conv1+bn1"`` (``registry.block_names``) split up."""
    return [part for name in names for part in name.split("+")]


def _modules(model: nn.Module, names: Iterable[str]) -> list[nn.Module]:
    names = expand_names(names)
    known = dict(model.named_modules())
    unknown = [n for n in names if n not in known or not n]
    if unknown:
        raise ValueError(
            _("the model has no layer(s) named {names}").format(names=", ".join(map(repr, unknown)))
        )
    return [known[n] for n in names]


def apply_freeze(model: nn.Module, frozen: Iterable[str]) -> None:
    """Freeze the parameters under the modules named in ``frozen`` and unfreeze all others.

    Names are ``named_modules()`` names; block labels joined by ``+`` are accepted too.

    Raises
    ------
    ValueError
        Some names are not modules of ``model`` (all unknown names are listed).
    """
    modules = _modules(model, frozen)
    for p in model.parameters():
        p.requires_grad_(True)
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(False)


def frozen_names(model: nn.Module) -> list[str]:
    """The fewest dotted names covering exactly the frozen parameters (a parent, not its children)."""
    names: list[str] = []

    def visit(module: nn.Module, prefix: str) -> None:
        for name, child in module.named_children():
            full = f"{prefix}{name}"
            params = list(child.parameters())
            if params and not any(p.requires_grad for p in params):
                names.append(full)
            elif any(not p.requires_grad for p in params):
                visit(child, full + ".")

    visit(model, "")
    return names


def release(model: nn.Module, frozen: Iterable[str], names: Iterable[str]) -> tuple[str, ...]:
    """Unfreeze ``names`` out of the ``frozen`` set and return the frozen set that remains.

    Works whatever the nesting: releasing ``features.block3`` from a frozen ``features`` leaves
    ``features.block1`` and ``features.block2`` frozen. The model's ``requires_grad`` flags are
    updated; the result is minimal, as ``frozen_names`` gives it.
    """
    apply_freeze(model, frozen)
    for module in _modules(model, names):
        for p in module.parameters():
            p.requires_grad_(True)
    return tuple(frozen_names(model))


def set_train_mode(model: nn.Module, frozen: Iterable[str], freeze_bn_stats: bool = True) -> None:
    """``model.train()``, then, with ``freeze_bn_stats``, BatchNorm inside frozen modules to eval.

    In eval mode BatchNorm normalises with its stored statistics and does not update them, so a
    frozen pretrained block stays bit-identical. Call at the start of every epoch, since
    evaluation puts the whole model back in eval mode.
    """
    modules = _modules(model, frozen)
    model.train()
    if freeze_bn_stats:
        for module in modules:
            for m in module.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` numbers of parameters."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def param_groups(
    model: nn.Module, lr: float, head: Iterable[str], backbone_lr_factor: float = 1.0
) -> list[dict]:
    """Optimizer parameter groups of the trainable parameters: the head at ``lr``, the rest slower.

    Parameters
    ----------
    model : nn.Module
    lr : float
        Learning rate of the head.
    head : iterable of str
        Dotted names of the head modules.
    backbone_lr_factor : float
        The other parameters train at ``lr * backbone_lr_factor``.

    Returns
    -------
    list[dict]
        Groups with ``params``, ``lr`` and ``name`` ("head" or "backbone"); empty groups omitted.
    """
    head_ids = {id(p) for m in _modules(model, head) for p in m.parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"name": "head", "lr": lr, "params": [p for p in trainable if id(p) in head_ids]},
        {
            "name": "backbone",
            "lr": lr * backbone_lr_factor,
            "params": [p for p in trainable if id(p) not in head_ids],
        },
    ]
    return [g for g in groups if g["params"]]


def _all_but(model: nn.Module, keep: Iterable[str]) -> tuple[str, ...]:
    """The fewest module names covering every parameter outside the ``keep`` modules."""
    keep = set(keep)
    out: list[str] = []

    def visit(module: nn.Module, prefix: str) -> None:
        for name, child in module.named_children():
            full = f"{prefix}{name}"
            if full in keep or next(child.parameters(), None) is None:
                continue
            if any(k.startswith(full + ".") for k in keep):
                visit(child, full + ".")
            else:
                out.append(full)

    visit(model, "")
    return tuple(out)


def preset(model: nn.Module, arch: str, name: str, n: int = 1) -> tuple[str, ...]:
    """A ready-made freeze set.

    Parameters
    ----------
    model : nn.Module
    arch : str
    name : str
        ``"all"``: train everything (nothing frozen). ``"features"``: feature extraction, only
        the head trains. ``"last_n"``: the head and the last ``n`` blocks before it train.
    n : int
        For ``"last_n"``: how many blocks before the head train (``registry.block_names`` lists
        them; the last entry is the head). 0 is the same as "features"; ``n`` at or beyond the
        number of blocks trains everything.

    Returns
    -------
    tuple[str, ...]
        Dotted names to freeze.
    """
    head = head_names(arch)
    if name == "all":
        return ()
    if name == "features":
        return _all_but(model, head)
    if name == "last_n":
        backbone = block_groups(arch, model)[:-1]
        if n < 0:
            raise ValueError(_("the number of blocks to train cannot be negative ({n})").format(n=n))
        n = min(n, len(backbone))
        trained = [m for group in backbone[len(backbone) - n :] for m in group]
        return _all_but(model, (*trained, *head))
    raise ValueError(
        _("unknown preset {name!r}; choose one of {presets}").format(name=name, presets=", ".join(PRESETS))
    )
