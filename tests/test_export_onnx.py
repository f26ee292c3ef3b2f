"""ONNX export: every registered architecture exports, onnxruntime agrees with PyTorch, and the
file carries what a user needs (input, normalisation, classes); without the extra, a message."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from engine import export_onnx
from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.config import DataConfig
from engine.data.registry import load_dataset
from engine.data.types import InputSpec
from engine.errors import OnnxExportError
from engine.models import registry
from engine.models.build import build_model

CLASSES = ["cat", "dog", "owl"]
needs_onnx = pytest.mark.skipif(
    bool(export_onnx.missing_packages()),
    reason='ONNX export test needs onnx, onnxscript and onnxruntime: pip install -e ".[export]"',
)


def checkpoint(tmp_path, arch: str, channels: int = 3) -> tuple:
    """A fresh model of ``arch`` at the smallest input it accepts, saved as a checkpoint."""
    size = max(registry.architecture(arch).min_size, 8)
    spec = InputSpec(channels, size, size, (0.5,) * channels, (0.25,) * channels)
    torch.manual_seed(0)
    model = build_model(arch, spec, len(CLASSES))
    meta = {"arch": arch, "classes": CLASSES, "spec": spec.to_dict(), "dataset": "folder:/nowhere"}
    path = save_checkpoint(tmp_path / f"{arch}.pt", model, meta)
    return path, spec


@needs_onnx
@pytest.mark.parametrize("arch", registry.keys())
def test_every_architecture_exports_and_matches_pytorch(tmp_path, arch, one_torch_thread):
    path, spec = checkpoint(tmp_path, arch)
    events = []
    result = export_onnx.export_checkpoint(path, tmp_path / f"{arch}.onnx", on_event=events.append)
    # Exported with a batch of 2, checked on 8 images: the batch is dynamic.
    assert result.checked == export_onnx.CHECK_IMAGES == 8 and result.checked_on == "random images"
    assert result.max_difference < 1e-4
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2, 3]
    result.path.unlink()  # VGG-16's file is half a gigabyte


@pytest.fixture(scope="module")
def digits_onnx(tmp_path_factory):
    """An untrained MLP saved as a digits model (its test images load from scikit-learn), exported."""
    if export_onnx.missing_packages():
        pytest.skip('needs onnx, onnxscript and onnxruntime: pip install -e ".[export]"')
    cfg = DataConfig(dataset="digits")
    data = load_dataset(cfg)
    torch.manual_seed(0)
    model = build_model("mlp", data.spec, len(data.classes))
    meta = {
        "arch": "mlp",
        "classes": list(data.classes),
        "spec": data.spec.to_dict(),
        "dataset": "digits",
        "data_config": cfg.to_dict(),
    }
    folder = tmp_path_factory.mktemp("digits")
    path = save_checkpoint(folder / "mlp.pt", model, meta)
    return path, export_onnx.export_checkpoint(path, folder / "digits.onnx"), data


def test_checked_on_the_models_own_test_images(digits_onnx):
    _, result, _ = digits_onnx
    assert result.checked_on.startswith("test images of")
    assert result.agreement == 1.0 and result.max_difference < 1e-4


def test_metadata_says_how_to_feed_the_model(digits_onnx):
    import onnx  # optional: only with the export extra

    _, result, data = digits_onnx
    props = export_onnx.read_metadata(result.path)
    assert json.loads(props["class_names"]) == list(data.classes)
    assert props["input_name"] == "input"
    assert json.loads(props["input_shape"]) == ["N", *data.spec.shape]
    assert json.loads(props["normalisation_mean"]) == list(data.spec.mean)
    assert json.loads(props["normalisation_std"]) == list(data.spec.std)
    model = onnx.load(str(result.path))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param and not batch.dim_value  # a named, dynamic batch dimension


def test_a_mismatch_keeps_no_file_and_says_so(digits_onnx, tmp_path, monkeypatch):
    path, result, data = digits_onnx
    copy = tmp_path / "copy.onnx"
    shutil.copy(result.path, copy)
    loaded = load_checkpoint(path)
    monkeypatch.setattr(export_onnx, "TOLERANCE", -1.0)  # nothing can match: the check must fail
    with pytest.raises(OnnxExportError, match="does not match PyTorch"):
        images = torch.randint(0, 256, (4, *data.spec.shape), dtype=torch.uint8)
        export_onnx.check_file(copy, loaded.model, loaded.spec, images, "random images")
    assert not copy.exists()


def test_without_the_extra_the_message_says_what_to_install(tmp_path, monkeypatch):
    path, _ = checkpoint(tmp_path, "mlp")
    real = export_onnx.importlib.util.find_spec
    monkeypatch.setattr(
        export_onnx.importlib.util, "find_spec", lambda name: None if name == "onnxruntime" else real(name)
    )
    with pytest.raises(OnnxExportError, match=r'onnxruntime.*pip install -e "\.\[export\]"'):
        export_onnx.export_checkpoint(path, tmp_path / "mlp.onnx")
    assert not (tmp_path / "mlp.onnx").exists()
