"""Conversions to what a model reads: one PIL image to uint8, a uint8 batch to normalised floats,
and random augmentation of whole batches on the device (never one PIL image at a time).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from engine.data.decode import standard_image
from engine.data.types import InputSpec


def pil_to_array(
    img: Image.Image, channels: int, size: tuple[int, int], resize: int | None = None
) -> np.ndarray:
    """Convert one PIL image to what training saw: uint8 ``(C, H, W)``.

    Parameters
    ----------
    img : PIL.Image.Image
        Any mode; EXIF rotation (phone photos) is applied.
    channels : int
        1 converts to "L", 3 to "RGB".
    size : tuple[int, int]
        Target ``(width, height)``, PIL's order; resized bilinearly, without cropping.
    resize : int, optional
        Scale the shorter side to ``resize`` first, then crop the centre ``size`` (torchvision's
        ``Resize(resize)`` + ``CenterCrop(size)``, as ImageNet weights were trained).

    Returns
    -------
    np.ndarray
        uint8 ``(channels, height, width)``.
    """
    if img.getexif().get(0x0112, 1) != 1:
        img = ImageOps.exif_transpose(img)
    img = standard_image(img)  # 16-bit scaled, transparency on white: as every path reads it
    mode = "L" if channels == 1 else "RGB"
    if img.mode != mode:
        img = img.convert(mode)
    if resize is not None:
        img = _centre_crop(img, resize, size)
    if img.size != tuple(size):
        img = img.resize(tuple(size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return np.ascontiguousarray(arr[None] if channels == 1 else arr.transpose(2, 0, 1))


def _centre_crop(img: Image.Image, resize: int, size: tuple[int, int]) -> Image.Image:
    """Shorter side scaled to ``resize`` (aspect kept), then the centre ``size`` cut out."""
    w, h = img.size
    # torchvision's Resize(int): the shorter side becomes ``resize``, the longer one is truncated.
    new = (resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize)
    new = (max(size[0], new[0]), max(size[1], new[1]))
    if new != (w, h):
        img = img.resize(new, Image.BILINEAR)
    left, top = int(round((new[0] - size[0]) / 2.0)), int(round((new[1] - size[1]) / 2.0))
    return img.crop((left, top, left + size[0], top + size[1]))


_AFFINE_CACHE: dict[tuple, tuple] = {}


def _scale_shift(spec: InputSpec, from_uint8: bool, device: torch.device) -> tuple:
    """Per-channel (scale, shift) with ``x * scale + shift == (x / 255 - mean) / std``."""
    key = (spec.mean, spec.std, from_uint8, device)
    if key not in _AFFINE_CACHE:
        div = 255.0 if from_uint8 else 1.0
        scale = [1.0 / (div * s) for s in spec.std]
        shift = [-m / s for m, s in zip(spec.mean, spec.std, strict=True)]
        if len(scale) == 1:
            # Python scalars avoid a broadcast tensor op for the common grayscale case.
            _AFFINE_CACHE[key] = (scale[0], shift[0])
        else:
            shape = (1, len(scale), 1, 1)
            _AFFINE_CACHE[key] = (
                torch.tensor(scale, dtype=torch.float32, device=device).view(shape),
                torch.tensor(shift, dtype=torch.float32, device=device).view(shape),
            )
    return _AFFINE_CACHE[key]


def normalise(images: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """Turn pixels into the model's input: ``(x / 255 - mean) / std`` per channel.

    Parameters
    ----------
    images : torch.Tensor
        uint8 ``(N, C, H, W)`` in 0..255, or a float tensor already in [0, 1] (e.g. after
        ``augment``); the dtype decides which.
    spec : InputSpec
        Supplies mean and std per channel.

    Returns
    -------
    torch.Tensor
        New float32 tensor of the same shape; the input is not modified.
    """
    scale, shift = _scale_shift(spec, images.dtype == torch.uint8, images.device)
    if images.dtype == torch.float32:
        out = images.mul(scale)  # new tensor: the caller's batch is left alone
    else:
        # Converting first and scaling in place is ~2x faster than a mixed-dtype multiply.
        out = images.to(torch.float32).mul_(scale)
    return out.add_(shift)


def augment(images: torch.Tensor, generator: torch.Generator, flip: bool) -> torch.Tensor:
    """Random small affine transform per image (and horizontal flips if ``flip``), batch-wise.

    Translation up to 10% of the side, rotation up to 10 degrees, scale 0.9..1.1, resampled
    bilinearly with edge pixels repeated outward, so it works before or after ``normalise``.

    Parameters
    ----------
    images : torch.Tensor
        Float ``(N, C, H, W)``.
    generator : torch.Generator
        CPU generator; the same state gives the same transforms.
    flip : bool
        Mirror a random half of the images left-right (only where the dataset allows it).

    Returns
    -------
    torch.Tensor
        New tensor, same shape, dtype and device.
    """
    n = images.shape[0]
    rand = torch.rand(n, 5, generator=generator)
    angle = (rand[:, 0] * 2 - 1) * math.radians(10)
    scale = 0.9 + 0.2 * rand[:, 1]
    shift = (rand[:, 2:4] * 2 - 1) * 0.2  # grid coordinates span 2, so 0.2 = 10% of the side
    mirror = torch.where(rand[:, 4] < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin, shift[:, 0]], dim=1),
            torch.stack([sin * mirror, cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    ).to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
