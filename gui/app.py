"""Start the window: QApplication, theme, the main window at once, then its panels, the event loop.

The panels import the engine, and the engine imports PyTorch and torchvision (seconds on a cold
disk). The window is shown before that import, saying "Loading PyTorch…" under a busy cursor;
the engine is imported in a worker thread while the window stays responsive, and the panels are
built when it is done (``MainWindow.load_panels``).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.errors import describe
from gui.language import install as install_language
from gui.settings import make_settings, read_str
from gui.theme import apply_theme
from gui.window.main_window import MainWindow

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON = RESOURCES / "taller.svg"


def app_icon() -> QIcon:
    """Taller's icon: drawn PNGs for the small sizes (title bars, task bars, docks) and the SVG,
    which Qt scales to any other size where its SVG plug-in is installed."""
    icon = QIcon()
    for png in sorted(RESOURCES.glob("taller-*.png")):
        icon.addFile(str(png))
    if ICON.is_file():
        icon.addFile(str(ICON))
    return icon


def apply_style(app, theme: str | None = None) -> str:
    """Fusion plus Taller's palette and style sheet in the remembered (or given) theme."""
    if theme is None:
        theme = read_str(make_settings(), "window/theme", "system")
    return apply_theme(app, theme)


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Taller")
    app.setOrganizationName("Taller")
    app.setApplicationDisplayName("Taller")
    install_language()  # the remembered language (or the system's), before the first text is set
    app.setWindowIcon(app_icon())  # the main window takes it too (MainWindow sets it)
    apply_style(app)
    return app


def open_window(app: QApplication) -> MainWindow:
    """Show the main window at once, then load PyTorch behind it and build its panels."""
    window = MainWindow(build=False)
    window.panelsReady.connect(_leave_a_core_free)
    window.show()
    app.processEvents()  # the first paint, before PyTorch loads
    window.load_panels()
    return window


def _leave_a_core_free() -> None:
    # deferred: engine.threads imports torch, loaded by now (the window's panels are built)
    from engine.threads import use_training_threads

    use_training_threads(leave_free=1)  # one core stays with the window's event loop


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
        QMessageBox.critical(None, QCoreApplication.translate("app", "Taller"), message)


def collect_garbage_in_gui_thread(app: QApplication, interval_ms: int = 1000) -> QTimer:
    """Run Python's cyclic garbage collector only in the GUI thread, on a timer.

    Automatic collection runs in whichever thread happens to allocate, most often a training
    worker; a Qt object in a collected reference cycle would then be destroyed off the GUI thread,
    which Qt does not allow (a crash at a random moment). Anki does the same for the same reason.
    """
    gc.disable()
    timer = QTimer(app, objectName="garbageTimer", interval=interval_ms)
    timer.timeout.connect(collect_due_garbage)
    timer.start()
    return timer


def collect_due_garbage() -> None:
    """Collect the oldest generation whose count passed its threshold, as automatic collection would."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return


def run_app(argv: list[str] | None = None) -> int:
    """Open the main window and run until it closes; returns the exit code."""
    app = make_app(argv)
    collect_garbage_in_gui_thread(app)
    sys.excepthook = report_uncaught  # errors in the window's own slots: a message, not a traceback
    window = open_window(app)  # noqa: F841 - kept alive until the loop ends
    return app.exec()


if __name__ == "__main__":
    sys.exit(run_app())
