"""Listing an image folder's sub-folders and files, following each link to a folder at most once.

A linked folder (a symbolic link, or a junction on Windows) is read like a folder when it leads
somewhere new, e.g. a class folder linked from a shared photo collection. It is skipped, and named
in a warning, when it leads back into the dataset (its own root or a folder inside it), to a folder
that holds the dataset, or into a folder already read through another link: otherwise the same
pictures would be read twice, as a class of copies, or without end. Real paths (``os.path.realpath``)
are compared, so two names of one folder count as one.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.i18n import _, ngettext

LINKS_SHOWN = 5  # skipped links a warning names; the rest are counted


def is_link(path: Path) -> bool:
    """A symbolic link, or a Windows junction (a link that ``is_symlink`` does not report)."""
    junction = getattr(os.path, "isjunction", None)  # Python 3.12+
    return path.is_symlink() or bool(junction and junction(path))


class FolderScan:
    """One reading of a dataset folder: which linked folders it followed and which it skipped."""

    def __init__(self, top: Path):
        self.top = Path(top)
        self.read: list[Path] = [Path(os.path.realpath(top))]  # the dataset, then each link followed
        self.skipped: list[tuple[Path, Path]] = []  # (link, the real folder it leads to)
        self.listed: dict[Path, list[Path]] = {}  # ``folders`` of each parent asked so far

    def follow(self, link: Path) -> bool:
        """Whether a linked folder is read: only when it overlaps nothing read or to be read."""
        target = Path(os.path.realpath(link))
        if any(target.is_relative_to(seen) or seen.is_relative_to(target) for seen in self.read):
            self.skipped.append((link, target))
            return False
        self.read.append(target)
        return True

    def folders(self, parent: Path) -> list[Path]:
        """``parent``'s sub-folders that are not hidden, sorted; linked ones only when ``follow`` allows.

        Asked again for the same parent (the split layout is probed first), the same answer.
        """
        if parent not in self.listed:
            subs = sorted(p for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))
            links = {p for p in subs if is_link(p)}
            followed = {p for p in sorted(links) if self.follow(p)}
            self.listed[parent] = [p for p in subs if p not in links or p in followed]
        return self.listed[parent]

    def files(self, folder: Path) -> list[Path]:
        """Every file under ``folder`` (not hidden), sorted; sub-folders that cannot be listed are passed."""
        found: list[Path] = []
        pending = [folder]
        while pending:
            here = pending.pop()
            try:
                entries = sorted(os.scandir(here), key=lambda e: e.name)
            except OSError:
                continue  # a sub-folder without permission: its files are not read, as before
            for entry in entries:
                path = here / entry.name
                if entry.is_dir():
                    if not is_link(path) or self.follow(path):
                        pending.append(path)
                elif entry.is_file() and not entry.name.startswith("."):
                    found.append(path)
        return sorted(found)

    def warning(self) -> str | None:
        """The warning naming the links skipped (the first few), or None."""
        if not self.skipped:
            return None
        shown = [f"{self.name(link)} -> {target}" for link, target in self.skipped[:LINKS_SHOWN]]
        more = len(self.skipped) - LINKS_SHOWN
        listed = ", ".join(shown) + (_(" and {n} more").format(n=more) if more > 0 else "")
        return ngettext(
            "skipped {n} linked folder in {path} that leads back into the dataset or to a folder already "
            "read, so that no picture is read twice: {links}",
            "skipped {n} linked folders in {path} that lead back into the dataset or to folders already "
            "read, so that no picture is read twice: {links}",
            len(self.skipped),
        ).format(n=len(self.skipped), path=self.top, links=listed)

    def name(self, link: Path) -> str:
        """The link's path inside the dataset folder (shorter than the whole path)."""
        try:
            return str(link.relative_to(self.top))
        except ValueError:
            return str(link)
