"""The run report: one HTML page from a Jinja2 template (autoescaped), beside its charts and metrics files.

The page needs no network: its style sheet is inline and every picture (charts as SVG, the top-loss
thumbnails as PNG) is a ``data:`` URI, so report.html alone still shows everything when sent on.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from PIL import Image

from engine.data.stream import LazyImages
from engine.errors import ReportError, os_message
from engine.evaluation import top_losses
from engine.filter_history import FilterHistory, read_history
from engine.i18n import _, gettext, ngettext
from engine.report import charts
from engine.report.exports import METRICS_FILES, write_metrics, write_text
from engine.report.sections import page_context

THUMBNAILS = 24
CHARTS = ("curves", "confusion", "per_class")
CHART_FILES = tuple(f"{stem}.{ext}" for stem in CHARTS for ext in ("png", "svg"))
REPORT_FILES = ("report.html", *METRICS_FILES, *CHART_FILES)
FILTER_FILES = ("filters.png", "filters.svg")  # besides, for a run whose folder kept its filters

_ENV = Environment(
    loader=PackageLoader("engine.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# The page's words go through the engine's catalogue: {{ _("Dataset") }} in the template.
_ENV.globals.update(_=gettext, ngettext=ngettext)


def write_report(
    folder: str | Path,
    meta: dict[str, Any],
    metrics: dict[str, Any] | None,
    probabilities: Any = None,
    labels: Any = None,
    images: Any = None,
    evaluated_on: str | None = None,
) -> Path:
    """Write report.html, its charts and the metrics files into ``folder``; return the page's path.

    Parameters
    ----------
    folder : str or Path
        Created if needed. Files: ``REPORT_FILES`` (and ``FILTER_FILES`` when the run folder that
        ``meta["run_dir"]`` names holds its first-layer filters by epoch; without the confusion and
        per-class charts when
        ``metrics`` is None), each written atomically.
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
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_metrics(folder, meta, metrics, probs, y_true)
        figures = _save_charts(folder, meta, metrics)
        classes = (metrics or {}).get("classes") or meta.get("classes") or []
        thumbs = thumbnails(probs, y_true, pics, classes)
        return write_text(folder / "report.html", render_html(meta, metrics, figures, thumbs, evaluated_on))
    except OSError as e:
        # os_message says why (full disk, permissions, a file in the way) and what to do.
        raise ReportError(
            _("cannot write the report to {folder}: {e}").format(folder=folder, e=os_message(e))
        ) from e


def _save_charts(folder: Path, meta: dict[str, Any], metrics: dict[str, Any] | None) -> dict[str, str]:
    """Draw and save every chart; return their SVG ``data:`` URIs by file stem."""
    figures = {"curves": charts.curves_figure(list(meta.get("history") or []))}
    if metrics is not None:
        figures["confusion"] = charts.confusion_figure(np.asarray(metrics["confusion"]), metrics["classes"])
        figures["per_class"] = charts.per_class_figure(metrics["per_class"])
    history = filter_history(meta)
    if history is not None:
        figures["filters"] = charts.filters_figure(history)
    return {stem: data_uri(charts.save(fig, folder, stem), "image/svg+xml") for stem, fig in figures.items()}


def filter_history(meta: dict[str, Any]) -> FilterHistory | None:
    """The first-layer filters by epoch of the run ``meta`` comes from, when its folder has them."""
    folder = meta.get("run_dir")
    try:
        history = read_history(folder) if folder else None
    except ValueError:
        return None  # a damaged file leaves that chart out; the rest of the report stands
    return history if history is not None and len(history) else None


def render_html(
    meta: dict[str, Any],
    metrics: dict[str, Any] | None,
    figures: dict[str, str],
    thumbs: list[tuple[str, str]],
    evaluated_on: str | None = None,
) -> str:
    """The whole page as one string; ``figures`` maps chart names to image URIs."""
    context = page_context(meta, metrics, figures, thumbs, evaluated_on)
    return _ENV.get_template("report.html.j2").render(context)


def thumbnails(
    probs: np.ndarray | None,
    y_true: np.ndarray | None,
    images: np.ndarray | None,
    classes: list[str],
    k: int = THUMBNAILS,
) -> list[tuple[str, str]]:
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
    pic = Image.fromarray(arr[0], "L") if len(arr) == 1 else Image.fromarray(arr.transpose(1, 2, 0), "RGB")
    factor = max(1, side // max(pic.size))
    pic = pic.resize((pic.width * factor, pic.height * factor), Image.NEAREST)
    buf = io.BytesIO()
    pic.save(buf, format="PNG")
    return data_uri(buf.getvalue(), "image/png")


def data_uri(data: bytes, mime: str) -> str:
    """Bytes as a base64 ``data:`` URI, so the page carries its pictures itself."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _arrays(probabilities, labels, images) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    probs = None if probabilities is None else np.asarray(_numpy(probabilities), dtype=np.float64)
    y_true = None if labels is None else np.asarray(_numpy(labels)).astype(np.int64).reshape(-1)
    # A streamed test split stays on disk: only the pictures the page shows are read.
    pics = (
        None if images is None else images if isinstance(images, LazyImages) else np.asarray(_numpy(images))
    )
    sizes = {
        name: len(a)
        for name, a in (("probabilities", probs), ("labels", y_true), ("images", pics))
        if a is not None
    }
    if len(set(sizes.values())) > 1:
        raise ReportError(
            _("the test arrays do not belong together: {sizes}").format(
                sizes=", ".join(f"{n} {s}" for n, s in sizes.items())
            )
        )
    return probs, y_true, pics


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _name(classes: list[str], index: int) -> str:
    return str(classes[index]) if 0 <= index < len(classes) else str(index)
