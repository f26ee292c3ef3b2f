"""The window's frame: menus (File, View → Theme, Help), window-wide keys, scrolling tab pages,
fitting the screen and the question before quitting.

``build_menus(window)`` is called once by the main window; ``gui.window.wiring`` adds the items that
join two panels to ``window.fileMenu`` (*Export model as ONNX…*).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QGroupBox, QMenu, QMessageBox, QScrollArea, QWidget

from gui import language
from gui.data.gather_dialog import GatherDialog
from gui.theme import THEME_NAMES
from gui.widgets.page_scroll import PageScroll
from gui.widgets.wheel_guard import guard_wheel
from gui.window import relanguage
from gui.window.help import ReadmeDialog, show_about, show_shortcuts


def scrolling(panel: QWidget) -> QScrollArea:
    """A tab page that scrolls when the window is smaller than the panel's own minimum."""
    return PageScroll(panel)


def fit_to_screen(geometry: QRect, available: QRect) -> QRect:
    """``geometry`` shrunk to fit ``available`` and moved inside it (a screen's free area)."""
    width = min(geometry.width(), available.width())
    height = min(geometry.height(), available.height())
    left = min(max(geometry.left(), available.left()), available.right() - width + 1)
    top = min(max(geometry.top(), available.top()), available.bottom() - height + 1)
    return QRect(left, top, width, height)


def keep_on_screen(window) -> None:
    """Shrink and move a window into its screen's free area (frame included)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    if window.isMaximized() or window.isFullScreen():
        return
    frame = window.frameGeometry()
    extra = QSize(frame.width() - window.width(), frame.height() - window.height())
    inner = available.adjusted(0, 0, -extra.width(), -extra.height())
    window.setGeometry(fit_to_screen(window.geometry(), inner))


def ask_to_quit(parent: QWidget, question: str) -> bool:
    """A Quit / Cancel question (Cancel is the default); True when the user chose Quit."""
    title = QCoreApplication.translate("window_menus", "Quit Taller")
    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
    box.setObjectName("quitQuestion")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText(QCoreApplication.translate("window_menus", "Quit"))
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Yes


def quit_question(window) -> str | None:
    """What to ask before quitting: a run or a comparison would stop, or a trained model is nowhere on
    disk; None when nothing would be lost."""
    if window.training_panel.is_running():
        return QCoreApplication.translate("window_menus", "A model is training. Stop it and quit?")
    if window.compare_panel.is_running():
        return QCoreApplication.translate(
            "window_menus",
            "A comparison is running. Stop it and quit? Its finished runs are kept, and Resume on the "
            "Compare tab continues it (the Runs tab lists it).",
        )
    if window.has_unsaved_model():
        return QCoreApplication.translate(
            "window_menus",
            "The model you trained could not be saved in its run folder. Quit without saving it?",
        )
    return None


def busy_comparing() -> str:
    """Why Train waits while a comparison runs."""
    return QCoreApplication.translate(
        "window_menus",
        "A comparison is running on the Compare tab; train when it ends, or stop it there first.",
    )


def open_gather(window) -> GatherDialog:
    """*New dataset…*: the gathered dataset opens in the window's Data panel once saved."""
    dialog = GatherDialog(window.data_panel.data_config().data_dir, window, settings=window.settings)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.datasetSaved.connect(window.data_panel.set_image_folder)
    guard_wheel(dialog)
    dialog.open()
    return dialog


def show_readme(window) -> None:
    dialog = ReadmeDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def build_menus(window) -> None:
    """File, View and Help menus, and the keys Ctrl+Return (train), Esc (stop), Ctrl+1…8 (View → Go to)."""
    file_menu = window.menuBar().addMenu(QCoreApplication.translate("window_menus", "&File"))
    window.fileMenu = file_menu
    if hasattr(window, "newDatasetAction"):
        file_menu.addAction(window.newDatasetAction)
        file_menu.addSeparator()
    file_menu.addAction(window.training_panel.openAction)
    file_menu.addAction(window.training_panel.saveAction)
    file_menu.addSeparator()
    window.quitAction = QAction(
        QCoreApplication.translate("window_menus", "&Quit"), window, shortcut=QKeySequence.StandardKey.Quit
    )
    window.quitAction.triggered.connect(window.close)
    file_menu.addAction(window.quitAction)

    view_menu = window.menuBar().addMenu(QCoreApplication.translate("window_menus", "&View"))
    theme_menu = view_menu.addMenu(QCoreApplication.translate("window_menus", "&Theme"))
    window.themeActions = QActionGroup(window, exclusive=True)
    for key, label in THEME_NAMES.items():
        action = QAction(QCoreApplication.translate("theme", label), window, checkable=True, data=key)
        action.setObjectName(f"theme_{key}")
        window.themeActions.addAction(action)
        theme_menu.addAction(action)
    window.themeActions.triggered.connect(window.on_theme_chosen)
    add_language_menu(window, view_menu)
    view_menu.addSeparator()
    add_go_to_menu(window, view_menu)

    help_menu = window.menuBar().addMenu(QCoreApplication.translate("window_menus", "&Help"))
    shortcuts = QAction(
        QCoreApplication.translate("window_menus", "&Keyboard shortcuts"),
        window,
        shortcut=QKeySequence.StandardKey.HelpContents,
    )
    shortcuts.triggered.connect(partial(show_shortcuts, window))
    readme = QAction(QCoreApplication.translate("window_menus", "&README"), window)
    readme.triggered.connect(partial(show_readme, window))
    about = QAction(QCoreApplication.translate("window_menus", "&About Taller"), window)
    about.triggered.connect(partial(show_about, window))
    help_menu.addActions([shortcuts, readme, about])
    _add_keys(window)


def add_language_menu(window, view_menu: QMenu) -> None:
    """View → Language: System / English / Español, remembered; the window switches at once
    (``gui.window.relanguage``)."""
    menu = view_menu.addMenu(QCoreApplication.translate("window_menus", "&Language"))
    menu.setObjectName("languageMenu")
    window.languageActions = QActionGroup(window, exclusive=True)
    remembered = language.chosen(window.settings)
    for choice in language.CHOICES:
        if choice == "system":
            label = QCoreApplication.translate("window_menus", "System ({language})").format(
                language=language.LANGUAGE_NAMES[language.system_language()]
            )
        else:
            label = language.LANGUAGE_NAMES[choice]  # each language in its own words
        action = QAction(label, window, checkable=True, data=choice, objectName=f"language_{choice}")
        action.setChecked(choice == remembered)
        window.languageActions.addAction(action)
        menu.addAction(action)
    window.languageActions.triggered.connect(partial(on_language_chosen, window))


def on_language_chosen(window, action: QAction) -> str:
    """Remember the chosen language and switch to it now (once the window is idle). Returns the choice."""
    choice = str(action.data())
    language.remember(choice, window.settings)
    # After this signal returns: the switch deletes the menu and the action group that sent it.
    QTimer.singleShot(0, window, partial(relanguage.switch, window, language.resolve(choice)))
    return choice


def _add_keys(window) -> None:
    # Window-wide keys: Ctrl+Return trains and Esc stops, whichever control has the focus.
    window.trainAction = QAction(
        QCoreApplication.translate("window_menus", "Train"), window, objectName="trainAction"
    )
    window.trainAction.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    window.trainAction.triggered.connect(window.train_shortcut)
    window.stopAction = QAction(
        QCoreApplication.translate("window_menus", "Stop"),
        window,
        objectName="stopAction",
        shortcut=QKeySequence("Esc"),
    )
    window.stopAction.triggered.connect(window.training_panel.stop)
    window.addActions([window.trainAction, window.stopAction])


def add_go_to_menu(window, view_menu: QMenu) -> QMenu:
    """View → Go to: the numbered places in order, each with Ctrl+its number: 1 · Data and 2 · Model
    (the forms on the left, their first field takes the focus), then the tabs (3 · Train …)."""
    menu = view_menu.addMenu(QCoreApplication.translate("window_menus", "&Go to"))
    menu.setObjectName("goToMenu")
    forms = (window.data_panel.datasetCombo, window.model_panel.modelCombo)
    boxes = (window.findChild(QGroupBox, f"{name}Box") for name in ("dataPanel", "modelPanel"))
    places = [
        (box.title(), partial(go_to_form, window, field)) for box, field in zip(boxes, forms, strict=True)
    ]
    places += [
        (window.tabs.tabText(i), partial(window.tabs.setCurrentIndex, i)) for i in range(window.tabs.count())
    ]
    for number, (title, go) in enumerate(places, start=1):
        action = QAction(title, window, objectName=f"goTo{number}Action")
        if number <= 9:
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
        action.triggered.connect(go)
        menu.addAction(action)
        window.addAction(action)  # the key works wherever the focus is
    return menu


def go_to_form(window, field: QWidget) -> None:
    """Give ``field`` (a form's first field) the focus and scroll the forms column to it."""
    field.setFocus(Qt.FocusReason.ShortcutFocusReason)
    scroll = window.findChild(QScrollArea, "formsScroll")
    if scroll is not None:
        scroll.ensureWidgetVisible(field)
