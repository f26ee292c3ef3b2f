"""Checkpoints: round trip with metadata, and a clear message for every kind of bad file."""

import pytest
import torch

from engine.checkpoints import CheckpointError, check_compatible, load_checkpoint, save_checkpoint
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.data.types import InputSpec
from engine.models.build import build_model
from engine.train.run import run


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = load_dataset(DataConfig(dataset="digits"))
    result = run(
        DataConfig(dataset="digits"),
        ModelConfig(arch="cnn", frozen=("features.block1",)),
        TrainConfig(epochs=1),
        data=data,
    )
    path = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "digits.pt", result.model, result.meta)
    return result, path, data


def test_round_trip_keeps_weights_and_metadata(trained):
    result, path, data = trained
    loaded = load_checkpoint(path)
    x = data.train_images[:8].float() / 255
    with torch.no_grad():
        assert torch.equal(loaded.model(x), result.model.eval()(x))
    meta = loaded.meta
    assert meta["arch"] == "cnn" and meta["classes"] == data.classes
    assert InputSpec.from_dict(meta["spec"]) == data.spec
    assert meta["frozen"] == ["features.block1"]
    assert len(meta["history"]) == 1 and "val_acc" in meta["history"][0]
    assert meta["versions"]["torch"] == torch.__version__
    assert meta["train_config"]["epochs"] == 1
    frozen = [n for n, p in loaded.model.named_parameters() if not p.requires_grad]
    assert frozen and all(n.startswith("features.block1.") for n in frozen)


def test_save_is_atomic_and_leaves_no_temp_files(trained, tmp_path):
    result, _, _ = trained
    target = tmp_path / "sub" / "m.pt"
    save_checkpoint(target, result.model, result.meta)
    save_checkpoint(target, result.model, result.meta)
    assert [p.name for p in target.parent.iterdir()] == ["m.pt"]


def test_not_a_checkpoint(tmp_path):
    junk = tmp_path / "notes.pt"
    junk.write_text("hello, these are not weights")
    with pytest.raises(CheckpointError, match=r"not a PyTorch checkpoint \(it is a text file\)"):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_truncated_checkpoint(trained, tmp_path):
    _, path, _ = trained
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match="cut.pt is damaged: it is cut short"):
        load_checkpoint(cut)


def test_bare_state_dict_points_to_import_weights(tmp_path):
    spec = InputSpec(1, 28, 28, (0.1307,), (0.3081,))
    bare = tmp_path / "bare.pth"
    torch.save(build_model("mlp", spec, 10).state_dict(), bare)
    with pytest.raises(CheckpointError, match="import-weights"):
        load_checkpoint(bare)


def test_other_architecture_or_class_count_says_what_differs(trained):
    _, path, data = trained
    with pytest.raises(CheckpointError, match="cnn model, not resnet18"):
        load_checkpoint(path, arch="resnet18")
    with pytest.raises(CheckpointError, match="10 classes, the data has 3"):
        load_checkpoint(path, classes=["a", "b", "c"])
    with pytest.raises(CheckpointError, match="input 1x28x28, the data is 3x32x32"):
        check_compatible(load_checkpoint(path).meta, spec=InputSpec(3, 32, 32, (0.5,) * 3, (0.5,) * 3))


def test_weights_that_do_not_match_the_declared_model(trained, tmp_path):
    result, _, _ = trained
    meta = dict(result.meta, classes=[str(i) for i in range(5)])  # head has 10 outputs
    path = save_checkpoint(tmp_path / "lie.pt", result.model, meta)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)
