"""The engine's one mechanism for text a user reads: English source strings, Spanish from a catalogue.

Usage: ``from engine.i18n import _``, then ``_("the loss became {value} in epoch {epoch}").format(...)``:
the English sentence is the key, and it is formatted AFTER translation (never translate an f-string,
whose text changes with every value). Counts: ``ngettext("{n} image", "{n} images", n).format(n=n)``.

Why a catalogue and not stdlib gettext (.po/.mo): the engine speaks two languages, and the Spanish
lives in JSON (``engine/locale/es.json``: English text -> Spanish text, or -> [singular, plural]
for ``ngettext``; argparse's own words in ``argparse.es.json``) that ships as package data and is
read as is. gettext would need compiled ``.mo`` files, so a tool (msgfmt, polib or Babel) at build
time and a build step before a change is seen; the window already has its own format (Qt's
``.ts``/``.qm``), and a third one buys nothing for two languages whose plural rule is the same (one,
other). The tests check that every entry is translated and that every ``_()`` string of engine/ is
in the catalogue (tests/test_i18n.py).

The language follows the system (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` as GNU gettext
reads them; ``es*`` -> Spanish, ``C`` and anything else -> English; with none set, the locale Python
reports, e.g. ``Spanish_Spain`` on Windows) until ``set_language`` chooses one (the window's
View -> Language calls it). Text is translated when ``_()`` runs, so call it where the message is made,
never in a module-level constant.

argparse words its own parts ("usage:", "options", "error:", "the following arguments are required")
through ``gettext.gettext`` of the process-wide default domain; binding that domain to our files would
translate every other library's text too, so ``translate_argparse()`` points argparse's own two lookup
names at this catalogue instead (the catalogue holds argparse's strings).
"""

from __future__ import annotations

import argparse
import json
import locale
import os
import re
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "es")
"""The languages Taller speaks; English is the source text, so it has no catalogue."""

LOCALE_DIR = Path(__file__).with_name("locale")
_ENV_NAMES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_chosen: list[str | None] = [None]  # set_language's choice; None follows the system


def _code(name: str | None) -> str | None:
    """``"es"`` for a Spanish locale name (es, es_ES.UTF-8, es-MX, Spanish_Spain), ``"en"`` else."""
    if not name:
        return None
    first = re.split(r"[_.@\-:]", name.strip().lower(), maxsplit=1)[0]
    return "es" if first in ("es", "spanish") else "en"


def system_language(environ: dict[str, str] | None = None) -> str:
    """The system's language, read as GNU gettext reads it; ``"es"`` or ``"en"``.

    The locale is the first of LC_ALL/LC_MESSAGES/LANG that is set; ``C``/``POSIX`` is English
    whatever LANGUAGE says (so ``LANG=C`` is English); otherwise LANGUAGE's first entry (a colon list)
    wins over the locale. With none set, the locale Python reports (``Spanish_Spain`` on Windows).
    """
    env = os.environ if environ is None else environ
    posix = next((env[name] for name in _ENV_NAMES[1:] if env.get(name)), "")
    if posix.split(".")[0] in ("C", "POSIX"):
        return "en"
    first = env.get("LANGUAGE", "").split(":")[0]
    if first or posix:
        return _code(first or posix) or "en"
    if environ is None:
        try:
            return _code(locale.getlocale()[0]) or "en"
        except ValueError:  # an unknown locale name in the environment: English
            return "en"
    return "en"


def set_language(code: str | None) -> None:
    """Speak ``code`` from now on: ``"es"``, ``"en"``, or None to follow the system again.

    A longer locale name (``"es_ES"``) counts as its language; any other language is English.
    """
    _chosen[0] = _code(code)
    _system.cache_clear()


def language() -> str:
    """The language text is translated into now: ``"es"`` or ``"en"``."""
    return _chosen[0] or _system()


@cache
def _system() -> str:
    return system_language()


@cache
def catalogue(code: str = "es") -> dict[str, str | list[str]]:
    """The catalogue of ``code`` (English text -> translation); empty for English.

    Two files: ``<code>.json`` holds the engine's own text, ``argparse.<code>.json`` argparse's.
    """
    merged: dict[str, str | list[str]] = {}
    for path in (LOCALE_DIR / f"argparse.{code}.json", LOCALE_DIR / f"{code}.json"):
        if code != "en" and path.is_file():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def gettext(text: str) -> str:
    """``text`` in the current language (the English text itself when it has no translation)."""
    found = catalogue(language()).get(text) if language() != "en" else None
    return found if isinstance(found, str) and found else text


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language (English and Spanish: n == 1)."""
    found = catalogue(language()).get(singular) if language() != "en" else None
    if isinstance(found, list) and len(found) == 2:
        singular, plural = found
    return singular if n == 1 else plural


def translate_argparse() -> None:
    """Make argparse's own words (usage:, options, error:, its messages) follow this catalogue.

    argparse looks ``_`` and ``ngettext`` up in its module: the group titles ("options") and -h's
    help when a parser is built, usage and errors when shown; so call this before building a
    parser (``engine.cli_args.build_parser`` does). English text passes through unchanged.
    """
    argparse._ = gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue without translating it now (a constant translated where shown)."""
    return text
