"""The coloured message strip every panel shows its errors, notes and confirmations in.

``resources/style.qss`` colours a QLabel by its ``role`` property ("error", "info", "ok"; "warning"
and "hint" are plain text unless a rule names them). A property change is only drawn after the
style is polished again, which is the step hand-written copies tended to forget.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QWidget

ROLES = ("error", "info", "ok", "warning", "hint", "")


class MessageLabel(QLabel):
    """A word-wrapped label whose colours follow its role; empty text hides it.

    Parameters
    ----------
    name
        The objectName (tests and accessibility tools find the label by it).
    hide_when_empty
        False for a label whose visibility its panel decides (it then only changes text and role).
    selectable
        Whether the user can select (and copy) the text, e.g. a file path in an error.
    """

    def __init__(
        self,
        name: str,
        parent: QWidget | None = None,
        hide_when_empty: bool = True,
        selectable: bool = True,
    ):
        super().__init__(parent, objectName=name, wordWrap=True)
        self._hide_when_empty = hide_when_empty
        if selectable:
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setProperty("role", "")
        if hide_when_empty:
            self.hide()

    @Slot(str)
    def show_message(self, text: str, role: str = "error") -> None:
        """Show ``text`` coloured as ``role``; empty text clears the role (and hides the label)."""
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}; expected one of {ROLES}")
        self.setText(text)
        self.set_role(role if text else "")
        if self._hide_when_empty:
            self.setVisible(bool(text))

    @Slot(str)
    def show_error(self, text: str) -> None:
        """``show_message(text, "error")``, for connecting to a task's ``failed`` signal."""
        self.show_message(text, "error")

    def role(self) -> str:
        return str(self.property("role") or "")

    def set_role(self, role: str) -> None:
        self.setProperty("role", role)
        self.style().unpolish(self)
        self.style().polish(self)
