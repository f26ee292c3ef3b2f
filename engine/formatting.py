"""The one copy of every formatter a user reads: percentages, numbers, durations, a model in one line.

The CLI, the HTML report and every panel of the window format through these functions, so the same
value reads the same everywhere, in the language ``engine.i18n.language()`` says (the window sets it
to its own): Spanish writes a decimal comma, a non-breaking space before the percent sign (RAE) and
a point between thousands. A missing or non-finite value prints as an en dash ("–"), a duration
as "?", never as "nan".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from html import escape
from typing import Any

from engine.i18n import _, language, ngettext
from engine.names import display_name

MISSING = "–"


def finite(value: Any) -> bool:
    """True for a real, finite number, numpy's included (bools and strings are not numbers here)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _spanish() -> bool:
    return language() == "es"


def _decimal(text: str) -> str:
    """A number written with a point, in the language's decimal sign."""
    return text.replace(".", ",") if _spanish() else text


def percent(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``percent(0.9734)`` -> '97.3%', ``percent(0.9734, 2)`` -> '97.34%'.

    In Spanish as Spanish writes it and the window shows it: '97,3\u00a0%'.
    """
    if not finite(value):
        return MISSING
    text = _decimal(f"{100 * value:.{digits}f}")
    return f"{text}\u00a0%" if _spanish() else f"{text}%"


# Below this many test images an accuracy is shown with its 95 % interval: 37 images give
# 73 % (57–85 %), a swing of a dozen points between two runs is luck, not progress.
SMALL_TEST = 1000
Z_95 = 1.959963984540054  # the normal quantile of 97.5 %: a two-sided 95 % interval


def wilson_interval(correct: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of ``correct`` successes in ``n`` trials (95 % by default).

    Unlike the normal approximation (p ± z·√(p(1−p)/n)) it stays inside [0, 1] and keeps its
    coverage for small ``n`` and for accuracies near 0 or 1 (Wilson 1927; Brown, Cai and DasGupta
    2001). ``scipy.stats.binomtest(correct, n).proportion_ci(method="wilson")`` gives the same.
    """
    if n <= 0:
        return (math.nan, math.nan)
    p, z2 = correct / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def accuracy_interval(accuracy: Any, n: Any) -> tuple[float, float] | None:
    """The 95 % Wilson interval of an accuracy measured on ``n`` images, or None without both."""
    if not finite(accuracy) or not finite(n) or n < 1:
        return None
    return wilson_interval(round(accuracy * n), int(n))


def accuracy_text(accuracy: Any, n: Any, images: bool = True) -> str:
    """A test accuracy as a user should read it: on fewer than ``SMALL_TEST`` images with its 95 %
    interval and no decimals that the interval makes meaningless.

    ``accuracy_text(27 / 37, 37)`` -> '73% (57–85%, 37 images)'; ``images=False`` leaves the count
    out ('73% (57–85%)', where it is said beside); 1,000 images or more, or no count: '97.3%'.
    """
    interval = accuracy_interval(accuracy, n) if finite(n) and n < SMALL_TEST else None
    if interval is None:
        return percent(accuracy)
    low, high = interval
    span = f"{_decimal(f'{100 * low:.0f}')}–{percent(high, 0)}"
    if images:
        span = ngettext("{interval}, {n} image", "{interval}, {n} images", int(n)).format(
            interval=span, n=integer(n)
        )
    return f"{percent(accuracy, 0)} ({span})"


def interval_note(n: Any) -> str:
    """What the interval beside a test accuracy means, for a tooltip or the report ('' at 1,000+ images)."""
    if not finite(n) or n >= SMALL_TEST:
        return ""
    return _(
        "With {n} test images the accuracy is uncertain. In brackets, its 95% interval (Wilson): "
        "intervals made this way hold the model's true accuracy on images of this kind 95 times out of "
        "100. Two runs whose accuracies differ by less than its width may differ by luck; more test "
        "images narrow it."
    ).format(n=integer(n))


def number(value: Any, digits: int = 4) -> str:
    """A loss or score with a fixed number of decimals: ``number(0.12345)`` -> '0.1235' ('0,1235')."""
    return _decimal(f"{value:.{digits}f}") if finite(value) else MISSING


def short(value: Any, digits: int = 2) -> str:
    """A rate in ``digits`` significant digits: ``short(0.003)`` -> '0.003', ``short(1e-5)`` -> '1e-05'."""
    return _decimal(f"{value:.{digits}g}") if finite(value) else MISSING


def integer(value: Any) -> str:
    """A count with its thousands grouped: '1,234,567', in Spanish '1.234.567' (and '1234', as Spanish
    leaves four digits ungrouped)."""
    n = int(value)
    if not _spanish():
        return f"{n:,}"
    return f"{n:,}".replace(",", ".") if abs(n) >= 10_000 else str(n)


def duration(seconds: Any, clock: bool = False) -> str:
    """A time taken or left.

    Parameters
    ----------
    seconds : float
        The time; None or non-finite gives '?'.
    clock : bool
        False: words, '4.2 s' (one decimal under 10 s), '42 s', '3 min 20 s', '1 h 05 min'.
        True: a compact clock for progress bars, 'm:ss' ('3:20', '75:00').
    """
    if not finite(seconds):
        return "?"
    seconds = max(0.0, float(seconds))
    if clock:
        s = int(round(seconds))
        return f"{s // 60}:{s % 60:02d}"
    if seconds < 9.95:
        return _decimal(f"{seconds:.1f} s")
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def dataset_name(name: Any) -> str:
    """A dataset key as a user reads it, in the user's language: 'folder:/data/pets' -> 'folder
    /data/pets' ('carpeta /data/pets' in Spanish)."""
    text = display_name(str(name or "?"))
    if text.startswith("folder:"):
        return _("folder {path}").format(path=text[len("folder:") :])
    return text


def model_line(
    meta: Mapping[str, Any],
    name: str | None = None,
    *,
    results: bool = True,
    classes_shown: int = 0,
    preparation: bool = False,
    html: bool = False,
) -> str:
    """A model described in one line from its checkpoint metadata.

    Parameters
    ----------
    meta : mapping
        A checkpoint's or run's metadata (arch, dataset, classes, spec, history, test, preparation).
    name : str, optional
        Where the model comes from (a file name); shown first when given.
    results : bool
        Add the epochs run, the last validation accuracy and the test accuracy.
    classes_shown : int
        Name up to this many classes after their count.
    preparation : bool
        Say how inputs are prepared (digit framing or image resize).
    html : bool
        Qt rich text: every part escaped and the first one in bold.

    Returns
    -------
    str
        e.g. 'mlp · trained on digits · 10 classes · input 1×28×28 · 2 epochs, validation accuracy
        95.0% · test accuracy 94.1%'.
    """
    classes = [str(c) for c in meta.get("classes") or []]
    parts = [name] if name else []
    parts.append(str(meta.get("arch", "?")))
    if meta.get("dataset"):
        parts.append(_("trained on {dataset}").format(dataset=dataset_name(meta["dataset"])))
    listed = f" ({_first(classes, classes_shown)})" if classes_shown else ""
    parts.append(ngettext("{n} class", "{n} classes", len(classes)).format(n=len(classes)) + listed)
    spec = meta.get("spec") or {}
    if spec:
        shape = f"{spec.get('channels')}×{spec.get('height')}×{spec.get('width')}"
        parts.append(_("input {shape}").format(shape=shape))
    if preparation:
        parts.append(_("digit framing") if meta.get("preparation") == "digit" else _("image resize"))
    if results:
        parts += _results(meta)
    if html:
        parts = [f"<b>{escape(parts[0])}</b>"] + [escape(p) for p in parts[1:]]
    return " · ".join(parts)


def _first(names: list[str], k: int) -> str:
    more = f" … (+{len(names) - k})" if len(names) > k else ""
    return ", ".join(names[:k]) + more


def _results(meta: Mapping[str, Any]) -> list[str]:
    out = []
    history = meta.get("history") or []
    if history:
        out.append(
            ngettext(
                "{n} epoch, validation accuracy {accuracy}",
                "{n} epochs, validation accuracy {accuracy}",
                len(history),
            ).format(n=len(history), accuracy=percent(history[-1].get("val_acc")))
        )
    test = meta.get("test")
    if isinstance(test, Mapping) and test.get("accuracy") is not None:
        accuracy = accuracy_text(test["accuracy"], test.get("n"))
        out.append(_("test accuracy {accuracy}").format(accuracy=accuracy))
    return out
