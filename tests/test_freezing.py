"""Freezing: what stays fixed really stays fixed, the tree shows true counts and shapes, presets."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.data.types import InputSpec
from engine.freezing import (
    apply_freeze,
    count_parameters,
    frozen_names,
    layer_tree,
    param_groups,
    preset,
    release,
    set_train_mode,
)
from engine.models.build import build_model
from engine.models.registry import head_names

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SPEC = InputSpec(1, 28, 28, (0.1307,), (0.3081,))


@pytest.fixture
def cnn() -> nn.Module:
    torch.manual_seed(0)
    return build_model("cnn", SPEC, 10)


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def train_steps(model: nn.Module, frozen, steps: int = 3, freeze_bn_stats: bool = True) -> None:
    """A few Adam steps with weight decay, the way the training loop drives them."""
    apply_freeze(model, frozen)
    optimizer = torch.optim.Adam(param_groups(model, 1e-2, head_names("cnn"), 0.5), weight_decay=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        set_train_mode(model, frozen, freeze_bn_stats)
        x = torch.randn(8, *SPEC.shape, generator=generator) * 2 + 1  # statistics BN would notice
        y = torch.randint(0, 10, (8,), generator=generator)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def changed(before: dict, after: dict, prefix: str) -> dict[str, bool]:
    return {k: not torch.equal(before[k], after[k]) for k in before if k.startswith(prefix)}


# --- freezing keeps weights and statistics ------------------------------------------------------------


def test_frozen_weights_and_bn_statistics_stay_bit_identical(cnn):
    frozen = ("features.block1", "features.block2")
    before = snapshot(cnn)
    train_steps(cnn, frozen)
    after = snapshot(cnn)
    for prefix in frozen:
        assert not any(changed(before, after, prefix).values()), prefix
    moved = changed(before, after, "features.block3")
    assert moved["features.block3.conv.weight"] and moved["features.block3.bn.running_mean"]
    assert all(changed(before, after, "classifier.fc").values())


def test_without_frozen_statistics_bn_running_stats_follow_the_data(cnn):
    before = snapshot(cnn)
    train_steps(cnn, ("features.block1",), freeze_bn_stats=False)
    moved = changed(before, snapshot(cnn), "features.block1")
    assert not moved["features.block1.conv.weight"] and not moved["features.block1.bn.weight"]
    assert moved["features.block1.bn.running_mean"] and moved["features.block1.bn.running_var"]


def test_set_train_mode_puts_only_frozen_batchnorm_in_eval(cnn):
    cnn.eval()
    set_train_mode(cnn, ["features.block2"])
    assert cnn.training and cnn.features.block2.training and cnn.classifier.dropout.training
    assert not cnn.features.block2.bn.training
    assert cnn.features.block1.bn.training and cnn.features.block3.bn.training
    set_train_mode(cnn, ["features.block2"], freeze_bn_stats=False)
    assert all(m.training for m in cnn.modules())


def test_apply_freeze_replaces_the_previous_set_and_names_unknown_layers(cnn):
    apply_freeze(cnn, ["features"])
    apply_freeze(cnn, ["classifier.fc"])
    assert all(p.requires_grad for p in cnn.features.parameters())
    assert not any(p.requires_grad for p in cnn.classifier.parameters())
    with pytest.raises(ValueError, match=r"'features\.block9', 'head'"):
        apply_freeze(cnn, ["features.block1", "features.block9", "head"])
    with pytest.raises(ValueError):
        apply_freeze(cnn, [""])  # the root is not a layer


def test_frozen_names_is_minimal_and_round_trips(cnn):
    apply_freeze(cnn, ["features.block1.conv", "features.block1.bn", "features.block3.bn"])
    assert frozen_names(cnn) == ["features.block1", "features.block3.bn"]
    flags = [p.requires_grad for p in cnn.parameters()]
    apply_freeze(cnn, frozen_names(cnn))
    assert [p.requires_grad for p in cnn.parameters()] == flags
    apply_freeze(cnn, ["features", "classifier"])
    assert frozen_names(cnn) == ["features", "classifier"]
    apply_freeze(cnn, [])
    assert frozen_names(cnn) == []


def test_release_unfreezes_part_of_a_frozen_parent(cnn):
    remaining = release(cnn, ("features",), ["features.block3"])
    assert remaining == ("features.block1", "features.block2")
    assert all(p.requires_grad for p in cnn.features.block3.parameters())
    assert not any(p.requires_grad for p in cnn.features.block1.parameters())
    resnet = build_model("resnet18", SPEC, 10)
    frozen = preset(resnet, "resnet18", "features")
    assert release(resnet, frozen, ["conv1+bn1", "layer4"]) == ("layer1", "layer2", "layer3")


# --- counts and optimizer groups ----------------------------------------------------------------------


def test_count_parameters(cnn):
    total = sum(p.numel() for p in cnn.parameters())
    assert count_parameters(cnn) == (total, total)
    apply_freeze(cnn, ["features"])
    head = sum(p.numel() for p in cnn.classifier.parameters())
    assert count_parameters(cnn) == (head, total)


def test_param_groups_hold_only_trainable_parameters(cnn):
    apply_freeze(cnn, ["features.block1"])
    groups = param_groups(cnn, 0.01, head_names("cnn"), backbone_lr_factor=0.1)
    assert [(g["name"], g["lr"]) for g in groups] == [("head", 0.01), ("backbone", pytest.approx(0.001))]
    held = [p for g in groups for p in g["params"]]
    assert all(p.requires_grad for p in held)
    assert sum(p.numel() for p in held) == count_parameters(cnn)[0]
    assert {id(p) for p in groups[0]["params"]} == {id(p) for p in cnn.classifier.fc.parameters()}
    assert not {id(p) for p in cnn.features.block1.parameters()} & {id(p) for p in held}


def test_param_groups_omit_empty_groups(cnn):
    apply_freeze(cnn, preset(cnn, "cnn", "features"))
    assert [g["name"] for g in param_groups(cnn, 0.01, head_names("cnn"))] == ["head"]
    apply_freeze(cnn, ["classifier.fc"])
    assert [g["name"] for g in param_groups(cnn, 0.01, head_names("cnn"))] == ["backbone"]
    with pytest.raises(ValueError, match="fc9"):
        param_groups(cnn, 0.01, ["fc9"])


# --- presets ------------------------------------------------------------------------------------------


def test_presets_on_the_cnn(cnn):
    assert preset(cnn, "cnn", "all") == ()
    assert preset(cnn, "cnn", "features") == ("features",)
    assert preset(cnn, "cnn", "last_n", 1) == ("features.block1", "features.block2")
    assert preset(cnn, "cnn", "last_n", 2) == ("features.block1",)
    assert preset(cnn, "cnn", "last_n", 0) == ("features",)
    assert preset(cnn, "cnn", "last_n", 10) == ()  # more blocks than the model has: train all
    with pytest.raises(ValueError, match="unknown preset"):
        preset(cnn, "cnn", "most")
    with pytest.raises(ValueError, match="negative"):
        preset(cnn, "cnn", "last_n", -1)


def test_presets_on_torchvision_models():
    resnet = build_model("resnet18", SPEC, 10)
    stem_and_body = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")
    assert preset(resnet, "resnet18", "features") == stem_and_body
    assert preset(resnet, "resnet18", "last_n", 2) == ("conv1", "bn1", "layer1", "layer2")
    apply_freeze(resnet, preset(resnet, "resnet18", "features"))
    assert count_parameters(resnet)[0] == 512 * 10 + 10  # feature extraction: only the new fc trains
    with torch.device("meta"):  # VGG's structure without allocating its 134M weights
        vgg = build_model("vgg16", InputSpec(3, 32, 32, (0.5,) * 3, (0.5,) * 3), 10)
    assert preset(vgg, "vgg16", "features") == ("features", "classifier.0", "classifier.3")
    # Five blocks before the head: classifier.3, classifier.0 and conv stages 5, 4, 3.
    assert preset(vgg, "vgg16", "last_n", 5) == ("features.0", "features.2", "features.5", "features.7")
    mlp = build_model("mlp", SPEC, 10)
    assert preset(mlp, "mlp", "features") == ("1", "4")
    assert preset(mlp, "mlp", "last_n", 1) == ("1",)


# --- layer tree ---------------------------------------------------------------------------------------


def test_layer_tree_lists_every_layer_with_counts_and_shapes(cnn):
    apply_freeze(cnn, ["features.block1"])
    tree = layer_tree(cnn, SPEC)
    assert [i.name for i in tree] == [n for n, _ in cnn.named_modules()][1:]
    info = {i.name: i for i in tree}
    assert info["features.block1.conv"].output_shape == (32, 28, 28)
    assert info["features.block2.pool"].output_shape == (64, 7, 7)
    assert info["pool"].output_shape == (128, 3, 3)
    assert info["classifier.fc"].output_shape == (10,)
    assert info["features"].kind == "Sequential" and info["features"].has_children
    assert info["features.block1.bn"].depth == 2 and not info["features.block1.bn"].has_children
    block1 = sum(p.numel() for p in cnn.features.block1.parameters())
    assert info["features.block1"].params == block1 and info["features.block1"].trainable == 0
    assert info["features"].trainable == info["features"].params - block1
    assert sum(i.params for i in tree if i.depth == 0) == count_parameters(cnn)[1]
    assert info["features.block1.relu"].params == 0


def test_layer_tree_restores_mixed_train_modes_and_needs_no_spec(cnn):
    set_train_mode(cnn, ["features.block1"])
    before = [m.training for m in cnn.modules()]
    layer_tree(cnn, SPEC)
    assert [m.training for m in cnn.modules()] == before
    assert all(i.output_shape is None for i in layer_tree(cnn))


def test_layer_tree_shows_the_small_image_adaptation():
    shapes = {i.name: i.output_shape for i in layer_tree(build_model("resnet18", SPEC, 10), SPEC)}
    assert shapes["layer1"] == (64, 28, 28) and shapes["layer4"] == (512, 4, 4)
    big = InputSpec(3, 64, 64, (0.5,) * 3, (0.5,) * 3)
    shapes = {i.name: i.output_shape for i in layer_tree(build_model("resnet18", big, 10), big)}
    assert shapes["layer1"] == (64, 16, 16) and shapes["layer4"] == (512, 2, 2)
