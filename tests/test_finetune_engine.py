"""Issue 4 in the engine: freezing, BatchNorm statistics, two phases, freeze set in checkpoints, transfer.

Covers what the window relies on beyond the freezing/models helper's own tests: a frozen part is
bit-identical after a run (BatchNorm running statistics too, when chosen), the optimizer holds
only what trains, phase 2 releases exactly the chosen set, and a model trained earlier in Taller
on digits transfers to an image folder with other classes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import folder_key, load_dataset
from engine.data.splits import split_dataset
from engine.freezing import apply_freeze, count_parameters, frozen_names
from engine.models.build import build_model
from engine.models.registry import head_names
from engine.train.loop import fit
from engine.train.run import run
from engine.train.state import FitState, make_optimizer
from tests.helpers_data import write_image_folder

DIGITS = DataConfig(dataset="digits")


@pytest.fixture(scope="module")
def digits():
    """A 150-image slice of the built-in digits: enough to see what trains, a few seconds a run."""
    data = load_dataset(DIGITS)
    return replace(data, train_images=data.train_images[:150], train_labels=data.train_labels[:150])


def initial_weights(data, arch="cnn", seed=0):
    """The weights ``run`` starts from: it seeds torch with the train seed before building."""
    torch.manual_seed(seed)
    model = build_model(arch, data.spec, len(data.classes))
    return {k: v.clone() for k, v in model.state_dict().items()}


def under(key: str, prefix: str) -> bool:
    return key.startswith(prefix + ".")


def test_frozen_weights_and_bn_statistics_are_bit_identical_after_training(digits):
    frozen = ("features.block1", "features.block2")
    before = initial_weights(digits)
    result = run(DIGITS, ModelConfig(arch="cnn", frozen=frozen), TrainConfig(epochs=1), data=digits)
    after = result.model.state_dict()
    for key in before:
        if any(under(key, f) for f in frozen):
            assert torch.equal(before[key], after[key]), key  # weights, running_mean/var, batch count
    for key in ("features.block3.conv.weight", "features.block3.bn.running_mean", "classifier.fc.weight"):
        assert not torch.equal(before[key], after[key]), key
    assert result.meta["frozen"] == list(frozen)


def test_bn_statistics_of_frozen_layers_update_when_chosen(digits):
    before = initial_weights(digits)
    model_cfg = ModelConfig(arch="cnn", frozen=("features.block1",), freeze_bn_stats=False)
    after = run(DIGITS, model_cfg, TrainConfig(epochs=1), data=digits).model.state_dict()
    assert torch.equal(before["features.block1.conv.weight"], after["features.block1.conv.weight"])
    assert torch.equal(before["features.block1.bn.weight"], after["features.block1.bn.weight"])
    key = "features.block1.bn.running_mean"
    assert not torch.equal(before[key], after[key])


def test_optimizer_holds_only_trainable_parameters_with_per_group_rates(digits):
    model = build_model("cnn", digits.spec, 10)
    apply_freeze(model, ("features.block1", "features.block2"))
    cfg = TrainConfig(lr=0.01, backbone_lr_factor=0.1)
    optimizer = make_optimizer(model, cfg, cfg.lr, head_names("cnn"))
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert held == trainable
    assert sum(p.numel() for g in optimizer.param_groups for p in g["params"]) == count_parameters(model)[0]
    head = {id(p) for p in model.get_submodule("classifier.fc").parameters()}
    rates = {
        ("head" if id(p) in head else "backbone"): g["lr"]
        for g in optimizer.param_groups
        for p in g["params"]
    }
    assert rates == {"head": pytest.approx(0.01), "backbone": pytest.approx(0.001)}


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_two_phase_releases_the_frozen_part_at_the_chosen_epoch(digits):
    splits = split_dataset(digits)
    torch.manual_seed(0)
    model = build_model("cnn", digits.spec, 10)
    start = snapshot(model)
    seen, events = {}, []

    def on_event(event):
        events.append(event)
        if event["event"] == "epoch_end":
            seen[event["epoch"]] = snapshot(model)

    cfg = TrainConfig(epochs=2, unfreeze_after=1, lr=2e-3, finetune_lr_factor=0.25)
    state = FitState(
        spec=digits.spec, cfg=cfg, head=head_names("cnn"), frozen=("features",), on_event=on_event
    )
    history, stopped = fit(model, splits.train, splits.val, state)
    for key in ("features.block1.conv.weight", "features.block2.bn.running_mean"):
        assert torch.equal(start[key], seen[1][key]), key  # frozen through phase 1
        assert not torch.equal(seen[1][key], seen[2][key]), key  # trained in phase 2
    assert not torch.equal(start["classifier.fc.weight"], seen[1]["classifier.fc.weight"])
    assert [h["phase"] for h in history] == [1, 2]
    assert [h["lr"] for h in history] == pytest.approx([2e-3, 5e-4])
    # The phase event comes after epoch 1's point and before epoch 2's: where the marker goes.
    order = [(e["event"], e["epoch"]) for e in events if e["event"] in ("epoch_end", "phase")]
    assert order == [("epoch_end", 1), ("phase", 2), ("epoch_end", 2)]
    assert frozen_names(model) == []


def test_phase_two_can_release_only_the_last_block(digits):
    """How the window asks for "unfreeze only the last N blocks": the frozen set spelled finely."""
    splits = split_dataset(digits)
    torch.manual_seed(0)
    model = build_model("cnn", digits.spec, 10)
    start = snapshot(model)
    frozen = tuple(n for n, m in model.named_modules() if n.startswith("features.") and m._parameters)
    assert "features.block3.conv" in frozen and "features" not in frozen
    cfg = TrainConfig(epochs=2, unfreeze_after=1, unfreeze=("features.block3",))
    state = FitState(spec=digits.spec, cfg=cfg, head=head_names("cnn"), frozen=frozen)
    fit(model, splits.train, splits.val, state)
    after = model.state_dict()
    assert torch.equal(start["features.block1.conv.weight"], after["features.block1.conv.weight"])
    assert torch.equal(start["features.block2.bn.running_var"], after["features.block2.bn.running_var"])
    assert not torch.equal(start["features.block3.conv.weight"], after["features.block3.conv.weight"])
    assert frozen_names(model) == ["features.block1", "features.block2"]


def test_freeze_set_survives_save_and_load(digits, tmp_path):
    frozen = ("features.block1", "features.block2.conv")
    result = run(DIGITS, ModelConfig(arch="cnn", frozen=frozen), TrainConfig(epochs=1), data=digits)
    path = save_checkpoint(tmp_path / "frozen.pt", result.model, result.meta)
    loaded = load_checkpoint(path)
    assert loaded.meta["frozen"] == list(frozen)
    assert frozen_names(loaded.model) == list(frozen)
    assert count_parameters(loaded.model) == count_parameters(result.model)
    grads = {n: p.requires_grad for n, p in loaded.model.named_parameters()}
    assert grads == {n: p.requires_grad for n, p in result.model.named_parameters()}


def test_transfer_from_own_digits_model_to_a_folder_with_three_classes(digits, tmp_path):
    source = run(DIGITS, ModelConfig(arch="cnn"), TrainConfig(epochs=1), data=digits)
    ckpt = save_checkpoint(tmp_path / "digits-cnn.pt", source.model, source.meta)
    theirs = load_checkpoint(ckpt).model.state_dict()
    folder = write_image_folder(
        tmp_path / "shapes", ("a", "b", "c"), n_per_class=12, size=28, mode="L", with_corrupt=False
    )
    data_cfg = DataConfig(dataset=folder_key(folder), val_split=0.25)
    data = load_dataset(data_cfg)
    assert data.spec.channels == 1 and len(data.classes) == 3
    model_cfg = ModelConfig(arch="cnn", init_checkpoint=str(ckpt), frozen=("features",))
    result = run(data_cfg, model_cfg, TrainConfig(epochs=1, batch_size=8), data=data)
    after = result.model.state_dict()
    features = [k for k in theirs if k.startswith("features.")]
    assert features and all(torch.equal(theirs[k], after[k]) for k in features)  # kept, and frozen
    assert theirs["classifier.fc.weight"].shape[0] == 10
    assert after["classifier.fc.weight"].shape == (3, theirs["classifier.fc.weight"].shape[1])  # new head
    assert result.meta["classes"] == ["a", "b", "c"]
    assert result.meta["model_config"]["init_checkpoint"] == str(ckpt)
