"""A form's controls for settings of ``engine.settings``' table, and what they remember.

A spin box made here takes its range, decimals, step and default from the setting's entry (where
the window shows it, ``Place``), so the form offers only values the engine accepts. Every control
registered here is saved and restored under its setting's QSettings key, and is disabled, with a
tool tip saying why, while the table says the setting does not act (momentum with Adam).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

from engine.i18n import gettext
from engine.settings import BY_NAME, DEFAULTS, Interval, Setting
from gui.settings import read_bool, read_float, read_int, read_str

_READERS = {bool: read_bool, int: read_int, float: read_float, str: read_str}


def _scale(setting: Setting) -> float:
    return 100 if setting.window.percent else 1


def _unit(setting: Setting) -> float:
    """The smallest step the control shows: one of its last decimal."""
    return 1 if setting.type is int else 10**-setting.window.decimals


def spin_range(setting: Setting) -> tuple[float, float]:
    """The range a setting's spin box shows: the table's interval (x100 for a percentage), an open end
    moved in by one step, one step below for a value that turns it off (K-Fold's "Off"), and no higher
    than the window's own top."""
    place, interval = setting.window, setting.interval or Interval(0)
    scale, unit = _scale(setting), _unit(setting)
    low = interval.low * scale + (unit if interval.low_open else 0)
    if setting.off_slot is not None:
        low -= unit
    tops = [interval.high * scale - (unit if interval.high_open else 0)] if interval.high is not None else []
    tops += [place.most * scale] if place.most is not None else []
    return low, min(tops)


class SettingFields:
    """The controls of one form that show table settings, by setting name."""

    def __init__(self) -> None:
        self.widgets: dict[str, QWidget] = {}
        self._tips: dict[str, str] = {}

    def spin(self, name: str, tip: str | None = None) -> QSpinBox | QDoubleSpinBox:
        """A spin box for setting ``name``, at its default; ``tip`` replaces the table's help."""
        setting = BY_NAME[name]
        place = setting.window
        spin = QSpinBox() if setting.type is int else QDoubleSpinBox()
        spin.setObjectName(place.widget)
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(place.decimals)
        if place.percent:
            spin.setSuffix(" %")
        spin.setRange(*spin_range(setting))
        if place.step is None:
            spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        else:
            spin.setSingleStep(place.step)
        return self.add(name, spin, tip)

    def add(self, name: str, widget: QWidget, tip: str | None = None) -> Any:
        """Register ``widget`` (a spin box, combo box or check box) as setting ``name``'s control; its
        tool tip is ``tip``, else the one it has, else the table's help."""
        self.widgets[name] = widget
        self._tips[name] = tip if tip is not None else widget.toolTip() or BY_NAME[name].tip()
        widget.setToolTip(self._tips[name])
        self.set_value(name, BY_NAME[name].default)
        return widget

    def value(self, name: str) -> Any:
        """The value the control says, as the config holds it."""
        setting, widget = BY_NAME[name], self.widgets[name]
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        shown = widget.value()
        if setting.off_slot is not None and shown < spin_range(setting)[0] + _unit(setting) / 2:
            return setting.off_slot
        if setting.type is int:
            return int(shown)
        return round(shown / _scale(setting), setting.window.decimals + 2)

    def set_value(self, name: str, value: Any) -> None:
        """Show ``value``; a combo box keeps its choice when ``value`` is missing or disabled there."""
        setting, widget = BY_NAME[name], self.widgets[name]
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            item = widget.model().item(index) if index >= 0 and hasattr(widget.model(), "item") else None
            if index >= 0 and (item is None or item.isEnabled()):  # e.g. a GPU not in this machine
                widget.setCurrentIndex(index)
        elif value in setting.off and setting.off_slot is not None:
            widget.setValue(spin_range(setting)[0])
        else:
            widget.setValue(value * _scale(setting))

    def on_change(self, slot: Callable[[], None]) -> None:
        """Call ``slot`` whenever the user changes any of the controls."""
        for widget in self.widgets.values():
            if isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(slot)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(slot)
            else:
                widget.valueChanged.connect(slot)

    def values(self) -> dict[str, Any]:
        """Every control's value by setting name."""
        return {name: self.value(name) for name in self.widgets}

    def follow_use(self) -> None:
        """Enable a control only while its setting acts, given the others; a tool tip says why not."""
        values = {**DEFAULTS, **self.values()}
        for name, widget in self.widgets.items():
            setting = BY_NAME[name]
            if setting.used_when is None:
                continue
            used = setting.used_when(values)
            widget.setEnabled(used)
            widget.setToolTip(self._tips[name] if used else gettext(setting.unused_note or ""))

    def save(self, settings: QSettings) -> None:
        for name in self.widgets:
            settings.setValue(BY_NAME[name].window.key, self.value(name))

    def restore(self, settings: QSettings) -> None:
        for name in self.widgets:
            setting = BY_NAME[name]
            self.set_value(name, _READERS[setting.type](settings, setting.window.key, self.value(name)))
