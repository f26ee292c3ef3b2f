"""One writer per run folder: a lock file beside the folder, held with the operating system's own lock.

Two trainings into one folder would interleave their checkpoints and leave one run's ``config.json``
beside the other's weights. The lock is ``<parent>/.<name>.lock``, beside the folder rather than in it:
the run's final files are swapped in by renaming the folder (``engine.files.write_set``), which Windows
refuses while a file inside it is open.

The lock is the OS's (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows), so it goes away with
the process that held it, however that process ended; the file only says who holds it, and is removed
when the run ends. A file still there whose lock is free was left by a process that died while
training: the next run takes it over and says so.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from engine.errors import TrainingError
from engine.i18n import _

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

# Windows locks byte ranges, and a locked range cannot be read by others: lock a byte far past the
# text that names the holder, so a second process can still read who it is.
_WINDOWS_LOCK_OFFSET = 1 << 20


class RunLockedError(TrainingError):
    """Another process is training into the same run folder."""


def lock_path(folder: Path) -> Path:
    """``<parent>/.<name>.lock`` for the run folder ``folder``."""
    return folder.parent / f".{folder.name}.lock"


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _read_holder(fd: int) -> dict[str, Any] | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    try:
        holder = json.loads(text) if text else None
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


class RunLock:
    """Hold the lock of run folder ``folder`` while inside ``with``.

    Raises
    ------
    RunLockedError
        (on entering) another process holds it; the message names the folder and that process.

    Attributes
    ----------
    taken_over : dict or None
        The holder named by a lock file whose process had died (its ``pid`` and ``host``), else None.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = lock_path(self.folder)
        self.taken_over: dict[str, Any] | None = None
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            if not _try_lock(fd):
                holder = _read_holder(fd) or {}
                os.close(fd)
                raise RunLockedError(
                    _(
                        "{folder} is being written by another training (process {pid} on {host}); wait "
                        "for it to finish, or train into another folder"
                    ).format(folder=self.folder, pid=holder.get("pid", "?"), host=holder.get("host", "?"))
                )
            if _still_there(fd, self.path):
                break
            os.close(fd)  # the holder removed the file as we locked it: lock the new one instead
        self.taken_over = _read_holder(fd)
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode()
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, me)
        self._fd = fd
        return self

    def __exit__(self, *exc_info) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if fcntl is not None:
            # Removed while still held: whoever opened it meanwhile sees it gone and opens the new one.
            self.path.unlink(missing_ok=True)
        try:
            _unlock(fd)
        except OSError:
            pass  # closing releases the lock anyway
        finally:
            os.close(fd)
        if fcntl is None:
            try:
                self.path.unlink(missing_ok=True)  # Windows cannot remove a file that is open
            except OSError:
                pass  # another process has it open: it will lock and remove it


def _still_there(fd: int, path: Path) -> bool:
    """Whether ``path`` is still the file open as ``fd`` (not removed or replaced meanwhile)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False
