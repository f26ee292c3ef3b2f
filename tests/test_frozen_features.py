"""Frozen layers computed once (issue 30): the same weights as computing them every epoch, in memory
and from a streamed folder (outputs on disk, reused by the next run), with two phases, and the
log saying when and why not."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.feature_cache import FORMAT, INDEX, feature_root
from engine.data.registry import folder_key, load_dataset
from engine.data.splits import split_dataset
from engine.data.types import InputSpec
from engine.freezing import apply_freeze, preset, set_train_mode
from engine.models.build import build_model
from engine.train import distributed, frozen_features
from engine.train.frozen_features import FrozenOnce
from engine.train.frozen_split import split_frozen
from engine.train.loop import fit
from engine.train.run import fit_state
from tests.helpers_data import write_image_folder

DIGITS = DataConfig(dataset="digits")
FP32 = TrainConfig(epochs=2, precision="fp32", batch_size=32)


@pytest.fixture(scope="module")
def digits():
    """120 built-in digits: a few batches an epoch, well under a second a run."""
    data = load_dataset(DIGITS)
    return replace(data, train_images=data.train_images[:120], train_labels=data.train_labels[:120])


def train(data, data_cfg, model_cfg, train_cfg, reuse: bool):
    """Weights, history and log lines of a fit on ``data``, computing the frozen front once or not."""
    lines: list[str] = []
    state = fit_state(
        data_cfg, model_cfg, train_cfg, data, lambda e: lines.append(e.get("message", "")), None
    )
    state = replace(state, reuse_frozen=reuse)
    splits = split_dataset(data, data_cfg.val_split, data_cfg.seed)
    torch.manual_seed(state.seed)
    model = build_model(model_cfg.arch, state.spec, len(data.classes))
    history, stopped = fit(model, splits.train, splits.val, state)
    assert not stopped
    return model.state_dict(), history, [line for line in lines if line.startswith("Frozen layers")]


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key].float(), b[key].float(), atol=1e-5), key


@pytest.mark.parametrize(
    ("frozen", "trained"),
    [
        (("features",), "the 1 layer after them"),
        (("features.block1", "features.block2"), "the 3 layers after them"),
    ],
)
def test_cached_features_train_the_same_weights_as_recomputed(digits, frozen, trained):
    # The rest holds a dropout (classifier.dropout) and, with block3 trained, a BatchNorm in training
    # mode: the same order and the same random draws, or the weights would differ.
    model_cfg = ModelConfig(arch="cnn", frozen=frozen)
    cached, hist_cached, said = train(digits, DIGITS, model_cfg, FP32, reuse=True)
    recomputed, hist_recomputed, said_not = train(digits, DIGITS, model_cfg, FP32, reuse=False)
    assert_same_weights(cached, recomputed)
    assert [h["val_acc"] for h in hist_cached] == pytest.approx([h["val_acc"] for h in hist_recomputed])
    assert [h["train_loss"] for h in hist_cached] == pytest.approx([h["train_loss"] for h in hist_recomputed])
    assert len(said) == 2 and said[0].startswith("Frozen layers: computing their outputs once for ")
    splits = split_dataset(digits, DIGITS.val_split, DIGITS.seed)
    n = len(splits.train) + len(splits.val)  # the test split is never fed
    assert f"features computed once for {n} pictures" in said[1] and said[1].endswith(f"train only {trained}")
    assert said_not == []
    untouched = build_model("cnn", digits.spec, 10).state_dict()
    assert not torch.equal(cached["classifier.fc.weight"], untouched["classifier.fc.weight"])


def test_two_phases_compute_the_front_once_then_every_layer(digits):
    model_cfg = ModelConfig(arch="cnn", frozen=("features",))
    train_cfg = replace(FP32, epochs=3, unfreeze_after=1)
    cached, history, said = train(digits, DIGITS, model_cfg, train_cfg, reuse=True)
    recomputed, _history, _said = train(digits, DIGITS, model_cfg, train_cfg, reuse=False)
    assert_same_weights(cached, recomputed)
    assert [h["phase"] for h in history] == [1, 2, 2]
    assert sum("computed once" in line for line in said) == 1
    first = build_model("cnn", digits.spec, 10).state_dict()
    assert not torch.equal(cached["features.block1.conv.weight"], first["features.block1.conv.weight"])


def test_the_log_says_why_the_front_is_computed_every_epoch(digits):
    augmented = replace(DIGITS, augment=True)
    *_, said = train(digits, augmented, ModelConfig(arch="cnn", frozen=("features",)), FP32, reuse=True)
    assert said == [
        "Frozen layers: computed again in every epoch, because augmentation changes the pictures every "
        "epoch (without it their outputs are computed once)"
    ]
    live_bn = ModelConfig(arch="cnn", frozen=("features",), freeze_bn_stats=False)
    *_, said = train(digits, DIGITS, live_bn, FP32, reuse=True)
    # BatchNorm that learns its statistics is not frozen: the front ends at the convolution before it.
    assert said[-1].endswith("the epochs train only the 6 layers after them")


def test_under_ddp_the_front_is_computed_every_epoch_and_the_log_says_so(digits, monkeypatch):
    state = fit_state(DIGITS, ModelConfig(arch="cnn", frozen=("features",)), FP32, digits, None, None)
    lines: list[str] = []
    state = replace(state, on_event=lambda e: lines.append(e["message"]))
    splits = split_dataset(digits, 0.2, 0)
    model = build_model("cnn", state.spec, 10)
    apply_freeze(model, state.frozen)
    once = FrozenOnce(model, splits.train, splits.val, state)
    monkeypatch.setattr(distributed, "active", lambda: True)
    assert once.ready("net", "feeder") == ("net", "feeder")
    assert lines == [
        "Frozen layers: computed again in every epoch, because the run is spread over several processes"
    ]


@pytest.mark.parametrize("arch", ["mlp", "cnn", "resnet18", "vgg16", "regnet"])
def test_each_architecture_splits_into_a_front_and_a_rest_that_give_the_model(arch):
    spec = InputSpec(3, 16, 16, (0.5,) * 3, (0.25,) * 3)
    torch.manual_seed(0)
    model = build_model(arch, spec, 3)
    frozen = preset(model, arch, "features")
    apply_freeze(model, frozen)
    set_train_mode(model, frozen)
    split = split_frozen(model)
    assert not isinstance(split, str), split
    # The rest holds every weight that trains, and trains the model's own weights.
    trained = {id(p) for p in model.parameters() if p.requires_grad}
    assert trained <= {id(p) for p in split.rest.parameters()}
    assert not any(p.requires_grad for p in split.front.parameters())
    x = torch.randn(2, *spec.shape)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(split.rest(split.front(x)), model(x))


def test_a_model_whose_first_layer_trains_is_not_split():
    model = build_model("cnn", InputSpec(1, 16, 16, (0.5,), (0.25,)), 3)
    apply_freeze(model, ("classifier.fc",))
    set_train_mode(model, ("classifier.fc",))
    assert split_frozen(model) == "layer features.block1.conv trains"


@pytest.fixture
def photos(tmp_path):
    return write_image_folder(tmp_path / "photos", ("ant", "bee"), n_per_class=14, size=(20, 16))


def test_a_streamed_folder_keeps_the_outputs_on_disk_and_the_next_run_reads_them(photos, monkeypatch):
    monkeypatch.setattr(frozen_features, "MEMORY_SHARE", 0.0)  # as if they did not fit in memory
    data_cfg = DataConfig(dataset=folder_key(photos), image_size=16, loader="stream")
    data = load_dataset(data_cfg)
    model_cfg = ModelConfig(arch="cnn", frozen=("features",))
    cached, _h, said = train(data, data_cfg, model_cfg, FP32, reuse=True)
    recomputed, _h, _said = train(data, data_cfg, model_cfg, FP32, reuse=False)
    assert_same_weights(cached, recomputed)
    assert f"stored in {feature_root()}" in said[1]
    entries = sorted(feature_root().glob(f"*/{INDEX}"))
    assert len(entries) == 2  # training and validation pictures
    header = json.loads(entries[0].read_text(encoding="utf-8"))
    assert header["format"] == FORMAT and header["dtype"] == "float32"
    again, _h, said = train(data, data_cfg, model_cfg, FP32, reuse=True)
    assert "where an earlier run stored them" in said[-1]
    assert_same_weights(again, recomputed)
    # A damaged file is never read: the outputs are computed again.
    for entry in entries:
        data_file = entry.parent / "features.bin"
        data_file.write_bytes(bytes(len(data_file.read_bytes())))
    rebuilt, _h, said = train(data, data_cfg, model_cfg, FP32, reuse=True)
    assert "features computed once" in said[-1]
    assert_same_weights(rebuilt, recomputed)
