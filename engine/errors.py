"""One hierarchy for every error a user can cause or meet.

Each subclass names the part of Taller that refused; ``message`` is the sentence a user reads,
shown as is by the window and by the command line (``error: <message>``, exit 1).

``describe(exc)`` is the one classification both entry points use: Taller's errors, file-system
errors, out-of-memory errors and failed writes become a sentence saying what to do; anything else
is a bug, whose traceback goes to a log file that the message names.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

from engine.i18n import N_, _, gettext, language
from engine.names import display_name


class TallerError(Exception):
    """Base of every error meant for a user; ``message`` says what went wrong and what to do."""

    @property
    def message(self) -> str:
        return display_name(str(self).strip() or type(self).__name__)


class ConfigError(TallerError, ValueError):
    """A configuration value a user entered is out of range; the message says which and why."""


class DatasetError(TallerError):
    """Data cannot be loaded; the message says which folder/files and what to do."""


class SynthError(DatasetError, ValueError):
    """A synthetic-handwriting style value is out of range."""


class ModelError(TallerError):
    """A model cannot be built or its weights cannot be loaded; the message says why."""


class CheckpointError(TallerError):
    """The file is not a usable Taller checkpoint; the message says what is wrong."""


class TrainingError(TallerError):
    """A run could not go on (bad data, bad config, model that does not fit the data)."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite; the model keeps the last good weights."""


class GpuMemoryError(NonFiniteLossError):
    """The GPU ran out of memory; as with a non-finite loss the run ends with the last good weights.

    The message names a batch size that fits (``fits``; None when not even one image does).
    """

    fits: int | None = None


class EvaluationError(TallerError):
    """A model cannot be evaluated or reported on; the message says what is wrong and what to do."""


class ReportError(EvaluationError):
    """A report or export could not be written."""


class InferenceError(TallerError):
    """An image cannot be classified (unreadable file, model that does not fit)."""


class OnnxExportError(TallerError):
    """A model cannot be exported to ONNX (a missing optional package, an ONNX file that disagrees)."""


class CliError(TallerError):
    """Ends a command-line command with this message and exit code 1."""


# --- the one classification of failures, used by the command line and every window task ----------

# Fragments of the allocators' messages: torch raises a plain RuntimeError for these on older
# versions and on the CPU ("DefaultCPUAllocator: can't allocate memory", "not enough memory").
_OOM_FRAGMENTS = ("out of memory", "can't allocate memory", "not enough memory", "failed to allocate")
# torch.save reports a failed write (disk full, file gone) as a RuntimeError from its zip writer.
_WRITE_FRAGMENTS = ("pytorchstreamwriter failed", "file write failed", "unexpected pos")
_OS_ADVICE = {
    errno.ENOSPC: N_("the disk is full{at}: free some space or choose a folder on another disk"),
    errno.EACCES: N_("permission denied{at}: choose a folder you can write to, or change its permissions"),
    errno.EPERM: N_("the operation is not permitted{at}: choose a folder you can write to"),
    errno.EROFS: N_("the disk is read-only{at}: choose a folder on a writable disk"),
    errno.ENOTDIR: N_("a part of the path is a file, not a folder{at}: choose another folder"),
    errno.EISDIR: N_("the path is a folder, not a file{at}: give a file name"),
    errno.ENAMETOOLONG: N_("the file name is too long{at}: choose a shorter name or folder"),
    errno.ENOENT: N_("no such file or folder{at}: check the path"),
    errno.EEXIST: N_("a file of that name is in the way{at}: remove it or choose another name"),
    errno.EIO: N_("the disk reported an input/output error{at}: check the disk or choose another folder"),
    getattr(errno, "EDQUOT", -1): N_(
        "the disk quota is used up{at}: free some space or choose another folder"
    ),
}


def is_out_of_memory(exc: BaseException) -> bool:
    """True for Python's MemoryError and torch's out-of-memory errors on the CPU, CUDA and MPS."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and any(f in str(exc).lower() for f in _OOM_FRAGMENTS)


def memory_message(exc: BaseException) -> str:
    """What ran out (GPU or main memory), how much was asked for, and what to change."""
    text = str(exc)
    on_gpu = "cuda" in text.lower() or "gpu" in text.lower() or "mps" in text.lower()
    asked = re.search(r"allocate ([\d.]+ ?[KMGT]?i?B|\d+ bytes)", text)
    amount = _(" (it asked for {amount} more)").format(amount=asked.group(1)) if asked else ""
    if on_gpu:
        text = _(
            "Out of memory: the GPU ran out of memory{amount}. Try a smaller batch size, a smaller "
            "model or a smaller image size, or train on the CPU."
        )
    else:
        text = _(
            "Out of memory: the computer ran out of memory{amount}. Try a smaller batch size, a "
            "smaller model or a smaller image size."
        )
    return text.format(amount=amount)


def os_message(exc: OSError) -> str:
    """One sentence for a failed file operation: what happened, on which path, and what to do."""
    paths = [display_name(p) for p in (exc.filename, exc.filename2) if p is not None]
    at = f" ({' -> '.join(paths)})" if paths else ""
    advice = _OS_ADVICE.get(exc.errno or 0)
    if advice:
        text = gettext(advice).format(at=at)
        return text[0].upper() + text[1:] + "."
    reason = (exc.strerror or str(exc) or type(exc).__name__).strip()
    return _("{reason}{at}. Check the path and the disk, or choose another folder.").format(
        reason=reason, at=at
    )


def os_reason(exc: OSError) -> str:
    """What went wrong in a file operation, in a few words, for a sentence that says the path and
    the advice itself: the OS's own words (``No space left on device``; English on most systems)
    in English, the catalogue's where the user reads another language (``el disco está lleno``)."""
    words = (exc.strerror or str(exc) or type(exc).__name__).strip()
    advice = _OS_ADVICE.get(exc.errno or 0)
    if advice is None or language() == "en":
        return words
    return gettext(advice).split("{at}")[0]  # each advice is "what happened{at}: what to do"


def user_message(exc: BaseException) -> str | None:
    """The message a user reads for an expected failure, or None when ``exc`` is a bug.

    Expected: every ``TallerError``, every ``OSError`` (permissions, full disk, a file where a
    folder should be, names too long, unreadable images), torch's out-of-memory errors and a
    failed ``torch.save`` write.
    """
    if isinstance(exc, TallerError):
        return exc.message
    if is_out_of_memory(exc):
        return memory_message(exc)
    if type(exc).__name__ == "DecompressionBombError":
        return _("The image is too large to open safely ({exc}). Use a smaller image.").format(exc=exc)
    if isinstance(exc, OSError):
        return os_message(exc)
    if isinstance(exc, RuntimeError) and any(f in str(exc).lower() for f in _WRITE_FRAGMENTS):
        return _(
            "A file could not be written completely (the disk may be full or the folder gone): "
            "free some space or choose another folder."
        )
    return None


def log_folder() -> Path:
    """Where bug reports go: ``TALLER_LOG_DIR``, else the user's cache folder for Taller."""
    if os.environ.get("TALLER_LOG_DIR"):
        return Path(os.environ["TALLER_LOG_DIR"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "Taller" / "logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "Taller"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "taller" / "logs"


def write_bug_log(exc: BaseException) -> Path | None:
    """Write ``exc``'s traceback to a new file in ``log_folder()`` (or the temp folder); its path."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    name = f"taller-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (log_folder(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # A name that is not UTF-8 stays exact in the traceback, as \xNN escapes.
            (folder / name).write_text(text, encoding="utf-8", errors="backslashreplace")
            return folder / name
        except OSError:
            continue  # a log that cannot be written must not hide the error itself
    return None


def describe(exc: BaseException) -> str:
    """``user_message(exc)``; for a bug, a message naming the log file that holds its traceback."""
    message = user_message(exc)
    if message is not None:
        return message
    log = write_bug_log(exc)
    text = display_name(str(exc).strip().splitlines()[0]) if str(exc).strip() else _("no details")
    if log:
        where = _("the details are in {log}").format(log=log)
    else:
        where = _("the details could not be written to a log file")
    return _(
        "Unexpected error ({error_type}): {text}. This is a bug in Taller; {where}. "
        "Please include that file when you report it."
    ).format(error_type=type(exc).__name__, text=text, where=where)


class ExportError(TallerError):
    """A run cannot be written out as a notebook or script (e.g. generated data)."""
