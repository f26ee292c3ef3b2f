"""Architectures: the registry, shapes, the notebook MLP, input adaptation and block groups."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch
import torchvision
from torch import nn

from engine.cli_args import build_parser
from engine.config import ModelConfig
from engine.data.types import InputSpec
from engine.errors import ConfigError, ModelError
from engine.freezing import preset
from engine.models import registry
from engine.models.build import build_for_weights, build_model
from engine.models.registry import (
    block_groups,
    block_names,
    head_names,
    labels,
    supports_pretrained,
)
from tests.helpers_models import EFFICIENTNET

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def spec(channels: int = 1, size: int = 28) -> InputSpec:
    return InputSpec(channels, size, size, (0.5,) * channels, (0.25,) * channels)


def forward_backward(model: nn.Module, s: InputSpec, batch: int = 2) -> torch.Tensor:
    model.train()
    out = model(torch.randn(batch, *s.shape))
    out.sum().backward()
    return out


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
    # From random weights each convolution has its BatchNorm under its own name (features.0.bn).
    assert [k for k in ours if ".bn." not in k] == list(reference)
    changed = {k for k in reference if ours[k].shape != reference[k].shape}
    classifier = {f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")}
    assert changed == {"features.0.weight", *classifier}  # small images: the compact classifier


def test_vgg16_from_random_weights_normalises_each_convolution_and_from_imagenet_does_not():
    with torch.device("meta"):
        random = build_model("vgg16", spec(3, 32), 10)
        imagenet = build_model("vgg16", spec(3, 32), 10, batchnorm=False)  # the structure --pretrained loads
    convs = [m for m in random.features if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13 and all(isinstance(m.bn, nn.BatchNorm2d) for m in convs)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in imagenet.modules())
    # The presets and the saliency layer name the same modules in both.
    assert preset(random, "vgg16", "last_n", 5) == preset(imagenet, "vgg16", "last_n", 5)
    assert isinstance(random.get_submodule(registry.cam_layer("vgg16")), nn.ReLU)
    with torch.device("meta"):
        for saved, model in ((random, random), (imagenet, imagenet)):
            rebuilt = build_for_weights("vgg16", spec(3, 32), 10, saved.state_dict())
            assert list(rebuilt.state_dict()) == list(model.state_dict())


def test_vgg16_up_to_64_px_pools_globally_into_a_classifier_512_wide():
    for size in (28, 32, 64):
        with torch.device("meta"):
            model = build_model("vgg16", spec(3, size), 10)
        assert isinstance(model.avgpool, nn.AdaptiveAvgPool2d) and model.avgpool.output_size == 1
        widths = [(m.in_features, m.out_features) for m in model.classifier if isinstance(m, nn.Linear)]
        assert widths == [(512, 512), (512, 512), (512, 10)]
        # 15M weights, not 134M: the run folder was 2.6 GB after one epoch at 32 px.
        assert sum(p.numel() for p in model.parameters()) < 16_000_000
        assert model(torch.empty(2, 3, size, size, device="meta")).shape == (2, 10)
    with torch.device("meta"):
        large = build_model("vgg16", spec(3, 96), 10)
    assert large.classifier[0].in_features == 512 * 7 * 7  # larger images keep torchvision's classifier


def test_vgg16_on_small_images_keeps_the_imagenet_convolutions(monkeypatch):
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in torchvision.models.vgg16().state_dict().items()}
    torch.manual_seed(0)
    # Real convolutions, and a classifier of one repeated number (its 120M weights cost no memory).
    state = {
        k: torch.randn(s) if k.startswith("features") else torch.zeros(()).expand(s)
        for k, s in shapes.items()
    }
    monkeypatch.setattr("engine.models.build.pretrained_state", lambda arch: dict(state))
    model = build_model("vgg16", spec(3, 32), 4, pretrained=True)
    for key, value in model.features.state_dict().items():
        assert torch.equal(value, state[f"features.{key}"]), key
    assert model.classifier[0].in_features == 512
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 4)


def test_a_vgg16_saved_with_the_full_classifier_on_small_images_still_opens():
    wide = {"classifier.0.weight": torch.zeros(()).expand(4096, 25088)}  # before the classifier was compact
    with torch.device("meta"):
        old = build_for_weights("vgg16", spec(3, 32), 10, wide)
        new = build_for_weights("vgg16", spec(3, 32), 10, {"classifier.0.weight": torch.zeros(512, 512)})
    assert old.classifier[0].in_features == 25088 and old.classifier[3].in_features == 4096
    assert new.classifier[0].in_features == 512


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


def test_cnn_blocks_pool_before_relu_with_the_answers_and_gradients_of_relu_first():
    torch.manual_seed(0)
    model = build_model("cnn", spec(1, 28), 10).train()
    relu_first = copy.deepcopy(model)
    for name, b in relu_first.features.named_children():  # earlier versions' order: conv, bn, relu, pool
        setattr(
            relu_first.features,
            name,
            nn.Sequential(OrderedDict(conv=b.conv, bn=b.bn, relu=b.relu, pool=b.pool)),
        )
    assert list(relu_first.features.block1._modules) == ["conv", "bn", "relu", "pool"]
    assert relu_first.state_dict().keys() == model.state_dict().keys()  # old checkpoints load as they are
    x = torch.randn(16, 1, 28, 28)
    torch.manual_seed(1)
    out = model(x)
    torch.manual_seed(1)  # the same dropout mask
    old = relu_first(x)
    assert torch.equal(out, old)
    out.square().sum().backward()
    old.square().sum().backward()
    for (name, a), b in zip(model.named_parameters(), relu_first.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, rtol=1e-5, atol=1e-7), name


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
    assert set(labels()) == {"mlp", "cnn", "resnet18", "vgg16", "regnet"}
    assert [a for a in labels() if supports_pretrained(a)] == ["resnet18", "vgg16", "regnet"]


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


# --- the registry: every entry, and what reads it -----------------------------------------------------


def build_for_shapes(arch: str, s: InputSpec, num_classes: int) -> nn.Module:
    """``arch`` on the meta device (shapes and autograd, no arithmetic; VGG-16's 138M weights take
    seconds to initialise), or on the CPU for a model whose constructor computes with tensors."""
    try:
        with torch.device("meta"):
            return build_model(arch, s, num_classes)
    except NotImplementedError:  # RegNet computes its widths with tensors
        return build_model(arch, s, num_classes)


@pytest.mark.parametrize("arch", registry.keys())
@pytest.mark.parametrize("channels,size", [(1, 28), (3, 28), (1, 32), (3, 32)])
def test_every_registered_architecture_builds_runs_and_names_its_parts(arch, channels, size):
    s = spec(channels, size)
    model = build_for_shapes(arch, s, 7)
    device = next(model.parameters()).device
    model.train()
    out = model(torch.randn(2, *s.shape, device=device))
    out.sum().backward()
    assert out.shape == (2, 7)
    modules = dict(model.named_modules())
    for name in head_names(arch):
        assert isinstance(modules[name], nn.Linear) and modules[name].out_features == 7
        assert modules[name].weight.grad is not None
    first = next(m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert first.weight.grad is not None  # gradients reach the input layer
    groups = block_groups(arch, model)
    assert groups[-1] == head_names(arch) and len(groups) >= 3
    assert all(name in modules for group in groups for name in group)
    rules = registry.architecture(arch).rules
    if rules is not None:
        assert modules[rules.first_conv].in_channels == channels


def test_reading_the_registry_imports_no_torch():
    code = "import sys, engine.models.registry as r; r.labels(); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_unknown_keys_are_model_errors_naming_the_choices():
    with pytest.raises(ModelError, match="unknown model 'lenet'; choose one of mlp, cnn, resnet18"):
        registry.architecture("lenet")
    with pytest.raises(ModelError, match="unknown model"):
        head_names("lenet")
    assert registry.label("lenet") == "lenet" and not supports_pretrained("lenet")
    assert registry.pretrainable_labels() == "ResNet-18, VGG-16 and RegNetY-400MF"


@pytest.fixture
def efficientnet(monkeypatch):
    """The registry's own example entry, registered for one test only."""
    monkeypatch.setitem(registry.ARCHITECTURES, EFFICIENTNET.key, EFFICIENTNET)
    return EFFICIENTNET.key


def test_one_new_entry_is_a_whole_new_architecture(efficientnet):
    assert ModelConfig(arch=efficientnet).arch == efficientnet
    parser = build_parser()
    args = parser.parse_args(["train", "--model", efficientnet])
    assert args.model == efficientnet
    assert parser.parse_args(["import-weights", efficientnet, "file.pth"]).arch == efficientnet
    s = spec(1, 28)
    model = build_model(efficientnet, s, 4)
    assert forward_backward(model, s).shape == (2, 4)
    assert model.features[0][0].in_channels == 1 and model.features[0][0].stride == (1, 1)
    assert block_names(efficientnet, model)[-2:] == ["features.8", "classifier.1"]
    assert preset(model, efficientnet, "last_n", 1) == tuple(f"features.{i}" for i in range(8))


def test_an_unregistered_key_is_rejected_everywhere():
    with pytest.raises(ConfigError, match="unknown model"):
        ModelConfig(arch="efficientnet")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--model", "efficientnet"])
