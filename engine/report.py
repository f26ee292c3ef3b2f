"""Run reports without Qt: a self-contained HTML page, metrics files and PNG charts.

Each chart is described once as a ``Canvas`` (rectangles, polylines, dots, text) and rendered
twice: to inline SVG for the HTML page and to PNG with Pillow, so the page and the image files
show the same thing. Nothing refers to the network: the style sheet is inline, charts are inline
SVG and thumbnails are ``data:`` URIs, so the page opens in a browser on a machine without one.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.checkpoints import atomic_write, plain
from engine.errors import ReportError
from engine.evaluation import top_losses

TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#ff7f0e"
# matplotlib's tab10: distinct, colour-blind-friendlier than a hue wheel.
FOLD_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
HISTORY_COLUMNS = (
    "fold",
    "epoch",
    "phase",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "seconds",
)
THUMBNAILS = 24
PNG_SCALE = 2
REPORT_FILES = (
    "report.html",
    "metrics.json",
    "metrics.csv",
    "history.csv",
    "metrics.npz",
    "curves.png",
    "confusion.png",
)


# --- drawing: one description, two renderers --------------------------------------------------------


@dataclass
class Canvas:
    """A chart as a list of primitives in pixel coordinates (origin top left)."""

    width: int
    height: int
    label: str = "chart"
    items: list[tuple] = field(default_factory=list)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str,
        stroke: str | None = None,
        title: str | None = None,
    ) -> None:
        self.items.append(("rect", x, y, w, h, fill, stroke, title))

    def line(
        self, points: list[tuple[float, float]], colour: str, width: float = 2.0, dashed: bool = False
    ) -> None:
        if len(points) >= 2:
            self.items.append(("line", points, colour, width, dashed))

    def dot(self, x: float, y: float, r: float, colour: str) -> None:
        self.items.append(("dot", x, y, r, colour))

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: int = 12,
        colour: str = "#333",
        anchor: str = "middle",
        bold: bool = False,
    ) -> None:
        """``anchor`` is start, middle or end; ``y`` is the text's vertical centre."""
        self.items.append(("text", x, y, s, size, colour, anchor, bold))


def to_svg(canvas: Canvas) -> str:
    """Inline SVG for an HTML5 page (no xmlns needed, so no URL at all)."""
    out = [
        f'<svg class="chart" viewBox="0 0 {canvas.width} {canvas.height}" width="{canvas.width}" '
        f'height="{canvas.height}" role="img" aria-label="{_esc(canvas.label)}" '
        'font-family="system-ui, Segoe UI, Helvetica, Arial, sans-serif">'
    ]
    out += [_svg_item(item) for item in canvas.items]
    out.append("</svg>")
    return "\n".join(out)


def _svg_item(item: tuple) -> str:
    kind = item[0]
    if kind == "rect":
        _, x, y, w, h, fill, stroke, title = item
        border = f' stroke="{stroke}"' if stroke else ""
        tip = f"<title>{_esc(title)}</title>" if title else ""
        box = f'x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"'
        return f'<rect {box} fill="{fill}"{border}>{tip}</rect>'
    if kind == "line":
        _, points, colour, width, dashed = item
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        return (
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"{dash} '
            'stroke-linejoin="round"/>'
        )
    if kind == "dot":
        _, x, y, r, colour = item
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
    _, x, y, s, size, colour, anchor, bold = item
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}" text-anchor="{anchor}" '
        f'dominant-baseline="central"{weight}>{_esc(s)}</text>'
    )


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: a fixed bitmap font, still legible
        return ImageFont.load_default()


def to_image(canvas: Canvas, scale: int = PNG_SCALE) -> Image.Image:
    """The chart as a Pillow RGB image, drawn at ``scale`` times its size for crisp lines and text."""
    img = Image.new("RGB", (canvas.width * scale, canvas.height * scale), "white")
    draw = ImageDraw.Draw(img)
    for item in canvas.items:
        _draw_item(draw, item, scale)
    return img


def _draw_item(draw: ImageDraw.ImageDraw, item: tuple, s: int) -> None:
    kind = item[0]
    if kind == "rect":
        _, x, y, w, h, fill, stroke, _ = item
        draw.rectangle([x * s, y * s, (x + w) * s - 1, (y + h) * s - 1], fill=fill, outline=stroke)
    elif kind == "line":
        _, points, colour, width, dashed = item
        scaled = [(x * s, y * s) for x, y in points]
        pieces = _dash(scaled, 6 * s, 4 * s) if dashed else [scaled]
        for piece in pieces:
            draw.line(piece, fill=colour, width=max(1, round(width * s)), joint="curve")
    elif kind == "dot":
        _, x, y, r, colour = item
        draw.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], fill=colour)
    else:
        _, x, y, text, size, colour, anchor, bold = item
        pil_anchor = {"start": "lm", "middle": "mm", "end": "rm"}[anchor]
        font = _font(size * s)
        try:
            draw.text(
                (x * s, y * s),
                text,
                fill=colour,
                font=font,
                anchor=pil_anchor,
                stroke_width=1 if bold else 0,
                stroke_fill=colour,
            )
        except ValueError:  # bitmap fonts take no anchor
            draw.text((x * s, y * s), text, fill=colour, font=font)


def _dash(points: list[tuple[float, float]], on: float, off: float) -> list[list[tuple[float, float]]]:
    """Split a polyline into dash pieces (Pillow draws only solid lines)."""
    pieces, current, drawing, left = [], [points[0]], True, on
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        length, done = math.hypot(x1 - x0, y1 - y0), 0.0
        while length - done > left:
            done += left
            t = done / length
            p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if drawing:
                pieces.append(current + [p])
            current, drawing = [p], not drawing
            left = off if not drawing else on
        left -= length - done
        current.append((x1, y1))
    if drawing and len(current) >= 2:
        pieces.append(current)
    return pieces


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^n steps) covering ``lo..hi``."""
    span = hi - lo if hi > lo else 1.0
    raw = span / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


# --- charts -----------------------------------------------------------------------------------------


@dataclass
class Series:
    name: str
    x: list[float]
    y: list[float]
    colour: str
    dashed: bool = False


def line_chart(
    title: str,
    series: list[Series],
    y_label: str,
    y_range: tuple[float, float] | None = None,
    markers: list[tuple[float, str]] = (),
    legend: list[tuple[str, str, bool]] | None = None,
    width: int = 520,
    height: int = 300,
) -> Canvas:
    """Curves against epochs, with a legend under the plot and dashed vertical ``markers``."""
    legend = legend if legend is not None else [(s.name, s.colour, s.dashed) for s in series]
    rows = _legend_rows(legend, width - 20)
    canvas = Canvas(width, height + 18 * len(rows), label=title)
    left, right, top, bottom = 56, width - 16, 34, height - 38
    xs = [x for s in series for x, y in zip(s.x, s.y, strict=True) if _finite(y)]
    ys = [y for s in series for y in s.y if _finite(y)]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (1, 1)
    x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    if y_range is not None:
        y_lo, y_hi = y_range
    else:
        y_lo, y_hi = min([0.0, *ys]), (max(ys) * 1.08 if ys and max(ys) > 0 else 1.0)

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * (right - left)

    def py(y: float) -> float:
        return bottom - (y - y_lo) / ((y_hi - y_lo) or 1.0) * (bottom - top)

    canvas.text(width / 2, 15, title, size=14, colour="#222", bold=True)
    canvas.text(left - 4, top - 12, y_label, size=11, colour="#555", anchor="end")
    for t in nice_ticks(y_lo, y_hi):
        canvas.line([(left, py(t)), (right, py(t))], "#e6e6e6", width=1)
        canvas.text(left - 6, py(t), f"{t:g}", size=11, colour="#555", anchor="end")
    step = max(1, math.ceil((x_hi - x_lo) / 10))
    for t in range(math.ceil(x_lo), math.floor(x_hi) + 1, step):
        canvas.text(px(t), bottom + 12, str(t), size=11, colour="#555")
    canvas.text((left + right) / 2, bottom + 28, "epoch", size=11, colour="#555")
    canvas.line([(left, top), (left, bottom), (right, bottom)], "#999", width=1)
    for x, label in markers:
        canvas.line([(px(x), top), (px(x), bottom)], "#888", width=1.2, dashed=True)
        canvas.text(px(x) + 4, top + 6, label, size=10, colour="#555", anchor="start")
    for s in series:
        _draw_series(canvas, s, px, py)
    _draw_legend(canvas, rows, height + 2)
    return canvas


def _draw_series(canvas: Canvas, s: Series, px, py) -> None:
    run: list[tuple[float, float]] = []
    points = list(zip(s.x, s.y, strict=True))
    for x, y in points + [(None, float("nan"))]:
        if x is not None and _finite(y):
            run.append((px(x), py(y)))
            continue
        canvas.line(run, s.colour, width=2, dashed=s.dashed)
        if len(points) <= 40:
            for qx, qy in run:
                canvas.dot(qx, qy, 2.5, s.colour)
        run = []


def _legend_rows(entries: list[tuple[str, str, bool]], width: int) -> list[list[tuple]]:
    rows: list[list[tuple]] = [[]]
    used = 0
    for entry in entries:
        w = 34 + 7 * len(entry[0])
        if rows[-1] and used + w > width:
            rows.append([])
            used = 0
        rows[-1].append(entry)
        used += w
    return rows if rows[0] else []


def _draw_legend(canvas: Canvas, rows: list[list[tuple]], y: float) -> None:
    for r, row in enumerate(rows):
        total = sum(34 + 7 * len(label) for label, _, _ in row)
        x = (canvas.width - total) / 2
        cy = y + 9 + 18 * r
        for label, colour, dashed in row:
            canvas.line([(x, cy), (x + 24, cy)], colour, width=2, dashed=dashed)
            canvas.text(x + 28, cy, label, size=11, colour="#333", anchor="start")
            x += 34 + 7 * len(label)


def curve_charts(history: list[dict[str, Any]]) -> tuple[Canvas, Canvas]:
    """Loss and accuracy charts of a run's epoch history: train/validation, or one colour per fold."""
    folds = sorted({int(h.get("fold") or 0) for h in history}) or [0]
    kfold = folds != [0]
    markers = _phase_markers(history)
    charts = []
    for key, title, scale, unit in (("loss", "Loss", 1.0, "loss"), ("acc", "Accuracy", 100.0, "%")):
        series, legend = [], None
        for i, fold in enumerate(folds):
            rows = [h for h in history if int(h.get("fold") or 0) == fold]
            x = [float(h.get("epoch", n + 1)) for n, h in enumerate(rows)]
            colours = (FOLD_COLOURS[i % len(FOLD_COLOURS)],) * 2 if kfold else (VAL_COLOUR, TRAIN_COLOUR)
            prefix = f"fold {fold} " if kfold else ""
            for part, colour, dashed in (("val", colours[0], False), ("train", colours[1], kfold)):
                y = [_num(h.get(f"{part}_{key}")) * scale for h in rows]
                name = prefix + ("validation" if part == "val" else "train")
                series.append(Series(name, x, y, colour, dashed))
        if kfold:
            legend = [(f"fold {f}", FOLD_COLOURS[i % len(FOLD_COLOURS)], False) for i, f in enumerate(folds)]
            legend += [("validation", "#555", False), ("train", "#555", True)]
        y_range = _accuracy_range(series) if key == "acc" else None
        charts.append(line_chart(title, series, unit, y_range, markers, legend))
    return charts[0], charts[1]


def _phase_markers(history: list[dict[str, Any]]) -> list[tuple[float, str]]:
    first = next((h for h in history if int(h.get("phase") or 1) >= 2), None)
    if first is None:
        return []
    return [(float(first.get("epoch", 1)) - 0.5, f"fine-tuning from epoch {first.get('epoch')}")]


def _accuracy_range(series: list[Series]) -> tuple[float, float]:
    ys = [y for s in series for y in s.y if _finite(y)]
    low = min(ys, default=0.0)
    return (max(0.0, math.floor(low / 10) * 10 - (10 if low % 10 < 2 else 0)), 100.0)


def confusion_chart(cm: np.ndarray, classes: list[str], title: str = "Confusion matrix") -> Canvas:
    """Heatmap of a confusion matrix: rows are true classes, columns predictions, counts in cells.

    The colour is the share of the row (recall per class), so small classes are as visible as
    large ones; the number is the count.
    """
    cm = np.asarray(cm, dtype=np.int64)
    k = len(classes)
    cell = int(min(44, max(12, 420 // max(1, k))))
    names = [str(c)[:14] for c in classes]
    label_w = 12 + 7 * max((len(n) for n in names), default=1)
    left, top = max(label_w, 48), 74
    canvas = Canvas(left + k * cell + 16, top + k * cell + 34, label=title)
    canvas.text(canvas.width / 2, 15, title, size=14, colour="#222", bold=True)
    canvas.text(left + k * cell / 2, 38, "predicted", size=11, colour="#555")
    canvas.text(left - 6, top - 10, "true", size=11, colour="#555", anchor="end")
    fractions = row_fractions(cm)
    fits = max(1, cell // 7)
    for j, name in enumerate(names):
        canvas.text(left + (j + 0.5) * cell, top - 10, name[:fits], size=11, colour="#333")
    for i, name in enumerate(names):
        canvas.text(left - 6, top + (i + 0.5) * cell, name, size=11, colour="#333", anchor="end")
        for j in range(k):
            frac = fractions[i, j]
            tip = f"true {classes[i]}, predicted {classes[j]}: {cm[i, j]} ({100 * frac:.1f}% of {classes[i]})"
            canvas.rect(left + j * cell, top + i * cell, cell, cell, heat_colour(frac), "#ffffff", tip)
            if k <= 30:
                ink = "#ffffff" if frac > 0.55 else ("#222" if cm[i, j] else "#bbb")
                size = 11 if cell >= 26 else 9
                canvas.text(
                    left + (j + 0.5) * cell, top + (i + 0.5) * cell, str(cm[i, j]), size=size, colour=ink
                )
    canvas.text(
        canvas.width / 2, top + k * cell + 18, "colour: share of each true class", size=10, colour="#777"
    )
    return canvas


def row_fractions(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows without samples stay 0): scikit-learn's normalize="true"."""
    cm = np.asarray(cm, dtype=np.float64)
    sums = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, sums, out=np.zeros_like(cm), where=sums > 0)


def heat_colour(fraction: float) -> str:
    """White to dark blue (like scikit-learn's default "Blues") for 0..1."""
    f = min(1.0, max(0.0, float(fraction)))
    low, high = (247, 251, 255), (8, 48, 107)
    r, g, b = (round(a + (z - a) * f) for a, z in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


# --- the report -------------------------------------------------------------------------------------


def write_report(
    folder: str | Path,
    meta: dict[str, Any],
    metrics: dict[str, Any] | None,
    probabilities: np.ndarray | None = None,
    labels: Any = None,
    images: Any = None,
    evaluated_on: str | None = None,
) -> Path:
    """Write report.html and its companion files into ``folder``; return the HTML file's path.

    Parameters
    ----------
    folder : str or Path
        Created if needed. Files: report.html, metrics.json, metrics.csv, history.csv, metrics.npz,
        curves.png and (with metrics) confusion.png, each written atomically.
    meta : dict
        A run's or checkpoint's metadata (arch, classes, history, configs, params, seconds...).
    metrics : dict or None
        ``evaluation.classification_metrics`` of the test set (None when there was no test).
    probabilities, labels, images : optional
        Test probabilities ``(N, K)``, true labels ``(N,)`` and uint8 images ``(N, C, H, W)``
        (numpy or torch); with all three the page shows the most confidently wrong images.
    evaluated_on : str, optional
        Name of the data the metrics come from, when not the dataset the model was trained on.

    Raises
    ------
    ReportError
        The folder cannot be written, or the arrays do not belong together.
    """
    folder = Path(folder)
    probs, y_true, pics = _arrays(probabilities, labels, images)
    history = list(meta.get("history") or [])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        loss_chart, acc_chart = curve_charts(history)
        _save_png(folder / "curves.png", _side_by_side(to_image(loss_chart), to_image(acc_chart)))
        confusion = None
        if metrics is not None:
            confusion = confusion_chart(np.asarray(metrics["confusion"]), metrics["classes"])
            _save_png(folder / "confusion.png", to_image(confusion))
        _write_text(folder / "metrics.json", json.dumps(_json_ready(summary(meta, metrics)), indent=2))
        _write_csv(folder / "metrics.csv", metric_rows(metrics))
        _write_csv(folder / "history.csv", history_rows(history))
        _write_npz(folder / "metrics.npz", npz_arrays(history, metrics, probs, y_true))
        thumbs = thumbnails(probs, y_true, pics, (metrics or {}).get("classes") or meta.get("classes", []))
        page = render_html(meta, metrics, (loss_chart, acc_chart), confusion, thumbs, evaluated_on)
        return _write_text(folder / "report.html", page)
    except OSError as e:
        raise ReportError(
            f"cannot write the report to {folder}: {e.strerror or e}; choose another folder"
        ) from e


def _arrays(probabilities, labels, images) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    probs = None if probabilities is None else np.asarray(_numpy(probabilities), dtype=np.float64)
    y_true = None if labels is None else np.asarray(_numpy(labels)).astype(np.int64).reshape(-1)
    pics = None if images is None else np.asarray(_numpy(images))
    sizes = {
        name: len(a)
        for name, a in (("probabilities", probs), ("labels", y_true), ("images", pics))
        if a is not None
    }
    if len(set(sizes.values())) > 1:
        raise ReportError(
            "the test arrays do not belong together: " + ", ".join(f"{n} {s}" for n, s in sizes.items())
        )
    return probs, y_true, pics


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        return value.detach().cpu().numpy()
    return np.asarray(value)


def summary(meta: dict[str, Any], metrics: dict[str, Any] | None) -> dict[str, Any]:
    """What metrics.json holds: the run's identity, test metrics, K-Fold results and time."""
    keys = (
        "arch",
        "dataset",
        "classes",
        "trainable_params",
        "total_params",
        "frozen",
        "seconds",
        "stopped",
        "created",
        "model_config",
        "data_config",
        "train_config",
    )
    out = {k: meta[k] for k in keys if k in meta}
    out["epochs_run"] = len(meta.get("history") or [])
    out["test"] = metrics
    if meta.get("kfold"):
        out["kfold"] = meta["kfold"]
    return out


def metric_rows(metrics: dict[str, Any] | None) -> list[list[Any]]:
    """metrics.csv: a header, one row per class, the two averages and accuracy (as scikit-learn prints)."""
    rows: list[list[Any]] = [["class", "precision", "recall", "f1", "support"]]
    if metrics is None:
        return rows
    for r in metrics["per_class"]:
        rows.append([r["class"], r["precision"], r["recall"], r["f1"], r["support"]])
    for name, r in metrics["averages"].items():
        rows.append([f"{name} avg", r["precision"], r["recall"], r["f1"], r["support"]])
    rows.append(["accuracy", "", "", metrics["accuracy"], metrics["n"]])
    return rows


def history_rows(history: list[dict[str, Any]]) -> list[list[Any]]:
    return [list(HISTORY_COLUMNS)] + [[h.get(c, "") for c in HISTORY_COLUMNS] for h in history]


def npz_arrays(history, metrics, probabilities, labels) -> dict[str, np.ndarray]:
    """The same arrays ``main.py train`` writes to metrics.npz, plus fold, phase and per-class metrics."""
    arrays = {c: np.array([_num(h.get(c)) for h in history], dtype=np.float64) for c in HISTORY_COLUMNS}
    if metrics is not None:
        arrays["confusion_matrix"] = np.asarray(metrics["confusion"], dtype=np.int64)
        arrays["test_accuracy"] = np.array(metrics["accuracy"])
        arrays["classes"] = np.array([str(c) for c in metrics["classes"]])
        for key in ("precision", "recall", "f1", "support"):
            arrays[f"per_class_{key}"] = np.array([r[key] for r in metrics["per_class"]])
    if labels is not None:
        arrays["test_labels"] = labels
    if probabilities is not None:
        arrays["test_probabilities"] = probabilities
    return arrays


def thumbnails(probs, y_true, images, classes: list[str], k: int = THUMBNAILS) -> list[tuple[str, str]]:
    """(data URI, caption) of the ``k`` most confidently wrong test images, fastai's top losses."""
    if probs is None or y_true is None or images is None or not len(probs):
        return []
    out = []
    for i in top_losses(probs, y_true, k):
        pred = int(probs[i].argmax())
        caption = f"{_name(classes, y_true[i])} → {_name(classes, pred)} (p={probs[i, pred]:.2f})"
        out.append((png_data_uri(images[i]), caption))
    return out


def png_data_uri(image: np.ndarray, side: int = 72) -> str:
    """A uint8 ``(C, H, W)`` image as a PNG ``data:`` URI, enlarged without blurring small pictures."""
    arr = np.asarray(image, dtype=np.uint8)
    pic = (
        Image.fromarray(arr[0], "L") if arr.shape[0] == 1 else Image.fromarray(arr.transpose(1, 2, 0), "RGB")
    )
    factor = max(1, side // max(pic.size))
    pic = pic.resize((pic.width * factor, pic.height * factor), Image.NEAREST)
    buf = io.BytesIO()
    pic.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --- HTML -------------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;
margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 10px;border-bottom:1px solid #ddd;
padding-bottom:4px}
.sub{color:#666;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:1.5em}.card span{color:#666;font-size:.9em}
table{border-collapse:collapse;background:#fff;font-size:.92em}
th,td{border:1px solid #e1e4e8;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f0f2f5}
tr.avg td{font-weight:600;background:#fafbfc}
.kv td{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{background:#fff;border:1px solid #e1e4e8;border-radius:6px;max-width:100%;height:auto}
.thumbs{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0;background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:6px;text-align:center}
figure img{image-rendering:pixelated;width:72px;height:72px;object-fit:contain}
figcaption{font-size:.8em;color:#444;max-width:110px}
.note{color:#666;font-size:.9em}
code{background:#eef0f3;padding:1px 4px;border-radius:3px}
footer{color:#888;font-size:.85em;margin-top:32px}
"""


def render_html(
    meta,
    metrics,
    curves: tuple[Canvas, Canvas],
    confusion: Canvas | None,
    thumbs: list[tuple[str, str]],
    evaluated_on: str | None = None,
) -> str:
    """The whole page as one string: every style, chart and picture inline."""
    title = f"{meta.get('arch', 'model')} on {_dataset_name(meta.get('dataset'))}"
    sections = [
        f"<h1>Taller report: {_esc(title)}</h1>",
        f'<p class="sub">{_esc(_subtitle(meta, evaluated_on))}</p>',
        _cards(meta, metrics),
        "<h2>Dataset</h2>" + _kv_table(_dataset_rows(meta, metrics, evaluated_on)),
        "<h2>Model: architecture and what was changed</h2>" + _kv_table(_model_rows(meta)),
        _frozen_section(meta),
        "<h2>Hyper-parameters</h2>" + _kv_table(_hyper_rows(meta)),
        "<h2>Training curves</h2>" + _curves_section(meta, curves),
        _kfold_section(meta),
        _test_section(metrics, confusion, thumbs),
        "<footer>" + _esc(_versions(meta)) + "</footer>",
    ]
    body = "\n".join(s for s in sections if s)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)} · Taller report</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body><main>\n{body}\n</main></body>\n</html>\n"
    )


def _subtitle(meta, evaluated_on) -> str:
    parts = [f"created {meta['created']}" if meta.get("created") else None]
    if meta.get("stopped"):
        parts.append("training was stopped early")
    if evaluated_on:
        parts.append(f"tested on {_dataset_name(evaluated_on)}")
    return " · ".join(p for p in parts if p) or "Taller run"


def _cards(meta, metrics) -> str:
    cards = []
    if metrics is not None:
        cards.append((_pct(metrics["accuracy"]), f"test accuracy ({metrics['n']} images)"))
        cards.append((f"{metrics['averages']['macro']['f1']:.3f}", "macro F1"))
    kf = meta.get("kfold")
    if kf:
        cards.append(
            (
                f"{_pct(kf['val_acc_mean'])} ± {100 * kf['val_acc_std']:.1f}",
                f"{len(kf['folds'])}-fold validation accuracy",
            )
        )
    if meta.get("total_params"):
        cards.append(
            (f"{meta.get('trainable_params', 0):,}", f"trainable of {meta['total_params']:,} parameters")
        )
    history = meta.get("history") or []
    cards.append((str(len(history)), "epochs run"))
    if meta.get("seconds") is not None:
        cards.append((format_seconds(meta["seconds"]), "wall time"))
    items = "".join(f'<div class="card"><b>{_esc(v)}</b><span>{_esc(t)}</span></div>' for v, t in cards)
    return f'<div class="cards">{items}</div>'


def _dataset_rows(meta, metrics, evaluated_on) -> list[tuple[str, str]]:
    data = meta.get("data_config") or {}
    spec = meta.get("spec") or {}
    classes = meta.get("classes") or []
    rows = [
        ("dataset", _dataset_name(meta.get("dataset"))),
        (
            "classes",
            f"{len(classes)}: "
            + ", ".join(str(c) for c in classes[:30])
            + (" …" if len(classes) > 30 else ""),
        ),
        (
            "input",
            f"{spec.get('channels', '?')} × {spec.get('height', '?')} × {spec.get('width', '?')}"
            f" (channels × height × width), normalised with mean {spec.get('mean')} std {spec.get('std')}",
        ),
    ]
    if data:
        rows.append(("validation share", f"{data.get('val_split')}, split with seed {data.get('seed')}"))
        rows.append(("augmentation", "random shifts and rotations" if data.get("augment") else "none"))
        if data.get("image_size"):
            rows.append(("image size", f"{data['image_size']} px"))
    if evaluated_on:
        rows.append(("tested on", _dataset_name(evaluated_on)))
    if metrics is not None:
        rows.append(("test images", str(metrics["n"])))
    return rows


def _model_rows(meta) -> list[tuple[str, str]]:
    model = meta.get("model_config") or {}
    train = meta.get("train_config") or {}
    if model.get("pretrained"):
        start = "ImageNet weights (transfer learning); new head"
    elif model.get("init_checkpoint"):
        start = (
            f"own checkpoint {Path(str(model['init_checkpoint'])).name}; head replaced where shapes differ"
        )
    else:
        start = "random initialisation (trained from scratch)"
    frozen = meta.get("frozen") or model.get("frozen") or []
    rows = [
        ("architecture", str(meta.get("arch", "?"))),
        ("starting point", start),
        ("output classes", str(len(meta.get("classes") or []))),
        ("frozen layers", f"{len(frozen)}" + (" (listed below)" if frozen else " (everything trains)")),
        ("parameters", f"{meta.get('trainable_params', 0):,} trainable of {meta.get('total_params', 0):,}"),
    ]
    if frozen:
        rows.append(
            (
                "BatchNorm in frozen layers",
                "statistics frozen" if model.get("freeze_bn_stats", True) else "statistics keep updating",
            )
        )
    if train.get("unfreeze_after"):
        what = ", ".join(train.get("unfreeze") or []) or "all frozen layers"
        rows.append(
            (
                "two-phase fine-tuning",
                f"after epoch {train['unfreeze_after']} unfreeze {what}, "
                f"learning rate × {train.get('finetune_lr_factor')}",
            )
        )
    if train.get("backbone_lr_factor", 1.0) != 1.0:
        rows.append(("backbone learning rate", f"× {train['backbone_lr_factor']} of the head's"))
    return rows


def _frozen_section(meta) -> str:
    frozen = meta.get("frozen") or (meta.get("model_config") or {}).get("frozen") or []
    if not frozen:
        return ""
    items = "".join(f"<li><code>{_esc(n)}</code></li>" for n in frozen)
    return f"<details><summary>Frozen layers ({len(frozen)})</summary><ul>{items}</ul></details>"


def _hyper_rows(meta) -> list[tuple[str, str]]:
    train = meta.get("train_config") or {}
    return [(k.replace("_", " "), _value(v)) for k, v in train.items()]


def _curves_section(meta, curves) -> str:
    if not meta.get("history"):
        return '<p class="note">No epoch finished, so there are no curves.</p>'
    return f'<div class="charts">{to_svg(curves[0])}{to_svg(curves[1])}</div>'


def _kfold_section(meta) -> str:
    kf = meta.get("kfold")
    if not kf:
        return ""
    head = (
        "<tr><th>fold</th><th>epochs</th><th>train accuracy</th><th>validation loss</th>"
        "<th>validation accuracy</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{f.get('fold')}</td><td>{f.get('epochs_run', '')}</td><td>{_pct(f.get('train_acc'))}</td>"
        f"<td>{_fmt(f.get('val_loss'))}</td><td>{_pct(f.get('val_acc'))}</td></tr>"
        for f in kf["folds"]
    )
    losses = [_num(f.get("val_loss")) for f in kf["folds"]]
    mean_loss = float(np.nanmean(losses)) if losses else float("nan")
    rows += (
        f'<tr class="avg"><td>mean ± std</td><td></td><td></td><td>{_fmt(mean_loss)}</td>'
        f"<td>{_pct(kf['val_acc_mean'])} ± {100 * kf['val_acc_std']:.2f}</td></tr>"
    )
    note = (
        '<p class="note">Stratified K-Fold on the training data; the test results below are of the '
        "fold with the best validation accuracy.</p>"
    )
    return f"<h2>K-Fold cross-validation ({len(kf['folds'])} folds)</h2><table>{head}{rows}</table>{note}"


def _test_section(metrics, confusion, thumbs) -> str:
    if metrics is None:
        return '<h2>Test</h2><p class="note">No test results: the run ended before an epoch finished.</p>'
    parts = [
        "<h2>Test results</h2>",
        f'<div class="charts">{to_svg(confusion)}',
        _per_class_table(metrics),
        "</div>",
        "<h3>Most confused pairs</h3>",
        _confused_list(metrics),
    ]
    if thumbs:
        figs = "".join(
            f'<figure><img src="{uri}" alt="{_esc(cap)}"><figcaption>{_esc(cap)}</figcaption></figure>'
            for uri, cap in thumbs
        )
        parts += [
            "<h3>Most confidently wrong test images (top losses)</h3>",
            '<p class="note">true → predicted (probability of the prediction); often mislabelled '
            "or ambiguous images.</p>",
            f'<div class="thumbs">{figs}</div>',
        ]
    return "\n".join(parts)


def _per_class_table(metrics) -> str:
    head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
    rows = "".join(
        f"<tr><td>{_esc(r['class'])}</td><td>{r['precision']:.3f}</td><td>{r['recall']:.3f}</td>"
        f"<td>{r['f1']:.3f}</td><td>{r['support']}</td></tr>"
        for r in metrics["per_class"]
    )
    rows += "".join(
        f'<tr class="avg"><td>{name} avg</td><td>{r["precision"]:.3f}</td><td>{r["recall"]:.3f}</td>'
        f"<td>{r['f1']:.3f}</td><td>{r['support']}</td></tr>"
        for name, r in metrics["averages"].items()
    )
    rows += (
        f'<tr class="avg"><td>accuracy</td><td></td><td></td><td>{metrics["accuracy"]:.3f}</td>'
        f"<td>{metrics['n']}</td></tr>"
    )
    return f"<table>{head}{rows}</table>"


def _confused_list(metrics) -> str:
    pairs = metrics.get("most_confused") or []
    if not pairs:
        return '<p class="note">No mistakes on the test set.</p>'
    items = "".join(
        f"<li>true <b>{_esc(p['true'])}</b> predicted as <b>{_esc(p['predicted'])}</b>: {p['count']} "
        f"image{'s' if p['count'] != 1 else ''}</li>"
        for p in pairs
    )
    return f"<ol>{items}</ol>"


def _versions(meta) -> str:
    versions = meta.get("versions") or {}
    libs = ", ".join(f"{k} {v}" for k, v in versions.items())
    return "Written by Taller" + (f" · {libs}" if libs else "")


# --- small helpers ----------------------------------------------------------------------------------


def format_seconds(seconds: float) -> str:
    """'8.2 s', '3 min 20 s', '1 h 05 min'."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    return f"{s // 60} min {s % 60:02d} s" if s < 3600 else f"{s // 3600} h {s % 3600 // 60:02d} min"


def _kv_table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _dataset_name(name: Any) -> str:
    return str(name or "?").replace("folder:", "image folder ")


def _name(classes: list[str], index: int) -> str:
    return str(classes[index]) if 0 <= index < len(classes) else str(index)


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) or "–"
    return "–" if v is None else str(v)


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _pct(v: Any) -> str:
    return f"{100 * v:.1f}%" if _finite(v) else "–"


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if _finite(v) else "–"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _json_ready(value: Any) -> Any:
    """Plain JSON values; NaN and infinities become null so any JSON reader accepts the file."""
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _write_csv(path: Path, rows: list[list[Any]]) -> Path:
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)

    return atomic_write(path, write)


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    return atomic_write(path, write)


def _save_png(path: Path, image: Image.Image) -> Path:
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def _side_by_side(a: Image.Image, b: Image.Image) -> Image.Image:
    out = Image.new("RGB", (a.width + b.width, max(a.height, b.height)), "white")
    out.paste(a, (0, 0))
    out.paste(b, (a.width, 0))
    return out
