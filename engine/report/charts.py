"""The report's charts drawn with matplotlib's object API (``Figure`` + Agg canvas, no pyplot state).

Four figures: the training curves (loss and accuracy against epochs; train/validation, or one
colour per K-Fold fold; a dashed line where fine-tuning began), the confusion matrix (counts in the
cells, colour by the share of the true class), per-class precision, recall and F1, and the first
layer's filters by epoch (from the run folder's ``filters.npz``, when there is one). Each is saved
as PNG and SVG; the SVG bytes also go inline into the HTML page.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from engine.filter_history import FilterHistory
from engine.i18n import _
from engine.mosaic import grid
from engine.report.exports import write_bytes
from engine.report.style import CONFUSION_CMAP, FOLD_COLOURS, TRAIN_COLOUR, VAL_COLOUR, row_fractions

PNG_DPI = 150
LABEL_CHARS = 14
COUNTS_UP_TO = 30  # classes; beyond that the numbers would not fit their cells
PER_CLASS_UP_TO = 50  # classes in the per-class chart; more: the lowest F1 first
BAR_COLOURS = {"precision": "#4c72b0", "recall": "#dd8452", "f1": "#55a868"}


def new_figure(width: float, height: float) -> Figure:
    """A figure with its own Agg canvas and constrained layout; nothing global is touched."""
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes (SVG without a date, so equal charts give equal files)."""
    buf = io.BytesIO()
    meta = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=meta, facecolor="white")
    return buf.getvalue()


def save(fig: Figure, folder: Path, stem: str) -> bytes:
    """Write ``stem.png`` and ``stem.svg`` into ``folder``; return the SVG bytes for the page."""
    svg = render(fig, "svg")
    write_bytes(folder / f"{stem}.png", render(fig, "png"))
    write_bytes(folder / f"{stem}.svg", svg)
    return svg


# --- training curves ----------------------------------------------------------------------------------


def curves_figure(history: list[dict[str, Any]]) -> Figure:
    """Loss and accuracy against epochs, side by side, with one legend under both."""
    folds = sorted({int(h.get("fold") or 0) for h in history}) or [0]
    fig = new_figure(10.4, 4.2)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for ax, key, title, scale in ((loss_ax, "loss", _("Loss"), 1.0), (acc_ax, "acc", _("Accuracy"), 100.0)):
        for i, fold in enumerate(folds):
            _plot_fold(ax, [h for h in history if int(h.get("fold") or 0) == fold], key, scale, i, fold)
        ax.set_title(title, fontweight="bold")
        ax.set_xlabel(_("epoch"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, color="#e6e6e6")
        ax.spines[["top", "right"]].set_visible(False)
        for x, label in phase_markers(history):
            ax.axvline(x, color="#888", linestyle="--", linewidth=1.2)
            ax.annotate(label, (x, 1), xycoords=("data", "axes fraction"), xytext=(4, -10),
                        textcoords="offset points", fontsize=8, color="#555")  # fmt: skip
    loss_ax.set_ylabel(_("loss"))
    acc_ax.set_ylabel(_("accuracy (%)"))
    acc_ax.set_ylim(*_accuracy_range(history))
    loss_ax.set_ylim(bottom=0)
    handles = _legend_handles(folds) if folds != [0] else loss_ax.get_lines()[:2]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(8, len(handles)), frameon=False)
    return fig


def _plot_fold(ax, rows: list[dict[str, Any]], key: str, scale: float, index: int, fold: int) -> None:
    x = [float(h.get("epoch", n + 1)) for n, h in enumerate(rows)]
    marker = "o" if len(rows) <= 40 else None
    for part in ("val", "train"):
        y = [_float(h.get(f"{part}_{key}")) * scale for h in rows]
        if fold:  # the fold's colour; validation solid, train dashed, as the legend says
            colour, label = FOLD_COLOURS[index % len(FOLD_COLOURS)], None
            style = "-" if part == "val" else "--"
        else:
            colour, style = (VAL_COLOUR if part == "val" else TRAIN_COLOUR), "-"
            label = _("validation") if part == "val" else _("train")
        ax.plot(x, y, color=colour, linestyle=style, marker=marker, markersize=3.5, linewidth=2, label=label)


def _legend_handles(folds: list[int]) -> list[Line2D]:
    handles = [
        Line2D(
            [],
            [],
            color=FOLD_COLOURS[i % len(FOLD_COLOURS)],
            linewidth=2,
            label=_("fold {fold}").format(fold=f),
        )
        for i, f in enumerate(folds)
    ]
    handles.append(Line2D([], [], color="#555", linewidth=2, label=_("validation")))
    handles.append(Line2D([], [], color="#555", linewidth=2, linestyle="--", label=_("train")))
    return handles


def phase_markers(history: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """Where fine-tuning (phase 2) began: [(x between epochs, label)], or [] for one phase."""
    first = next((h for h in history if int(h.get("phase") or 1) >= 2), None)
    if first is None:
        return []
    return [
        (
            float(first.get("epoch", 1)) - 0.5,
            _("fine-tuning from epoch {epoch}").format(epoch=first.get("epoch")),
        )
    ]


def _accuracy_range(history: list[dict[str, Any]]) -> tuple[float, float]:
    values = [_float(h.get(k)) * 100 for h in history for k in ("train_acc", "val_acc")]
    low = min((v for v in values if math.isfinite(v)), default=0.0)
    return max(0.0, math.floor(low / 10) * 10 - (10 if low % 10 < 2 else 0)), 100.5


# --- confusion matrix ---------------------------------------------------------------------------------


def confusion_figure(cm: np.ndarray, classes: list[str], title: str | None = None) -> Figure:
    """Rows are true classes, columns predictions; the count in each cell (up to ``COUNTS_UP_TO``
    classes), the colour its share of the true class, so small classes show as clearly as large ones.
    """
    cm = np.asarray(cm, dtype=np.int64)
    k = len(classes)
    fractions = row_fractions(cm)
    side = min(12.0, max(4.2, 1.4 + 0.32 * k))
    fig = new_figure(side + 1.1, side)
    ax = fig.add_subplot()
    image = ax.imshow(fractions, cmap=CONFUSION_CMAP, vmin=0.0, vmax=1.0)
    if k <= COUNTS_UP_TO:
        size = 10 if k <= 12 else 8 if k <= 20 else 6
        for (i, j), count in np.ndenumerate(cm):
            ink = "white" if fractions[i, j] > 0.55 else ("#222" if count else "#bbb")
            ax.text(j, i, str(count), ha="center", va="center", color=ink, fontsize=size)
    _class_ticks(ax, [_short(c) for c in classes])
    ax.set_xlabel(_("predicted"))
    ax.set_ylabel(_("true"))
    ax.set_title(title or _("Confusion matrix"), fontweight="bold")
    bar = fig.colorbar(image, ax=ax, shrink=0.8, format=PercentFormatter(1.0))
    bar.set_label(_("share of the true class"))
    return fig


def _class_ticks(ax, names: list[str]) -> None:
    k = len(names)
    step = max(1, math.ceil(k / 60))  # at most ~60 labels per axis, still legible
    ticks = list(range(0, k, step))
    size = 9 if k <= 20 else 7
    # parse_math off: a class named "$x$" or "a_$b" is a name, not a formula
    ax.set_xticks(ticks, [names[t] for t in ticks], fontsize=size, parse_math=False)
    ax.set_yticks(ticks, [names[t] for t in ticks], fontsize=size, parse_math=False)
    if k > 10 or max((len(n) for n in names), default=0) > 3:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


# --- per-class scores ---------------------------------------------------------------------------------


def per_class_figure(per_class: list[dict[str, Any]]) -> Figure:
    """Horizontal bars of precision, recall and F1 per class (the lowest F1 first beyond 50 classes)."""
    rows = list(per_class)
    title = _("Precision, recall and F1 per class")
    if len(rows) > PER_CLASS_UP_TO:
        rows = sorted(rows, key=lambda r: r["f1"])[:PER_CLASS_UP_TO]
        title += _(" (the {n} lowest F1 of {total})").format(n=PER_CLASS_UP_TO, total=len(per_class))
    fig = new_figure(6.0, min(16.0, max(2.6, 1.3 + 0.3 * len(rows))))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    height = 0.26
    for n, key in enumerate(("precision", "recall", "f1")):
        values = [_float(r[key]) for r in rows]
        label = {"precision": _("precision"), "recall": _("recall")}.get(key, "F1")
        ax.barh(y + (n - 1) * height, values, height, color=BAR_COLOURS[key], label=label)
    names = [_short(r["class"]) for r in rows]
    finish_class_bars(ax, names, title)
    fig.legend(loc="outside lower center", ncol=3, frameon=False)
    return fig


def finish_class_bars(ax, names: list[str], title: str) -> None:
    """The look of a horizontal bar chart of per-class scores: class names down the side (first on
    top), 0–100 % across, a light grid; the run report's and the comparison report's."""
    ax.set_yticks(range(len(names)), names, fontsize=9 if len(names) <= 20 else 7, parse_math=False)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(True, axis="x", color="#e6e6e6")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontweight="bold")


def _short(name: Any) -> str:
    """Long class names keep their start and end ('class_…_042'): both tend to tell classes apart."""
    name = str(name)
    if len(name) <= LABEL_CHARS:
        return name
    head = (LABEL_CHARS - 1) // 2
    return name[:head] + "…" + name[-(LABEL_CHARS - 1 - head) :]


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


# --- first-layer filters by epoch ---------------------------------------------------------------------


FILTER_ROWS = 8  # epochs shown at most: the start, the last, and evenly spaced ones between
FILTER_COLS = 16  # filters shown per epoch


def filter_rows(epochs: int) -> list[int]:
    """Which of ``epochs`` entries the chart shows: all, or ``FILTER_ROWS`` evenly spaced with both ends."""
    if epochs <= FILTER_ROWS:
        return list(range(epochs))
    return sorted({round(i * (epochs - 1) / (FILTER_ROWS - 1)) for i in range(FILTER_ROWS)})


def filters_figure(history: FilterHistory) -> Figure:
    """The first layer's filters, one row per epoch shown (the start on top), each labelled with
    how far the weights have moved from the start."""
    rows = filter_rows(len(history))
    pictures = [grid(history.images(i)[:FILTER_COLS], cols=FILTER_COLS, gap=1) for i in rows]
    height = pictures[0].shape[1]
    sheet = grid(np.stack(pictures), cols=1, gap=max(2, height // 6))
    fig = new_figure(8.0, 0.7 + 6.2 * sheet.shape[1] / sheet.shape[2])  # the labels take the rest
    ax = fig.add_subplot()
    shown = sheet[0] if sheet.shape[0] == 1 else sheet.transpose(1, 2, 0)
    ax.imshow(shown, cmap="gray" if sheet.shape[0] == 1 else None, vmin=0, vmax=255, interpolation="nearest")
    step = height + max(2, height // 6)
    labels = []
    for i in rows:
        when = (
            _("start") if history.epochs[i] == 0 else _("epoch {epoch}").format(epoch=int(history.epochs[i]))
        )
        labels.append(_("{when} (moved {share})").format(when=when, share=f"{100 * history.moved(i):.1f} %"))
    ax.set_yticks([r * step + height / 2 for r in range(len(rows))], labels)
    ax.set_xticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    n = history.weights.shape[1]
    ax.set_title(
        _("{layer}: {shown} of its {n} filters; light adds, dark subtracts, grey is zero").format(
            layer=history.layer, shown=min(n, FILTER_COLS), n=n
        ),
        fontsize=10,
    )
    return fig
