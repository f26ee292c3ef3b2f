"""Files written so that a crash or a kill never leaves half of them: one file, or a set of files.

A single file is written to a temporary name beside it, flushed to disk (fsync) and renamed over
the old one. A set (a run's model and metrics files) is written into a temporary folder beside its
destination, flushed, and swapped in with two renames; the old set is kept under a hidden name until
the new one is in place. A write that was killed leaves hidden temporary names behind, which the next
write to the same place removes (or, for a swap caught between its two renames, completes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STAGE_MARK = ".set-"  # a set being written: .<name>.set-XXXX
OLD_MARK = ".old-"  # the set being replaced: .<name>.old-XXXX
TMP_SUFFIX = ".tmp"
# Read once at import: os.umask can only be read by setting it, which would race with other threads.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def fsync_path(path: Path) -> None:
    """Flush a file (or, where the OS allows it, a folder entry list) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its renames are durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (and folders on some OSes) refuse fsync; the rename still protects us
    finally:
        os.close(fd)


def clean_stale_files(folder: Path, name: str) -> None:
    """Remove temporary files that a killed write of ``folder/name`` left (``.name.XXXX.tmp``)."""
    for stale in Path(folder).glob(f".{name}.*{TMP_SUFFIX}"):
        try:
            stale.unlink()
        except OSError:
            pass  # another process may be writing it right now; the next write tries again


def named_as_target(exc: OSError, target: Path) -> OSError:
    """``exc`` naming ``target`` where it names one of the hidden temporary names written for it.

    The user asked for ``model.pt`` (or a run folder), not ``.model.pt.x1y2.tmp``: a message that names
    the hidden file sends them looking for a file that is gone. A path inside a temporary set folder
    becomes the same path inside ``target``. An error about any other path is returned as it is.
    """
    hidden = f".{target.name}."  # .model.pt.XXXX.tmp, .run.set-XXXX, .run.old-XXXX

    def shown(name: object) -> object:
        if not isinstance(name, str | bytes | os.PathLike):
            return name
        try:
            parts = Path(os.fsdecode(name)).relative_to(target.parent).parts
        except ValueError:
            return name
        return target.joinpath(*parts[1:]) if parts and parts[0].startswith(hidden) else name

    first, second = shown(exc.filename), shown(exc.filename2)
    if exc.errno is None or (first is exc.filename and second is exc.filename2):
        return exc
    if second is not None and os.fsdecode(second) == os.fsdecode(first):  # a rename onto the target
        second = None
    first, second = (None if n is None else os.fsdecode(n) for n in (first, second))
    return OSError(exc.errno, exc.strerror, first, getattr(exc, "winerror", None), second)


@contextmanager
def errors_named_as(target: Path) -> Iterator[None]:
    """An OSError inside names ``target``, the file the user cares about, not a hidden temporary."""
    try:
        yield
    except OSError as e:
        shown = named_as_target(e, target)
        if shown is e:
            raise
        raise shown from e


def atomic_file(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)``, fsync, then rename into ``path``: the old file or the new, never half.

    Temporary files of an earlier write to the same path that was killed are removed first.
    """
    path = Path(path)
    with errors_named_as(path):
        _write_file(path, write)
    return path


def _write_file(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_files(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); the result should be as shareable as any file we write.
    os.chmod(tmp, 0o666 & ~_UMASK)
    try:
        write(Path(tmp))
        fsync_path(Path(tmp))
        os.replace(tmp, path)
        fsync_path(path.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def recover_set(folder: str | Path) -> None:
    """Finish or undo a set write to ``folder`` that was killed, and remove what it left.

    A kill between the swap's two renames leaves no ``folder`` but a complete old set: it is put back.
    """
    folder = Path(folder)
    parent = folder.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{folder.name}{OLD_MARK}*"))
    if not folder.exists() and olds:
        os.replace(olds.pop(), folder)
    for leftover in olds + list(parent.glob(f".{folder.name}{STAGE_MARK}*")):
        shutil.rmtree(leftover, ignore_errors=True)


def write_set(folder: str | Path, write: Callable[[Path], object], keep: bool = True) -> Path:
    """Write a set of files into ``folder`` as one: ``write(stage)`` fills a temporary folder beside it.

    With ``keep`` the files already in ``folder`` that the new set does not replace stay (a run
    folder's ``last.pt`` and ``config.json``). Every file is flushed before the swap, so after a crash
    ``folder`` holds either the old set or the new one, each complete.

    Raises
    ------
    OSError
        The set could not be written; ``folder`` is left as it was.
    """
    folder = Path(folder)
    with errors_named_as(folder):
        _write_set(folder, write, keep)
    return folder


def _write_set(folder: Path, write: Callable[[Path], object], keep: bool) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    recover_set(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(20, "not a folder", str(folder))
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}{STAGE_MARK}", dir=folder.parent))
    try:
        write(stage)
        if keep and folder.is_dir():
            carry_over(folder, stage)
        for item in stage.iterdir():
            fsync_path(item)
        os.chmod(stage, 0o777 & ~_UMASK)
        swap_in(stage, folder)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def carry_over(folder: Path, stage: Path) -> None:
    """Link (or copy) into ``stage`` the files of ``folder`` that the new set does not replace."""
    for item in folder.iterdir():
        target = stage / item.name
        if target.exists() or item.name.endswith(TMP_SUFFIX):
            continue
        if item.is_dir():
            shutil.copytree(item, target)
            continue
        try:
            os.link(item, target)  # no copy of a large checkpoint where the file system allows
        except OSError:
            shutil.copy2(item, target)


def swap_in(stage: Path, folder: Path) -> None:
    """Rename ``stage`` to ``folder``; an existing ``folder`` is moved aside first, then removed."""
    if not folder.exists():
        os.replace(stage, folder)
        fsync_path(folder.parent)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}{OLD_MARK}", dir=folder.parent))
    os.rmdir(old)
    os.replace(folder, old)
    os.replace(stage, folder)
    fsync_path(folder.parent)
    shutil.rmtree(old, ignore_errors=True)
