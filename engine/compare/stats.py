"""Whether a difference between two variants is real: McNemar's exact test, or a paired test over seeds.

Two variants tested on the same test images disagree on some of them: ``only_a`` images only A gets
right, ``only_b`` only B. If the two were equally good, each of those ``only_a + only_b`` images would
be A's with probability 1/2, so McNemar's exact test is the two-sided binomial test of ``only_a`` in
``only_a + only_b`` trials at 1/2 (``scipy.stats.binomtest``; scipy comes with scikit-learn). Runs
repeated over several seeds are compared by their test accuracies, seed by seed, with the paired
t-test (``scipy.stats.ttest_rel``): the Wilcoxon signed-rank test cannot reach p < 0.05 with fewer
than six seeds. p < ``ALPHA`` counts as a real difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.formatting import integer, number, percent
from engine.i18n import _, ngettext

ALPHA = 0.05
MCNEMAR, PAIRED_T = "mcnemar", "paired-t"


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[int, int, float]:
    """(images only A got right, images only B got right, McNemar's exact two-sided p)."""
    # deferred: scipy.stats takes half a second to import, and only verdicts need it
    from scipy.stats import binomtest

    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    if only_a + only_b == 0:
        return 0, 0, 1.0
    return only_a, only_b, float(binomtest(only_a, only_a + only_b, 0.5).pvalue)


def paired_over_seeds(a: Sequence[float], b: Sequence[float]) -> float:
    """The paired t-test's two-sided p for accuracies of the same seeds; 1 when every pair is equal."""
    # deferred: as in mcnemar
    from scipy.stats import ttest_rel

    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(diffs) < 2 or np.allclose(diffs, 0):
        return 1.0
    p = float(ttest_rel(a, b).pvalue)
    return 0.0 if math.isnan(p) else p  # the same non-zero difference every time: no spread at all


def verdict(
    names: tuple[str, str], accuracies: tuple[float, float], p: float, test: str, n: int, **more: Any
) -> dict[str, Any]:
    """A verdict on two variants, the better first (``a``): the plain data ``sentence`` words."""
    (a, b), (acc_a, acc_b) = names, accuracies
    if acc_b > acc_a:
        a, b, acc_a, acc_b = b, a, acc_b, acc_a
        if "only_a" in more:
            more["only_a"], more["only_b"] = more["only_b"], more["only_a"]
    return {
        "a": a,
        "b": b,
        "a_acc": acc_a,
        "b_acc": acc_b,
        "points": 100 * (acc_a - acc_b),
        "p": p,
        "test": test,
        "n": n,
        "real": p < ALPHA and acc_a != acc_b,
        **more,
    }


def p_text(p: float) -> str:
    """``p = 0.004``, ``p = 0.41``, ``p < 0.001``, in the language's decimal sign."""
    if p < 0.001:
        return f"p < {number(0.001, 3)}"
    return f"p = {number(p, 3 if p < 0.01 else 2)}"


def sentence(v: dict[str, Any]) -> str:
    """The verdict as the user reads it, in the user's language."""
    if v["test"] == MCNEMAR:
        basis = ngettext("McNemar, {n} test image", "McNemar, {n} test images", v["n"])
    else:
        basis = ngettext("paired t-test over {n} seed", "paired t-test over {n} seeds", v["n"])
    basis = basis.format(n=integer(v["n"]))
    if v["a_acc"] == v["b_acc"]:
        return _(
            "no real difference between {a} and {b}: the same test accuracy, {accuracy} ({basis})"
        ).format(a=v["a"], b=v["b"], accuracy=percent(v["a_acc"]), basis=basis)
    values = {"a": v["a"], "b": v["b"], "points": number(v["points"], 1), "p": p_text(v["p"]), "basis": basis}
    if v["real"]:
        return _(
            "{a} beats {b} by {points} points; a difference this large would arise by chance with {p} "
            "({basis})"
        ).format(**values)
    return _(
        "no real difference between {a} and {b}: {a} is {points} points ahead, and a difference this large "
        "would arise by chance with {p} ({basis})"
    ).format(**values)
