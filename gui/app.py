"""Start the window: QApplication, theme, a splash at once, then the main window and the event loop.

The panels import the engine, and the engine imports PyTorch and torchvision (seconds on a cold
disk). The splash is painted before that import, under a busy cursor, so the user sees Taller
start at once instead of waiting on a blank screen.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QSplashScreen

from engine.errors import describe
from gui.settings import make_settings, read_str
from gui.theme import apply_theme, colours, current_name

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON = RESOURCES / "taller.svg"


def apply_style(app, theme: str | None = None) -> str:
    """Fusion plus Taller's palette and style sheet in the remembered (or given) theme."""
    if theme is None:
        theme = read_str(make_settings(), "window/theme", "system")
    return apply_theme(app, theme)


def splash_screen() -> QSplashScreen:
    """A small card in the theme's colours: "Taller — loading PyTorch…"."""
    table = colours()
    ratio = QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1.0
    pixmap = QPixmap(int(420 * ratio), int(160 * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(QColor(table["window"]))
    painter = QPainter(pixmap)
    painter.setPen(QColor(table["border"]))
    painter.drawRect(0, 0, 419, 159)
    if ICON.is_file():
        painter.drawPixmap(24, 48, QIcon(str(ICON)).pixmap(64, 64))
    font = QFont()
    font.setPointSize(20)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor(table["accent"]))
    painter.drawText(108, 78, "Taller")
    font.setPointSize(10)
    font.setBold(False)
    painter.setFont(font)
    painter.setPen(QColor(table["muted"]))
    painter.drawText(108, 104, "Train an image classifier, offline")
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.setObjectName("splash")
    splash.showMessage(
        "Loading PyTorch…", Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight, QColor(table["muted"])
    )
    return splash


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Taller")
    app.setOrganizationName("Taller")
    app.setApplicationDisplayName("Taller")
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    apply_style(app)
    return app


def open_window(app: QApplication):
    """Splash first, then import and show the main window; returns the window."""
    splash = splash_screen()
    splash.show()
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    app.processEvents()  # the first paint, before PyTorch loads
    try:
        # deferred: the panels import torch and torchvision (seconds); the splash is painted first
        from engine.threads import use_training_threads
        from gui.main_window import MainWindow  # deferred: torch, torchvision and every panel

        use_training_threads(leave_free=1)  # one core stays with the window's event loop
        apply_theme(app, current_name())  # again, now that pyqtgraph is loaded: its defaults
        window = MainWindow()
        window.show()
        splash.finish(window)
    finally:
        QApplication.restoreOverrideCursor()
    return window


def report_uncaught(kind, exc, tb) -> None:
    """``sys.excepthook`` of the window: an error outside any task becomes a message box.

    The message is the one the command line gives (``engine.errors.describe``): a bug's traceback
    goes to a log file it names, never only to a terminal the user may not have.
    """
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    message = describe(exc.with_traceback(tb))
    print(f"error: {message}", file=sys.stderr)
    if QApplication.instance() is not None:
        QMessageBox.critical(None, "Taller", message)


def run_app(argv: list[str] | None = None) -> int:
    """Open the main window and run until it closes; returns the exit code."""
    app = make_app(argv)
    sys.excepthook = report_uncaught  # errors in the window's own slots: a message, not a traceback
    window = open_window(app)  # noqa: F841 - kept alive until the loop ends
    return app.exec()


if __name__ == "__main__":
    sys.exit(run_app())
