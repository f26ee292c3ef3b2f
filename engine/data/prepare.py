"""From a drawing or an image file to the uint8 tensor a model was trained on.

The window's drawing canvas and the ``predict`` command both call ``prepare``, so they see
exactly the same preparation; image folders of drawn digits are read through ``prepare_digit``.

Digits are prepared the way MNIST was made (``engine.data.framing``), whatever they were written on:
the paper's level is its most common grey, refined into a smooth surface so uneven lighting drops
out; the ink side is the one the strong deviations go to; contrast is stretched from robust
levels above the paper's noise; specks away from the digit and things lying along the picture's
edges (a table, a shadow) are dropped; and strokes that would vanish when a large picture shrinks
to 20 pixels are thickened to MNIST's relative stroke width.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from engine.data.decode import open_image, to_unit
from engine.data.framing import frame_digit
from engine.data.transforms import pil_to_array
from engine.data.types import InputSpec
from engine.errors import InferenceError
from engine.i18n import _

PREPARATIONS = ("digit", "image")

# Stroke width as a fraction of the digit's longer side: MNIST's ~2.5 px pen in its 20 px box is
# 0.125. Strokes thinner than MIN_STROKE (~1.7 px in MNIST's box) are thickened to TARGET_STROKE;
# thicker ones are left alone because MNIST itself has bold digits.
MIN_STROKE = 0.085
TARGET_STROKE = 0.125
_WORK_SIZE = 64  # working resolution (longer side of the digit) before thickening
_MAX_SIDE = 1600  # larger pictures are max-pooled first: keeps thin strokes, bounds the cost
_BACKGROUND_GRID = 32  # the paper's lighting is estimated on a grid this small
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's "L"


# ---------------------------------------------------------------------------------------------
# Files and pixels


def load_image(path: str | Path) -> Image.Image:
    """Open an image file fully, first frame, EXIF orientation applied (``decode.open_image``).

    Raises
    ------
    InferenceError
        The file is missing, is not an image, is truncated/corrupt or too large to open safely.
    """
    return open_image(path, check=True)


def _flatten_alpha(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Grey of a transparent picture laid on the background that contrasts with its content."""
    gray = rgb @ _LUMA if rgb.ndim == 3 else rgb
    if alpha.min() >= 1.0:
        return gray
    weight = float(alpha.sum())
    content = float((gray * alpha).sum()) / weight if weight > 0 else 0.0
    # Dark strokes on a transparent canvas go on white paper, light strokes on black.
    backdrop = 1.0 if content < 0.5 else 0.0
    return gray * alpha + backdrop * (1.0 - alpha)


def _pil_gray(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return to_unit(np.asarray(image))
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = to_unit(np.asarray(image.convert("RGBA")))
        return _flatten_alpha(rgba[..., :3], rgba[..., 3])
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _array_gray(values: np.ndarray) -> np.ndarray:
    if values.ndim == 3 and values.shape[-1] not in (1, 3, 4) and values.shape[0] in (1, 3, 4):
        values = np.moveaxis(values, 0, -1)  # (C, H, W) -> (H, W, C)
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[-1] not in (3, 4)):
        raise InferenceError(
            _("expected a grey, RGB or RGBA image, got an array of shape {shape}").format(shape=values.shape)
        )
    unit = to_unit(values)
    if unit.ndim == 2:
        return unit
    alpha = unit[..., 3] if unit.shape[-1] == 4 else np.ones(unit.shape[:2], np.float32)
    return _flatten_alpha(unit[..., :3], alpha)


def to_gray(image: Image.Image | np.ndarray | torch.Tensor) -> np.ndarray:
    """Any picture as a float32 ``(H, W)`` grey image in [0, 1] (transparency flattened)."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    gray = _pil_gray(image) if isinstance(image, Image.Image) else _array_gray(np.asarray(image))
    if gray.size == 0:
        raise InferenceError(_("the image is empty (size {shape})").format(shape=gray.shape))
    return np.ascontiguousarray(gray, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Digits


def _resize_float(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average a float image to ``size`` = (width, height)."""
    return np.asarray(Image.fromarray(values).resize(size, Image.BOX))


@functools.lru_cache(maxsize=8)
def _design(h: int, w: int) -> np.ndarray:
    """Terms 1, x, y, x², xy, y² of a quadratic surface on an ``h`` x ``w`` grid spanning [-1, 1]."""
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1).reshape(-1, 6)


def _fit_surface(small: np.ndarray, level: float) -> np.ndarray | None:
    """Coefficients of a quadratic surface through the paper, ignoring ink; None if unsure."""
    design = _design(*small.shape)
    values = small.reshape(-1)
    resid = values - level
    inliers = np.abs(resid) <= max(3.0 * 1.4826 * float(np.median(np.abs(resid))), 0.04)
    coef = None
    for _round in range(3):
        if inliers.sum() < 0.3 * values.size:
            return coef
        rows = design[inliers]
        # Normal equations of a 6-term fit: far cheaper than lstsq's SVD, and well conditioned here.
        coef = np.linalg.solve(rows.T @ rows, rows.T @ values[inliers])
        resid = values - design @ coef
        sigma = 1.4826 * float(np.median(np.abs(resid[inliers])))
        inliers = np.abs(resid) <= max(3.0 * sigma, 0.04)
    return coef


def _paper_level(small: np.ndarray) -> float:
    """The most common grey, with the picture's border counted four times over.

    The paper covers most of a picture and most of its border; counting the border more keeps a
    bold digit that fills a tight crop, or a table showing along one edge, from taking its place.
    """
    h, w = small.shape
    band = max(1, min(h, w) // 16)
    weight = np.ones_like(small)
    weight[:band] = weight[-band:] = 4.0
    weight[:, :band] = weight[:, -band:] = 4.0
    counts, edges = np.histogram(small, bins=32, range=(0.0, 1.0), weights=weight)
    counts = np.convolve(counts, [1.0, 2.0, 1.0], mode="same")
    peak = (edges[np.argmax(counts)] + edges[np.argmax(counts) + 1]) / 2
    near = np.abs(small - peak) <= 2.0 / 32
    return float(np.median(small[near])) if near.any() else float(peak)


def background(gray: np.ndarray) -> np.ndarray | float:
    """The paper's level under every pixel: a smooth surface for pictures, a constant for small ones.

    The level starts from the paper's most common grey and is refined by a robust quadratic fit,
    which follows uneven lighting or vignetting in photos of paper.
    """
    h, w = gray.shape
    scale = min(1.0, _BACKGROUND_GRID / max(h, w))
    small = gray
    if scale < 1.0:
        small = _resize_float(gray, (max(2, round(w * scale)), max(2, round(h * scale))))
    level = _paper_level(small)
    if min(h, w) < 48:  # icons and already-small digits are not photos: no lighting to correct
        return level
    coef = _fit_surface(small, level)
    if coef is None or np.abs(coef[1:]).max() < 0.005:  # flat paper (or a drawing canvas)
        return level if coef is None else float(coef[0])
    y = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    c = coef.astype(np.float32)
    return c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y


def _robust_sigma(values: np.ndarray) -> float:
    step = int(np.ceil(np.sqrt(values.size / 10_000)))  # a sample is plenty for a noise level
    sample = values[::step, ::step]
    return 1.4826 * float(np.median(np.abs(sample - np.median(sample))))


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink 1, background 0, whichever way round the digit was written.

    The ink side is the one with more strong deviations from the background; levels come from
    percentiles of those deviations, and anything within the paper's noise is set to 0.
    """
    resid = gray - background(gray)
    noise = max(4.0 * _robust_sigma(resid), 0.08)
    dark = float(np.maximum(-resid - noise, 0.0).sum())
    light = float(np.maximum(resid - noise, 0.0).sum())
    if dark == light:  # nothing stands out from the paper (includes the blank canvas)
        return np.zeros_like(gray)
    ink = -resid if dark > light else resid
    strong = ink[ink > noise]
    high = float(np.percentile(strong, 99))
    low = max(noise, 0.1 * high)
    return np.clip((ink - low) / max(high - low, 1e-3), 0.0, 1.0)


def _pool(ink: np.ndarray, factor: int, how: str) -> np.ndarray:
    """Shrink by ``factor``: "max" keeps the strongest ink of each block so thin strokes survive,
    "mean" keeps stroke widths (a stroke thinner than a block fades below 0.5)."""
    if factor <= 1:
        return ink
    h, w = ink.shape
    padded = np.pad(ink, ((0, -h % factor), (0, -w % factor)))
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    return blocks.max(axis=(1, 3)) if how == "max" else blocks.mean(axis=(1, 3))


def _gap(a: tuple[slice, slice], b: tuple[int, int, int, int]) -> float:
    """Distance between a component's box and the kept box ``(top, bottom, left, right)``."""
    dy = max(b[0] - (a[0].stop - 1), a[0].start - b[1], 0)
    dx = max(b[2] - (a[1].stop - 1), a[1].start - b[3], 0)
    return float(np.hypot(dy, dx))


def _hugs_border(labels: np.ndarray, count: int) -> np.ndarray:
    """Components lying along half of an image side or more: a table, a paper edge, a shadow."""
    hugging = np.zeros(count, dtype=bool)
    for side in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        hugging |= np.bincount(side, minlength=count + 1)[1:] > 0.5 * side.size
    return hugging


def keep_digit(ink: np.ndarray) -> np.ndarray:
    """Drop what is not the digit: specks, and things along the picture's edges.

    The digit is the heaviest stroke plus big strokes and small pieces close to it. Components
    lying along an image side are ignored unless nothing else is there (a tightly cropped digit).
    """
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count == 0:
        return ink
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=count + 1)[1:]
    least = max(6.0, 3e-5 * ink.size)  # a few stray pixels are not a digit
    inside = np.where(_hugs_border(labels, count), 0.0, mass)
    if inside.max() >= least:
        mass = inside
    order = np.argsort(-mass)
    if mass[order[0]] < least:
        return np.zeros_like(ink)
    kept = _grow_digit(mass, order, ndimage.find_objects(labels))
    keep = np.zeros(count + 1, dtype=bool)
    keep[[i + 1 for i in kept]] = True
    digit = np.where(keep[labels], ink, 0.0).astype(np.float32)
    # Levels were set with everything inked; a dark table may have outweighed the pen.
    top = float(np.percentile(digit[digit > 0], 99))
    return np.minimum(digit / top, 1.0) if 0 < top < 0.9 else digit


def _grow_digit(mass: np.ndarray, order: np.ndarray, boxes: list) -> set[int]:
    """Components of the digit: the heaviest, then any big one or any piece near the kept box."""
    main = mass[order[0]]
    kept = {int(order[0])}
    box = _box(boxes[order[0]])
    grown = True
    while grown:
        grown = False
        size = max(box[1] - box[0], box[3] - box[2]) + 1
        for i in order[1:]:
            i = int(i)
            if i in kept or mass[i] < 0.02 * main:
                continue
            if mass[i] >= 0.25 * main or _gap(boxes[i], box) <= 0.2 * size:
                kept.add(i)
                box = _union(box, _box(boxes[i]))
                grown = True
    return kept


def _box(s: tuple[slice, slice]) -> tuple[int, int, int, int]:
    return s[0].start, s[0].stop - 1, s[1].start, s[1].stop - 1


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels, from the mean distance of inked pixels to the paper."""
    mask = ink >= 0.5
    if not mask.any():
        return 0.0
    depth = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    # A band w pixels wide has mean depth ~ (w + 2) / 4 on the pixel grid.
    return max(1.0, 4.0 * float(depth[mask].mean()) - 2.0)


def thicken(ink: np.ndarray) -> np.ndarray:
    """Bring strokes thinner than MNIST's (relative to the digit's size) up to its width.

    ``ink`` is a tight crop of the digit. Large crops are max-pooled to a working size first, so the
    work stays small and a 3 px pen on a 1000 px photo does not fade away.
    """
    size = max(ink.shape)
    factor = int(np.ceil(size / _WORK_SIZE))
    if size < 8 or stroke_width(_pool(ink, factor, "mean")) * factor >= MIN_STROKE * size:
        return ink
    ink = _pool(ink, factor, "max")
    size = max(ink.shape)
    radius = (TARGET_STROKE * size - stroke_width(ink)) / 2.0
    if radius <= 0:
        return ink
    margin = int(np.ceil(radius)) + 1
    ink = np.pad(ink, margin)
    distance = ndimage.distance_transform_edt(ink < 0.5)
    # Anti-aliased disc dilation: coverage falls from 1 to 0 over the last pixel.
    grown = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    return np.maximum(ink, grown)


def prepare_digit(image: Image.Image | np.ndarray) -> np.ndarray:
    """Frame a written digit the way MNIST was made.

    Works for dark-on-light (scans, photos, drawings) and light-on-dark digits of any size.

    Parameters
    ----------
    image : PIL.Image.Image or np.ndarray
        Grey, RGB or RGBA picture of one digit (uint8, or float in [0, 1]); transparent parts
        count as paper.

    Returns
    -------
    np.ndarray
        uint8 ``(28, 28)``, ink bright on black, ink fitted into 20x20 and centred by mass;
        all zeros if there is no ink.
    """
    ink = ink_map(to_gray(image))
    if max(ink.shape) > _MAX_SIDE:
        ink = _pool(ink, int(np.ceil(max(ink.shape) / _MAX_SIDE)), "max")
    ink = keep_digit(ink)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return np.zeros((28, 28), dtype=np.uint8)
    ink = thicken(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    return np.round(frame_digit(ink) * 255.0).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Model input


def _as_pil(image: Image.Image | np.ndarray | torch.Tensor) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    values = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if values.ndim == 3 and values.shape[-1] not in (1, 3, 4) and values.shape[0] in (1, 3, 4):
        values = np.moveaxis(values, 0, -1)
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim not in (2, 3) or values.size == 0:
        raise InferenceError(
            _("expected a grey, RGB or RGBA image, got an array of shape {shape}").format(shape=values.shape)
        )
    if values.dtype != np.uint8:
        values = np.round(to_unit(values) * 255.0).astype(np.uint8)
    return Image.fromarray(values)


def prepare_image(image: Image.Image | np.ndarray, spec: InputSpec) -> np.ndarray:
    """The training-time conversion of a picture: channels and size of ``spec`` (and its centre crop).

    Returns
    -------
    np.ndarray
        uint8 ``(C, H, W)``.
    """
    return pil_to_array(_as_pil(image), spec.channels, (spec.width, spec.height), spec.resize)


def prepare(image: Image.Image | np.ndarray, spec: InputSpec, preparation: str) -> torch.Tensor:
    """The uint8 ``(C, H, W)`` tensor a model with ``spec`` expects, prepared as its data was.

    ``preparation`` is "digit" (MNIST framing, then resized/repeated to ``spec``) or "image".
    """
    if preparation == "image":
        return torch.from_numpy(np.ascontiguousarray(prepare_image(image, spec)))
    if preparation != "digit":
        raise InferenceError(
            _("unknown preparation {preparation!r}; expected one of {preparations}").format(
                preparation=preparation, preparations=PREPARATIONS
            )
        )
    digit = prepare_digit(image)
    if (spec.height, spec.width) != digit.shape or spec.channels != 1:
        return torch.from_numpy(np.ascontiguousarray(prepare_image(digit, spec)))
    return torch.from_numpy(digit[None].copy())
