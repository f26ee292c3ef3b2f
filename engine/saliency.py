"""Which pixels drove a prediction: Grad-CAM on the last convolution, else |gradient x input|."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from engine.data.transforms import normalise
from engine.data.types import InputSpec
from engine.errors import InferenceError
from engine.i18n import _


def _last_conv(model: nn.Module) -> nn.Conv2d | None:
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1] if convs else None


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


def _gradcam(model: nn.Module, conv: nn.Conv2d, x: torch.Tensor, target: int | None) -> torch.Tensor:
    captured: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        captured.append(output)
        return output.clone()  # an in-place ReLU after the conv must not overwrite what we keep

    handle = conv.register_forward_hook(keep)
    try:
        logits = model(x)
    finally:
        handle.remove()
    target = _target(logits, target)
    activation = captured[-1]
    grads = torch.autograd.grad(logits[0, target], activation)[0]
    cam = torch.relu((grads.mean(dim=(2, 3), keepdim=True) * activation).sum(dim=1, keepdim=True))
    cam = nn.functional.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    return cam[0, 0]


def _gradient_input(model: nn.Module, x: torch.Tensor, target: int | None) -> torch.Tensor:
    logits = model(x)
    grads = torch.autograd.grad(logits[0, _target(logits, target)], x)[0]
    # Normalised input: deviation from the dataset mean, so plain background counts for little.
    return (grads * x).abs().sum(dim=1)[0]


def saliency(
    model: nn.Module, spec: InputSpec, image: torch.Tensor | np.ndarray, target: int | None = None
) -> np.ndarray:
    """Which pixels drove the prediction, as float ``(H, W)`` in [0, 1].

    Grad-CAM on the last ``Conv2d`` when the model has one (upsampled to the input size), otherwise
    |gradient x input|. ``target`` is a class index (default: the predicted class). The model's
    ``requires_grad`` flags, train/eval modes and ``.grad`` fields are left as they were.
    """
    image = torch.as_tensor(np.asarray(image) if not isinstance(image, torch.Tensor) else image)
    if tuple(image.shape) != spec.shape:
        raise InferenceError(
            _("the image has shape {shape}; the model expects (C, H, W) = {expected}").format(
                shape=tuple(image.shape), expected=spec.shape
            )
        )
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    modes = [m.training for m in model.modules()]
    conv = _last_conv(model)
    try:
        model.eval()
        for p in params:
            p.requires_grad_(False)
        device = params[0].device if params else torch.device("cpu")
        x = normalise(image[None], spec).to(device).requires_grad_(True)
        with torch.enable_grad():
            if conv is not None:
                cam = _gradcam(model, conv, x, target).detach()
                if float(cam.max()) > 0 and float(cam.min()) < float(cam.max()):
                    return _scale01(cam)
            # No conv, or a CAM with nothing to show (1x1 maps, all negative): fall back.
            return _scale01(_gradient_input(model, x, target))
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)
        for m, mode in zip(model.modules(), modes, strict=True):
            m.training = mode
