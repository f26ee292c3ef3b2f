"""Writing a run's code: the notebook (nbformat 4 JSON, written directly) and the script.

No Jupyter package is needed to export: a notebook is a small JSON document, and the code comes
from ``engine.codegen.source``. A run is named by its checkpoint file or by its run folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from engine.checkpoints import atomic_write
from engine.codegen.source import run_source
from engine.errors import ExportError
from engine.i18n import _
from engine.train.fallback import read_run_payload

# The checkpoint that holds a run's final model, in the order a run folder is searched.
RUN_FILES = ("model.pt", "last.pt", "best.pt")
_CELL = re.compile(r"^# %%( \[markdown\])?[ \t]*$", re.MULTILINE)


def find_checkpoint(run: str | Path) -> Path:
    """The checkpoint of ``run``: the file itself, or a run folder's ``model.pt``/``last.pt``/``best.pt``.

    Raises
    ------
    ExportError
        Nothing there, or a folder without a checkpoint.
    """
    path = Path(run).expanduser()
    if path.is_file():
        return path
    if not path.is_dir():
        raise ExportError(_("{path}: no such run (give a checkpoint file or a run folder)").format(path=path))
    for name in RUN_FILES:
        if (path / name).is_file():
            return path / name
    others = sorted(path.glob("*.pt"))
    if others:
        return others[0]
    raise ExportError(_("{path} holds no checkpoint (.pt file): is it a run folder?").format(path=path))


def split_cells(source: str) -> list[tuple[str, str]]:
    """``(cell_type, text)`` of percent-format source; a markdown cell loses its ``# `` prefixes."""
    marks = list(_CELL.finditer(source))
    cells = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(source)
        body = source[mark.end() : end].strip("\n")
        if mark.group(1):
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines()]
            cells.append(("markdown", "\n".join(lines).strip()))
        elif body.strip():
            cells.append(("code", body.rstrip()))
    return cells


def notebook(source: str) -> dict[str, Any]:
    """An nbformat 4.5 notebook of percent-format ``source``."""
    cells = []
    for n, (kind, text) in enumerate(split_cells(source)):
        cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{n}", "metadata": {}, "source": text}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_code(meta: dict[str, Any], out: str | Path | None = None, script: str | Path | None = None) -> None:
    """Write the notebook (at ``out``) and/or the script (at ``script``) of a run's metadata.

    Raises
    ------
    ExportError
        A run that plain code cannot redo (generated data) or metadata without the run's settings.
    """
    source = run_source(meta)
    if out is not None:
        text = json.dumps(notebook(source), indent=1, ensure_ascii=False) + "\n"
        atomic_write(Path(out), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    if script is not None:
        atomic_write(Path(script), lambda tmp: Path(tmp).write_text(source, encoding="utf-8"))


def export_run(
    run: str | Path, out: str | Path | None = None, script: str | Path | None = None
) -> tuple[Path, str]:
    """``write_code`` for the run named by a checkpoint file or run folder.

    Returns the checkpoint used and a note: when the one asked for is damaged, another checkpoint
    of its run stands in (``engine.train.fallback``) and the note says which ("" otherwise).

    Raises
    ------
    ExportError, CheckpointError
        Not a run's checkpoint, or a run that plain code cannot redo (generated data).
    """
    payload, path, note = read_run_payload(find_checkpoint(run))
    write_code(payload["meta"], out, script)
    return path, note
