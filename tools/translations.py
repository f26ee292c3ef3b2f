"""Update and compile the window's translations: ``python -m tools.translations``.

1. ``pyside6-lupdate`` reads every ``self.tr(...)`` / ``QCoreApplication.translate(...)`` of ``gui/``
   into ``resources/i18n/taller_es.ts`` (new strings arrive unfinished, strings gone from the code are
   dropped) and the plural forms alone into ``resources/i18n/taller_en.ts``.
2. Translate what is unfinished with Qt Linguist (``pyside6-linguist resources/i18n/taller_es.ts``) or
   any editor.
3. ``pyside6-lrelease`` compiles each ``.ts`` into ``gui/translations/taller_<code>.qm``, which ships
   inside the ``gui`` package (pyproject's package data): commit the ``.ts`` and the ``.qm`` together.

``qt_extra_<code>.ts`` holds, by hand, Qt's own words (file dialogs) that the ``qtbase`` catalogue
PySide6 ships lacks; it is compiled the same way and installed after ``qtbase``.

``--check`` changes nothing: it runs lupdate on a copy and prints what is missing, unfinished or
obsolete (the test suite runs the same check, ``check()``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "gui"
TS_DIR = ROOT / "resources" / "i18n"
QM_DIR = ROOT / "gui" / "translations"
# language -> extra lupdate options: English needs only its plural forms ("%n run(s)" -> "1 run").
LANGUAGES = {"es": [], "en": ["-pluralonly"]}


def tool(name: str) -> str:
    """``pyside6-<name>`` beside this Python (a virtual environment's bin/Scripts), else on PATH."""
    for folder in (Path(sys.executable).parent,):
        for candidate in (folder / f"pyside6-{name}", folder / f"pyside6-{name}.exe"):
            if candidate.is_file():
                return str(candidate)
    found = shutil.which(f"pyside6-{name}")
    if found is None:
        raise SystemExit(f"pyside6-{name} not found: install PySide6 (pip install -e .) in this Python")
    return found


def python_sources(root: Path = SOURCES) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.py"))


def lupdate(ts_file: Path, language: str, options: list[str] | None = None) -> None:
    """Bring ``ts_file`` in step with the code: new strings unfinished, vanished ones removed.

    ``-locations none`` keeps the file stable while code moves (no line numbers to churn).
    """
    command = [tool("lupdate"), *python_sources(), "-no-obsolete", "-locations", "none"]
    command += ["-target-language", language, *(options or []), "-ts", str(ts_file)]
    subprocess.run(command, check=True, capture_output=True, text=True)


def english_plurals(ts_file: Path) -> int:
    """Fill the English plural forms from the source's "(s)"/"(es)" ("%n run(s)" -> "%n run", "%n runs").

    English needs no translator: its only catalogue entries are these plurals. Returns how many changed.
    """
    tree = ET.parse(ts_file)
    changed = 0
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        if message.get("numerus") != "yes" or translation is None or not translation.get("type"):
            continue
        source = message.findtext("source", "")
        forms = translation.findall("numerusform")
        for form, suffixes in zip(forms, (("", ""), ("es", "s")), strict=False):
            form.text = source.replace("(es)", suffixes[0]).replace("(s)", suffixes[1])
        translation.attrib.pop("type")
        changed += 1
    if changed:
        tree.write(ts_file, encoding="utf-8", xml_declaration=True)
    return changed


def lrelease(ts_file: Path, qm_file: Path) -> None:
    qm_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([tool("lrelease"), str(ts_file), "-qm", str(qm_file)], check=True, capture_output=True)


def messages(ts_file: Path) -> dict[tuple[str, str], ET.Element]:
    """(context, source) -> the ``<message>`` element of a .ts file."""
    found = {}
    for context in ET.parse(ts_file).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            found[(name, message.findtext("source", ""))] = message
    return found


def unfinished(ts_file: Path) -> list[str]:
    """Entries of ``ts_file`` without a finished translation (unfinished, obsolete, vanished, empty)."""
    problems = []
    for (context, source), message in messages(ts_file).items():
        translation = message.find("translation")
        kind = translation.get("type", "") if translation is not None else "missing"
        forms = [f.text or "" for f in translation.iter("numerusform")] if translation is not None else []
        text = (translation.text or "") if translation is not None else ""
        empty = not any(forms) if message.get("numerus") == "yes" else not text.strip()
        if kind or empty:
            problems.append(f"{ts_file.name}: {kind or 'empty'}: {context}: {source!r}")
    return problems


def check() -> list[str]:
    """What an update would change, plus every unfinished entry; [] when the catalogues are complete."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for language, options in LANGUAGES.items():
            ts_file = TS_DIR / f"taller_{language}.ts"
            if not ts_file.is_file():
                problems.append(f"{ts_file.name} missing")
                continue
            copy = Path(tmp) / ts_file.name
            shutil.copyfile(ts_file, copy)
            lupdate(copy, language, options)
            before, after = set(messages(ts_file)), set(messages(copy))
            problems += [f"{ts_file.name}: not in the .ts: {c}: {s!r}" for c, s in sorted(after - before)]
            problems += [
                f"{ts_file.name}: no longer in the code: {c}: {s!r}" for c, s in sorted(before - after)
            ]
            problems += unfinished(ts_file)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.translations", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report what is missing; change nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "translations complete")
        return 1 if problems else 0
    for language, options in LANGUAGES.items():
        ts_file = TS_DIR / f"taller_{language}.ts"
        lupdate(ts_file, language, options)
        if language == "en" and english_plurals(ts_file):
            lupdate(ts_file, language, options)  # back to lupdate's own layout
        lrelease(ts_file, QM_DIR / f"taller_{language}.qm")
        left = unfinished(ts_file)
        print(f"{ts_file.relative_to(ROOT)}: {len(messages(ts_file))} strings, {len(left)} unfinished")
    for ts_file in sorted(TS_DIR.glob("qt_extra_*.ts")):  # Qt's own words, by hand: no lupdate
        lrelease(ts_file, QM_DIR / f"{ts_file.stem}.qm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
