"""The Help menu's windows: About (with versions), the keyboard shortcuts, the README offline."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

import pyqtgraph as pg
import PySide6
import torch
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

README = Path(__file__).resolve().parents[2] / "README.md"

# (keys, what they do): the one list the Help menu shows and the window binds.
SHORTCUTS = (
    ("Ctrl+Return", "Train with the settings shown"),
    ("Esc", "Stop the run (after the current batch)"),
    ("Ctrl+N", "New dataset… (gather images per class)"),
    ("Ctrl+O", "Open a saved model"),
    ("Ctrl+S", "Save the current model"),
    ("Ctrl+1 … Ctrl+5", "Go to a tab: Train, Layers, Evaluate, Runs, Try it"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


def taller_version() -> str:
    try:
        return metadata.version("taller")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "development copy"


def about_text() -> str:
    """Rich text for the About box: what Taller is and the versions it runs on."""
    versions = (
        ("Taller", taller_version()),
        ("Python", platform.python_version()),
        ("PyTorch", torch.__version__),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("pyqtgraph", pg.__version__),
    )
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{version}</td></tr>" for name, version in versions)
    return (
        "<h3>Taller</h3><p>Train image classifiers on your own computer, offline: gather or choose "
        "images, train, evaluate and try the model.</p>"
        f"<table>{rows}</table>"
    )


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About Taller", about_text())


def shortcuts_html() -> str:
    rows = "".join(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for keys, what in SHORTCUTS)
    return f"<table cellpadding='3'>{rows}</table>"


def show_shortcuts(parent: QWidget) -> None:
    box = QMessageBox(parent)
    box.setObjectName("shortcutsBox")
    box.setWindowTitle("Keyboard shortcuts")
    box.setText(shortcuts_html())
    box.open()


class ReadmeDialog(QDialog):
    """The README shown from the file beside the program: no browser, no network."""

    def __init__(self, parent: QWidget | None = None, path: Path = README):
        super().__init__(parent)
        self.setObjectName("readmeDialog")
        self.setWindowTitle("Taller README")
        self.browser = QTextBrowser(objectName="readmeBrowser")
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(path.parent)])  # the screenshots beside it
        if path.is_file():
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        else:
            self.browser.setPlainText(f"The README is not on this machine (looked for {path}).")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 560)
