"""Synthetic handwritten digits in MNIST's framing, and the datasets built on them.

``generate`` draws digits with ``engine.data.strokes`` and frames whole batches the way
``engine.data.framing.frame_digit`` frames one digit. "synth-digits" trains on generated digits
and tests on scikit-learn's real ones; "digits+synth" adds 70% of the real ones to training.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from engine.data.builtin import real_digits
from engine.data.framing import INK_THRESHOLD, MNIST_BOX, MNIST_SIZE, fit_into_box
from engine.data.strokes import CANVAS, Style, draw, templates, uniform
from engine.data.types import ImageData, digit_data
from engine.errors import SynthError
from engine.i18n import _

SYNTH_TRAIN_SIZE = 20_000
REAL_TEST_FRACTION = 0.3
_FRAME_BLOCK = 2048


def _ink_box(images: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``ink_bbox`` for a batch (B, H, W): top, left, height, width (zeros when blank)."""
    ink = images > INK_THRESHOLD
    rows, cols = ink.any(dim=2).float(), ink.any(dim=1).float()
    top, left = rows.argmax(dim=1), cols.argmax(dim=1)
    height = torch.where(rows.any(dim=1), rows.shape[1] - rows.flip(1).argmax(dim=1) - top, 0)
    width = torch.where(cols.any(dim=1), cols.shape[1] - cols.flip(1).argmax(dim=1) - left, 0)
    return top, left, height, width


def _crop_box(images: torch.Tensor, top, left, height, width) -> torch.Tensor:
    """The ink box of each image, top-left aligned in a 20x20 array (what fits into the box)."""
    i = torch.arange(MNIST_BOX)
    ys = (top[:, None] + i).clamp(max=images.shape[1] - 1)
    xs = (left[:, None] + i).clamp(max=images.shape[2] - 1)
    crop = images[torch.arange(len(images))[:, None, None], ys[:, :, None], xs[:, None, :]]
    return crop * ((i[None, :, None] < height[:, None, None]) & (i[None, None, :] < width[:, None, None]))


def _area_matrix(start: torch.Tensor, length: torch.Tensor, cells: torch.Tensor, size: int, most: int):
    """(B, most, size): averages of pixel spans ``[start, start + length)`` cut into ``cells`` parts."""
    step = (length / cells)[:, None, None]
    lo = start[:, None, None] + torch.arange(most)[None, :, None] * step
    pixel = torch.arange(size, dtype=torch.float64)[None, None, :]
    overlap = (torch.minimum(pixel + 1, lo + step) - torch.maximum(pixel, lo)).clamp(min=0)
    return overlap * (torch.arange(most)[None, :, None] < cells[:, None, None]) / step


def _lanczos_matrix(start: torch.Tensor, length: torch.Tensor, out: torch.Tensor, size: int):
    """(B, 20, size): PIL's LANCZOS enlargement of pixels ``[start, start + length)`` to ``out`` pixels."""
    scale = (length / out)[:, None, None]
    centre = (torch.arange(MNIST_BOX, dtype=torch.float64)[None, :, None] + 0.5) * scale
    j = torch.arange(size, dtype=torch.float64)[None, None, :] - start[:, None, None]
    x = j + 0.5 - centre
    weight = torch.sinc(x) * torch.sinc(x / 3) * (x.abs() < 3)
    used = torch.arange(MNIST_BOX)[None, :, None] < out[:, None, None]
    weight = weight * ((j >= 0) & (j < length[:, None, None]) & used)
    return weight / weight.sum(dim=2, keepdim=True).where(weight.sum(dim=2, keepdim=True) != 0, 1.0)


def _lowres(canvases: torch.Tensor, st: Style, g: torch.Generator) -> torch.Tensor:
    """Digits seen at low resolution, as in small scans and 8x8 sets like scikit-learn's.

    The ink is area-averaged down to ``lowres_box`` pixels on its longer side, its shorter side
    widened to at least a random ``lowres_fill`` share of that (such sets stretched each digit to
    fill its box: a narrow 1 comes out broad) and its levels stretched to full ink.
    Returns (B, most, most) small images, zero beyond each one's size.
    """
    b = canvases.shape[0]
    box = torch.randint(st.lowres_box[0], st.lowres_box[1] + 1, (b,), generator=g).double()
    fill = uniform(g, (b,), st.lowres_fill).double() * box
    top, left, h, w = (t.double() for t in _ink_box(canvases))
    longer = torch.maximum(h, w).clamp_min(1)
    rows = torch.minimum(torch.maximum(box * h / longer, fill).round(), box).clamp_min(1)
    cols = torch.minimum(torch.maximum(box * w / longer, fill).round(), box).clamp_min(1)
    most = st.lowres_box[1]
    small = _area_matrix(top, h, rows, CANVAS, most) @ canvases.double()
    small = small @ _area_matrix(left, w, cols, CANVAS, most).transpose(1, 2)
    return small / small.amax(dim=(1, 2), keepdim=True).clamp_min(1e-3)


def _enlarge(small: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``fit_into_box`` for a batch of small images: glyphs (B, 20, 20) top-left aligned, heights, widths."""
    top, left, h, w = (t.double() for t in _ink_box(small))
    scale = MNIST_BOX / torch.maximum(h, w).clamp_min(1)
    out_h, out_w = (h * scale).round().clamp_min(1), (w * scale).round().clamp_min(1)
    size = small.shape[1]
    glyphs = _lanczos_matrix(top, h, out_h, size) @ small
    glyphs = glyphs @ _lanczos_matrix(left, w, out_w, size).transpose(1, 2)
    return glyphs.clamp(0, 1).float(), out_h.long(), out_w.long()


def _frame(canvases: torch.Tensor, low: torch.Tensor, st: Style, g: torch.Generator) -> np.ndarray:
    """``engine.data.framing.frame_digit`` on every canvas (the ``low`` ones first at low resolution).

    Canvases whose ink already spans 20 pixels need no resizing (PIL returns the crop as is), so
    cropping and centring by mass are left, done here on the whole batch; any other canvas goes
    through ``fit_into_box`` on its own.
    """
    top, left, h, w = _ink_box(canvases)
    glyphs = _crop_box(canvases, top, left, h, w)
    if low.any():
        glyphs[low], h[low], w[low] = _enlarge(_lowres(canvases[low], st, g))
    glyphs, h, w = glyphs.numpy(), h.numpy().copy(), w.numpy().copy()
    odd = (np.maximum(h, w) != MNIST_BOX) & ~low.numpy() & (h > 0)
    for k in np.flatnonzero(odd):
        glyph = fit_into_box(canvases[k].numpy())
        glyphs[k] = 0
        glyphs[k, : glyph.shape[0], : glyph.shape[1]] = glyph
        h[k], w[k] = glyph.shape
    return _centre_by_mass(glyphs, h, w)


def _centre_by_mass(glyphs: np.ndarray, h: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``engine.data.framing.centre_by_mass`` for a batch of glyphs padded to 20x20 (top-left aligned)."""
    b = len(glyphs)
    total = glyphs.sum(axis=(1, 2), dtype=np.float64)
    safe = np.where(total > 0, total, 1.0)
    idx = np.arange(MNIST_BOX, dtype=np.float64)
    cy = (glyphs.sum(axis=2, dtype=np.float64) * idx).sum(axis=1) / safe
    cx = (glyphs.sum(axis=1, dtype=np.float64) * idx).sum(axis=1) / safe
    top = np.clip(np.round((MNIST_SIZE - 1) / 2 - cy).astype(int), 0, MNIST_SIZE - h)
    left = np.clip(np.round((MNIST_SIZE - 1) / 2 - cx).astype(int), 0, MNIST_SIZE - w)
    out = np.zeros((b, MNIST_SIZE + MNIST_BOX, MNIST_SIZE + MNIST_BOX), dtype=np.float32)
    ys = top[:, None, None] + np.arange(MNIST_BOX)[None, :, None]
    xs = left[:, None, None] + np.arange(MNIST_BOX)[None, None, :]
    out[np.arange(b)[:, None, None], ys, xs] = glyphs
    out = out[:, :MNIST_SIZE, :MNIST_SIZE]
    out[total <= 0] = 0
    return out


def _make_style(overrides: dict) -> Style:
    known = {f.name for f in fields(Style)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SynthError(
            _("unknown style setting(s) {unknown}; known: {known}").format(
                unknown=", ".join(unknown), known=", ".join(sorted(known))
            )
        )
    return Style(**overrides)


def generate(n: int, seed: int = 0, **style) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``n`` handwritten-looking digits in MNIST's framing.

    Parameters
    ----------
    n : int
        Number of samples; each class gets ``n // 10`` and the first ``n % 10`` classes one more.
    seed : int
        Same seed, same bytes.
    **style
        Overrides of ``Style`` fields (pen width, slant, elastic strength, ...).

    Returns
    -------
    images : torch.Tensor
        uint8 ``(n, 1, 28, 28)``, light ink on a dark background.
    labels : torch.Tensor
        int64 ``(n,)``, in shuffled order.
    """
    if n < 0:
        raise SynthError(_("number of samples cannot be negative, not {n}").format(n=n))
    st = _make_style(style)
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    canvases = torch.zeros(n, CANVAS, CANVAS)
    low = torch.rand(n, generator=g) < st.lowres
    for digit in range(10):
        rows = torch.nonzero(labels == digit).flatten()
        choices = templates(digit)
        weights = torch.tensor([w for w, _ in choices], dtype=torch.float32)
        pick = torch.multinomial(weights, len(rows), replacement=True, generator=g) if len(rows) else rows
        for k, (_weight, template) in enumerate(choices):
            chosen = rows[pick == k]
            if len(chosen):
                canvases[chosen] = draw(template, low[chosen], st, g)
    # Framing works on blocks so its index arrays stay small next to the canvases themselves.
    blocks = [slice(i, i + _FRAME_BLOCK) for i in range(0, n, _FRAME_BLOCK)]
    framed = np.concatenate([_frame(canvases[k], low[k], st, g) for k in blocks] or [np.zeros((0, 28, 28))])
    images = torch.from_numpy(np.rint(framed * 255).astype(np.uint8))[:, None]
    order = torch.randperm(n, generator=g)
    return images[order].contiguous(), labels[order].contiguous()


def synth_dataset(seed: int = 0, size: int | None = None, **style) -> ImageData:
    """Dataset "synth-digits": synthetic handwriting to train on, real handwriting to test on.

    The train pool is ``size`` (default ``SYNTH_TRAIN_SIZE``) digits generated with ``seed``
    and ``style``; the test split is all of scikit-learn's real digits, so test
    accuracy measures how well synthetic training carries over to people's handwriting.
    """
    size = SYNTH_TRAIN_SIZE if size is None else size
    images, labels = generate(size, seed=seed, **style)
    test_images, test_labels = real_digits()
    source = _("{size} generated digits; test: scikit-learn's {real} real digits").format(
        size=size, real=len(test_labels)
    )
    return digit_data("synth-digits", images, labels, source, test_images, test_labels)


def mixed_dataset(seed: int = 0, size: int | None = None, **style) -> ImageData:
    """Dataset "digits+synth": generated digits plus 70% of the real ones; test on the other 30%.

    The real digits are split per class with ``seed``, so no test digit is trained on;
    ``size`` and ``style`` are as for ``synth_dataset``.
    """
    real_images, real_labels = real_digits()
    train_idx, test_idx = train_test_split(
        np.arange(len(real_labels)),
        test_size=REAL_TEST_FRACTION,
        stratify=real_labels.numpy(),
        random_state=seed,
    )
    size = SYNTH_TRAIN_SIZE if size is None else size
    synth_images, synth_labels = generate(size, seed=seed, **style)
    images = torch.cat([synth_images, real_images[train_idx]])
    labels = torch.cat([synth_labels, real_labels[train_idx]])
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    source = _("{size} generated + {real} real digits; test: {test} real digits").format(
        size=size, real=len(train_idx), test=len(test_idx)
    )
    return digit_data(
        "digits+synth", images[order], labels[order], source, real_images[test_idx], real_labels[test_idx]
    )
