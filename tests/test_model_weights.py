"""ImageNet weights from the local torch cache (never downloaded) and ``import-weights``."""

from __future__ import annotations

import pytest
import torch
import torchvision

from engine.data.types import InputSpec
from engine.errors import ModelError
from engine.models import registry, weights
from engine.models.build import build_model
from engine.models.weights import import_weights, weights_available, weights_path

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def spec(channels: int = 1, size: int = 28) -> InputSpec:
    return InputSpec(channels, size, size, (0.5,) * channels, (0.25,) * channels)


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
    with pytest.raises(ModelError, match="cannot be read as ResNet-18 ImageNet weights") as error:
        build_model("resnet18", spec(), 10, pretrained=True)
    assert "import-weights resnet18 FILE" in error.value.message and "pickle" not in error.value.message


# --- import-weights ----------------------------------------------------------------------------------


def trust(monkeypatch, arch: str, file) -> None:
    """Take ``file`` (random weights of the right shapes) for torchvision's own: its hash in the name."""
    name, digest = weights_path(arch).name, weights.file_digest(file)[:8]
    monkeypatch.setattr(weights, "expected_digests", lambda a: {name: digest} if a == arch else {})


def test_import_weights_refuses_other_weights_under_torchvision_s_name(torch_home, tmp_path, imagenet_states):
    src = tmp_path / "resnet18-f37072fd.pth"  # torchvision's name, random weights
    torch.save(imagenet_states["resnet18"], src)
    with pytest.raises(ModelError) as err:
        import_weights("resnet18", src)
    message = err.value.message
    assert "not torchvision's ImageNet weights for ResNet-18" in message and "begins f37072fd" in message
    assert "--init" in message and not weights_available("resnet18")


def test_import_weights_copies_a_good_file_into_the_cache(torch_home, tmp_path, imagenet_states, monkeypatch):
    src = tmp_path / "downloaded" / "resnet18.pth"
    src.parent.mkdir()
    torch.save(imagenet_states["resnet18"], src)
    trust(monkeypatch, "resnet18", src)
    dest = import_weights("resnet18", src)
    assert dest.read_bytes() == src.read_bytes() and weights_available("resnet18")
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temporary file left behind
    model = build_model("resnet18", spec(3, 32), 10, pretrained=True)
    assert torch.equal(model.layer1[0].conv1.weight, imagenet_states["resnet18"]["layer1.0.conv1.weight"])


def test_import_weights_refuses_a_training_checkpoint_holding_weights(torch_home, tmp_path, imagenet_states):
    src = tmp_path / "ckpt.pt"  # whatever it holds, it is not torchvision's file: start from it with --init
    torch.save({"model": imagenet_states["regnet"], "epoch": 3}, src)
    with pytest.raises(ModelError, match="not torchvision's ImageNet weights"):
        import_weights("regnet", src)
    assert not weights_available("regnet")


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


@pytest.mark.parametrize("arch", registry.pretrainable())
def test_registered_weight_files_are_torchvision_imagenet_files(arch):
    known = {w.url for w in torchvision.models.get_model_weights(registry.constructor(arch))}
    assert set(registry.architecture(arch).weights) <= known


def test_weights_refused_as_imagenet_start_a_run_with_init(torch_home, tmp_path, imagenet_states):
    from engine.config import ModelConfig
    from engine.train.finetune import build_for_run

    src = tmp_path / "my-resnet18.pth"  # bare weights, as import-weights' message suggests
    torch.save(imagenet_states["resnet18"], src)
    model = build_for_run(ModelConfig(arch="resnet18", init_checkpoint=str(src)), 10, spec(3, 32))
    assert torch.equal(model.layer2[0].conv1.weight, imagenet_states["resnet18"]["layer2.0.conv1.weight"])
    assert model.fc.weight.shape == (10, 512)  # the head is new: 10 classes, not ImageNet's 1000
