"""Write a gathered dataset as an ordinary image folder: ``ROOT/NAME/<class>/<n>.<ext>``.

The window's *New dataset…* collects files and pasted or captured pictures per class; this module
turns them into the folder format ``engine.data.folder`` reads. The folder is written under a
temporary name and renamed at the end, so a failure or a stop leaves no half-written dataset.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from engine.errors import DatasetError
from engine.i18n import _
from engine.throttle import throttled

MIN_PER_CLASS = 10  # fewer images per class than this rarely trains a useful model
Item = Path | bytes  # a file to copy, or PNG bytes (a pasted or captured picture)


def safe_name(name: str) -> str:
    """A folder name from a user's class or dataset name (no path separators, no leading dots)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip().strip(".").strip()
    return cleaned[:80]


def check_gathered(name: str, classes: Mapping[str, Sequence[Item]]) -> list[str]:
    """Problems that block saving (empty list: it can be saved)."""
    problems = []
    if not safe_name(name):
        problems.append(_("Give the dataset a name."))
    named = [safe_name(c) for c in classes]
    if len([c for c in named if c]) < 2:
        problems.append(_("Add at least two classes."))
    if len(set(named)) != len(named) or "" in named:
        problems.append(_("Each class needs its own name."))
    empty = [c for c, items in classes.items() if not items]
    if empty:
        problems.append(_("Add images to: {classes}.").format(classes=", ".join(empty)))
    return problems


def weak_classes(classes: Mapping[str, Sequence[Item]], minimum: int = MIN_PER_CLASS) -> list[str]:
    """Classes with fewer than ``minimum`` images (saving is allowed, the result is a warning)."""
    return [c for c, items in classes.items() if len(items) < minimum]


def write_gathered(
    root: str | Path,
    name: str,
    classes: Mapping[str, Sequence[Item]],
    on_event: Callable[[dict], None] | None = None,
    stop: threading.Event | None = None,
) -> Path:
    """Write the dataset to ``root/name`` and return that folder.

    Raises
    ------
    DatasetError
        The choices cannot be saved (see ``check_gathered``), the folder exists already, or the
        run was stopped (nothing is left behind).
    """
    problems = check_gathered(name, classes)
    if problems:
        raise DatasetError(" ".join(problems))
    target = Path(root).expanduser() / safe_name(name)
    if target.exists():
        raise DatasetError(_("{target} exists already: choose another dataset name.").format(target=target))
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    total, done = sum(len(items) for items in classes.values()), 0
    emit = throttled(on_event)
    try:
        for class_name, items in classes.items():
            folder = partial / safe_name(class_name)
            folder.mkdir(parents=True, exist_ok=True)
            for n, item in enumerate(items, start=1):
                if stop is not None and stop.is_set():
                    raise DatasetError(_("Saving the dataset was stopped; nothing was written."))
                _write_item(item, folder, n)
                done += 1
                emit({"event": "progress", "done": done, "total": total})
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def _write_item(item: Item, folder: Path, n: int) -> None:
    if isinstance(item, bytes):
        (folder / f"{n:04d}.png").write_bytes(item)
        return
    source = Path(item)
    suffix = source.suffix.lower() or ".png"
    shutil.copyfile(source, folder / f"{n:04d}{suffix}")
