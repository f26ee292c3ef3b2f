"""The mouse wheel scrolls a page; it changes a combo box or spin box only once the user chose it.

Qt gives combo and spin boxes ``Qt.WheelFocus``: a wheel turned over one while scrolling the forms
changes its value (five steps switched the model from Simple CNN to VGG-16 unnoticed). ``guard_wheel``
gives them ``Qt.StrongFocus`` (click or Tab to choose one) and a filter that passes a wheel event over
an unfocused one on to the scroll area around it, which scrolls instead.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """Event filter: a wheel event over a value widget without focus goes to the scroll area around it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = scroll_area_around(watched)
        if area is None:
            event.ignore()  # Qt offers an ignored wheel event to the parents
        else:  # handed on explicitly: Qt does not pass a synthesized wheel event to parents
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


def scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area (scroll area, list, table) that holds ``widget``, or None."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def guard(widget: QWidget, wheel_guard: WheelGuard) -> None:
    """Give ``widget`` (a combo or spin box) strong focus and ``wheel_guard``'s filter, once."""
    if widget.property("wheelGuarded"):
        return
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(wheel_guard)
    widget.setProperty("wheelGuarded", True)


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every combo and spin box under ``root`` (the filter is parented to ``root``)."""
    wheel_guard = root.findChild(WheelGuard, "wheelGuard") or WheelGuard(root, objectName="wheelGuard")
    for kind in GUARDED:
        for widget in root.findChildren(kind):
            guard(widget, wheel_guard)
    return wheel_guard
