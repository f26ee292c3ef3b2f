"""Where the window keeps the last-used choices, and typed reads that survive the INI format.

Tests and portable installs point the settings at a file with the ``TALLER_SETTINGS`` environment
variable (or the ``path`` argument); otherwise Qt's per-user location is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

SETTINGS_ENV = "TALLER_SETTINGS"


def make_settings(path: str | Path | None = None) -> QSettings:
    """QSettings at ``path``, else at ``$TALLER_SETTINGS``, else the user's Taller settings."""
    path = path or os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Taller", "Taller")


def read_str(settings: QSettings, key: str, default: str) -> str:
    value = settings.value(key, default)
    return default if value is None else str(value)


def read_int(settings: QSettings, key: str, default: int) -> int:
    try:
        return int(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    # The INI format hands booleans back as the strings "true"/"false".
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)
