"""The window as a newcomer on a laptop meets it: fits 1280x720, themes, keys, quitting, guidance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea, QWidget

from engine.config import ConfigError
from engine.train import runner
from gui import theme
from gui.app import make_app, open_window
from gui.evaluation.evaluation_panel import EvaluationPanel
from gui.settings import make_settings
from gui.window.help import ReadmeDialog, about_text, shortcuts_html
from gui.window.main_window import MainWindow
from gui.window.menus import fit_to_screen
from tests.test_gui_training import RUN_TIMEOUT, make_window

ROOT = Path(__file__).resolve().parent.parent


def test_window_fits_a_1280x720_screen(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    window.show()
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert hint.width() <= 1024 and hint.height() <= 680
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280)
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        page = window.tabs.widget(i)
        assert isinstance(page, QScrollArea)
        # No tab needs a horizontal scroll bar at 1280 px: nothing sits off to the right.
        assert page.widget().minimumSizeHint().width() <= page.viewport().width(), window.tabs.tabText(i)
        # Nor a vertical one: plots and tables share the height there is (they asked for 480 px each).
        assert page.widget().height() <= page.viewport().height(), window.tabs.tabText(i)
    # The Runs table shows the accuracies without scrolling sideways.
    window.show_panel(window.runs_panel)
    QApplication.processEvents()
    table = window.runs_panel.runsTable
    header = table.horizontalHeader()
    for name in ("Val acc", "Test acc"):
        column = [table.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(table.columnCount())]
        section = column.index(name)
        assert (
            header.sectionViewportPosition(section) + header.sectionSize(section) <= table.viewport().width()
        )
    # Try it shows what the model sees without scrolling down (it sat below the fold at 720 px).
    window.show_panel(window.inference_panel)
    QApplication.processEvents()
    page, preview = window.tabs.currentWidget(), window.inference_panel.inputPreview
    bottom = preview.mapTo(page.widget(), preview.rect().bottomLeft()).y()
    assert bottom <= page.viewport().height() and page.verticalScrollBar().value() == 0


def test_fit_to_screen_shrinks_and_moves_inside():
    available = QRect(0, 0, 1280, 720)
    fitted = fit_to_screen(QRect(500, -40, 2019, 900), available)
    assert available.contains(fitted)
    assert (fitted.width(), fitted.height()) == (1280, 720)
    assert fit_to_screen(QRect(100, 100, 800, 600), available) == QRect(100, 100, 800, 600)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_theme_text_is_readable(name):
    table = theme.THEMES[name]
    for fg, bg in theme.READABLE_PAIRS:
        assert theme.contrast_ratio(table[fg], table[bg]) >= 4.5, (name, fg, bg)
    # Every colour the style sheet names exists in the table (no token left unreplaced).
    assert "@" not in theme.style_sheet(table)
    # The palette roles the style sheet and widgets draw text with are readable too.
    palette = theme.palette(table)
    for text, back in (("WindowText", "Window"), ("Text", "Base"), ("ButtonText", "Button")):
        fg = palette.color(getattr(palette.ColorRole, text)).name()
        bg = palette.color(getattr(palette.ColorRole, back)).name()
        assert theme.contrast_ratio(fg, bg) >= 4.5


def test_theme_switch_recolours_window_and_plots_and_is_remembered(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    window.themeActions.actions()[2].trigger()  # View > Theme > Dark
    app = QApplication.instance()
    dark = theme.THEMES["dark"]
    assert app.palette().color(app.palette().ColorRole.Window).name() == dark["window"]
    plot = window.training_panel.lossPlot
    assert plot.backgroundBrush().color().name() == dark["plot_bg"]
    assert make_settings().value("window/theme") == "dark"
    window.set_theme("light")
    assert plot.backgroundBrush().color().name() == theme.THEMES["light"]["plot_bg"]
    assert [a.data() for a in window.themeActions.actions() if a.isChecked()] == ["light"]


def test_advanced_settings_fold_and_remember(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    window.show()
    panel = window.model_panel
    assert not panel.advancedGroup.isVisible()  # folded at first
    assert panel.epochsSpin.isVisible() and not panel.optimizerCombo.isVisible()
    qtbot.mouseClick(panel.advancedToggle, Qt.MouseButton.LeftButton)
    assert panel.optimizerCombo.isVisible() and panel.kfoldSpin.isVisible()
    window.save_settings()
    again = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(again)
    assert again.model_panel.advancedToggle.isChecked()


def test_ctrl_return_trains_esc_stops_and_next_step_follows(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=30)
    window.activateWindow()
    with qtbot.waitSignal(window.runningChanged, timeout=RUN_TIMEOUT):
        qtbot.keyClick(window.model_panel.epochsSpin, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.training_panel.is_running()
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        qtbot.keyClick(window.model_panel.epochsSpin, Qt.Key.Key_Escape)
    result = finished.args[0]
    assert result.stopped
    if result.history:  # stopped after at least one epoch: the prompt offers the next steps
        assert window.nextStep.isVisible()
        qtbot.mouseClick(window.nextStep.evaluateButton, Qt.MouseButton.LeftButton)
        assert window.current_panel() is window.evaluation_panel


def _answer_quit_question(button: QMessageBox.StandardButton, seen: list, tries: int = 200) -> None:
    """Answer the question box once it shows (looking ``tries`` times, 50 ms apart)."""
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        seen.append(box.text())
        box.button(button).click()
    elif tries > 1:
        QTimer.singleShot(50, lambda: _answer_quit_question(button, seen, tries - 1))


def test_quit_asks_only_for_a_model_that_would_be_lost(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=1)
    window.ask_before_closing = True
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        window.train()
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    assert (finished.args[0].run_dir / "model.pt").is_file()  # every run keeps its model in its folder
    assert not window.has_unsaved_model()
    seen: list[str] = []
    QTimer.singleShot(2000, lambda: _answer_quit_question(QMessageBox.StandardButton.Cancel, seen, tries=1))
    assert window.confirm_close() and not seen  # nothing would be lost: no question
    # The run folder could not take the model: quitting would lose it, so the window asks.
    monkeypatch.setattr(
        runner, "save_final", lambda out, result, also=None, **_: "could not write the run's files"
    )
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.train()
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    assert window.has_unsaved_model()
    QTimer.singleShot(50, lambda: _answer_quit_question(QMessageBox.StandardButton.Cancel, seen))
    window.close()
    assert window.isVisible() and "could not be saved" in seen[0]
    window.training_panel.save_model(tmp_path / "kept.pt")
    qtbot.waitUntil(lambda: not window.has_unsaved_model(), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    assert window.close()  # saved: no question


def test_settings_message_goes_when_its_cause_does(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=1)

    def refuse() -> dict:
        raise ConfigError("this dataset cannot be used with these settings")

    window.add_config_overrides(data=refuse)
    assert not window.train()
    message = window.training_panel.messageLabel
    assert message.isVisibleTo(window) and "cannot be used" in message.text()
    window.model_panel.epochsSpin.setValue(2)  # another value: the message may no longer hold
    assert not message.isVisibleTo(window)
    assert not window.model_panel.errorLabel.isVisibleTo(window)
    assert not window.train()
    assert message.isVisibleTo(window)
    combo = window.data_panel.datasetCombo
    combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())  # another dataset
    assert not message.isVisibleTo(window)


def test_new_run_hides_the_previous_model_line(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=1)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.train()
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    info = window.training_panel.modelInfoLabel
    assert info.isVisibleTo(window)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.train()
        assert not info.isVisibleTo(window)  # during the new run, no line about the old model


def test_runs_table_comes_back_after_a_restart(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=1)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.train()
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    assert window.training_panel.save_model(tmp_path / "models" / "first.pt")
    qtbot.waitUntil(
        lambda: (tmp_path / "models" / "first.pt").is_file() and window.is_idle(), timeout=RUN_TIMEOUT
    )
    window.close()
    again = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.runs_panel.run_count() >= 1, timeout=RUN_TIMEOUT)
    assert any("first" in " ".join(row) for row in again.runs_panel.table_rows())


def test_layers_tab_hides_fine_tuning_for_a_random_start_and_warns_on_freezing(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="cnn", epochs=1)
    finetune = window.finetune_panel
    finetune.set_start("random")
    window.show_panel(finetune)
    assert not finetune.scheduleBox.isVisibleTo(window)
    assert not finetune.layer_tree.freezeBnCheck.isVisibleTo(window)
    tree = finetune.layer_tree
    qtbot.waitUntil(lambda: tree.model() is not None and not tree.is_building(), timeout=RUN_TIMEOUT)
    assert not finetune.randomFreezeWarning.isVisibleTo(window)
    tree.apply_preset("features")
    warning = finetune.randomFreezeWarning
    assert warning.isVisibleTo(window) and "random" in warning.text()


def test_layers_tab_says_why_augmentation_keeps_frozen_layers_running_each_epoch(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="cnn", epochs=1)
    finetune, augment = window.finetune_panel, window.model_panel.augmentCheck
    window.show_panel(finetune)
    tree = finetune.layer_tree
    qtbot.waitUntil(lambda: tree.model() is not None and not tree.is_building(), timeout=RUN_TIMEOUT)
    note = finetune.frozenOnceNote
    augment.setChecked(True)
    assert not note.isVisibleTo(window)  # nothing frozen: nothing to say
    tree.apply_preset("features")
    assert note.isVisibleTo(window) and "computed once" in note.text()
    augment.setChecked(False)
    assert not note.isVisibleTo(window)


def test_help_menu_about_shortcuts_and_readme_offline(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "View", "Help"]
    help_items = [a.text().replace("&", "") for a in menus["Help"].actions()]
    assert help_items == ["Keyboard shortcuts", "README", "About Taller"]
    assert "PyTorch" in about_text() and "Qt" in about_text()
    assert "Ctrl+Return" in shortcuts_html() and "Esc" in shortcuts_html()
    readme = ReadmeDialog(window)
    qtbot.addWidget(readme)
    assert "Taller" in readme.browser.toPlainText() and "libxcb-cursor0" in readme.browser.toPlainText()
    assert window.windowTitle() == "Train an image classifier"  # Qt shows "… — Taller"


def test_start_shows_the_window_then_builds_its_panels_when_pytorch_has_loaded(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("TALLER_RUNS_DIR", str(tmp_path / "runs"))
    app = make_app()
    window = open_window(app)
    qtbot.addWidget(window)
    assert window.isVisible()  # at once, saying what it waits for
    sizes = {size.width() for size in window.windowIcon().availableSizes()}
    assert {16, 32, 256} <= sizes  # Taller's own icon on the window, drawn for small sizes too
    if not window.ready:
        assert window.findChild(QWidget, "loadingPage").isVisible()
        assert "PyTorch" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.ready and window.is_idle(), timeout=RUN_TIMEOUT)
    assert window.training_panel.trainButton.isVisible() and window.tabs.count() == 6
    assert QApplication.overrideCursor() is None  # the busy cursor is gone


def test_the_window_module_does_not_import_pytorch():
    # What makes the window show fast: PyTorch, torchvision, scikit-learn and pyqtgraph load later.
    heavy = "{'torch', 'torchvision', 'sklearn', 'pyqtgraph'}"
    code = f"import sys, gui.app; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_empty_states_are_sentences_and_a_failed_evaluation_leaves_the_results_shown(qtbot):
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.show()
    view = panel.confusionView
    assert view.placeholder.isVisible() and not view.plot.isVisible()  # no axes from -500 to 500
    metrics = {
        "accuracy": 0.5,
        "confusion": [[1, 1], [0, 2]],
        "classes": ["a", "b"],
    }
    panel.results.confusionView.set_matrix(metrics["confusion"], metrics["classes"])
    assert view.plot.isVisible() and not view.placeholder.isVisible()
    panel._result = {"metrics": metrics}
    panel._on_evaluation_failed("The model expects 3 colour channels; this dataset has 1.")
    assert panel.result() == {"metrics": metrics}  # the failure is said beside them, never wipes them
    assert panel.messageLabel.isVisible() and "channels" in panel.messageLabel.text()
    assert view.plot.isVisible() and not view.placeholder.isVisible()


def test_the_next_step_strip_gives_a_small_test_set_s_accuracy_with_its_interval(qtbot):
    from types import SimpleNamespace

    from gui.window.next_step import next_step_text

    run = SimpleNamespace(test={"accuracy": 268 / 270, "n": 270}, stopped=False, error=None)
    assert "Test accuracy 99% (97–100%, 270 images)." in next_step_text(run)
