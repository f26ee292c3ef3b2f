"""The window's architecture choices come from the model registry, and only from it."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from engine.models import recipes, registry
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


def test_choosing_vgg16_fills_in_its_recipe_and_the_user_may_change_it(qtbot):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    recipe = recipes.recipe("vgg16", recipes.SCRATCH)
    assert "Recipe: Simple CNN, from random weights" in panel.recipeLabel.text()
    panel.learningRateSpin.setValue(0.02)  # the user's own rate, on the simple CNN
    panel.modelCombo.setCurrentIndex(panel.modelCombo.findData("mlp"))
    assert panel.learningRateSpin.value() == 0.02  # both recipes say 0.001: what the user typed stays
    assert not panel.augmentCheck.isChecked()  # where they differ, the MLP's recipe shows
    assert "Recipe: MLP (fully connected), from random weights" in panel.recipeLabel.text()
    panel.modelCombo.setCurrentIndex(panel.modelCombo.findData("vgg16"))
    shown = panel.train_config()
    assert (shown.lr, shown.batch_size) == (recipe["lr"], recipe["batch_size"]) == (1e-4, 32)
    panel.learningRateSpin.setValue(0.005)
    assert panel.train_config().lr == 0.005
    panel.modelCombo.setCurrentIndex(panel.modelCombo.findData("cnn"))
    back = panel.train_config()
    cnn = recipes.recipe("cnn", recipes.SCRATCH)
    assert (back.optimizer, back.lr, back.schedule, back.batch_size, back.epochs) == (
        "adam",
        0.001,
        cnn["schedule"],
        64,
        cnn["epochs"],
    )
    assert panel.data_overrides()["augment"] == cnn["augment"]


def test_a_remembered_vgg16_form_comes_back_as_the_user_left_it(qtbot, tmp_path):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.modelCombo.setCurrentIndex(panel.modelCombo.findData("vgg16"))
    panel.learningRateSpin.setValue(0.007)
    settings = QSettings(str(tmp_path / "form.ini"), QSettings.Format.IniFormat)
    panel.save_settings(settings)
    again = ModelPanel()
    qtbot.addWidget(again)
    again.restore_settings(settings)
    assert again.arch() == "vgg16" and again.train_config().lr == 0.007
    assert again.train_config().batch_size == recipes.recipe("vgg16", recipes.SCRATCH)["batch_size"]
