"""The window never shows one thing while doing another: plain axes, the wheel, tab keys, quiet Runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QMenu, QScrollArea

from engine.config import DataConfig, ModelConfig, TrainConfig
from gui.widgets.curve_plot import CurvePlot, RunsPlot
from gui.widgets.image_grid import PreviewGrid
from gui.window.help import shortcuts_html
from gui.window.main_window import MainWindow
from tests.helpers_gui import RUN_TIMEOUT, open_window


def _left_axis(plot):
    return plot.getPlotItem().getAxis("left")


def test_axes_show_plain_units(qtbot):
    plot = CurvePlot("lossPlot", "Loss", "loss")
    qtbot.addWidget(plot)
    plot.show()
    for epoch, value in enumerate((0.0008, 0.0006, 0.0004), start=1):
        plot.add_point(epoch, value, value * 1.1)
    QApplication.processEvents()
    axis = _left_axis(plot)
    axis.setRange(0.0004, 0.0008)  # what the view sets when it draws these points
    assert axis.autoSIPrefixScale == 1.0
    assert "x0.001" not in axis.labelString() and "(x" not in axis.labelString()
    runs = RunsPlot()
    qtbot.addWidget(runs)
    runs.show_runs([], "loss", 1.0, "loss")
    _left_axis(runs).setRange(400.0, 800.0)
    assert _left_axis(runs).autoSIPrefixScale == 1.0


def _wheel(widget, steps: int = -1) -> None:
    """A real mouse wheel event over the middle of ``widget`` (negative ``steps`` scroll down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_forms_and_changes_a_value_only_once_chosen(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    window.show()
    window.resize(1000, 660)
    panel = window.model_panel
    qtbot.mouseClick(panel.advancedToggle, Qt.MouseButton.LeftButton)  # a column taller than the window
    QApplication.processEvents()
    scroll = window.findChild(QScrollArea, "formsScroll")
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    combo, spin = panel.modelCombo, panel.epochsSpin
    for widget in (combo, spin, window.data_panel.datasetCombo, window.data_panel.imageSizeCombo):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus, widget.objectName()
    model, epochs = combo.currentIndex(), spin.value()
    for _ in range(5):
        _wheel(combo)
        _wheel(spin)
    assert (combo.currentIndex(), spin.value()) == (model, epochs)
    assert bar.value() > 0  # the column scrolled instead
    # Chosen (focused), the wheel changes the value as Qt always does.
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, steps=1)
    assert spin.value() == epochs + 1


def test_every_place_has_a_number_and_its_key_goes_there(qtbot, tmp_path):
    window = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)  # window-wide keys need it active
    menu = window.findChild(QMenu, "goToMenu")
    actions = menu.actions()
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert [a.text() for a in actions] == ["1 · Data", "2 · Model", *tabs]
    assert tabs == ["3 · Train", "4 · Layers", "5 · Evaluate", "6 · Runs", "7 · Try it", "8 · Compare"]
    help_text = shortcuts_html().replace("&nbsp;", " ")
    for number, action in enumerate(actions, start=1):
        shown = action.shortcut().toString()
        assert shown == f"Ctrl+{number}" and action.text().startswith(f"{number} · ")
        assert action.text() in help_text  # F1's list names every place with its number
        qtbot.keyClick(window.statusBar(), Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        if number == 1:
            assert window.data_panel.datasetCombo.hasFocus()
        elif number == 2:
            assert window.model_panel.modelCombo.hasFocus()
        else:
            assert window.tabs.tabText(window.tabs.currentIndex()) == action.text()
    assert "Ctrl+1, Ctrl+2" in help_text and "Ctrl+3 … Ctrl+8" in help_text


def test_the_runs_tab_opens_quietly_with_the_same_names_after_a_restart(qtbot, tmp_path):
    runs_dir = Path(os.environ["TALLER_RUNS_DIR"])
    stopped = runs_dir / "digits-cnn-1"  # stopped before its first epoch ended: config.json alone
    stopped.mkdir(parents=True)
    configs = (DataConfig(), ModelConfig(arch="cnn"), TrainConfig())
    names = ("data_config", "model_config", "train_config")
    (stopped / "config.json").write_text(
        json.dumps({n: c.to_dict() for n, c in zip(names, configs, strict=True)})
    )
    window = open_window(qtbot, tmp_path, arch="mlp", epochs=1)
    panel = window.runs_panel
    qtbot.waitUntil(lambda: panel.run_count() == 1, timeout=RUN_TIMEOUT)
    assert not panel.messageLabel.isVisibleTo(window)  # no unprompted error
    (row,) = panel.table_rows()
    assert row[0] == "digits-cnn-1" and "no epoch finished" in row
    panel.select_runs([0])
    assert not panel.library.openButton.isEnabled() and panel.library.rerunButton.isEnabled()
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        window.train()
    qtbot.waitUntil(window.is_idle, timeout=RUN_TIMEOUT)
    folder = finished.args[0].run_dir
    assert folder.name == "digits-mlp-1"
    session = [row[0] for row in panel.table_rows()]
    assert session == ["digits-cnn-1", "digits-mlp-1"]  # named like its folder, not "Run 2 · mlp on digits"
    window.close()
    again = MainWindow(models_dir=tmp_path / "models", load_preview=False)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.runs_panel.run_count() == 2, timeout=RUN_TIMEOUT)
    assert sorted(row[0] for row in again.runs_panel.table_rows()) == sorted(session)
    assert not again.runs_panel.messageLabel.isVisibleTo(again)


def test_a_caption_cut_short_says_so_and_shows_its_whole_text_on_hover(qtbot):
    grid = PreviewGrid(columns=2, rows=1)
    qtbot.addWidget(grid)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.gray)
    grid.set_samples([image, image], ["automobile and truck", "cat"])
    (first, long_caption), (_, short_caption) = grid.captions()
    assert first.endswith("…") and long_caption == "automobile and truck"
    assert short_caption == ""  # nothing cut: no tooltip needed
