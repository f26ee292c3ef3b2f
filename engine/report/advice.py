"""A run's warnings in words, in the reader's language: the run's log and its report say the same.

A warning that the report carries is kept as a record of numbers (``engine.train.guard`` makes the
"not learning" one; the run's metadata and ``metrics.json`` keep them under ``"warnings"``), so a
report written later, in the other language, still says it whole. Scripts can read the record's
``"message"``, the words the run printed.
"""

from __future__ import annotations

from typing import Any

from engine.formatting import integer, number, percent, short
from engine.i18n import N_, _, gettext

NOT_LEARNING = "not_learning"

_WHAT = {
    "flat": N_(
        "the model is learning little or nothing: after {batches} batches of the first epoch the "
        "training loss is {loss}, no lower than at the start ({start}) nor than chance ({chance}, the "
        "loss of a model that ignores the pictures)"
    ),
    "chance": N_(
        "the model is learning little or nothing: after {batches} batches of the first epoch the "
        "training loss is {loss}, no lower than chance ({chance}, the loss of a model that ignores the "
        "pictures), and the accuracy is {accuracy}, as good as always guessing the commonest class "
        "({chance_accuracy})"
    ),
}
_CAUSE = {
    "high": N_(
        "The loss jumped to {peak} on the way: the learning rate ({lr}) is likely too high; try one 10 "
        "times lower"
    ),
    "low": N_(
        "The learning rate ({lr}) is likely too small for the weights to move; try a much higher one (Adam "
        "usually starts at 0.001, SGD at 0.01 to 0.1)"
    ),
    "unclear": N_("The learning rate ({lr}) is likely too high; try one 10 times lower"),
}


def warning_text(record: dict[str, Any]) -> str:
    """The sentence of a kept warning, in the current language (its printed message if unknown)."""
    try:
        return _not_learning(record) if record.get("kind") == NOT_LEARNING else str(record.get("message", ""))
    except (KeyError, TypeError, ValueError):  # a record from a damaged or hand-edited file: its own words
        return str(record.get("message", ""))


def _not_learning(record: dict[str, Any]) -> str:
    values = {
        "batches": integer(record["batches"]),
        "loss": number(record["loss"], 3),
        "start": number(record["start"], 3),
        "chance": number(record["chance"], 3),
        "accuracy": percent(record["accuracy"]),
        "chance_accuracy": percent(record["chance_accuracy"]),
        "peak": short(record["peak"], 3),
        "lr": short(record["lr"], 3),
    }
    what = gettext(_WHAT["flat" if record["flat"] else "chance"]).format(**values)
    cause = gettext(_CAUSE[record["cause"]]).format(**values)
    return _(
        "{what}. {cause}, or let the learning-rate finder pick one (Find learning rate on the Train "
        "tab, or taller lr-find with this run's options)."
    ).format(what=what, cause=cause)
