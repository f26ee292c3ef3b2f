"""The Evaluate tab's work off the GUI thread (the engine's one evaluation path, the report) and the
names it offers (the report's folder, a dataset on a button); ``EvaluationPanel`` dispatches them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.evaluation import evaluate_model
from engine.names import display_name
from engine.report.html import write_report


def report_folder_name(meta: dict[str, Any]) -> str:
    """The folder a report is offered in: ``<run folder>-report`` (``digits-cnn-1-report``)."""
    run_dir = meta.get("run_dir")
    stem = Path(str(run_dir)).name if run_dir else f"{meta.get('arch', 'model')}"
    return f"{stem}-report"


def short_dataset_name(name: Any, full: str) -> str:
    """A dataset as a button names it: an image folder by its folder's name, not its whole path."""
    text = str(name or "")
    if text.startswith("folder:"):
        return display_name(Path(text[len("folder:") :]).name) or full
    return full if len(full) <= 32 else "…" + full[-31:]


def evaluation_job(model, meta: dict[str, Any], data):
    """The worker's function: the engine's one evaluation path (the same as ``main.py evaluate``)."""

    def job(on_event, stop):
        return evaluate_model(model, meta, data, on_event=on_event, stop=stop)

    return job


def report_job(folder: Path, res: dict[str, Any]):
    def job(on_event, stop):
        tested_on = res.get("tested_on")
        path = write_report(
            folder,
            res["meta"],
            res["metrics"],
            res["probabilities"],
            res["labels"],
            res["images"],
            evaluated_on=tested_on if tested_on and tested_on != res["meta"].get("dataset") else None,
        )
        return str(path)

    return job
