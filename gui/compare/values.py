"""The values a comparison tries, as a user types them in a line: split and written in the window's language.

English writes ``0.1, 0.01, 0.001``; Spanish writes decimals with a comma, so its numbers are
separated with semicolons: ``0,1; 0,01; 0,001``. Either language may separate with semicolons or
spaces. The engine checks each value against its setting (``engine.compare.presets``); this only
turns the line into the words it checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication

from engine.settings import BY_NAME, Setting
from gui.language import current, short

# Settings a comparison does not vary from the window: the seed is the plan's (repeats vary it); the
# data folder, the download and the resize are not choices about the model; layer lists are typed on
# the Layers tab, not as values.
LEFT_OUT = ("seed", "data_dir", "download", "resize", "frozen", "unfreeze", "init_checkpoint")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")


def offered() -> list[Setting]:
    """The settings the dialog offers to vary, in the table's order."""
    return [s for name, s in BY_NAME.items() if name not in LEFT_OUT]


def is_number(setting: Setting) -> bool:
    return setting.type in (int, float)


def split_values(text: str, numeric: bool) -> list[str]:
    """The values typed in ``text``: numbers in the window's language become Python's ("0,01" -> "0.01")."""
    spanish = current() == "es"
    if numeric and spanish:
        parts = re.split(r"[;\s]+", text)
        return [_DECIMAL_COMMA.sub(".", p) for p in parts if p]
    return [p for p in re.split(r"[,;\s]+", text) if p]


def join_values(values: Sequence[Any], numeric: bool) -> str:
    """``values`` written for the line, as ``split_values`` reads them back."""
    words = [short(v, 3) if isinstance(v, float) else _word(v) for v in values]
    return ("; " if numeric and current() == "es" else ", ").join(words)


def _word(value: Any) -> str:
    if isinstance(value, bool):
        # The engine reads yes/no and sí/no alike (engine.compare.presets).
        if value:
            return QCoreApplication.translate("compare_values", "yes")
        return QCoreApplication.translate("compare_values", "no")
    return str(value)


def suggested(setting: Setting, base: Any) -> list[Any]:
    """Values to try at first for ``setting`` around the base run's ``base``: its choices, on and off,
    or the base with a smaller and a larger number."""
    if setting.choices is not None:
        return list(setting.choices())
    if setting.type is bool:
        return [False, True]
    if setting.type is float:
        value = float(base if base is not None else setting.default or 0.0)
        candidates = [value / 10, value, value * 10] if value else [0.0, 0.01, 0.1]
    elif setting.type is int:
        value = int(base if base is not None else setting.default or 1)
        candidates = [value, value * 2]
    else:
        return [base] if base is not None else []
    return [v for v in candidates if setting.check(v) is None] or [base]
