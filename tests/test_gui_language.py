"""The window in Spanish and English: Qt translations, View → Language, numbers in the locale.

The Spanish window is walked tab by tab after a one-epoch run, and every text a user can read
(labels, buttons, group titles, tabs, menus, headers, combo items, tooltips, placeholders, plot axes
and legends) must be free of English: neither an English source string of the catalogue nor a
word that only the English side of the catalogue uses. Names (models, datasets, classes, files)
are left out, as the issue allows.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QProgressBar,
    QTableWidget,
    QTabWidget,
    QTreeWidget,
    QWidget,
)

from engine.data import registry as datasets
from engine.i18n import gettext
from engine.models import registry as architectures
from gui import language
from tests.helpers_gui import RUN_TIMEOUT, open_window
from tools import translations

ROOT = Path(__file__).resolve().parent.parent
TS = translations.TS_DIR / "taller_es.ts"
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]+")
# Words the issue names, and English glue words: never Spanish, whatever the catalogue holds.
ALWAYS_ENGLISH = {
    "train", "stop", "layers", "evaluation", "evaluate", "epochs", "batch", "size", "learning", "rate",
    "the", "and", "with", "your", "this", "from", "for", "of", "to", "is", "it", "its", "not", "run", "runs",
}  # fmt: skip
# Words both languages write alike (product and format names the catalogue keeps as they are).
SHARED = {"taller", "imagenet", "pytorch", "onnx", "onnxruntime", "batchnorm", "readme", "csv", "html", "png"}


def catalogue() -> list[tuple[str, list[str]]]:
    """(English source, [Spanish forms]) of every entry of the Spanish .ts."""
    pairs = []
    for (_context, source), message in translations.messages(TS).items():
        translation = message.find("translation")
        forms = [f.text or "" for f in translation.iter("numerusform")] or [translation.text or ""]
        pairs.append((source, forms))
    return pairs


def words(text: str) -> set[str]:
    return {w.lower().strip("'’") for w in WORD.findall(re.sub(r"\{\w+\}|%n|<[^>]+>|&(?=\w)", " ", text))}


def english_vocabulary(pairs) -> set[str]:
    english = set().union(*(words(s) for s, _ in pairs))
    spanish = set().union(*(words(f) for _, forms in pairs for f in forms))
    return ((english - spanish) | ALWAYS_ENGLISH) - SHARED


def source_patterns(pairs) -> list[tuple[re.Pattern, str]]:
    """A regex per English source whose translation differs: the text as shown when untranslated."""
    out = []
    for source, forms in pairs:
        if source in forms:
            continue
        pattern = re.escape(source.replace("&", ""))
        pattern = pattern.replace(r"%n", r"\d+").replace(r"\(s\)", "s?").replace(r"\(es\)", "(es)?")
        pattern = re.sub(r"\\\{\w+\\\}", ".*", pattern)
        out.append((re.compile(f"^{pattern}$", re.S), source))
    return out


def names(window) -> list[str]:
    """Texts that are names: models, datasets, the data's classes (longest first)."""
    found = set(architectures.keys()) | set(architectures.labels().values())
    for combo in window.findChildren(QComboBox, "datasetCombo"):
        found |= {combo.itemText(i) for i in range(combo.count())} | {
            str(combo.itemData(i)) for i in range(combo.count())
        }
    for key in ("digits", "synth-digits", "mnist", "fashion-mnist", "cifar10", "mnist-sample"):
        try:
            found.add(datasets.dataset_label(key))
        except Exception:  # noqa: BLE001 - a dataset this table no longer has
            pass
    data = window.data_panel.current_data()
    found |= {str(c) for c in getattr(data, "classes", None) or []}
    if getattr(data, "source", ""):  # a dataset's credit names its origin ("scikit-learn load_digits")
        found.add(gettext(data.source))
    return sorted((n for n in found if n and len(n) > 1), key=len, reverse=True)


def plot_texts(plot: pg.PlotWidget) -> list[str]:
    item = plot.getPlotItem()
    texts = [item.getAxis(side).labelText for side in ("left", "bottom")]
    texts.append(item.titleLabel.text if item.titleLabel.isVisible() else "")
    if item.legend is not None:
        texts += [label.text for _, label in item.legend.items]
    return texts


def widget_texts(widget: QWidget) -> list[str]:
    texts = [widget.toolTip()]
    if isinstance(widget, QLabel):
        texts.append(widget.text())
    elif isinstance(widget, QAbstractButton):
        texts.append(widget.text())
    elif isinstance(widget, QGroupBox):
        texts.append(widget.title())
    elif isinstance(widget, QTabWidget):
        texts += [widget.tabText(i) for i in range(widget.count())]
    elif isinstance(widget, QLineEdit):
        texts.append(widget.placeholderText())
    elif isinstance(widget, QComboBox):
        texts += [widget.itemText(i) for i in range(widget.count())]
    elif isinstance(widget, QAbstractSpinBox):
        texts += [
            getattr(widget, "suffix", str)(),
            getattr(widget, "prefix", str)(),
            widget.specialValueText(),
        ]
    elif isinstance(widget, QProgressBar):
        texts.append(widget.format())
    elif isinstance(widget, QTableWidget):
        for c in range(widget.columnCount()):
            header = widget.horizontalHeaderItem(c)
            texts.append(header.text() if header is not None else "")
            for r in range(widget.rowCount()):
                cell = widget.item(r, c)
                texts.append(cell.text() if cell is not None else "")
    elif isinstance(widget, QTreeWidget):
        texts += [widget.headerItem().text(c) for c in range(widget.columnCount())]
    elif isinstance(widget, QListWidget):
        texts += [widget.item(r).text() for r in range(widget.count())]
    elif isinstance(widget, pg.PlotWidget):
        texts += plot_texts(widget)
    return texts


def menu_texts(menu: QMenu) -> list[str]:
    texts = [menu.title()]
    for action in menu.actions():
        texts += [
            action.text(),
            action.toolTip() if action.toolTip() != action.text().replace("&", "") else "",
        ]
        if action.menu() is not None:
            texts += menu_texts(action.menu())
    return texts


def english_in(text: str, vocabulary: set[str], patterns, name_list: list[str]) -> str:
    """Why ``text`` still reads as English ("" when it does not)."""
    plain = re.sub(r"<[^>]+>", " ", text.replace("&", "")).strip()
    if not plain:
        return ""
    for pattern, source in patterns:
        if pattern.match(plain):
            return f"untranslated source {source!r}"
    for name in name_list:
        plain = plain.replace(name, " ")
    plain = re.sub(r"`[^`]*`|\b(main\.py|taller) [a-z-]+", " ", plain)  # commands stay as typed
    plain = re.sub(r"\S*[/\\]\S*|\S+\.(pt|png|csv|onnx|ipynb|py|md)\b", " ", plain)  # paths and files
    left = sorted(words(plain) & vocabulary)
    return f"English words {left}" if left else ""


def english_texts(qtbot, window) -> list[str]:
    """Every text a user can read on each tab, the menus and the status bar that still reads as English."""
    pairs = catalogue()
    vocabulary, patterns, name_list = english_vocabulary(pairs), source_patterns(pairs), names(window)
    seen: dict[str, str] = {}
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        for widget in [window, *window.findChildren(QWidget)]:
            if widget.isVisible():
                for text in widget_texts(widget):
                    seen.setdefault(text, f"{type(widget).__name__} {widget.objectName()}")
    for menu in window.menuBar().findChildren(QMenu):
        for text in menu_texts(menu):
            seen.setdefault(text, f"menu {menu.title()}")
    seen.setdefault(window.statusBar().currentMessage(), "status bar")
    problems = []
    for text, where in seen.items():
        why = english_in(text, vocabulary, patterns, name_list)
        if why:
            problems.append(f"{where}: {text[:90]!r}: {why}")
    return problems


@pytest.fixture
def spanish(qtbot):
    """The window's translators and locale in Spanish for one test, English again afterwards."""
    language.install("es")
    yield
    language.uninstall()


def test_the_spanish_window_shows_no_english_on_any_tab(qtbot, tmp_path, spanish):
    window = open_window(qtbot, tmp_path, epochs=1)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.training_panel.trainButton.click()  # the tabs after a run show the most text
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)

    problems = english_texts(qtbot, window)
    assert not problems, f"{len(problems)} English texts in the Spanish window:\n" + "\n".join(problems)
    # The issue's own list, and the window title.
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == [
        "3 · Entrenar",
        "4 · Capas",
        "5 · Evaluar",
        "6 · Ejecuciones",
        "7 · Pruébalo",
        "8 · Comparar",
    ]
    assert "Train" not in window.training_panel.trainButton.text()
    assert window.windowTitle() == "Entrena un clasificador de imágenes"
    accuracy = window.evaluation_panel.accuracyLabel.text()
    assert re.search(r"\d\u00a0% \(\d+–\d+\u00a0%\)", accuracy), (
        accuracy
    )  # "93 % (90–95 %)", as Spanish writes it


def test_numbers_follow_the_language(qtbot, spanish):
    assert language.current() == "es"
    assert language.number(0.97, 2) == "0,97" and QLocale().toString(0.97, "f", 2) == "0,97"
    assert language.percent(0.9734) == "97,3\u00a0%"
    assert language.integer(1234567) == "1.234.567"
    language.install("en")
    assert language.number(0.97, 2) == "0.97" and language.percent(0.9734) == "97.3%"
    assert language.integer(1234567) == "1,234,567"


def test_english_plural_forms(qtbot):
    language.install("en")
    try:
        say = QCoreApplication.translate
        assert say("RunsPanel", "Added %n saved run(s) to the comparison", "", 1) == (
            "Added 1 saved run to the comparison"
        )
        assert say("RunsPanel", "Added %n saved run(s) to the comparison", "", 2) == (
            "Added 2 saved runs to the comparison"
        )
        language.install("es")
        spanish = say("RunsPanel", "Added %n saved run(s) to the comparison", "", 2)
        assert spanish == "Añadidas 2 ejecuciones guardadas a la comparación"
    finally:
        language.uninstall()


def test_the_language_switches_at_once_keeping_the_work(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, epochs=1)
    assert language.current() == "en"
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.training_panel.trainButton.click()
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    trained = window.current_model()
    accuracy = window.evaluation_panel.accuracyLabel.text()
    window.tabs.setCurrentIndex(2)  # 5 · Evaluate in front
    actions = {a.data(): a for a in window.languageActions.actions()}
    assert list(actions) == ["system", "en", "es"] and actions["system"].isChecked()
    assert actions["es"].text() == "Español" and actions["en"].text() == "English"
    try:
        actions["es"].trigger()
        qtbot.waitUntil(lambda: window.tabs.tabText(0) == "3 · Entrenar", timeout=10_000)
        assert language.chosen(window.settings) == "es"  # and at the next start
        assert window.windowTitle() == "Entrena un clasificador de imágenes"
        assert "Español" in window.statusBar().currentMessage()
        assert window.tabs.currentIndex() == 2  # the same tab in front
        # The work stays: the forms' values, the trained model, its curves, results and Try it.
        assert window.model_panel.epochsSpin.value() == 1
        assert window.current_model() is trained
        assert window.training_panel.curves.last_epoch == 1
        spanish_accuracy = window.evaluation_panel.accuracyLabel.text()
        assert spanish_accuracy != accuracy and "\u00a0%" in spanish_accuracy  # "93 %": Spanish numbers
        assert window.inference_panel.active_key is not None
        qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)  # the Data panel read its data again
        problems = english_texts(qtbot, window)
        assert not problems, "English left after switching:\n" + "\n".join(problems)
        # Back to English, and nothing doubled (one Train action, one set of menus).
        window.languageActions.actions()[1].trigger()
        qtbot.waitUntil(lambda: window.tabs.tabText(0) == "3 · Train", timeout=10_000)
        assert [m.title() for m in window.menuBar().findChildren(QMenu, options=Qt.FindDirectChildrenOnly)][
            :1
        ] == ["&File"]
        assert len(window.findChildren(QAction, "trainAction")) == 1
        assert window.current_model() is trained
    finally:
        language.remember("system", window.settings)
        language.install("en")


def test_a_language_switch_waits_for_the_run_to_end(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, epochs=200)
    actions = {a.data(): a for a in window.languageActions.actions()}
    try:
        window.training_panel.trainButton.click()
        qtbot.waitUntil(window.training_panel.is_running, timeout=10_000)
        actions["es"].trigger()
        qtbot.wait(400)
        assert window.tabs.tabText(0) == "3 · Train"  # a run is never torn down
        assert "as soon as" in window.training_panel.trainingLog.toPlainText()
        with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
            window.training_panel.stop()
        qtbot.waitUntil(lambda: window.tabs.tabText(0) == "3 · Entrenar", timeout=RUN_TIMEOUT)
        assert window.current_model() is not None and window.current_model().stopped
    finally:
        language.remember("system", window.settings)
        language.install("en")


def _start_language(env_language: str, choice: str | None = None) -> list[str]:
    """A fresh process under ``LANG``: the language it starts in, a menu title, a number."""
    code = (
        "from PySide6.QtCore import QCoreApplication, QLocale\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from gui import language\n"
        "from engine import i18n\n"
        "app = QApplication([])\n"
        f"print(language.install({choice!r}))\n"
        "print(QCoreApplication.translate('window_menus', '&File'))\n"
        "print(QLocale().toString(0.97, 'f', 2))\n"
        "print(i18n.language())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env.update(LANG=env_language, LC_ALL=env_language, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_system_locale_chooses_the_language(tmp_path):
    settings = tmp_path / "settings.ini"
    os.environ["TALLER_SETTINGS"] = str(settings)  # conftest's per-test file, passed on to the child
    assert _start_language("es_ES.UTF-8") == ["es", "&Archivo", "0,97", "es"]
    assert _start_language("C") == ["en", "&File", "0.97", "en"]
    settings.write_text("[window]\nlanguage=es\n")  # View → Language → Español wins over LANG=C
    assert _start_language("C") == ["es", "&Archivo", "0,97", "es"]


def test_the_catalogues_are_complete_and_compiled(tmp_path):
    """Fails on an unfinished or obsolete entry, or a string of the code missing from the .ts."""
    assert translations.check() == []
    # Every literal tr()/translate() of gui/ is in the catalogue (lupdate silently skips some forms).
    known = {source for _, source in translations.messages(TS)}
    missing = []
    for path in (ROOT / "gui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (
                getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
            )
            index = {"tr": 0, "QT_TR_NOOP": 0, "translate": 1, "QT_TRANSLATE_NOOP": 1}.get(name)
            if index is None or len(node.args) <= index:
                continue
            source = node.args[index]
            if (
                isinstance(source, ast.Constant)
                and isinstance(source.value, str)
                and source.value not in known
            ):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {source.value!r}")
    assert not missing, "\n".join(missing)
    # The shipped .qm files are the .ts compiled as they are now.
    for ts_file in sorted(translations.TS_DIR.glob("taller_*.ts")):
        fresh = tmp_path / ts_file.with_suffix(".qm").name
        translations.lrelease(ts_file, fresh)
        shipped = translations.QM_DIR / fresh.name
        assert shipped.read_bytes() == fresh.read_bytes(), (
            f"{shipped} is stale: run python -m tools.translations"
        )


def test_qt_file_dialogs_speak_spanish(qtbot, spanish):
    """Qt's own file dialog (the one Open model… shows on Linux) in Spanish: its labels, buttons and
    tool tips, including the two labels the qtbase catalogue lacks ("&Look in:", "Files of &type:")."""
    from PySide6.QtWidgets import QFileDialog  # deferred: only this test builds one

    dialog = QFileDialog(None, "x", str(ROOT))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(dialog)
    labels = sorted(label.text() for label in dialog.findChildren(QLabel))
    assert labels == ["&Nombre de fichero:", "&Ver en:", "Ficheros de &tipo:"]
    buttons = {b.text() for b in dialog.findChildren(QAbstractButton) if b.text()}
    tips = {b.toolTip() for b in dialog.findChildren(QAbstractButton) if b.toolTip()}
    assert {"&Abrir", "Cancelar"} <= buttons and {"Atrás", "Vista de lista"} <= tips
