"""The comparison report: one offline HTML page (Jinja2, like the run report) and the table as CSV.

``write_comparison_report`` writes into ``<comparison>/report/`` (or a folder given): ``report.html``
(the plan, the notes on fairness, the table, every seed's values with repeats, the verdicts, the
overlaid curves and per-class F1 side by side, pictures inline as SVG), ``table.csv`` (one row per
variant, plain numbers: fractions, seconds), ``runs.csv`` (one row per run) and the two charts as PNG
and SVG.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from engine.compare.presets import PRESETS
from engine.compare.table import METRICS_KEYS, TABLE_HEADER, Comparison, row_cells
from engine.errors import ReportError, os_message
from engine.formatting import dataset_name, duration, number, percent
from engine.i18n import _, gettext, language, ngettext
from engine.report import charts
from engine.report.exports import write_text
from engine.report.html import data_uri
from engine.report.style import FOLD_COLOURS
from engine.settings import BY_NAME, CONFIGS

REPORT_FOLDER = "report"
CSV_COLUMNS = METRICS_KEYS  # the table's numbers, in its order

_ENV = Environment(
    loader=PackageLoader("engine.compare", "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(_=gettext, ngettext=ngettext)


def write_comparison_report(comparison: Comparison, folder: str | Path | None = None) -> Path:
    """Write the page, the CSV files and the charts (see the module); return the page's path.

    Raises
    ------
    ReportError
        The folder cannot be written; the message says why and what to do.
    """
    folder = Path(folder) if folder else comparison.folder / REPORT_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / "table.csv", _csv(table_rows(comparison)))
        write_text(folder / "runs.csv", _csv(run_rows(comparison)))
        figures = {
            "curves": data_uri(charts.save(curves_figure(comparison), folder, "curves"), "image/svg+xml"),
        }
        per_class = per_class_figure(comparison)
        if per_class is not None:
            figures["per_class"] = data_uri(charts.save(per_class, folder, "per_class_f1"), "image/svg+xml")
        page = _ENV.get_template("compare.html.j2").render(page_context(comparison, figures))
        return write_text(folder / "report.html", page)
    except OSError as e:
        raise ReportError(
            _("cannot write the report to {folder}: {e}").format(folder=folder, e=os_message(e))
        ) from e


def page_context(comparison: Comparison, figures: dict[str, str]) -> dict[str, Any]:
    """What the template shows, every value already words."""
    plan = comparison.plan
    seeds = comparison.plan.repeats > 1
    return {
        "lang": language(),
        "title": plan.name,
        "preset": gettext(PRESETS[plan.preset]) if plan.preset in PRESETS else None,
        "folder": str(comparison.folder),
        "status": _status_line(comparison),
        "winner": comparison.winner,
        "header": [gettext(h) for h in TABLE_HEADER],
        "rows": [row_cells(r) for r in comparison.rows],
        "seed_rows": _seed_rows(comparison) if seeds else [],
        "verdicts": [v["sentence"] for v in comparison.verdicts],
        "notes": plan.notes(),
        "base": _base_rows(plan.base),
        "variants": [(v.name, _changes(v.changes)) for v in plan.variants],
        "figures": figures,
    }


def _status_line(comparison: Comparison) -> str:
    done = sum(r["status"] == "finished" for r in comparison.runs)
    total = len(comparison.runs)
    if done == total:
        return ngettext("{n} run, all finished", "{n} runs, all finished", total).format(n=total)
    return _(
        "{done} of {total} runs finished: the table shows those; taller compare --resume {folder} "
        "runs the rest"
    ).format(done=done, total=total, folder=comparison.folder)


def _seed_rows(comparison: Comparison) -> list[list[str]]:
    rows = []
    for run in comparison.runs:
        record = run.get("record") or {}
        rows.append(
            [
                run["variant"],
                str(run["seed"]),
                percent(record.get("test_acc")),
                percent(record.get("best_val_acc")),
                number(record.get("macro_f1"), 3),
                duration(run.get("seconds")),
            ]
        )
    return rows


def _base_rows(base: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    rows = []
    for config in CONFIGS:
        for key, value in (base.get(config) or {}).items():
            setting = BY_NAME.get(key)
            if setting is None or value == setting.default or (value == [] and setting.default == ()):
                continue
            shown = dataset_name(value) if key == "dataset" else value
            rows.append((gettext(setting.label), str(shown)))
    return rows


def _changes(changes: dict[str, Any]) -> str:
    starts = {"scratch": _("random weights"), "frozen": _("ImageNet weights, frozen but the head"),
              "finetune": _("ImageNet weights, fine-tuned")}  # fmt: skip
    words = []
    for key, value in changes.items():
        if key == "start":
            words.append(starts.get(value, str(value)))
        else:
            setting = BY_NAME.get(key)
            words.append(f"{gettext(setting.label) if setting else key} = {value}")
    return "; ".join(words) or _("the base run")


# --- CSV ----------------------------------------------------------------------------------------------


def table_rows(comparison: Comparison) -> list[list[Any]]:
    """table.csv: one row per variant, plain numbers (means with repeats, and their std)."""
    header = ["variant", "winner", "runs_finished", "test_n", "test_ci_low", "test_ci_high"]
    header += [*CSV_COLUMNS, *(f"{c}_std" for c in CSV_COLUMNS)]
    rows: list[list[Any]] = [header]
    for r in comparison.rows:
        ci = r.get("test_ci") or (None, None)
        cells = [r["variant"], int(bool(r.get("winner"))), r["finished"], r["test_n"], *ci]
        cells += [r[c] for c in CSV_COLUMNS] + [r["std"].get(c) for c in CSV_COLUMNS]
        rows.append(cells)
    return rows


def run_rows(comparison: Comparison) -> list[list[Any]]:
    """runs.csv: one row per run with its folder, seed, status and numbers."""
    rows: list[list[Any]] = [["variant", "seed", "run_dir", "status", "wall_seconds", *CSV_COLUMNS]]
    for run in comparison.runs:
        record = run.get("record") or {}
        cells = [run["variant"], run["seed"], run["dir"], run["status"], run.get("seconds")]
        rows.append(cells + [record.get(c) for c in CSV_COLUMNS])
    return rows


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["" if c is None else c for c in row] for row in rows])
    return buf.getvalue()


# --- charts -------------------------------------------------------------------------------------------


def curves_figure(comparison: Comparison) -> Figure:
    """Validation accuracy and training loss of every variant, one colour each (each seed one line)."""
    fig = charts.new_figure(10.4, 4.2)
    acc_ax, loss_ax = fig.subplots(1, 2)
    colours = {v.name: FOLD_COLOURS[i % len(FOLD_COLOURS)] for i, v in enumerate(comparison.plan.variants)}
    for run in comparison.runs:
        history = (run.get("record") or {}).get("history") or []
        if not history:
            continue
        x = list(range(1, len(history) + 1))
        style = {"color": colours[run["variant"]], "linewidth": 2, "marker": "o" if len(x) <= 40 else None}
        acc_ax.plot(x, [100 * _float(h.get("val_acc")) for h in history], markersize=3.5, **style)
        loss_ax.plot(x, [_float(h.get("train_loss")) for h in history], markersize=3.5, **style)
    for ax, title, label in (
        (acc_ax, _("Validation accuracy"), _("accuracy (%)")),
        (loss_ax, _("Training loss"), _("loss")),
    ):
        ax.set_title(title, fontweight="bold")
        ax.set_xlabel(_("epoch"))
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, color="#e6e6e6")
        ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color=c, linewidth=2, label=name) for name, c in colours.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(6, len(handles)), frameon=False)
    return fig


def per_class_figure(comparison: Comparison) -> Figure | None:
    """F1 per class, the variants' bars side by side (mean over seeds); None without any test."""
    scores: dict[str, dict[str, list[float]]] = {}
    for run in comparison.runs:
        for cls, f1 in ((run.get("record") or {}).get("per_class_f1") or {}).items():
            scores.setdefault(cls, {}).setdefault(run["variant"], []).append(f1)
    if not scores:
        return None
    classes = list(scores)[: charts.PER_CLASS_UP_TO]
    variants = [v.name for v in comparison.plan.variants]
    fig = charts.new_figure(7.0, min(16.0, max(2.8, 1.3 + 0.12 * len(classes) * len(variants))))
    ax = fig.add_subplot()
    y = np.arange(len(classes))
    height = 0.8 / len(variants)
    for i, name in enumerate(variants):
        values = [float(np.mean(scores[c].get(name) or [np.nan])) for c in classes]
        offset = (i - (len(variants) - 1) / 2) * height
        ax.barh(y + offset, values, height, color=FOLD_COLOURS[i % len(FOLD_COLOURS)], label=name)
    charts.finish_class_bars(ax, classes, _("F1 per class"))
    fig.legend(loc="outside lower center", ncol=min(6, len(variants)), frameon=False)
    return fig


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
