"""A comparison folder's own files, readable without PyTorch.

``runs/compare-<name>-N/`` holds ``plan.json`` (the ``Plan``, as ``Plan.to_json`` writes it), one run
folder per run (``01-from-scratch``, ...; each an ordinary run folder, ``engine.train.runs``) and
``state.json``, rewritten atomically whenever a run starts or ends::

    {"runs": [{"index": 0, "variant": "from scratch", "repeat": 0, "seed": 0,
               "dir": "01-from-scratch", "status": "pending" | "running" | "stopped" | "finished"
               | "failed", "seconds": 12.3, "error": null | "why it failed"}],
     "updated": "2025-01-31T12:00:00"}

``seconds`` adds up the wall time of every session of the run (a resumed run included).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from engine.compare.plan import Plan, run_dir_name
from engine.errors import ConfigError
from engine.files import atomic_file
from engine.i18n import _

PLAN_FILE, STATE_FILE = "plan.json", "state.json"
FOLDER_PREFIX = "compare-"
STATUSES = ("pending", "running", "stopped", "finished", "failed")


def fresh_state(plan: Plan) -> dict[str, Any]:
    """The state of a plan none of whose runs has started."""
    runs = []
    for index, (name, repeat) in enumerate((v.name, r) for r in range(plan.repeats) for v in plan.variants):
        seed = plan.seed + repeat
        runs.append(
            {
                "index": index,
                "variant": name,
                "repeat": repeat,
                "seed": seed,
                "dir": run_dir_name(index, name, seed if plan.repeats > 1 else None),
                "status": "pending",
                "seconds": 0.0,
                "error": None,
            }
        )
    return {"runs": runs}


def write_plan(folder: Path, plan: Plan) -> Path:
    text = plan.to_json()
    return atomic_file(folder / PLAN_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_state(folder: Path, state: dict[str, Any]) -> Path:
    state["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    text = json.dumps(state, indent=1, ensure_ascii=False) + "\n"
    return atomic_file(folder / STATE_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def is_comparison(folder: str | Path) -> bool:
    """A folder a comparison was run in: it holds plan.json and state.json."""
    folder = Path(folder)
    return (folder / PLAN_FILE).is_file() and (folder / STATE_FILE).is_file()


def read_folder(folder: str | Path) -> tuple[Plan, dict[str, Any]]:
    """The plan and state of a comparison folder.

    Raises
    ------
    ConfigError
        Not a comparison folder, or its files are damaged; the message names the folder.
    """
    folder = Path(folder)
    if not is_comparison(folder):
        raise ConfigError(
            _(
                "{folder} is not a comparison folder (it has no {plan} and {state}); choose a "
                "compare-… folder under runs/"
            ).format(folder=folder, plan=PLAN_FILE, state=STATE_FILE)
        )
    plan = Plan.read(folder / PLAN_FILE)
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        runs = state["runs"]
        if len(runs) != len(plan.variants) * plan.repeats or any(r["status"] not in STATUSES for r in runs):
            raise ValueError(_("its runs are not the plan's"))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(
            _("{folder}: its {state} is damaged ({e}); start the comparison again").format(
                folder=folder, state=STATE_FILE, e=e
            )
        ) from e
    return plan, state


def list_comparisons(root: str | Path) -> list[Path]:
    """The comparison folders directly under the runs folder ``root``, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.name.startswith(FOLDER_PREFIX) and is_comparison(p)]
    return sorted(found, key=lambda p: ((p / PLAN_FILE).stat().st_mtime, p.name))
