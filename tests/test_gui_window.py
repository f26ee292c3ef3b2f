"""The assembled window: the panels of the other tabs follow what the training tab does."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.test_gui_training import RUN_TIMEOUT, make_window

LEFT = Qt.MouseButton.LeftButton


def test_kfold_run_from_the_window_feeds_fold_curves_table_and_other_tabs(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=1)
    window.model_panel.kfoldSpin.setValue(2)
    panel = window.training_panel
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        qtbot.mouseClick(panel.trainButton, LEFT)
    result = finished.args[0]
    assert len(result.folds) == 2
    assert panel.foldLoss.folds() == [1, 2] and panel.foldAccuracy.folds() == [1, 2]
    rows = panel.kfoldTable.row_texts()
    assert len(rows) == 3  # two folds and the mean ± std row
    assert "±" in " ".join(rows[-1])
    # The other tabs received the run.
    assert "%" in window.evaluation_panel.accuracyLabel.text()
    assert len(window.runs_panel.table_rows()) == 1
    assert "just trained" in window.inference_panel.activeModelLabel.text().lower()


def test_layers_tab_preset_reaches_the_run_config(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="cnn", epochs=1)
    tree = window.finetune_panel.layer_tree
    qtbot.waitUntil(lambda: tree.model() is not None and not tree.is_building(), timeout=RUN_TIMEOUT)
    tree.apply_preset("features")
    _, model_cfg, _ = window.current_configs()
    assert model_cfg.frozen and "classifier" not in model_cfg.frozen
    assert all(not name.startswith("classifier") for name in model_cfg.frozen)


def test_pretrained_check_and_starting_point_agree(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="cnn", epochs=1)
    finetune = window.finetune_panel
    finetune.set_start("random")
    assert not window.model_panel.pretrainedCheck.isChecked()
    _, model_cfg, _ = window.current_configs()
    assert not model_cfg.pretrained and model_cfg.init_checkpoint is None


def test_imagenet_weights_imported_in_the_window_tick_the_box_and_the_run_uses_them(
    qtbot, tmp_path, monkeypatch
):
    import torch
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty torch cache
    window = make_window(qtbot, tmp_path, arch="resnet18", epochs=1)
    model = window.model_panel
    assert not model.pretrainedCheck.isEnabled()
    weights = tmp_path / "resnet18-downloaded.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)  # torchvision's shapes
    from engine.models import weights as cache

    digest = cache.file_digest(weights)[:8]  # taken for torchvision's own file, whose name holds its hash
    name = cache.weights_path("resnet18").name
    monkeypatch.setattr(cache, "expected_digests", lambda arch: {name: digest})
    with qtbot.waitSignal(model.weightsImported, timeout=60_000):
        assert model.weights.ask_import(weights)
    assert model.pretrainedCheck.isEnabled() and model.pretrainedCheck.isChecked()
    assert "are on this computer" in model.weightsLabel.text() and model.importWeightsButton.isHidden()
    assert window.finetune_panel.start() == "imagenet"  # the Layers tab says the same
    _, model_cfg, _ = window.current_configs()
    assert model_cfg.pretrained
