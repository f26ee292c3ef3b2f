"""The queue: a plan's runs one after another through the one engine runner, in one comparison folder.

``run_plan`` makes ``runs/compare-<name>-N/`` (``engine.compare.folder`` says what it holds) and
trains each run with ``engine.train.runner.start`` in its own run folder inside it; ``resume_plan``
continues a stopped comparison: the stopped run with ``runner.resume`` (a K-Fold run, or one stopped
before its first epoch ended, starts again), then the runs not yet started. Finished runs are never
run again. When the runs read the same data (augmentation is applied as batches are drawn, so it does
not count) it is loaded once and handed to each.

Events, each a dict with ``"event"``; ``index`` counts runs from 0 in ``Plan.requests()`` order:

- ``{"event": "compare_start", "runs": N, "folder", "estimate": seconds, "notes": [...]}``
- ``{"event": "compare_run_start", "index", "name", "run_dir", "repeat", "seed"}``
- every event of the run itself, with ``"variant": name`` and ``"index"`` added
- ``{"event": "compare_run_end", "index", "name", "run_dir", "status", "row": {...}, "eta": seconds}``
  (``row``: the variant's row so far; a run finished before a resume is announced again with
  ``"replayed": True``)
- ``{"event": "compare_end", "folder", "table": rows, "verdicts": [...], "winner", "stopped": bool}``

``stop`` is the runner's own: the running run stops after its batch (its folder keeps its finished
epochs), the runs after it do not start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.compare.estimate import run_seconds
from engine.compare.folder import fresh_state, is_comparison, read_folder, write_plan, write_state
from engine.compare.plan import Plan
from engine.compare.table import Comparison, load_comparison, run_record, variant_rows
from engine.data.registry import load_dataset
from engine.data.types import ImageData
from engine.errors import ConfigError
from engine.formatting import dataset_name
from engine.i18n import _
from engine.models.weights import require_weights
from engine.train import runner
from engine.train.layout import HISTORY, LAST, runs_root
from engine.train.request import RunRequest
from engine.train.runs import new_run_dir

EventCallback = Callable[[dict[str, Any]], None]


def run_plan(
    plan: Plan,
    folder: str | Path | None = None,
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
) -> Comparison:
    """Run every run of ``plan`` in ``folder`` (default: a new ``runs/compare-<name>-N``).

    Raises
    ------
    ConfigError, ModelError
        Before any run: a plan that cannot run, ImageNet weights a variant needs are missing, a
        ``folder`` that holds another comparison (whose results would be lost).
    """
    plan.check()
    requests = plan.requests()
    for _name, _repeat, request in requests:
        if request.model_cfg.pretrained:
            require_weights(request.model_cfg.arch)  # now, not after the runs before it
    if folder is not None and is_comparison(folder):
        raise ConfigError(
            _(
                "{folder} holds a comparison already: --resume {folder} continues it; choose another "
                "folder for a new one"
            ).format(folder=folder)
        )
    folder = Path(folder) if folder else new_compare_dir(runs_root(), plan.name)
    folder.mkdir(parents=True, exist_ok=True)
    write_plan(folder, plan)
    state = fresh_state(plan)
    write_state(folder, state)
    return _Queue(folder, plan, requests, state, on_event, stop).run()


def resume_plan(
    folder: str | Path, on_event: EventCallback | None = None, stop: threading.Event | None = None
) -> Comparison:
    """Continue the comparison in ``folder``: the stopped run, then those not started; see the module.

    Raises
    ------
    ConfigError
        ``folder`` is not a comparison folder, or its plan cannot run.
    """
    folder = Path(folder)
    plan, state = read_folder(folder)
    plan.check()
    return _Queue(folder, plan, plan.requests(), state, on_event, stop).run()


def new_compare_dir(root: Path, name: str) -> Path:
    """A new ``root/compare-<name>-N`` (N the first free number; the name made safe for a folder)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip().lower()).strip("-_")
    return new_run_dir(root, "compare", safe or "plan")


class _Queue:
    """One session of a comparison: runs what is not finished, in order, saying so as it goes."""

    def __init__(
        self,
        folder: Path,
        plan: Plan,
        requests: list[tuple[str, int, RunRequest]],
        state: dict[str, Any],
        on_event: EventCallback | None,
        stop: threading.Event | None,
    ):
        self.folder, self.plan, self.requests, self.state = folder, plan, requests, state
        self.on_event, self.stop = on_event, stop
        self.data: dict[Any, ImageData] = {}
        self.estimates = [run_seconds(request) for _name, _r, request in requests]
        self.measured: list[tuple[float, float]] = []  # (estimated, taken) of the runs of this session

    def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def run(self) -> Comparison:
        runs = self.state["runs"]
        left = sum(e for e, r in zip(self.estimates, runs, strict=True) if r["status"] != "finished")
        self.emit(
            {
                "event": "compare_start",
                "runs": len(runs),
                "folder": str(self.folder),
                "estimate": left,
                "notes": self.plan.notes(),
            }
        )
        stopped = False
        for index, (name, _repeat, request) in enumerate(self.requests):
            entry = runs[index]
            if entry["status"] == "finished":
                self._run_end(index, name, replayed=True)
                continue
            if self.stop is not None and self.stop.is_set():
                stopped = True
                break
            if not self._one(index, name, request):
                stopped = True
                break
        comparison = load_comparison(self.folder)
        self.emit(
            {
                "event": "compare_end",
                "folder": str(self.folder),
                "table": comparison.rows,
                "verdicts": comparison.verdicts,
                "winner": comparison.winner,
                "stopped": stopped,
            }
        )
        return comparison

    def _one(self, index: int, name: str, request: RunRequest) -> bool:
        """Train run ``index`` (or continue it); False when the user stopped it."""
        entry = self.state["runs"][index]
        run_dir = self.folder / entry["dir"]
        self.emit(
            {
                "event": "compare_run_start",
                "index": index,
                "name": name,
                "run_dir": str(run_dir),
                "repeat": entry["repeat"],
                "seed": entry["seed"],
            }
        )
        # "running" is not written: a run killed with its process reads as pending, and is resumed from
        # its last.pt all the same (two fewer synced writes per run)
        entry.update(status="running", error=None)

        def passed(event: dict[str, Any]) -> None:
            self.emit({**event, "variant": name, "index": index})

        started = time.perf_counter()
        try:
            if _resumable(run_dir, request):
                result = runner.resume(run_dir, passed, self.stop)
            else:
                request = replace(request, data=self._data(index))
                result = runner.start(request, passed, self.stop, out=run_dir)
        except BaseException as e:
            entry["seconds"] += time.perf_counter() - started
            interrupted = isinstance(e, KeyboardInterrupt)  # a second Ctrl+C: quit now, resumable
            entry.update(status="stopped" if interrupted else "failed", error=None if interrupted else str(e))
            write_state(self.folder, self.state)
            raise
        taken = time.perf_counter() - started
        entry["seconds"] += taken
        by_user = result.stopped and result.error is None and self.stop is not None and self.stop.is_set()
        entry["status"] = "stopped" if by_user else "finished"
        entry["error"] = result.error or result.save_error
        write_state(self.folder, self.state)
        if by_user:
            return False
        self.measured.append((self.estimates[index], taken))
        self._run_end(index, name)
        return True

    def _run_end(self, index: int, name: str, replayed: bool = False) -> None:
        runs = self.state["runs"]
        entry = runs[index]
        mine = [{**r, "record": run_record(self.folder / r["dir"])} for r in runs if r["variant"] == name]
        variant = next(v for v in self.plan.variants if v.name == name)
        row = variant_rows(replace(self.plan, variants=[variant]), mine)[0]
        event = {
            "event": "compare_run_end",
            "index": index,
            "name": name,
            "run_dir": str(self.folder / entry["dir"]),
            "status": entry["status"],
            "row": row,
            "eta": self.eta(),
        }
        self.emit({**event, "replayed": True} if replayed else event)

    def eta(self) -> float:
        """Seconds left: the estimates of the runs not finished, scaled by how the finished ones went."""
        left = sum(
            e for e, r in zip(self.estimates, self.state["runs"], strict=True) if r["status"] != "finished"
        )
        estimated = sum(e for e, _t in self.measured)
        return left * (sum(t for _e, t in self.measured) / estimated) if estimated else left

    def _data(self, index: int) -> ImageData:
        """The data of run ``index``, loaded once for every run that reads the same; a dataset no
        later run reads is let go."""
        key = _data_key(self.requests[index][2])
        if key not in self.data:
            dataset = dataset_name(self.requests[index][2].data_cfg.dataset)
            self.emit({"event": "status", "message": _("Loading {dataset}…").format(dataset=dataset)})
            self.data[key] = load_dataset(self.requests[index][2].data_cfg)
        data = self.data[key]
        later = {_data_key(request) for _name, _r, request in self.requests[index + 1 :]}
        for other in [k for k in self.data if k not in later]:
            del self.data[other]
        return data


def _data_key(request: RunRequest) -> Any:
    """What decides the data a run reads: its data configuration, augmentation aside."""
    return replace(request.data_cfg, augment=False)


def _resumable(run_dir: Path, request: RunRequest) -> bool:
    """A stopped run that the runner can continue: an epoch finished, not K-Fold (which restarts)."""
    return (run_dir / LAST).is_file() and (run_dir / HISTORY).is_file() and not request.train_cfg.kfold
