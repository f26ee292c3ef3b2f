"""The window's forms against the table of settings: every control the table places is there, offers
only values the engine accepts, is remembered across launches, and reaches "Copy as command"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from engine.config import ConfigError
from engine.data.registry import folder_key
from engine.settings import BY_NAME, SETTINGS, defaults_for
from gui.model.model_panel import ModelPanel
from gui.settings import make_settings
from tests.helpers_gui import open_window
from tests.test_settings import configs_with

PLACED = [s for s in SETTINGS if s.window]
IN_MODEL_FORM = [s for s in PLACED if s.window.panel == "model"]


def accepted(name: str, value) -> bool:
    try:
        configs_with(name, value)
    except ConfigError:
        return False
    return True


def offered(setting, widget) -> list:
    """The config values a control can hold at its ends (a spin box) or items (a combo box)."""
    if isinstance(widget, QComboBox):
        data = [widget.itemData(i) for i in range(widget.count())]
        data = [folder_key("pictures") if d == "folder" else d for d in data]  # with the folder chosen
        return [None if d == 0 and setting.default is None else d for d in data]  # 0: "automatic"
    scale = 100 if setting.window.percent else 1
    return [widget.minimum() / scale, widget.maximum() / scale]


def test_every_placed_setting_has_its_control_offering_only_accepted_values(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    for setting in PLACED:
        widget = window.findChild(QWidget, setting.window.widget)
        assert widget is not None, setting.name
        if isinstance(widget, QCheckBox):
            assert setting.type is bool, setting.name
        elif isinstance(widget, (QComboBox, QAbstractSpinBox)):
            fields = window.model_panel.fields
            for value in offered(setting, widget):
                if setting.name in fields.widgets and isinstance(widget, QAbstractSpinBox):
                    widget.setValue(value * (100 if setting.window.percent else 1))
                    value = fields.value(setting.name)
                assert accepted(setting.name, value), (setting.name, value)
            if setting.name in fields.widgets:  # back to the default: other limits follow this one
                fields.set_value(setting.name, setting.default)
        else:
            assert isinstance(widget, QLineEdit) and setting.type is str, setting.name


@pytest.mark.parametrize(
    "setting", [s for s in IN_MODEL_FORM if s.type in (int, float)], ids=lambda s: s.name
)
def test_a_model_form_spin_box_stops_where_the_engine_does(qtbot, setting):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    spin = panel.fields.widgets[setting.name]
    step = 10 ** -spin.decimals() if hasattr(spin, "decimals") else 1
    scale = 100 if setting.window.percent else 1
    if setting.off_slot is None:
        assert not accepted(setting.name, (spin.minimum() - step) / scale)
    if setting.window.most is None:
        assert not accepted(setting.name, (spin.maximum() + step) / scale)
    # What the form shows first: the table's default, or the default model's recipe where it has one.
    assert panel.fields.value(setting.name) == defaults_for(panel.arch())[setting.name]


def other_value(widget):
    """A value the user could choose that differs from the shown one."""
    if isinstance(widget, QCheckBox):
        return not widget.isChecked()
    if isinstance(widget, QComboBox):
        enabled = [i for i in range(widget.count()) if widget.model().item(i).isEnabled()]
        return widget.itemData(next(i for i in enabled if i != widget.currentIndex()))
    middle = (widget.minimum() + widget.maximum()) / 2
    return int(middle) if isinstance(widget, QSpinBox) else middle


@pytest.mark.parametrize("setting", IN_MODEL_FORM, ids=lambda s: s.name)
def test_a_model_form_setting_is_remembered_under_its_key(qtbot, tmp_path, setting, monkeypatch):
    if setting.name == "pretrained":  # a ticked box is kept only where the weights are on this computer
        from engine.models.weights import weights_path

        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
        weights_path("resnet18").parent.mkdir(parents=True)
        weights_path("resnet18").write_bytes(b"present")  # availability is the file being there
    panel = ModelPanel()
    qtbot.addWidget(panel)
    if setting.name == "pretrained":
        panel.modelCombo.setCurrentIndex(panel.modelCombo.findData("resnet18"))
    widget = panel.fields.widgets[setting.name]
    shown = panel.fields.value(setting.name)
    value = other_value(widget)
    if isinstance(widget, QCheckBox):
        widget.setChecked(value)
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex(widget.findData(value))
    else:
        widget.setValue(value)
    chosen = panel.fields.value(setting.name)
    assert chosen != shown
    settings = make_settings(tmp_path / "remembered.ini")
    panel.save_settings(settings)
    assert settings.contains(setting.window.key)
    later = ModelPanel()
    qtbot.addWidget(later)
    later.restore_settings(settings)
    assert later.fields.value(setting.name) == chosen


def test_label_smoothing_momentum_and_weight_decay_reach_the_run_and_copy_as_command(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    m = window.model_panel
    m.set_advanced_open(True)
    assert m.labelSmoothingSpin.isVisible() and m.weightDecaySpin.isVisible() and m.momentumSpin.isVisible()
    m.labelSmoothingSpin.setValue(0.1)
    m.weightDecaySpin.setValue(0.0005)
    m.optimizerCombo.setCurrentIndex(m.optimizerCombo.findData("sgd"))
    m.momentumSpin.setValue(0.8)
    train_cfg = window.current_configs()[2]
    assert (train_cfg.label_smoothing, train_cfg.weight_decay, train_cfg.momentum) == (0.1, 0.0005, 0.8)
    qtbot.mouseClick(window.training_panel.processControls.copyButton, Qt.MouseButton.LeftButton)
    command = QGuiApplication.clipboard().text()
    for words in ("--label-smoothing 0.1", "--weight-decay 0.0005", "--momentum 0.8", "--optimizer sgd"):
        assert words in command, command


def test_momentum_is_off_with_adam_and_the_tool_tip_says_why(qtbot):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    assert panel.optimizerCombo.currentData() == "adam"
    assert not panel.momentumSpin.isEnabled()
    assert "SGD only" in panel.momentumSpin.toolTip()
    panel.optimizerCombo.setCurrentIndex(panel.optimizerCombo.findData("sgd"))
    assert panel.momentumSpin.isEnabled()
    assert panel.momentumSpin.toolTip() == BY_NAME["momentum"].tip()
