"""The Help menu's windows: About (with versions), the keyboard shortcuts, the README offline."""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

import PySide6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, qVersion
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from gui.language import current

README = Path(__file__).resolve().parents[2] / "README.md"

# (keys, what they do): the one list the Help menu shows and the window binds.
SHORTCUTS = (  # the descriptions are translated where shown
    ("Ctrl+Return", QT_TRANSLATE_NOOP("window_help", "Train with the settings shown")),
    ("Esc", QT_TRANSLATE_NOOP("window_help", "Stop the run (after the current batch)")),
    ("Ctrl+N", QT_TRANSLATE_NOOP("window_help", "New dataset… (gather images per class)")),
    ("Ctrl+O", QT_TRANSLATE_NOOP("window_help", "Open a saved model")),
    ("Ctrl+S", QT_TRANSLATE_NOOP("window_help", "Save the current model")),
    ("Ctrl+1, Ctrl+2", QT_TRANSLATE_NOOP("window_help", "Go to the forms: 1 · Data, 2 · Model")),
    (
        "Ctrl+3 … Ctrl+8",
        QT_TRANSLATE_NOOP(
            "window_help",
            "Go to a tab: 3 · Train, 4 · Layers, 5 · Evaluate, 6 · Runs, 7 · Try it, 8 · Compare",
        ),
    ),
    ("F1", QT_TRANSLATE_NOOP("window_help", "This list")),
    ("Ctrl+Q", QT_TRANSLATE_NOOP("window_help", "Quit")),
)


def taller_version() -> str:
    try:
        return metadata.version("taller")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return QCoreApplication.translate("window_help", "development copy")


def package_version(name: str) -> str:
    """An installed package's version, read from its metadata: the About box imports nothing heavy."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def about_text() -> str:
    """Rich text for the About box: what Taller is and the versions it runs on."""
    versions = (
        ("Taller", taller_version()),
        ("Python", platform.python_version()),
        ("PyTorch", package_version("torch")),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("pyqtgraph", package_version("pyqtgraph")),
    )
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{version}</td></tr>" for name, version in versions)
    intro = QCoreApplication.translate(
        "window_help",
        "Train image classifiers on your own computer, offline: gather or choose "
        "images, train, evaluate and try the model.",
    )
    return f"<h3>Taller</h3><p>{intro}</p><table>{rows}</table>"


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, QCoreApplication.translate("window_help", "About Taller"), about_text())


def shown_keys(keys: str) -> str:
    """Keys as the menus write them in the window's language ("Ctrl+1" is "Control+1" in Spanish)."""
    native = QKeySequence.SequenceFormat.NativeText
    return re.sub(r"[\w+]+", lambda m: QKeySequence(m.group()).toString(native) or m.group(), keys)


def shortcuts_html() -> str:
    # "6 · Runs" stays on one line: a place's number never wraps away from its name.
    shown = [
        (keys, QCoreApplication.translate("window_help", what).replace(" · ", "&nbsp;·&nbsp;"))
        for keys, what in SHORTCUTS
    ]
    rows = "".join(
        f"<tr><td><b>{shown_keys(keys)}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for keys, what in shown
    )
    return f"<table cellpadding='3'>{rows}</table>"


def show_shortcuts(parent: QWidget) -> None:
    box = QMessageBox(parent)
    box.setObjectName("shortcutsBox")
    box.setWindowTitle(QCoreApplication.translate("window_help", "Keyboard shortcuts"))
    box.setText(shortcuts_html())
    box.open()


class ReadmeDialog(QDialog):
    """The README shown from the file beside the program: no browser, no network."""

    def __init__(self, parent: QWidget | None = None, path: Path | None = None):
        super().__init__(parent)
        if path is None:  # the Spanish README when the window speaks Spanish and it is there
            spanish = README.with_name("README.es.md")
            path = spanish if current() == "es" and spanish.is_file() else README
        self.setObjectName("readmeDialog")
        self.setWindowTitle(self.tr("Taller README"))
        self.browser = QTextBrowser(objectName="readmeBrowser")
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(path.parent)])  # the screenshots beside it
        if path.is_file():
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        else:
            self.browser.setPlainText(
                self.tr("The README is not on this machine (looked for {path}).").format(path=path)
            )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 560)
