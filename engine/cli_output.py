"""What the command line prints for people: the metrics of a test, the table of runs, warnings.

Numbers go through ``engine.formatting`` (the language's decimal sign and percent), so a table
reads as the window and the report do; scripts read ``key=value`` lines or ``runs --json``.
"""

from __future__ import annotations

import sys
from typing import Any

from engine.formatting import accuracy_interval, dataset_name, percent, short
from engine.i18n import N_, _, gettext
from engine.models import recipes
from engine.models import registry as architectures
from engine.runs_library import RunSummary


def print_metrics(metrics: dict[str, Any]) -> None:
    """Per-class table, averages, confusion matrix and the most confused pairs, as plain text."""
    print(_("test images: {n}").format(n=metrics["n"]))
    name_w = max(8, *(len(c) for c in metrics["classes"]))
    print(f"{'class':<{name_w}}  precision  recall      f1  support")
    rows = [(row["class"], row) for row in metrics["per_class"]]
    rows += [(f"{avg} avg", row) for avg, row in metrics["averages"].items()]
    for label, row in rows:
        print(
            f"{label:<{name_w}}  {row['precision']:9.4f} {row['recall']:7.4f} {row['f1']:7.4f} "
            f"{row['support']:8d}"
        )
    print(_("confusion matrix (rows: true, columns: predicted):"))
    cm = metrics["confusion"]
    width = max(4, len(str(max((v for row in cm for v in row), default=0))) + 1)
    print(" " * name_w + "".join(f"{c[: width - 1]:>{width}}" for c in metrics["classes"]))
    for c, row in zip(metrics["classes"], cm, strict=True):
        print(f"{c:<{name_w}}" + "".join(f"{v:>{width}}" for v in row))
    for pair in metrics["most_confused"]:
        print(_("confused: {true} -> {predicted}: {count}").format(**pair))


def print_test_accuracy(metrics: dict[str, Any]) -> None:
    """The lines scripts read: ``test_accuracy=0.7297``, then its 95 % Wilson interval
    ``test_accuracy_ci=0.5702-0.8460`` (on 37 images: the figure alone would look exact)."""
    print(f"test_accuracy={metrics['accuracy']:.4f}")
    interval = accuracy_interval(metrics["accuracy"], metrics.get("n"))
    if interval is not None:
        print(f"test_accuracy_ci={interval[0]:.4f}-{interval[1]:.4f}")


RUNS_HEADER = (
    N_("name"),
    N_("model"),
    N_("dataset"),
    N_("epochs"),
    N_("val acc"),
    N_("test acc"),
    N_("path"),
)
RIGHT_ALIGNED = (3, 4, 5)  # numbers: epochs and accuracies


def run_cells(summary: RunSummary) -> list[str]:
    """The row of one run in ``taller runs``' table."""
    path = str(summary.checkpoint) if summary.checkpoint else _("no epoch finished")
    return [
        summary.name,
        summary.model or "?",
        dataset_name(summary.dataset),
        str(summary.epochs),
        percent(summary.val_acc),
        percent(summary.test_acc),
        path,
    ]


def print_runs(summaries: list[RunSummary]) -> None:
    """The runs as a table: a header, then one aligned row per run."""
    print_table(RUNS_HEADER, [run_cells(s) for s in summaries])


def print_table(header: tuple[str, ...], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell, numbers right-aligned, the last column left ragged."""
    lines = [[gettext(h) for h in header], *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = [
            cell.rjust(w) if i in RIGHT_ALIGNED else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells[:-1] + [line[-1]]))


RECIPES_HEADER = (
    N_("model"),
    N_("start"),
    N_("optimizer"),
    N_("learning rate"),
    N_("epochs"),
    N_("batch"),
    N_("schedule"),
    N_("augmentation"),
    N_("image size"),
)


def recipe_cells(arch: str, start: str) -> list[str]:
    """The row of one recipe in ``taller recipes``' table (and the README's)."""
    r = recipes.recipe(arch, start)
    optimizer = r["optimizer"]
    if optimizer == "sgd":
        optimizer += " " + _("(momentum {momentum})").format(momentum=short(r["momentum"]))
    if r["weight_decay"]:
        optimizer += " " + _("+ weight decay {decay}").format(decay=short(r["weight_decay"]))
    return [
        architectures.label(arch),
        gettext(recipes.START_LABELS[start]),
        optimizer,
        short(r["lr"]),
        str(r["epochs"]),
        str(r["batch_size"]),
        r["schedule"],
        _("yes") if r["augment"] else _("no"),
        _("their own, up to 64 px") if start == recipes.SCRATCH else _("the weights' own: 224 px"),
    ]


def print_recipes() -> None:
    """Every architecture's recipe for each start it has: what a run uses where no option is given."""
    print_table(RECIPES_HEADER, [recipe_cells(arch, start) for arch, start in recipes.RECIPES])
    print(_("image size: of a folder of pictures (built-in datasets keep their own)"))


def warn(note: str) -> None:
    """Say on stderr what the user should know, such as which checkpoint stood in for a damaged one."""
    if note:
        print(_("warning: {warning}").format(warning=note), file=sys.stderr)
