"""Names of files and folders as the operating system gives them, and as they are shown.

A name that is not UTF-8 (a Latin-1 class folder from a Windows archive unzipped on Linux, the
bytes ``b"gr\\xfcn"`` of "grün") arrives from the OS as a ``str`` with lone surrogates
(``surrogateescape``): it opens the file, but it cannot be written as UTF-8 text, and Qt drops the
letters it cannot show. Files are always opened by their real name; what is shown and written
(JSON, CSV, HTML, checkpoints' class names, terminals, logs, the window) is ``display_name``, where
each undecodable byte reads as U+FFFD: "gr\\ufffdn". Guessing the encoding (Latin-1? cp437?) would
show a wrong name as if it were right, so the name is shown as what it is: partly unreadable.
"""

from __future__ import annotations

import codecs
import io
import os
from collections import Counter
from typing import TextIO

REPLACEMENT = "\ufffd"


def display_name(name: str | bytes | os.PathLike) -> str:
    """``name`` (a path, a file or class name, a message naming one) as text any UTF-8 file holds.

    Bytes that are not UTF-8 become U+FFFD; text that is valid is returned unchanged.
    """
    text = os.fspath(name)
    if isinstance(text, bytes):
        return text.decode("utf-8", "replace")
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(text).decode("utf-8", "replace")
    except UnicodeError:  # a surrogate the file system's decoding did not make (typed or pasted)
        return "".join(REPLACEMENT if "\ud800" <= c <= "\udfff" else c for c in text)


def _escaped(name: str) -> str:
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def display_names(names: list[str]) -> list[str]:
    """``display_name`` of each, kept distinct: two names that would show alike ("gr\\ufffdn" from
    the Latin-1 "grün" and "grén") show their undecodable bytes as escapes ("gr\\\\xfcn", "gr\\\\xe9n")."""
    shown = [display_name(n) for n in names]
    seen = Counter(shown)
    return [s if seen[s] == 1 or s == n else _escaped(n) for s, n in zip(shown, names, strict=True)]


def _shown(exc: UnicodeError) -> tuple[bytes, int]:
    """Codec error handler: what cannot be encoded is written as U+FFFD (``?`` where even that
    cannot be, on a legacy console code page). Bytes, as the UTF-8 encoder takes only ASCII text."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    try:
        mark = REPLACEMENT.encode(exc.encoding)
    except (UnicodeError, LookupError):
        mark = b"?"
    return mark * (exc.end - exc.start), exc.end


codecs.register_error("taller.shown", _shown)


def show_names_on(*streams: TextIO) -> None:
    """Make ``streams`` (the terminal's stdout and stderr) write every name as ``display_name``
    shows it: a line naming a Latin-1 file neither fails nor hands raw bytes to a program reading
    the output as UTF-8."""
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="taller.shown")
