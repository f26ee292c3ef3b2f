"""Why a file given as a checkpoint or as weights cannot be read, in the user's words.

``torch.load`` reports a cut-short file with its zip reader's text, a picture or random bytes as an
unsupported pickle operand, and a file holding Python objects with advice to load it unsafely. None
of that helps a user, so this module looks at the file itself (its first bytes, its zip archive,
its pickle opcodes, whether Pillow can open it as a picture) and says what it is: empty, damaged,
something other than a saved model, or a pickle that carries Python objects. It needs no PyTorch:
the loader passes in the error it met.

PyTorch never checks the checksums its zip archives carry, so a checkpoint whose bytes changed on
disk loads as garbage weights; ``archive_damaged`` checks them (``zipfile.testzip``) first.
"""

from __future__ import annotations

import pickletools
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from engine.i18n import _, ngettext

EMPTY, DAMAGED, OBJECTS, FOREIGN = "empty", "damaged", "objects", "foreign"
ZIP_MAGIC = b"PK\x03\x04"  # what torch.save has written since PyTorch 1.6
PICKLE_PROTO = b"\x80"  # the PROTO opcode a pickle of protocol 2 or later starts with
# Opcodes that name a Python class or function: a pickle with one of them can run code when loaded.
CODE_OPCODES = {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD"}
HEAD = 4096  # bytes read to tell text, pictures and pickles apart

# torch.load prints this on stderr for any pickle of protocol 4 or later (most files that are not
# checkpoints) before refusing it; the user reads our sentence instead of the unpickler's notes.
warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)


@dataclass(frozen=True)
class Unreadable:
    """What a file that does not load is: ``kind`` (EMPTY, DAMAGED, OBJECTS or FOREIGN) and
    ``problem``, the sentence naming the file and what is wrong with it (no advice: callers add
    what to do, which depends on what the file was given for)."""

    kind: str
    problem: str


def diagnose(path: Path, error: BaseException | None, name: str, weights: bool = False) -> Unreadable:
    """What ``path`` is, given the ``error`` torch.load raised for it (None: it loaded but failed a
    check). ``name`` is how the file is named in the sentence (its name, or the path the user gave);
    ``weights``: it was given as a weights file (import-weights), not as a checkpoint."""
    try:
        head = _head(path)
    except OSError:
        head = b""
    if not head:
        return Unreadable(EMPTY, _("{name} is empty (0 bytes)").format(name=name))
    if head.startswith(ZIP_MAGIC):
        # Checksums first: a damaged archive can make torch report anything, even a foreign class.
        sound = not archive_damaged(path)
        if sound and not _has_pickle(path):
            return _foreign(name, _("it is a zip archive of other files"), weights)
        if sound and _holds_objects(error):
            return _objects(name)
        return Unreadable(
            DAMAGED,
            _("{name} is damaged: it is cut short, or its bytes changed after it was saved").format(
                name=name
            ),
        )
    if _holds_objects(error) or (head.startswith(PICKLE_PROTO) and _pickle_names_code(path)):
        return _objects(name)
    picture = _picture_format(path)
    if picture:
        return _foreign(name, _("it looks like a {format} picture").format(format=picture), weights)
    if _is_text(head):
        return _foreign(name, _("it is a text file"), weights)
    return _foreign(name, _("its contents are not a saved model"), weights)


def weight_differences(
    theirs: dict[str, tuple[int, ...] | None], ours: dict[str, tuple[int, ...] | None]
) -> list[str]:
    """Each weight that differs between a file's state dict and a model's, as a short phrase.

    Both are given as name -> shape (None: an entry that is not a tensor).
    """
    found = []
    for key, shape in ours.items():
        other = theirs.get(key)
        if other is None:
            found.append(_("{key} (missing from the file)").format(key=key))
        elif other != shape:
            found.append(
                _("{key} ({theirs} in the file, {ours} here)").format(
                    key=key, theirs=_dims(other), ours=_dims(shape or ())
                )
            )
    found += [_("{key} (not in this model)").format(key=key) for key in theirs if key not in ours]
    return found


def differences_summary(found: list[str]) -> str:
    """ "3 layers differ, e.g. fc.weight (10×128 in the file, 5×128 here)": a count and one example,
    never the whole list (a ResNet's would fill the screen)."""
    return ngettext("{n} layer differs: {example}", "{n} layers differ, e.g. {example}", len(found)).format(
        n=len(found), example=found[0]
    )


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape) or "1"


def archive_damaged(path: Path) -> bool:
    """Whether ``path`` is a zip archive (PyTorch's format) that is cut short or whose bytes no longer
    match their checksums. False for a file that is not a zip archive at all."""
    try:
        with open(path, "rb") as fh:
            if fh.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
                return False
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is not None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        return True


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(HEAD)


def _foreign(name: str, what: str, weights: bool) -> Unreadable:
    if weights:
        return Unreadable(
            FOREIGN, _("{name} is not a PyTorch weights file ({what})").format(name=name, what=what)
        )
    return Unreadable(FOREIGN, _("{name} is not a PyTorch checkpoint ({what})").format(name=name, what=what))


def _objects(name: str) -> Unreadable:
    return Unreadable(
        OBJECTS,
        _(
            "{name} is not a Taller checkpoint: it holds Python objects, which Taller never loads "
            "because they could run code"
        ).format(name=name),
    )


def _holds_objects(error: BaseException | None) -> bool:
    # torch's weights-only unpickler names the class or function it refused to import.
    return error is not None and "Unsupported global" in str(error)


def _pickle_names_code(path: Path) -> bool:
    """Whether the pickle at the start of ``path`` names a class or function (read, never run)."""
    try:
        with open(path, "rb") as fh:
            return any(op.name in CODE_OPCODES for op, _arg, _pos in pickletools.genops(fh))
    except Exception:  # noqa: BLE001 - bytes that are not a whole pickle make genops raise many types
        return False


def _is_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path):
            return True
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def _has_pickle(path: Path) -> bool:
    """Whether a zip archive holds PyTorch's ``<name>/data.pkl``."""
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith("/data.pkl") or n == "data.pkl" for n in archive.namelist())


def _picture_format(path: Path) -> str | None:
    """The picture format Pillow recognises in ``path`` ("PNG", "JPEG", …), or None."""
    from PIL import Image, UnidentifiedImageError  # deferred: only a file that failed to load needs Pillow

    try:
        with Image.open(path) as image:
            return image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3  # a character cut by the end of what was read
    return True
