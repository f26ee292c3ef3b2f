"""The window's colours: one table per theme, the Qt palette built from it, and the style sheet.

Every colour the window draws comes from here: the palette (``QPalette`` roles the style sheet and
the widgets read), the ``@name`` tokens of ``resources/style.qss``, and ``colours()`` for what Qt
styles cannot reach (pyqtgraph plots, the confusion heatmap, the canvas frame). "system" follows
Qt's colour scheme (light or dark); widgets that paint themselves listen to ``notifier().changed``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette

THEME_NAMES = {  # the View → Theme menu; labels translated there (context "theme")
    "system": QT_TRANSLATE_NOOP("theme", "System"),
    "light": QT_TRANSLATE_NOOP("theme", "Light"),
    "dark": QT_TRANSLATE_NOOP("theme", "Dark"),
}
STYLE_SHEET = Path(__file__).resolve().parent.parent / "resources" / "style.qss"

THEMES: dict[str, dict[str, str]] = {
    "light": {
        "window": "#f3f4f6",
        "base": "#ffffff",
        "alt_base": "#f4f6f8",
        "button": "#e8eaed",
        "text": "#1d232b",
        "muted": "#4f5863",
        "disabled": "#9097a0",
        "accent": "#1f4e8c",
        "border": "#c8ccd2",
        "highlight": "#2f6fbd",
        "highlight_text": "#ffffff",
        "link": "#1f5fae",
        "error_fg": "#8a1c1c",
        "error_bg": "#fdecea",
        "error_border": "#f5c2c0",
        "info_fg": "#1f3a5f",
        "info_bg": "#eaf2fb",
        "info_border": "#c5d9f0",
        "ok_fg": "#1b5e20",
        "ok_bg": "#edf7ed",
        "ok_border": "#c3e6c5",
        "warning_fg": "#7a4a00",
        "train_bg": "#2e7d32",
        "train_hover": "#388e3c",
        "train_fg": "#ffffff",
        "train_disabled": "#a5c8a7",
        "stop_fg": "#b71c1c",
        "progress_chunk": "#90caf9",
        "plot_bg": "#ffffff",
        "plot_fg": "#333333",
        "plot_axis": "#8c939c",
        "plot_marker": "#888888",
        "legend_bg": "#ffffffc8",
        "heat_low": "#f7fbff",
        "heat_high": "#08306b",
        "heat_text_light": "#ffffff",
        "heat_text_dark": "#1d232b",
        "heat_zero": "#6b7280",
        "cell_highlight": "#d62728",
        "frame": "#c8ccd2",
        "frozen": "#8a8a8a",
        "bar": "#90a4ae",
        "bar_top": "#1f77b4",
    },
    "dark": {
        "window": "#1f2227",
        "base": "#16181c",
        "alt_base": "#23272d",
        "button": "#2c3036",
        "text": "#e6e8eb",
        "muted": "#aab2bd",
        "disabled": "#6b727c",
        "accent": "#8cb8ff",
        "border": "#3c424a",
        "highlight": "#2f6fbd",
        "highlight_text": "#ffffff",
        "link": "#8cb8ff",
        "error_fg": "#ffb4ab",
        "error_bg": "#3b1d1b",
        "error_border": "#6b2c28",
        "info_fg": "#b8d4ff",
        "info_bg": "#1b2a3d",
        "info_border": "#2f4a6b",
        "ok_fg": "#a5d6a7",
        "ok_bg": "#1b3320",
        "ok_border": "#2e5a34",
        "warning_fg": "#ffcc80",
        "train_bg": "#2e7d32",
        "train_hover": "#388e3c",
        "train_fg": "#ffffff",
        "train_disabled": "#2f4531",
        "stop_fg": "#ff8a80",
        "progress_chunk": "#3d6fa8",
        "plot_bg": "#16181c",
        "plot_fg": "#d0d4da",
        "plot_axis": "#6b737d",
        "plot_marker": "#9aa1aa",
        "legend_bg": "#23272dc8",
        "heat_low": "#1c2330",
        "heat_high": "#6fa8ff",
        "heat_text_light": "#0b0d10",
        "heat_text_dark": "#e6e8eb",
        "heat_zero": "#8a929c",
        "cell_highlight": "#ff6b6b",
        "frame": "#5a616b",
        "frozen": "#7d858f",
        "bar": "#5f7480",
        "bar_top": "#5fa8ff",
    },
}

# Text/background pairs that must stay readable (WCAG AA: contrast ratio >= 4.5); tests check them.
READABLE_PAIRS = (
    ("text", "window"),
    ("text", "base"),
    ("text", "alt_base"),
    ("text", "button"),
    ("muted", "window"),
    ("muted", "base"),
    ("accent", "window"),
    ("link", "base"),
    ("error_fg", "error_bg"),
    ("info_fg", "info_bg"),
    ("ok_fg", "ok_bg"),
    ("warning_fg", "window"),
    ("warning_fg", "base"),
    ("train_fg", "train_bg"),
    ("stop_fg", "button"),
    ("plot_fg", "plot_bg"),
    ("highlight_text", "highlight"),
    ("heat_text_light", "heat_high"),
    ("heat_text_dark", "heat_low"),
    ("heat_zero", "heat_low"),
)

_current = {"name": "system", "resolved": "light"}


class ThemeNotifier(QObject):
    """Emits ``changed()`` after the theme was applied, for widgets that paint their own colours."""

    changed = Signal()


_notifier: ThemeNotifier | None = None


def notifier() -> ThemeNotifier:
    """The one notifier (created on first use, after the QApplication)."""
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


def system_is_dark() -> bool:
    """Whether Qt reports a dark colour scheme for the desktop (Unknown counts as light)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def resolve(name: str) -> str:
    """ "light" or "dark" for a theme choice ("system" asks Qt)."""
    if name in THEMES:
        return name
    return "dark" if system_is_dark() else "light"


def colours(name: str | None = None) -> dict[str, str]:
    """The colour table of a resolved theme (default: the one applied now)."""
    return THEMES[name or _current["resolved"]]


def colour(key: str) -> QColor:
    """One colour of the applied theme as a QColor ("#rrggbbaa" keeps its alpha)."""
    return to_qcolor(colours()[key])


def to_qcolor(value: str) -> QColor:
    if len(value) == 9:  # #rrggbbaa: Qt reads 8 digits as #aarrggbb
        return QColor(int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16), int(value[7:9], 16))
    return QColor(value)


def palette(table: dict[str, str]) -> QPalette:
    """A QPalette whose roles come from one theme table."""
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "base",
        QPalette.ColorRole.AlternateBase: "alt_base",
        QPalette.ColorRole.ToolTipBase: "base",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.PlaceholderText: "muted",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.Button: "button",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.BrightText: "error_fg",
        QPalette.ColorRole.Highlight: "highlight",
        QPalette.ColorRole.HighlightedText: "highlight_text",
        QPalette.ColorRole.Link: "link",
        QPalette.ColorRole.LinkVisited: "link",
        QPalette.ColorRole.Mid: "border",
        QPalette.ColorRole.Midlight: "alt_base",
    }
    for role, key in roles.items():
        pal.setColor(role, to_qcolor(table[key]))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, to_qcolor(table["disabled"]))
    return pal


def style_sheet(table: dict[str, str], template: str | None = None) -> str:
    """``resources/style.qss`` with its ``@name`` tokens replaced by the table's colours."""
    if template is None:
        template = STYLE_SHEET.read_text(encoding="utf-8") if STYLE_SHEET.is_file() else ""

    def swap(match: re.Match) -> str:
        value = table[match.group(1)]
        return value[:7] if len(value) == 9 else value  # style sheets take #rrggbb

    return re.sub(r"@([a-z_]+)", swap, template)


def apply_theme(app, name: str = "system") -> str:
    """Apply a theme choice to the whole application; returns the resolved "light"/"dark"."""
    resolved = resolve(name)
    _current.update(name=name if name in THEME_NAMES else "system", resolved=resolved)
    table = THEMES[resolved]
    app.setStyle("Fusion")  # the one style whose colours all come from the palette
    app.setPalette(palette(table))
    app.setStyleSheet(style_sheet(table))
    # pyqtgraph takes seconds to import: the first window is themed without it, plots made later get
    # these defaults (the window's own plots take their colours from the table explicitly).
    pg = sys.modules.get("pyqtgraph")
    if pg is not None:
        pg.setConfigOptions(antialias=True, background=table["plot_bg"], foreground=table["plot_fg"])
    notifier().changed.emit()
    return resolved


def relative_luminance(value: str) -> float:
    """WCAG relative luminance of an sRGB colour."""
    c = to_qcolor(value)

    def channel(v: int) -> float:
        s = v / 255.0
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (1 to 21) of two colours."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)
