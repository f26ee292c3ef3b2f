"""The work the Compare tab hands to its worker thread: a plan run, a stopped one resumed, one read back.

Each is the engine's own (``engine.compare``), as ``taller compare`` runs it: the same comparison
folder, run folders and table. They run in the worker because a run trains for minutes and reading a
folder back (its runs' predictions, the verdicts' statistics) takes seconds.
"""

from __future__ import annotations

from pathlib import Path

from engine.compare.estimate import estimate_seconds
from engine.compare.plan import Plan
from engine.compare.queue import resume_plan, run_plan
from engine.compare.report import write_comparison_report
from engine.compare.table import load_comparison
from engine.models.weights import require_weights


def plan_job(plan: Plan):
    """A task function: run every run of ``plan`` in a new ``runs/compare-<name>-N/`` folder."""

    def job(on_event, stop):
        return run_plan(plan, on_event=on_event, stop=stop)

    return job


def resume_job(folder: str | Path):
    """A task function: continue the stopped comparison in ``folder`` (finished runs are kept)."""

    def job(on_event, stop):
        return resume_plan(folder, on_event=on_event, stop=stop)

    return job


def load_job(folder: str | Path):
    """A task function: the comparison in ``folder`` read back (``Comparison``) and its plan's notes on
    how it is fair, for a comparison reopened from disk."""

    def job(on_event, stop):
        comparison = load_comparison(folder)
        return comparison, comparison.plan.notes()

    return job


def report_job(comparison):
    """A task function: the comparison's report written into its folder; returns the page's path."""

    def job(on_event, stop):
        return write_comparison_report(comparison)

    return job


def estimate_job(plan: Plan, data=None):
    """A task function: (runs, seconds, notes) of ``plan``, or the error that says why it cannot run
    (a value refused, ImageNet weights a variant needs and this machine lacks), as the queue would
    say it only when it starts.

    ``data`` is the Data panel's loaded data: the estimate counts its pictures when the plan reads it.
    """

    def job(on_event, stop):
        plan.check()
        requests = plan.requests()
        for arch in sorted({r.model_cfg.arch for _name, _repeat, r in requests if r.model_cfg.pretrained}):
            require_weights(arch)
        return len(requests), estimate_seconds(plan, data), plan.notes()

    return job
