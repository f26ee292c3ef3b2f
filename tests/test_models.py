"""Architectures: shapes, the notebook MLP, input adaptation, local ImageNet weights and their import."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from engine.config import InputSpec
from engine.models import (
    ARCH_LABELS,
    ModelError,
    block_groups,
    block_names,
    build_model,
    head_names,
    import_weights,
    supports_pretrained,
    weights_available,
    weights_path,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def spec(channels: int = 1, size: int = 28) -> InputSpec:
    return InputSpec(channels, size, size, (0.5,) * channels, (0.25,) * channels)


def forward_backward(model: nn.Module, s: InputSpec, batch: int = 2) -> torch.Tensor:
    model.train()
    out = model(torch.randn(batch, *s.shape))
    out.sum().backward()
    return out


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """An empty torch cache: nothing the user downloaded elsewhere can leak in."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


@pytest.fixture(scope="module")
def imagenet_states():
    """State dicts shaped like torchvision's ImageNet files (random values: only the shapes matter)."""
    torch.manual_seed(0)
    return {
        "resnet18": torchvision.models.resnet18().state_dict(),
        "regnet": torchvision.models.regnet_y_400mf().state_dict(),
    }


# --- structure and forward/backward -----------------------------------------------------------------


def test_mlp_is_exactly_the_notebook_model():
    model = build_model("mlp", spec(1, 28), 10)
    kinds = [type(m) for m in model]
    assert isinstance(model, nn.Sequential)
    assert kinds == [nn.Flatten, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Linear]
    assert (model[1].in_features, model[1].out_features) == (784, 128)
    assert (model[4].in_features, model[4].out_features) == (128, 64)
    assert (model[6].in_features, model[6].out_features) == (64, 10)
    assert model[3].p == 0.2
    assert head_names("mlp") == ("6",)
    assert build_model("mlp", spec(3, 32), 4)[1].in_features == 3 * 32 * 32


@pytest.mark.parametrize("arch", ["mlp", "cnn", "resnet18", "regnet"])
@pytest.mark.parametrize("channels,size", [(1, 28), (3, 28), (1, 32), (3, 32)])
def test_models_train_on_gray_and_colour_small_images(arch, channels, size):
    s = spec(channels, size)
    model = build_model(arch, s, 7)
    out = forward_backward(model, s)
    assert out.shape == (2, 7)
    head = model.get_submodule(head_names(arch)[0])
    assert head.out_features == 7 and head.weight.grad is not None
    first = next(m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert first.weight.grad is not None  # gradients reach the input layer


def test_vgg16_keeps_torchvision_names_and_a_feature_map_on_small_gray_images():
    s = spec(1, 28)
    model = build_model("vgg16", s, 5)
    assert forward_backward(model, s).shape == (2, 5)
    assert model.features[0].in_channels == 1
    # 28 -> 14 -> 7 -> 3 -> 1: the fifth pool would leave nothing, so it is gone.
    assert isinstance(model.features[30], nn.Identity) and isinstance(model.features[23], nn.MaxPool2d)
    with torch.device("meta"):
        reference = torchvision.models.vgg16().state_dict()
    ours = model.state_dict()
    assert list(ours) == list(reference)
    changed = {k for k in ours if ours[k].shape != reference[k].shape}
    assert changed == {"features.0.weight", "classifier.6.weight", "classifier.6.bias"}


def test_cnn_has_readable_blocks_and_is_small():
    model = build_model("cnn", spec(1, 28), 10)
    names = dict(model.named_modules())
    assert {"features.block1.conv", "features.block1.bn", "features.block3.pool", "classifier.fc"} <= set(
        names
    )
    assert head_names("cnn") == ("classifier.fc",)
    assert sum(p.numel() for p in model.parameters()) < 200_000
    # The same class serves every size from 8x8 up.
    for size in (8, 64):
        s = spec(3, size)
        assert build_model("cnn", s, 3)(torch.randn(1, *s.shape)).shape == (1, 3)


@pytest.mark.parametrize("arch", ["cnn", "resnet18", "regnet"])
def test_same_arguments_give_the_same_structure(arch):
    s = spec(1, 28)
    torch.manual_seed(1)
    saved = build_model(arch, s, 10).state_dict()
    torch.manual_seed(2)
    rebuilt = build_model(arch, s, 10)
    rebuilt.load_state_dict(saved)  # strict: same names and shapes
    assert torch.equal(rebuilt.state_dict()[next(iter(saved))], next(iter(saved.values())))


def test_small_images_keep_early_resolution_large_ones_do_not():
    small = build_model("resnet18", spec(3, 32), 10)
    assert small.conv1.stride == (1, 1) and isinstance(small.maxpool, nn.Identity)
    large = build_model("resnet18", spec(3, 64), 10)
    assert large.conv1.stride == (2, 2) and isinstance(large.maxpool, nn.MaxPool2d)
    assert build_model("regnet", spec(1, 28), 10).stem[0].stride == (1, 1)
    assert build_model("regnet", spec(1, 64), 10).stem[0].stride == (2, 2)


def test_user_errors_raise_model_error():
    with pytest.raises(ModelError, match="unknown model"):
        build_model("lenet", spec(), 10)
    with pytest.raises(ModelError, match="no ImageNet weights"):
        build_model("cnn", spec(), 10, pretrained=True)
    with pytest.raises(ModelError, match="at least 8x8"):
        build_model("resnet18", InputSpec(1, 6, 6, (0.5,), (0.5,)), 10)
    with pytest.raises(ModelError, match="at least 2 classes"):
        build_model("cnn", spec(), 1)


def test_labels_and_pretrained_support():
    assert set(ARCH_LABELS) == {"mlp", "cnn", "resnet18", "vgg16", "regnet"}
    assert [a for a in ARCH_LABELS if supports_pretrained(a)] == ["resnet18", "vgg16", "regnet"]


@pytest.mark.parametrize("arch", ["mlp", "cnn", "resnet18", "regnet"])
def test_blocks_run_input_to_output_and_end_with_the_head(arch):
    model = build_model(arch, spec(1, 28), 10)
    groups = block_groups(arch, model)
    assert groups[-1] == head_names(arch)
    modules = dict(model.named_modules())
    assert all(name in modules for group in groups for name in group)
    assert block_names(arch, model) == ["+".join(g) for g in groups]
    assert len(groups) >= 3


def test_block_names_of_the_torchvision_models():
    with torch.device("meta"):
        vgg = build_model("vgg16", spec(3, 32), 10)
    assert block_names("resnet18", build_model("resnet18", spec(), 10)) == [
        "conv1+bn1",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "fc",
    ]
    names = block_names("vgg16", vgg)
    assert names[0] == "features.0+features.2" and names[4] == "features.24+features.26+features.28"
    assert names[5:] == ["classifier.0", "classifier.3", "classifier.6"]


# --- ImageNet weights from the local cache -----------------------------------------------------------


def test_pretrained_resnet18_loads_from_the_cache_and_adapts_to_gray(torch_home, imagenet_states):
    state = imagenet_states["resnet18"]
    path = weights_path("resnet18")
    assert path == torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert not weights_available("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    assert weights_available("resnet18")

    gray = build_model("resnet18", spec(1, 28), 10, pretrained=True)
    assert torch.equal(gray.layer3[1].conv2.weight, state["layer3.1.conv2.weight"])
    assert torch.equal(gray.bn1.running_var, state["bn1.running_var"])
    assert torch.allclose(gray.conv1.weight, state["conv1.weight"].sum(dim=1, keepdim=True))
    assert gray.fc.weight.shape == (10, 512)
    colour = build_model("resnet18", spec(3, 32), 4, pretrained=True)
    assert torch.equal(colour.conv1.weight, state["conv1.weight"])
    # A grey image fed to the summed kernel gives what the RGB kernel gives on R = G = B.
    x = torch.rand(1, 1, 28, 28)
    rgb = torch.nn.functional.conv2d(x.expand(1, 3, 28, 28), state["conv1.weight"], padding=3)
    assert torch.allclose(gray.conv1(x), rgb, atol=1e-5)


def test_pretrained_regnet_accepts_either_torchvision_file(torch_home, imagenet_states):
    state = imagenet_states["regnet"]
    assert weights_path("regnet").name == "regnet_y_400mf-e6988f5f.pth"  # IMAGENET1K_V2, the default
    v1 = weights_path("regnet").parent / "regnet_y_400mf-c65dace8.pth"
    v1.parent.mkdir(parents=True)
    torch.save(state, v1)
    assert weights_available("regnet")
    model = build_model("regnet", spec(3, 28), 10, pretrained=True)
    key = "trunk_output.block4.block4-0.f.a.0.weight"
    assert torch.equal(model.get_parameter(key), state[key])
    assert model.fc.out_features == 10


def test_missing_weights_say_where_the_file_goes(torch_home):
    with pytest.raises(ModelError) as err:
        build_model("vgg16", spec(3, 32), 10, pretrained=True)
    message = str(err.value)
    assert str(weights_path("vgg16")) in message
    assert "https://download.pytorch.org/models/vgg16-397923af.pth" in message
    assert "python main.py import-weights vgg16 FILE" in message
    assert not weights_path("vgg16").exists()  # nothing was downloaded


def test_a_corrupt_cached_file_is_a_model_error(torch_home, imagenet_states):
    path = weights_path("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(imagenet_states["regnet"], path)
    with pytest.raises(ModelError, match="does not hold ResNet-18"):
        build_model("resnet18", spec(), 10, pretrained=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="not a PyTorch weights file"):
        build_model("resnet18", spec(), 10, pretrained=True)


# --- import-weights ----------------------------------------------------------------------------------


def test_import_weights_copies_a_good_file_into_the_cache(torch_home, tmp_path, imagenet_states):
    src = tmp_path / "downloaded" / "resnet18.pth"
    src.parent.mkdir()
    torch.save(imagenet_states["resnet18"], src)
    dest = import_weights("resnet18", src)
    assert dest == weights_path("resnet18") and dest.read_bytes() == src.read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temporary file left behind
    model = build_model("resnet18", spec(3, 32), 10, pretrained=True)
    assert torch.equal(model.layer1[0].conv1.weight, imagenet_states["resnet18"]["layer1.0.conv1.weight"])


def test_import_weights_unwraps_a_training_checkpoint(torch_home, tmp_path, imagenet_states):
    src = tmp_path / "ckpt.pt"
    torch.save({"model": imagenet_states["regnet"], "epoch": 3}, src)
    dest = import_weights("regnet", src)
    assert weights_available("regnet")
    assert torch.load(dest, weights_only=True).keys() == imagenet_states["regnet"].keys()


def test_import_weights_rejects_another_architecture(torch_home, tmp_path, imagenet_states):
    src = tmp_path / "regnet.pth"
    torch.save(imagenet_states["regnet"], src)
    with pytest.raises(ModelError) as err:
        import_weights("resnet18", src)
    message = str(err.value)
    assert "missing layers" in message and "conv1.weight" in message
    assert "looks like RegNetY-400MF" in message
    assert "resnet18-f37072fd.pth" in message
    assert not weights_path("resnet18").exists()


def test_import_weights_rejects_wrong_shapes(torch_home, tmp_path, imagenet_states):
    state = dict(imagenet_states["resnet18"])
    state["fc.weight"] = torch.zeros(10, 512)
    src = tmp_path / "finetuned.pth"
    torch.save(state, src)
    with pytest.raises(ModelError, match=r"wrong shapes \(fc.weight: file \(10, 512\), model \(1000, 512\)"):
        import_weights("resnet18", src)


def test_import_weights_rejects_files_that_are_not_checkpoints(torch_home, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a PyTorch weights file"):
        import_weights("resnet18", text)
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor)
    with pytest.raises(ModelError, match="does not hold a state dict"):
        import_weights("resnet18", tensor)
    with pytest.raises(ModelError, match="does not exist"):
        import_weights("resnet18", tmp_path / "nowhere.pth")
    with pytest.raises(ModelError, match="no ImageNet weights"):
        import_weights("cnn", text)
