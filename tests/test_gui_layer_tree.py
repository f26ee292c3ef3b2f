"""The Layers tab: the tree, its summary and presets, the starting point and two phases, end to end.

Qt runs offscreen (tests/conftest.py). Runs train on a 300-image slice of the built-in digits so
that each stays a few seconds.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pyqtgraph as pg
import pytest
import torch
from PySide6.QtCore import Qt

from engine.checkpoints import save_checkpoint
from engine.config import ConfigError, DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.data.types import InputSpec
from engine.freezing import apply_freeze, count_parameters
from engine.models.build import build_model
from engine.train.run import run
from gui.layers.finetune_panel import FineTunePanel, frozen_leaves
from gui.layers.layer_tree import LayerTreePanel, summary_text
from gui.layers.layer_tree_view import COL_PARAMS, COL_SHAPE, COL_TRAIN, COL_TYPE
from gui.layers.starting_point import CHECKPOINT, IMAGENET
from gui.widgets.curve_plot import add_phase_marker

DIGITS = DataConfig(dataset="digits")
CHECKED, UNCHECKED, PARTIAL = Qt.CheckState.Checked, Qt.CheckState.Unchecked, Qt.CheckState.PartiallyChecked


@pytest.fixture(scope="module")
def digits():
    data = load_dataset(DIGITS)
    return replace(data, train_images=data.train_images[:300], train_labels=data.train_labels[:300])


@pytest.fixture(autouse=True)
def no_imagenet_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))


@pytest.fixture
def tree(qtbot, digits):
    panel = LayerTreePanel()
    qtbot.addWidget(panel)
    panel.set_model(build_model("cnn", digits.spec, 10), "cnn", digits.spec)
    return panel


def engine_counts(arch, spec, classes, frozen):
    model = build_model(arch, spec, classes)
    apply_freeze(model, frozen)
    return count_parameters(model)


def states(panel):
    """Tick state of every row that has a tick box."""
    rows = [panel.item(n) for n in panel._items]
    return {r.text(0): r.checkState(COL_TRAIN) for r in rows if r.flags() & Qt.ItemFlag.ItemIsUserCheckable}


def click_tick(qtbot, panel, name):
    """Toggle a row's tick box with the keyboard, the way a user does without a mouse."""
    tree = panel.layerTree
    item = panel.item(name)
    tree.setCurrentItem(item, COL_TRAIN)
    tree.setFocus()
    qtbot.keyClick(tree.viewport() if tree.viewport().hasFocus() else tree, Qt.Key.Key_Space)
    if item.checkState(COL_TRAIN) not in (CHECKED, UNCHECKED):  # pragma: no cover - style-dependent
        raise AssertionError("the tick box did not toggle")


def test_tree_lists_modules_with_type_shape_and_parameters(tree, digits):
    conv = tree.item("features.block1.conv")
    assert conv.text(COL_TYPE) == "Conv2d"
    assert conv.text(COL_SHAPE) == "32×28×28"
    assert conv.text(COL_PARAMS) == f"{32 * 1 * 5 * 5:,}"
    assert tree.item("features.block1.pool").text(COL_SHAPE) == "32×14×14"
    assert tree.item("classifier.fc").text(COL_SHAPE) == "10"
    relu = tree.item("features.block1.relu")
    assert not relu.flags() & Qt.ItemFlag.ItemIsUserCheckable  # no weights, nothing to tick
    assert conv.parent() is tree.item("features.block1")
    assert tree.layerTree.objectName() == "layerTree"
    total = count_parameters(build_model("cnn", digits.spec, 10))[1]
    assert tree.paramSummary.text() == f"Trainable {total:,} of {total:,} parameters (100%)"


def test_unticking_freezes_and_summary_matches_the_engine(qtbot, tree, digits):
    with qtbot.waitSignal(tree.frozenChanged, timeout=1000) as signal:
        click_tick(qtbot, tree, "features.block1")
    assert signal.args == [("features.block1",)]
    assert tree.frozen() == ("features.block1",)
    assert tree.item("features.block1.conv").checkState(COL_TRAIN) == UNCHECKED  # children follow
    assert tree.item("features.block1.bn").checkState(COL_TRAIN) == UNCHECKED
    assert tree.item("features").checkState(COL_TRAIN) == PARTIAL  # parent is tri-state
    assert tree.item("features.block2").checkState(COL_TRAIN) == CHECKED
    trainable, total = engine_counts("cnn", digits.spec, 10, tree.frozen())
    assert tree.counts() == (trainable, total)
    assert tree.paramSummary.text() == summary_text(trainable, total)
    assert trainable < total


def test_parent_tick_propagates_and_a_child_tick_makes_it_partial(qtbot, tree, digits):
    tree.item("features").setCheckState(COL_TRAIN, UNCHECKED)
    ticks = states(tree)
    assert all(state == UNCHECKED for name, state in ticks.items() if name.startswith("features"))
    assert tree.frozen() == ("features",)
    tree.item("features.block3.conv").setCheckState(COL_TRAIN, CHECKED)
    assert tree.item("features").checkState(COL_TRAIN) == PARTIAL
    assert tree.item("features.block3").checkState(COL_TRAIN) == PARTIAL
    model = build_model("cnn", digits.spec, 10)
    apply_freeze(model, tree.frozen())
    for name, p in model.named_parameters():
        assert p.requires_grad == (name.startswith("features.block3.conv") or name.startswith("classifier"))
    tree.item("features").setCheckState(COL_TRAIN, CHECKED)  # ticking a partial parent ticks all
    assert tree.frozen() == ()
    assert tree.paramSummary.text().endswith("(100%)")


def test_presets_and_the_batchnorm_choice(qtbot, tree, digits):
    qtbot.mouseClick(tree.presetFeaturesButton, Qt.MouseButton.LeftButton)
    assert tree.item("classifier.fc").checkState(COL_TRAIN) == CHECKED
    assert tree.item("features").checkState(COL_TRAIN) == UNCHECKED
    head = tree.model().get_submodule("classifier.fc")
    assert tree.counts()[0] == sum(p.numel() for p in head.parameters())  # only the new head
    assert tree.item("features.block2.bn").text(COL_TRAIN) == "statistics fixed"
    assert tree.freezeBnCheck.isChecked() and "statistics" in tree.freezeBnCheck.toolTip()
    tree.freezeBnCheck.setChecked(False)
    assert tree.item("features.block2.bn").text(COL_TRAIN) == "statistics update"
    assert tree.lastNSpin.maximum() == len(tree.block_groups()) - 1 == 3  # blocks before the head
    tree.lastNSpin.setValue(1)
    qtbot.mouseClick(tree.presetLastNButton, Qt.MouseButton.LeftButton)
    assert tree.item("features.block3").checkState(COL_TRAIN) == CHECKED
    assert tree.item("features.block2").checkState(COL_TRAIN) == UNCHECKED
    assert tree.counts() == engine_counts("cnn", digits.spec, 10, tree.frozen())
    qtbot.mouseClick(tree.presetAllButton, Qt.MouseButton.LeftButton)
    assert tree.frozen() == () and tree.paramSummary.text().endswith("(100%)")


def test_set_frozen_and_unknown_names(tree):
    tree.set_frozen(["features.block2", "features.block3.conv"])
    assert tree.frozen() == ("features.block2", "features.block3.conv")
    assert tree.item("features.block2.conv").checkState(COL_TRAIN) == UNCHECKED
    with pytest.raises(ValueError, match="nope"):
        tree.set_frozen(["nope"])


def test_large_model_is_built_off_the_gui_thread(qtbot):
    panel = LayerTreePanel()
    qtbot.addWidget(panel)
    spec = InputSpec(3, 32, 32, (0.5,) * 3, (0.25,) * 3)
    panel.set_frozen(["features"])  # chosen before the model arrives: applied when it does
    started = time.perf_counter()
    with qtbot.waitSignal(panel.modelReady, timeout=60_000):
        panel.build("vgg16", spec, 3)
        assert time.perf_counter() - started < 0.5  # returned at once; the build runs in a worker
        assert panel.is_building() and not panel.layerTree.isEnabled()
    assert panel.layerTree.isEnabled() and panel.item("features.0") is not None
    assert panel.item("features.0").text(COL_SHAPE).startswith("64×")
    assert panel.frozen() == ("features",)
    assert panel.counts() == tuple(count_parameters(panel.model()))
    assert 0 < panel.counts()[0] < panel.counts()[1]


def test_build_failure_is_shown(qtbot):
    panel = LayerTreePanel()
    qtbot.addWidget(panel)
    tiny = InputSpec(1, 4, 4, (0.5,), (0.25,))
    with qtbot.waitSignal(panel.buildFailed, timeout=10_000) as signal:
        panel.build("cnn", tiny, 10)
    assert "8x8" in signal.args[0] and "8x8" in panel.statusLabel.text()
    assert panel.item("features") is None and not panel.presetAllButton.isEnabled()


def test_phase_marker_is_drawn_on_a_plot(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    line = add_phase_marker(plot, 2.5, "fine-tuning")
    assert line in plot.getPlotItem().items and line.value() == 2.5 and line.label.format == "fine-tuning"


# ---- the panel and the engine together --------------------------------------------------------


@pytest.fixture
def finetune(qtbot, digits, tmp_path):
    panel = FineTunePanel(models_dir=tmp_path)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.layer_tree.modelReady, timeout=20_000):
        panel.set_context("cnn", digits.spec, 10, digits.classes)
    panel.set_epochs(2)
    yield panel
    panel.shutdown()


def test_ticks_in_the_tree_decide_what_trains_in_the_next_run(finetune, digits):
    finetune.layer_tree.item("features.block1").setCheckState(COL_TRAIN, UNCHECKED)
    overrides = finetune.model_overrides()
    assert overrides == {
        "pretrained": False,
        "init_checkpoint": None,
        "frozen": ("features.block1",),
        "freeze_bn_stats": True,
    }
    assert finetune.train_overrides()["unfreeze_after"] is None
    torch.manual_seed(0)
    before = build_model("cnn", digits.spec, 10).state_dict()
    result = run(DIGITS, ModelConfig(arch="cnn", **overrides), TrainConfig(epochs=1), data=digits)
    after = result.model.state_dict()
    for key in ("conv.weight", "bn.weight", "bn.running_mean", "bn.running_var"):
        assert torch.equal(before[f"features.block1.{key}"], after[f"features.block1.{key}"]), key
        assert not torch.equal(before[f"features.block2.{key}"], after[f"features.block2.{key}"]), key
    assert result.meta["trainable_params"] == finetune.layer_tree.counts()[0]


def test_two_phase_run_from_the_panel_unfreezes_at_the_right_epoch(qtbot, finetune, digits):
    qtbot.mouseClick(finetune.layer_tree.presetFeaturesButton, Qt.MouseButton.LeftButton)
    finetune.twoPhaseCheck.setChecked(True)
    finetune.unfreezeAfterSpin.setValue(1)
    finetune.finetuneLrFactorSpin.setValue(0.5)
    finetune.backboneLrFactorSpin.setValue(0.2)
    train = finetune.train_overrides()
    assert train == {
        "unfreeze_after": 1,
        "unfreeze": (),
        "finetune_lr_factor": 0.5,
        "backbone_lr_factor": 0.2,
    }
    events = []
    model_cfg = ModelConfig(arch="cnn", **finetune.model_overrides())
    train_cfg = TrainConfig(epochs=2, lr=1e-3, **train)
    torch.manual_seed(0)
    before = build_model("cnn", digits.spec, 10).state_dict()
    result = run(DIGITS, model_cfg, train_cfg, on_event=events.append, data=digits)
    assert [e["epoch"] for e in events if e["event"] == "phase"] == [2]
    assert [h["phase"] for h in result.history] == [1, 2]
    assert result.history[-1]["lr"] == pytest.approx(5e-4)  # the head's group: 1e-3 x 0.5
    assert result.meta["frozen"] == []
    key = "features.block1.conv.weight"
    assert not torch.equal(before[key], result.model.state_dict()[key])  # released in phase 2


def test_spin_limits_follow_the_epochs(finetune):
    finetune.set_epochs(5)
    assert finetune.unfreezeAfterSpin.maximum() == 4 and finetune.twoPhaseCheck.isEnabled()
    finetune.set_epochs(1)
    assert not finetune.twoPhaseCheck.isEnabled()
    finetune.twoPhaseCheck.setChecked(True)
    assert finetune.train_overrides()["unfreeze_after"] is None


def test_unfreeze_only_the_last_block(finetune):
    finetune.layer_tree.apply_preset("features")
    finetune.twoPhaseCheck.setChecked(True)
    finetune.unfreezeCombo.setCurrentIndex(finetune.unfreezeCombo.findData("last_n"))
    finetune.unfreezeLastNSpin.setValue(1)
    frozen = finetune.model_overrides()["frozen"]
    assert frozen == frozen_leaves(finetune.layer_tree.model(), ("features",))
    assert finetune.train_overrides()["unfreeze"] == ("features.block3",)
    finetune.unfreezeLastNSpin.setValue(2)
    assert finetune.train_overrides()["unfreeze"] == ("features.block2", "features.block3")


def test_imagenet_choice_is_disabled_without_weights(finetune):
    index = finetune.startCombo.findData(IMAGENET)
    item = finetune.startCombo.model().item(index)
    assert not item.isEnabled()  # the simple CNN has no ImageNet weights
    finetune.set_context("resnet18")
    assert not item.isEnabled()  # TORCH_HOME is an empty temp folder here
    tip = finetune.startCombo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert ".pth" in tip and "import-weights" in tip
    finetune.set_start(IMAGENET)
    assert finetune.model_overrides()["pretrained"] is False


def test_start_from_own_checkpoint_shows_it_and_checks_the_architecture(qtbot, finetune, digits, tmp_path):
    meta = {"arch": "cnn", "classes": digits.classes, "spec": digits.spec.to_dict(), "dataset": "digits"}
    path = save_checkpoint(tmp_path / "digits-cnn.pt", build_model("cnn", digits.spec, 10), meta)
    finetune.set_context("cnn", classes=["a", "b", "c"])
    finetune.set_start(CHECKPOINT, path)
    assert finetune.checkpointRow.isVisible() or not finetune.isVisible()
    qtbot.waitUntil(lambda: finetune.checkpoint_meta() is not None, timeout=10_000)
    text = finetune.checkpointInfoLabel.text()
    assert "cnn" in text and "10 classes" in text and "digits" in text and "replaced" in text
    assert finetune.model_overrides()["init_checkpoint"] == str(path)
    finetune.set_context("mlp")
    assert "mlp" in finetune.checkpointInfoLabel.text()
    with pytest.raises(ConfigError, match="cnn"):
        finetune.model_overrides()


def test_a_file_that_is_not_a_checkpoint_is_explained(qtbot, finetune, tmp_path):
    bad = tmp_path / "notes.pt"
    bad.write_text("hello")
    finetune.set_start(CHECKPOINT, bad)
    qtbot.waitUntil(lambda: "not a PyTorch checkpoint" in finetune.checkpointInfoLabel.text(), timeout=10_000)
    with pytest.raises(ConfigError, match="not a PyTorch checkpoint"):
        finetune.model_overrides()
    finetune.initCheckpointEdit.setText("")
    finetune.set_start(CHECKPOINT)
    with pytest.raises(ConfigError, match="Choose the checkpoint"):
        finetune.model_overrides()


def test_settings_round_trip(qtbot, finetune, tmp_path, digits):
    from gui.settings import make_settings

    finetune.layer_tree.set_frozen(["features.block1"])
    finetune.twoPhaseCheck.setChecked(True)
    finetune.finetuneLrFactorSpin.setValue(0.3)
    finetune.layer_tree.freezeBnCheck.setChecked(False)
    settings = make_settings(tmp_path / "s.ini")
    finetune.save_settings(settings)
    other = FineTunePanel(models_dir=tmp_path)
    qtbot.addWidget(other)
    other.restore_settings(settings)
    with qtbot.waitSignal(other.layer_tree.modelReady, timeout=20_000):
        other.set_context("cnn", digits.spec, 10, digits.classes)
    assert other.layer_tree.frozen() == ("features.block1",)
    assert other.twoPhaseCheck.isChecked() and other.finetuneLrFactorSpin.value() == pytest.approx(0.3)
    assert not other.layer_tree.freeze_bn_stats()
    other.shutdown()


def test_unfreezing_the_last_blocks_waits_for_the_tree(qtbot, tmp_path):
    panel = FineTunePanel(models_dir=tmp_path)
    qtbot.addWidget(panel)
    panel.set_epochs(3)
    panel.twoPhaseCheck.setChecked(True)
    panel.unfreezeCombo.setCurrentIndex(panel.unfreezeCombo.findData("last_n"))
    with pytest.raises(ConfigError, match="not listed yet"):
        panel.train_overrides()
    panel.unfreezeCombo.setCurrentIndex(panel.unfreezeCombo.findData("all"))
    assert panel.train_overrides()["unfreeze"] == ()
