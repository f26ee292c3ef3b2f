"""Which pixels drove a prediction: a class activation map of the last convolutional block.

The map weighs the features of the last convolutional block *after its activation*, before any
final pooling, where the Grad-CAM paper (Selvaraju et al., 2017) and pytorch-grad-cam take them:
ResNet's ``layer4``, VGG-16's last ReLU (``relu5_3``, before ``pool5``). The raw output of the last
``Conv2d``, before BatchNorm and ReLU, is the wrong place: it still carries the per-channel offsets
BatchNorm subtracts and the negative values ReLU drops, and its map lit up empty background
(issue 28: one hot blob in a corner of a drawn "4"). Each architecture's layer is in the model
registry (``Architecture.cam_layer``); its output is rectified here, which the model itself does
next (the Simple CNN's block is conv, BatchNorm, max-pool, ReLU: the pool and the ReLU commute).

Each place's features are weighed by their own gradient, not by the gradient averaged over the
map as Grad-CAM does: HiResCAM (Draelos and Carin, 2020; in pytorch-grad-cam as ``HiResCAM``).
Where the head averages the map globally (ResNet, RegNet) the gradient is the same everywhere and
the two maps are equal. The Simple CNN's head keeps a 3x3 grid of places, each with its own
weights; there the product is the exact share of each place in the class score (everything after
the layer is max-pool, ReLU, average pool and a linear layer, so the shares plus the bias add up
to the score), while Grad-CAM's averaged weights put 69 % of the default digit model's heat on the
picture's border cells, which give 12 % of the score (150 held-out digits); on the ink it puts
0.25 of its heat, this map 0.59 (``bench/saliency_on_ink.py --map gradcam``, and without).
Without a convolution the map is |gradient x input|.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from engine.data.transforms import normalise
from engine.data.types import InputSpec
from engine.errors import InferenceError
from engine.i18n import _
from engine.models.registry import cam_layer

# Activations whose output a ReLU leaves as it is: the map's rectification changes nothing after them.
ACTIVATIONS = (nn.ReLU, nn.ReLU6)


def _last_conv_block(model: nn.Module) -> nn.Module | None:
    """The first activation module after the last ``Conv2d`` (in registration order), or None."""
    modules = list(model.modules())
    convs = [i for i, m in enumerate(modules) if isinstance(m, nn.Conv2d)]
    after = [m for m in modules[convs[-1] + 1 :] if isinstance(m, ACTIVATIONS)] if convs else []
    return after[0] if after else None


def cam_module(model: nn.Module, arch: str | None = None, layer: str | None = None) -> nn.Module | None:
    """The module whose output the map weighs (rectified); None: no convolutional block to weigh.

    ``layer`` (a dotted name) wins; else the registry's layer for ``arch``; else, for a model the
    registry does not know, the activation module after its last convolution.
    """
    name = layer or cam_layer(arch)
    if name:
        try:
            return model.get_submodule(name)
        except AttributeError:
            if layer:
                raise InferenceError(
                    _("the model has no layer(s) named {names}").format(names=layer)
                ) from None
    return _last_conv_block(model)


def _scale01(values: torch.Tensor) -> np.ndarray:
    values = values.detach().float().cpu()
    top = float(values.max())
    return (values / top).clamp(0, 1).numpy() if top > 0 else np.zeros(tuple(values.shape), np.float32)


def _target(logits: torch.Tensor, target: int | None) -> int:
    if target is None:
        return int(logits[0].argmax())
    if not 0 <= target < logits.shape[1]:
        raise InferenceError(
            _("class index {target} is out of range for a model with {shape} classes").format(
                target=target, shape=logits.shape[1]
            )
        )
    return int(target)


def _activation_map(model: nn.Module, block: nn.Module, x: torch.Tensor, target: int | None) -> torch.Tensor:
    captured: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        # The features after the activation (a no-op where the layer already ends in a ReLU), so
        # the gradient is taken where the model's own ReLU puts them. A copy goes on: an in-place
        # op further on must not overwrite what we keep.
        features = torch.relu(output)
        captured.append(features)
        return features.clone()

    handle = block.register_forward_hook(keep)
    try:
        logits = model(x)
    finally:
        handle.remove()
    target = _target(logits, target)
    activation = captured[-1]
    if activation.ndim != 4:
        raise InferenceError(
            _("the map of what drove the prediction needs a layer with a 2-D grid of features")
        )
    grads = torch.autograd.grad(logits[0, target], activation)[0]
    cam = torch.relu((grads * activation).sum(dim=1, keepdim=True))  # the places that raise the score
    cam = nn.functional.interpolate(cam.float(), size=x.shape[2:], mode="bilinear", align_corners=False)
    return cam[0, 0]


def _gradient_input(model: nn.Module, x: torch.Tensor, target: int | None) -> torch.Tensor:
    logits = model(x)
    grads = torch.autograd.grad(logits[0, _target(logits, target)], x)[0]
    # Normalised input: deviation from the dataset mean, so plain background counts for little.
    return (grads * x).abs().sum(dim=1)[0]


def _ordinary_tensors(model: nn.Module) -> None:
    # Weights copied inside torch.inference_mode are inference tensors, which no backward pass may
    # use; the same values as ordinary tensors change no prediction and let the map be computed.
    with torch.inference_mode(False):
        for module in model.modules():
            for param in module.parameters(recurse=False):
                if param.is_inference():
                    param.data = param.data.clone()
            for name, buffer in module.named_buffers(recurse=False):
                if buffer.is_inference():
                    setattr(module, name, buffer.clone())


def saliency(
    model: nn.Module,
    spec: InputSpec,
    image: torch.Tensor | np.ndarray,
    target: int | None = None,
    arch: str | None = None,
    layer: str | None = None,
) -> np.ndarray:
    """Which pixels drove the prediction, as float ``(H, W)`` in [0, 1].

    Grad-CAM on the last convolutional block after its activation (``cam_module``: ``layer``,
    else the registry's layer for ``arch``), upsampled to the input size; |gradient x input| for
    a model without convolutions, or when the map has nothing to show (a 1x1 map, no positive
    evidence). ``target`` is a class index (default: the predicted class). The model's
    ``requires_grad`` flags, train/eval modes and ``.grad`` fields are left as they were.
    """
    image = check_image(image, spec)
    block = cam_module(model, arch, layer)
    with gradients_to_input(model) as device:
        x = normalise(image[None], spec).to(device).requires_grad_(True)
        if block is not None:
            cam = _activation_map(model, block, x, target).detach()
            if float(cam.max()) > 0 and float(cam.min()) < float(cam.max()):
                return _scale01(cam)
        return _scale01(_gradient_input(model, x, target))


def check_image(image: torch.Tensor | np.ndarray, spec: InputSpec) -> torch.Tensor:
    """``image`` as a tensor of the model's ``(C, H, W)``; an ``InferenceError`` saying so otherwise."""
    image = torch.as_tensor(np.asarray(image) if not isinstance(image, torch.Tensor) else image)
    if tuple(image.shape) != spec.shape:
        raise InferenceError(
            _("the image has shape {shape}; the model expects (C, H, W) = {expected}").format(
                shape=tuple(image.shape), expected=spec.shape
            )
        )
    return image


@contextmanager
def gradients_to_input(model: nn.Module) -> Iterator[torch.device]:
    """A backward pass to the input only, in eval mode; yields the model's device.

    The weights' ``requires_grad`` is off meanwhile (no gradient is kept for them), and the flags,
    train/eval modes and ``.grad`` fields are as they were afterwards. Callers inside
    ``torch.inference_mode`` still get a backward pass (it needs ordinary tensors).
    """
    _ordinary_tensors(model)
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    modes = [m.training for m in model.modules()]
    try:
        model.eval()
        for p in params:
            p.requires_grad_(False)
        with torch.inference_mode(False), torch.enable_grad():
            yield params[0].device if params else torch.device("cpu")
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)
        for m, mode in zip(model.modules(), modes, strict=True):
            m.training = mode
