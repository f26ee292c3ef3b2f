"""The window's architecture choices come from the model registry, and only from it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from engine.models import registry
from gui.model.model_panel import ModelPanel
from tests.helpers_models import EFFICIENTNET


def combo_items(combo) -> dict[str, str]:
    return {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}


def test_the_model_combo_lists_the_registry_with_labels_and_hints(qtbot):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    assert combo_items(panel.modelCombo) == registry.labels()
    for i, entry in enumerate(registry.ARCHITECTURES.values()):
        assert panel.modelCombo.itemData(i, Qt.ItemDataRole.ToolTipRole) == entry.hint
    panel.modelCombo.setCurrentIndex(panel.modelCombo.findData("mlp"))
    assert not panel.pretrainedCheck.isEnabled()
    assert registry.pretrainable_labels() in panel.pretrainedCheck.toolTip()


def test_a_new_registry_entry_appears_in_the_model_combo(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setitem(registry.ARCHITECTURES, EFFICIENTNET.key, EFFICIENTNET)
    panel = ModelPanel()
    qtbot.addWidget(panel)
    assert combo_items(panel.modelCombo)[EFFICIENTNET.key] == "EfficientNet-B0"
    panel.modelCombo.setCurrentIndex(panel.modelCombo.findData(EFFICIENTNET.key))
    assert panel.arch() == EFFICIENTNET.key
    assert not panel.pretrainedCheck.isEnabled()  # it has ImageNet weights, not on this machine
    assert "EfficientNet-B0 are not on this computer" in panel.weightsLabel.text()
    assert not panel.importWeightsButton.isHidden()
