"""Pen strokes of procedurally written digits, rendered on a small canvas.

Each class has several hand-designed skeletons (1 with and without flag and base, 7 with and
without bar, open and closed 4, ...). A skeleton is a list of strokes; a stroke is a chain of
smooth pieces (Catmull-Rom curves through the points) meeting at corners. Every sample jitters
the control points, moves strokes a little against each other, trims or overshoots stroke ends,
slants, rotates, stretches and elastically bends the whole digit, then renders the strokes with a
varying pen width as an anti-aliased distance profile (``draw``). ``engine.data.synth`` frames
the canvases like MNIST. All sampling runs on batches of one skeleton at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.data.framing import INK_THRESHOLD, MNIST_BOX
from engine.errors import SynthError


@dataclass(frozen=True)
class Style:
    """Ranges the generator draws from; lengths are in pixels of the final 28x28 image."""

    width: tuple[float, float] = (1.8, 4.6)  # pen width before framing
    softness: tuple[float, float] = (0.8, 2.4)  # width of the anti-aliased edge ramp
    slant: tuple[float, float] = (-0.3, 0.45)  # shear, positive leans the top to the right
    rotation: float = 10.0  # degrees either way
    aspect: tuple[float, float] = (0.7, 1.35)  # horizontal stretch before framing
    jitter: float = 0.35  # control-point noise, in skeleton units (a digit is 16 units high)
    stroke_shift: float = 0.5  # whole-stroke displacement, skeleton units
    elastic: float = 0.05  # bend amplitude as a fraction of the digit size
    end_change: tuple[float, float] = (-0.08, 0.1)  # trim (<0) or overshoot (>0), fraction of stroke
    pressure: float = 0.25  # relative pen-width variation along a stroke
    lowres: float = 0.3  # fraction of digits seen at low resolution
    lowres_box: tuple[int, int] = (8, 14)  # their size in pixels before framing enlarges them
    lowres_width: tuple[float, float] = (1.2, 3.0)  # their pen width before being made small
    lowres_fill: tuple[float, float] = (0.4, 0.8)  # least width of a low-resolution digit, of its height

    def __post_init__(self):
        pairs = [value for value in vars(self).values() if isinstance(value, tuple)]
        box_low, box_high = self.lowres_box
        checks = [
            (all(low <= high for low, high in pairs), "every range must be given as (low, high)"),
            (self.width[0] > 0 and self.softness[0] > 0, "pen width and softness must be positive"),
            (0 <= self.pressure < 1, "pressure must be in [0, 1)"),
            (0 <= self.lowres <= 1, "lowres is a fraction in [0, 1]"),
            (1 <= box_low and box_high <= MNIST_BOX, "lowres_box must lie in 1..20 pixels"),
            (
                -0.45 <= self.end_change[0] and self.end_change[1] <= 0.45,
                "end_change must lie in [-0.45, 0.45]",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise SynthError(message)


# Skeletons live in a 10 x 16 box (x right, y down), written as text: points "x,y" separated by
# spaces form a smooth piece; "|" turns a corner (the next piece starts where this one ended);
# ";" lifts the pen for a new stroke; "@cx,cy,rx,ry,a0,a1" is an elliptical arc from angle a0 to
# a1 in degrees (counter-clockwise on screen). Each class has several styles, weighted.
SKELETONS: dict[int, list[tuple[float, str]]] = {
    0: [
        (3, "@5,8,4.5,8,95,455"),
        (2, "5.5,0 2,2 0.5,8 2,14.5 5,16 8,14 9.5,8 8.5,2.5 5.5,0"),
        (1, "@5,8,4,8,60,-290"),
        (1, "@5,8,3,8,100,460"),
    ],
    1: [
        (3, "5,0 5,16"),
        (3, "1.5,5 5.5,0 | 5.5,16"),
        (2, "1.5,4.5 3.5,2.5 5.5,0 | 5.2,16"),
        (2, "3,3.5 5.5,0 | 5.5,16 ; 2,16 9,16"),
        (1, "5.5,0 5,8 4.5,16"),
        (2, "1.5,5.5 6,0 | 6,16"),
        (2, "6,0 1.5,5 | 6,0.5 | 6,16"),
        (1, "4,0 4,16 | 9.5,16"),
    ],
    2: [
        (4, "0.8,4.5 2.5,1 5.5,0 8.5,1.5 9,4.5 7.5,8 4,12 0.5,16 | 10,16"),
        (
            2,
            "0.8,4 2.5,1 5.5,0 8.5,1.5 9,4.5 7.5,8 4.5,11.5 2.2,14.2 2.4,15.8 4.2,15.2 3.8,13.6 2.2,14.2 "
            "1.2,15.6 4,16 7,15.6 10,15.2",
        ),
        (1, "0.5,1 9,1 | 0.5,16 | 10,16"),
        (2, "1,3.5 3,0.5 6.5,0.2 8.5,2.5 8,6 5,10 1.5,15.5 | 5,14.5 10,15.5"),
    ],
    3: [
        (4, "1,2.5 4.5,0 8.5,1.5 8.5,5 4,7.5 | 8.5,9.5 9,13.5 5.5,16 0.8,14"),
        (3, "1,0.5 9,0.5 | 4,7 | 8.5,9.5 9,13.5 5.5,16 0.8,14"),
        (1, "1.5,1.5 5,0 8.5,2 7.5,6 4,7.5 8,8.5 9.5,12.5 6,16 1,14.5"),
    ],
    4: [
        (3, "6,0 0.5,11 | 10,11 ; 7.5,3.5 7.5,16"),
        (2, "1.5,0 1,10 | 10,10 ; 7.5,0.5 7.5,16"),
        (2, "7,0 0.5,11 | 10,11 ; 7,0 7,16"),
        (3, "3,0 1.2,5 2,8.5 5,10 10,9.5 ; 8,0.5 7.8,8 7.5,16"),
        (1, "2,0 1,9.5 4,10 | 10,9 ; 8,1 7.5,8 7.8,16"),
    ],
    5: [
        (4, "2,0.5 1.5,7 | 4,6 8,7 9.5,11 8,15 4,16.2 0.8,14.5 ; 2,0.5 9,0.2"),
        (2, "9,0.5 2,0.5 | 1.5,7 | 4,6 8,7 9.5,11 8,15 4,16.2 0.8,14.5"),
        (1, "2.5,0.5 1.5,7.5 | 5,6.5 8.5,8.5 9,12.5 6,15.8 1,15 ; 2.5,0.5 9.5,0"),
    ],
    6: [
        (3, "8,1 5,0 2,3 0.8,8 1,12.5 3.5,16 7,15.5 9,12 7.5,8.5 4.5,8.5 1.2,11"),
        (2, "7.5,0 4,4 1.5,9 1.5,13.5 4.5,16 8,14.5 8.5,11 5.5,9.5 2,11.5"),
        (1, "6,0 3,5 1,10.5 2,14.5 5,16 8,14 7,11 4,11 1.5,13"),
    ],
    7: [
        (3, "0.5,1 9.5,1 | 3.5,16"),
        (3, "0.5,1 9.5,1 | 3.5,16 ; 3.5,8.5 9,8"),
        (2, "0.5,1.5 9.5,0.8 | 7,6 5,11 4.5,16"),
        (2, "0.5,1.5 9.5,0.8 | 7,6 5,11 4.5,16 ; 3,8.8 8.5,8.3"),
        (1, "0.5,3 0.8,0.8 | 9.5,1 | 5.5,9 4,16"),
        (3, "1.2,4.5 1.5,1.5 3.5,0.5 9,0.5 | 6.5,6 5,11 4.5,16 ; 3,8.5 9,8"),
    ],
    8: [
        (3, "8,2 5,0 2,2 3,5.5 7,9 8.5,12.5 5,16 1.5,12.5 3,9 7,5.5 8,2 6.5,0.3"),
        (2, "@5,4,3.5,4,90,450 ; @5,12,4.5,4,90,450"),
        (2, "6.5,2 5,0 3.5,1.5 4,4.5 7,8.5 8.5,12.5 5,16 1.5,12.5 3,9 6,5.5 6.5,2 5.5,0.3"),
        (2, "2,2 5,0 8,2 7,5.5 3,9 1.5,12.5 5,16 8.5,12.5 7,9 3,5.5 2,2 3.5,0.3"),
    ],
    9: [
        (4, "9,3.5 7.5,0.5 4.5,0 1.5,2 1.5,5.5 4.5,7.5 8,6 9,3 | 8.5,16"),
        (2, "9,3.5 7.5,0.5 4.5,0 1.5,2 1.5,5.5 4.5,7.5 8,6 9,3 | 9,10 7.5,14.5 4,16 1.5,15"),
        (1, "@5,4,4,4,10,380 ; 9,4 8,16"),
        (1, "3.5,7 1.5,4 4,0.3 7.5,0.8 9,3.5 8.5,9 6.5,14 2.5,16"),
        (3, "8.5,3 7.5,0.5 5,0.5 4,3 5.5,5.5 8,4.5 8.5,2.5 | 8.5,9 7.5,14 4,16 0.5,16"),
    ],
}


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, step: float = 30.0):
    n = max(2, int(abs(a1 - a0) / step) + 1)
    angles = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * math.cos(a), cy - ry * math.sin(a)) for a in angles]


def _parse(text: str) -> list[list[list[tuple[float, float]]]]:
    """Strokes, each a list of pieces, each a list of points, from the skeleton notation."""
    strokes = []
    for stroke in text.split(";"):
        pieces = []
        for piece in stroke.split("|"):
            points = []
            for token in piece.split():
                values = [float(v) for v in token.lstrip("@").split(",")]
                points += _arc(*values) if token.startswith("@") else [(values[0], values[1])]
            pieces.append(points)
        strokes.append(pieces)
    return strokes


def _spline_weights(geo: np.ndarray, spacing: float) -> np.ndarray:
    """Weights (n, k) giving dense samples of the Catmull-Rom spline through the k points ``geo``.

    The spline is linear in its points, so jittered control points give dense points by one matmul.
    """
    k = len(geo)
    basis = np.eye(k)
    # Reflected phantom points at both ends make the curve leave its end points straight.
    ext = np.concatenate([(2 * basis[0] - basis[1])[None], basis, (2 * basis[-1] - basis[-2])[None]])
    out = []
    for i in range(k - 1):
        p0, p1, p2, p3 = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
        n = max(2, math.ceil(float(np.linalg.norm(geo[i + 1] - geo[i])) / spacing))
        t = np.linspace(0, 1, n, endpoint=False)[:, None]
        cubic = (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3
        out.append(0.5 * (2 * p1 + (p2 - p0) * t + cubic))
    out.append(basis[-1][None])
    return np.concatenate(out)


@dataclass
class _Template:
    """A skeleton compiled to dense points: ``dense = weights @ control``."""

    control: torch.Tensor  # (C, 2) skeleton units
    weights: torch.Tensor  # (P, C)
    stroke_of_control: torch.Tensor  # (C,) stroke index of each control point
    smooth: torch.Tensor  # (C, C) mixes a point's noise with its neighbours' along the stroke
    strokes: list[tuple[int, int]]  # (start, stop) rows of each stroke in the dense points


def _compile(skeleton: list, spacing: float = 0.5) -> _Template:
    control: list[tuple[float, float]] = []
    stroke_ids: list[int] = []
    blocks: list[tuple[list[int], bool]] = []  # control indices of each piece, and "is a later piece"
    for s, stroke in enumerate(skeleton):
        for j, piece in enumerate(stroke):
            corner = [len(control) - 1] if j else []
            control += [tuple(p) for p in piece]
            stroke_ids += [s] * len(piece)
            blocks.append((corner + list(range(len(control) - len(piece), len(control))), j > 0))
    geo = np.asarray(control, dtype=np.float64)
    rows, strokes, dense, b = 0, [], [], 0
    for stroke in skeleton:
        first = rows
        for _ in stroke:
            idx, later = blocks[b]
            b += 1
            local = _spline_weights(geo[idx], spacing)[1 if later else 0 :]
            w = np.zeros((len(local), len(control)))
            w[:, idx] = local
            dense.append(w)
            rows += len(w)
        strokes.append((first, rows))
    return _Template(
        control=torch.tensor(geo, dtype=torch.float32),
        weights=torch.tensor(np.concatenate(dense), dtype=torch.float32),
        stroke_of_control=torch.tensor(stroke_ids),
        smooth=_neighbour_mix(stroke_ids),
        strokes=strokes,
    )


def _neighbour_mix(stroke_ids: list[int]) -> torch.Tensor:
    """Weights 1-2-1 over neighbouring control points of one stroke, scaled to keep unit variance.

    Independent noise per point dents a smooth curve (a 0 becomes a polygon); shared noise bends it.
    """
    n = len(stroke_ids)
    mix = torch.zeros(n, n)
    for i in range(n):
        mix[i, i] = 2.0
        for j in (i - 1, i + 1):
            if 0 <= j < n and stroke_ids[j] == stroke_ids[i]:
                mix[i, j] = 1.0
    return mix / mix.square().sum(dim=1, keepdim=True).sqrt()


_TEMPLATES: dict[int, list[tuple[float, _Template]]] = {}


def templates(digit: int) -> list[tuple[float, _Template]]:
    """The compiled skeletons of ``digit`` with their weights (compiled once, then kept)."""
    if digit not in _TEMPLATES:
        _TEMPLATES[digit] = [(w, _compile(_parse(text))) for w, text in SKELETONS[digit]]
    return _TEMPLATES[digit]


def uniform(g: torch.Generator, shape, bounds: tuple[float, float]) -> torch.Tensor:
    """Uniform samples of ``shape`` in ``bounds`` = (low, high), drawn from ``g``."""
    low, high = bounds
    return low + (high - low) * torch.rand(shape, generator=g)


def _with_ends(dense: torch.Tensor, strokes: list[tuple[int, int]], st: Style, g: torch.Generator):
    """Extend every stroke along its end tangents, then keep a random stretch around the original.

    Returns points (B, Q, 2), a visibility mask (B, Q) and the position along the stroke (B, Q) in
    [0, 1]. Hidden points are moved onto a visible one so that extents need no mask.
    """
    b = dense.shape[0]
    points, alive, along = [], [], []
    for start, stop in strokes:
        line = dense[:, start:stop]
        n = stop - start
        ext = max(2, math.ceil(n * max(st.end_change[1], 0.0)))
        k = torch.arange(1, ext + 1, dtype=torch.float32)[None, :, None]
        head = line[:, :1] + (line[:, :1] - line[:, 1:2]) * k.flip(1)
        tail = line[:, -1:] + (line[:, -1:] - line[:, -2:-1]) * k
        points.append(torch.cat([head, line, tail], dim=1))
        pos = torch.arange(-ext, n + ext, dtype=torch.float32)[None] / max(n - 1, 1)
        lo = -uniform(g, (b, 1), st.end_change)
        hi = 1 + uniform(g, (b, 1), st.end_change)
        alive.append((pos >= lo) & (pos <= hi))
        along.append(pos.expand(b, -1))
    pts, alive = torch.cat(points, 1), torch.cat(alive, 1)
    middle = points[0].shape[1] // 2  # the middle of the first stroke is never trimmed
    pts = torch.where(alive[..., None], pts, pts[:, middle : middle + 1])
    return pts, alive, torch.cat(along, 1)


def _affine(pts: torch.Tensor, st: Style, g: torch.Generator) -> torch.Tensor:
    b = pts.shape[0]
    p = pts - pts.mean(dim=1, keepdim=True)
    aspect = uniform(g, (b, 1), st.aspect)
    slant = uniform(g, (b, 1), st.slant)
    angle = torch.deg2rad(uniform(g, (b, 1), (-st.rotation, st.rotation)))
    x = p[..., 0] * aspect - slant * p[..., 1]
    y = p[..., 1]
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack([cos * x - sin * y, sin * x + cos * y], dim=-1)


def _elastic(pts: torch.Tensor, st: Style, g: torch.Generator) -> torch.Tensor:
    """Bend the digit with a smooth random displacement field (a 4x4 grid, bicubic in between)."""
    lo, hi = pts.amin(dim=1), pts.amax(dim=1)
    half = (hi - lo).amax(dim=1)[:, None, None] / 2
    unit = (pts - ((lo + hi) / 2)[:, None]) / half
    field = torch.randn((pts.shape[0], 2, 4, 4), generator=g) * st.elastic * 2
    disp = F.grid_sample(field, unit[:, None].clamp(-1, 1), mode="bicubic", align_corners=True)
    return pts + disp[:, :, 0].transpose(1, 2) * half


CANVAS = 32
# Ink reaches less than 3.5 px from a point, so pixels within 3 of its nearest pixel cover it.
_REACH = 3.5
_WINDOW = torch.arange(-3, 4, dtype=torch.float32)
_FLAT_OFFSETS = (_WINDOW[:, None] * CANVAS + _WINDOW[None, :]).long().reshape(-1)
_EDGE = 5.75  # start of the ink along the longer side, a quarter pixel before pixel 6


def _extent(pts: torch.Tensor, reach: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return (pts - reach[..., None]).amin(dim=1), (pts + reach[..., None]).amax(dim=1)


def _place(pts: torch.Tensor, reach: torch.Tensor) -> torch.Tensor:
    """Scale and move the centre line so that the ink's longer side spans exactly 20 pixels.

    Pen width is in final pixels and does not scale, so the scale is found by a few Newton steps;
    the ink then starts a quarter pixel before a pixel centre, which ``frame_digit`` leaves as is.
    """
    lo, hi = pts.amin(dim=1), pts.amax(dim=1)
    u = pts - ((lo + hi) / 2)[:, None]
    core = (hi - lo).amax(dim=1, keepdim=True).clamp_min(1e-3)
    target = MNIST_BOX - 0.5
    scale = (target - 2 * reach.amax(dim=1, keepdim=True)) / core
    for _ in range(2):
        lo, hi = _extent(u * scale[..., None], reach)
        scale = scale + (target - (hi - lo).amax(dim=1, keepdim=True)) / core
    lo, hi = _extent(u * scale[..., None], reach)
    longer = (hi - lo).argmax(dim=1, keepdim=True)
    offset = torch.where(torch.arange(2) == longer, _EDGE - lo, (CANVAS - 1) / 2 - (lo + hi) / 2)
    return u * scale[..., None] + offset[:, None]


def _render(pts, alive, along, low, st: Style, g: torch.Generator) -> torch.Tensor:
    """Max over points of an anti-aliased disc profile; returns (B, CANVAS, CANVAS) in [0, 1]."""
    b, q = pts.shape[:2]
    soft = uniform(g, (b, 1), st.softness)
    freq = uniform(g, (b, 1), (0.5, 2.0))
    phase = uniform(g, (b, 1), (0.0, 2 * math.pi))
    wave = 1 + st.pressure * torch.sin(2 * math.pi * freq * along + phase)
    # Small scans come from larger writing: relative to the digit their pen is thinner.
    width = torch.where(low[:, None], uniform(g, (b, 1), st.lowres_width), uniform(g, (b, 1), st.width))
    radius = torch.minimum(width / 2 * wave, _REACH - soft / 2)
    radius = torch.where(alive, radius, 0.0)
    pts = _place(pts, radius + (0.5 - INK_THRESHOLD) * soft)
    base = pts.round().clamp(3, CANVAS - 4)
    frac = pts - base
    dx = (_WINDOW - frac[..., :1]).square()
    dy = (_WINDOW - frac[..., 1:]).square()
    dist = (dy[..., :, None] + dx[..., None, :]).reshape(b, q, -1).sqrt_()
    # Ink = clamp((radius - dist) / soft + 1/2), written as one multiply-add; hidden points give none.
    offset = torch.where(alive, radius / soft + 0.5, -1.0)[..., None]
    value = torch.addcmul(offset, dist, (-1 / soft)[..., None]).clamp_(0, 1)
    flat = (base[..., 1] * CANVAS + base[..., 0]).long()[..., None] + _FLAT_OFFSETS
    out = torch.zeros(b, CANVAS * CANVAS)
    out.scatter_reduce_(1, flat.reshape(b, -1), value.reshape(b, -1), reduce="amax")
    return out.reshape(b, CANVAS, CANVAS)


def draw(template: _Template, low: torch.Tensor, st: Style, g: torch.Generator) -> torch.Tensor:
    """Renderings of one skeleton, (B, CANVAS, CANVAS) float in [0, 1]; ``low`` (B,) marks the
    ones that will be seen at low resolution."""
    count = len(low)
    noise = torch.randn((count, *template.control.shape), generator=g)
    ctrl = template.control + st.jitter * (template.smooth @ noise)
    shift = st.stroke_shift * torch.randn((count, len(template.strokes), 2), generator=g)
    ctrl = ctrl + shift[:, template.stroke_of_control]
    pts, alive, along = _with_ends(template.weights @ ctrl, template.strokes, st, g)
    return _render(_elastic(_affine(pts, st, g), st, g), alive, along, low, st, g)
