"""The window's language: Qt translators for Spanish or English, chosen once at start.

The choice is "system" (the default: Spanish when the system locale's language is Spanish, as with
``LANG=es_ES.UTF-8``, else English), "en" or "es", remembered under ``window/language``. The compiled
catalogues (``gui/translations/taller_<code>.qm``) are built from ``resources/i18n/*.ts`` by
``python -m tools.translations`` and ship inside the ``gui`` package, so an installation needs no build
step. English has a catalogue too: it holds only the plural forms ("1 run", "2 runs").

Numbers the window shows go through ``engine.formatting`` (re-exported here as ``number``,
``percent``, ``duration``, ``short`` and ``integer``), which ``install`` sets to the window's language:
0,97 and 97,3 % in Spanish, as the command line and the report write them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

from engine import i18n as engine_i18n

# The window formats through the engine's one formatter, in the language install() gave the engine.
from engine.formatting import duration as duration
from engine.formatting import integer as integer
from engine.formatting import number as number
from engine.formatting import percent as percent
from engine.formatting import short as short
from gui.settings import make_settings, read_str

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SETTING = "window/language"
CHOICES = ("system", "en", "es")  # the View → Language menu, in this order
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # each in its own language: never translated

_installed: list[QTranslator] = []  # kept alive: Qt does not own installed translators
_current = {"code": ""}  # "" until install() ran


def system_language() -> str:
    """ "es" when the system locale's language is Spanish (``LANG=es_ES.UTF-8``, es_MX, ...), else "en"."""
    return "es" if QLocale.system().language() == QLocale.Language.Spanish else "en"


def chosen(settings: QSettings | None = None) -> str:
    """The remembered choice: "system", "en" or "es" (anything else reads as "system")."""
    value = read_str(settings if settings is not None else make_settings(), SETTING, "system")
    return value if value in CHOICES else "system"


def remember(choice: str, settings: QSettings | None = None) -> None:
    """Keep ``choice`` ("system", "en" or "es") for the next start."""
    settings = settings if settings is not None else make_settings()
    settings.setValue(SETTING, choice if choice in CHOICES else "system")
    settings.sync()


def resolve(choice: str) -> str:
    """The language a choice means now: "en" or "es"."""
    return choice if choice in ("en", "es") else system_language()


def current() -> str:
    """The language the window speaks: "en" or "es" (what ``install`` set, else the system's)."""
    return _current["code"] or system_language()


def _locale_for(code: str) -> QLocale:
    # Spin boxes read and write numbers as engine.formatting writes the labels: Spain's decimal comma
    # for Spanish, a point for English, whatever the region; no thousands separators in decimals.
    locale = QLocale("es_ES") if code == "es" else QLocale("en_US")
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
    return locale


def uninstall() -> None:
    """Remove the translators ``install`` added (tests switch languages in one process)."""
    app = QCoreApplication.instance()
    while _installed:
        translator = _installed.pop()
        if app is not None:
            app.removeTranslator(translator)
    _current["code"] = ""
    QLocale.setDefault(QLocale.system())
    engine_i18n.set_language(None)  # the engine follows the system again


def install(code: str | None = None) -> str:
    """Install the translators for ``code`` ("en"/"es"; None: the remembered choice); returns the code.

    Sets the default QLocale (numbers, spin boxes) and the engine's language (its messages and
    reports) to match. Call before the widgets are built: texts are translated when they are set.
    """
    code = resolve(chosen() if code is None else code)
    uninstall()
    app = QCoreApplication.instance()
    if app is not None:
        for name, folder in (
            (f"taller_{code}", str(TRANSLATIONS)),
            # Qt's own words (OK, Cancel, Open in file dialogs), when the Qt installation carries them.
            (f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
            (f"qt_extra_{code}", str(TRANSLATIONS)),  # what that catalogue lacks (Taller's, by hand)
        ):
            translator = QTranslator(app)
            if translator.load(name, folder):
                app.installTranslator(translator)
                _installed.append(translator)
    QLocale.setDefault(_locale_for(code))
    engine_i18n.set_language(code)
    _current["code"] = code
    return code


def ensure_installed() -> str:
    """``install()`` once per process: the window calls it so that tests building it directly
    get the remembered language (and English plurals) as ``taller`` does."""
    return _current["code"] or install()


def installed() -> str:
    """The language ``install`` set ("en"/"es"), or "" when none was installed in this process."""
    return _current["code"]


def listing(names: list[str]) -> str:
    """Names as a phrase in the window's language: "A, B and C" / "A, B y C"."""
    if len(names) < 2:
        return "".join(names)
    return QCoreApplication.translate("language", "{names} and {last}").format(
        names=", ".join(names[:-1]), last=names[-1]
    )
