"""The left column at 1280x720: no widget cut at its right edge, nothing scrolled sideways, whatever
the data, the language or the theme."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from gui import language
from tests.helpers_data import write_cifar10, write_image_folder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def cut_widgets(window) -> list[str]:
    """Every visible widget of the forms column that reaches past the scroll area's visible part."""
    scroll = window.findChild(QWidget, "formsScroll")
    viewport = scroll.viewport()
    cut = []
    for child in scroll.widget().findChildren(QWidget):
        if not child.isVisibleTo(scroll):
            continue
        left = child.mapTo(viewport, child.rect().topLeft()).x()
        right = child.mapTo(viewport, child.rect().topRight()).x()
        if left < 0 or right >= viewport.width():
            cut.append(
                f"{type(child).__name__} {child.objectName()!r}: x {left}..{right} of {viewport.width()}"
            )
    return cut


def settle(qtbot, window) -> None:
    qtbot.waitUntil(window.is_idle, timeout=60_000)
    QApplication.processEvents()
    qtbot.wait(50)  # the column's new minimum width reaches the splitter


@pytest.mark.parametrize(("code", "theme"), [("en", "light"), ("es", "dark")])
def test_no_widget_of_the_forms_column_is_cut_or_scrolled_sideways(qtbot, tmp_path, code, theme):
    from gui.window.main_window import MainWindow  # deferred: after the language is installed

    language.install(code)
    try:
        window = MainWindow(models_dir=tmp_path / "models")
        qtbot.addWidget(window)
        window.resize(1280, 720)
        window.show()
        window.set_theme(theme)
        scroll = window.findChild(QWidget, "formsScroll")
        data = window.data_panel
        long_path = tmp_path / "photos of the class trip to the botanical garden, spring term" / "sorted"
        write_image_folder(long_path, classes=("ants", "bees"), n_per_class=12)
        cifar_home = tmp_path / "data"
        steps = [
            ("built-in digits", lambda: data.set_dataset("digits")),
            ("an image folder with a long path", lambda: data.set_image_folder(long_path)),
            ("CIFAR-10 with its files missing", lambda: data.set_dataset("cifar10")),
            ("CIFAR-10 with its files", lambda: (write_cifar10(cifar_home), data.reload())),
        ]
        data.dataFolderEdit.setText(str(cifar_home))
        for what, step in steps:
            step()
            settle(qtbot, window)
            assert not cut_widgets(window), (what, cut_widgets(window))
            for child in scroll.widget().findChildren(QWidget):
                if child.isVisibleTo(scroll) and child.focusPolicy() != 0:
                    child.setFocus()  # a focus change once scrolled the column sideways
                    QApplication.processEvents()
            assert scroll.horizontalScrollBar().value() == 0, what
    finally:
        language.install("en")
