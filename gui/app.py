"""Start the window: QApplication, style, main window, event loop."""

from __future__ import annotations

import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def apply_style(app) -> None:
    """Fusion style plus Taller's style sheet (if present)."""
    app.setStyle("Fusion")
    sheet = RESOURCES / "style.qss"
    if sheet.is_file():
        app.setStyleSheet(sheet.read_text(encoding="utf-8"))


def run_app(argv: list[str] | None = None) -> int:
    """Open the main window and run until it closes; returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Taller")
    app.setOrganizationName("Taller")
    app.setApplicationDisplayName("Taller")
    apply_style(app)
    pg.setConfigOptions(antialias=True)
    window = MainWindow()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(run_app())
