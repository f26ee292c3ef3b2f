"""Inside the model (engine.inside): what the view shows for a layer is that layer's own output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.checkpoints import MODELS_DIR, load_checkpoint
from engine.data.transforms import normalise
from engine.data.types import InputSpec
from engine.i18n import set_language
from engine.inside import MAX_MAPS, Capture, drivers, explain, path_modules
from engine.models.build import build_model
from engine.predict import Predictor

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def spec_of(channels: int, size: int) -> InputSpec:
    return InputSpec(channels, size, size, (0.5,) * channels, (0.25,) * channels)


def picture(spec: InputSpec, seed: int = 0) -> np.ndarray:
    """A stroke-like picture: a bright bar and a disc on a dark ground, plus a little noise."""
    rng = np.random.default_rng(seed)
    c, h, w = spec.shape
    img = (rng.random((h, w)) * 30).astype(np.float32)
    img[h // 4 : 3 * h // 4, w // 2 - 2 : w // 2 + 2] = 255
    yy, xx = np.mgrid[:h, :w]
    img[(yy - h // 3) ** 2 + (xx - w // 3) ** 2 < (h // 8) ** 2] = 220
    return np.repeat(img[None], c, axis=0).astype(np.uint8)


def predictor(arch: str, spec: InputSpec) -> Predictor:
    torch.manual_seed(0)
    model = build_model(arch, spec, 10).eval()
    meta = {
        "classes": [str(i) for i in range(10)],
        "spec": spec.to_dict(),
        "arch": arch,
        "preparation": "image",
    }
    return Predictor(model, meta)


def look(p: Predictor, image: np.ndarray):
    """One prediction with the Inside hooks on, as the Try it panel's worker makes it."""
    with Capture(p.model) as capture:
        prediction = p.predict(image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0])
    return prediction, capture.strip(p.spec)


def layer_inputs(model: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """What each shown layer receives in a plain forward pass (no Inside hooks)."""
    seen: dict[str, torch.Tensor] = {}
    handles = [
        module.register_forward_pre_hook(lambda _m, args, name=name: seen.setdefault(name, args[0].clone()))
        for name, module in path_modules(model)
    ]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return seen


ARCHS = [("mlp", 1, 28), ("cnn", 1, 28), ("resnet18", 3, 32), ("regnet", 3, 32), ("vgg16", 1, 32)]


@pytest.mark.parametrize(("arch", "channels", "size"), ARCHS)
def test_the_maps_shown_for_a_layer_are_that_layers_own_output(arch, channels, size):
    spec = spec_of(channels, size)
    p = predictor(arch, spec)
    prediction, strip = look(p, picture(spec))
    inputs = layer_inputs(p.model, normalise(torch.as_tensor(prediction.input)[None], spec))
    assert [view.name for view in strip.layers] == list(inputs)  # every layer of the path, in order
    assert strip.layers[-1].head and strip.layers[0].first
    for view in strip.layers:
        with torch.no_grad():
            direct = p.model.get_submodule(view.name)(inputs[view.name])[0]  # the layer called by itself
        if view.kind == "conv":
            assert view.maps.shape == (len(view.index), *direct.shape[1:])
            np.testing.assert_allclose(
                view.maps, direct[torch.as_tensor(view.index)].numpy(), rtol=1e-5, atol=1e-5
            )
            assert len(view.index) == min(MAX_MAPS, direct.shape[0]) and view.hidden == direct.shape[0] - len(
                view.index
            )
            assert list(view.activity) == sorted(view.activity, reverse=True)  # the most active first
        else:
            np.testing.assert_allclose(
                view.activity, direct[torch.as_tensor(view.index)].numpy(), rtol=1e-5, atol=1e-5
            )
        assert view.shape == tuple(direct.shape) and not view.frozen
    np.testing.assert_allclose(prediction.probabilities.sum(), 1.0, rtol=1e-5)  # the same pass predicted


def test_the_simple_cnn_first_maps_are_the_convolution_of_the_picture_and_its_filters_are_shown():
    spec = spec_of(1, 28)
    p = predictor("cnn", spec)
    prediction, strip = look(p, picture(spec))
    first = strip.layers[0]
    conv = p.model.features.block1.conv
    with torch.no_grad():
        direct = conv(normalise(torch.as_tensor(prediction.input)[None], spec))[0]
    np.testing.assert_allclose(first.maps, direct[torch.as_tensor(first.index)].numpy(), rtol=1e-5, atol=1e-5)
    assert first.name == "features.block1.conv" and first.total == 32 and first.hidden == 16
    assert first.filters.shape == (32, 1, 5, 5) and first.filters.dtype == np.uint8
    assert first.thumbs.shape == (16, 28, 28) and first.thumbs.max() == 255


def test_vgg_maps_are_kept_before_its_inplace_relu_changes_them():
    spec = spec_of(1, 32)
    _, strip = look(predictor("vgg16", spec), picture(spec))
    assert strip.layers[0].name == "features.0" and strip.layers[0].maps.min() < 0  # not overwritten by ReLU


def test_one_by_one_convolutions_are_left_out_and_frozen_layers_are_said():
    spec = spec_of(3, 32)
    p = predictor("resnet18", spec)
    for param in p.model.conv1.parameters():
        param.requires_grad_(False)
    _, strip = look(p, picture(spec))
    names = [view.name for view in strip.layers]
    assert "layer2.0.downsample.0" not in names and "layer3.1.conv2" in names and len(names) == 18
    assert strip.layer("conv1").frozen and not strip.layer("layer1.0.conv1").frozen


def test_explanations_speak_the_users_language():
    model = build_model("cnn", spec_of(1, 28), 10)
    try:
        set_language("es")
        spanish = explain(model.features.block2.conv)
    finally:
        set_language("en")
    english = explain(model.features.block2.conv)
    assert english.startswith("A convolution: each of its 64 filters (3×3)")
    assert spanish.startswith("Una convolución: cada uno de sus 64 filtros (3×3)")
    assert "fully connected" in explain(model.classifier.fc, head=True)


def test_drivers_follow_the_picture_and_leave_the_model_as_it_was():
    spec = spec_of(1, 28)
    p = predictor("cnn", spec)
    flags = [param.requires_grad for param in p.model.parameters()]
    a, b = picture(spec, 0), np.flip(picture(spec, 1), axis=2).copy()
    heat_a = drivers(p.model, spec, a, "features.block1.conv", 3)
    heat_b = drivers(p.model, spec, b, "features.block1.conv", 3)
    assert heat_a.shape == (28, 28) and heat_a.max() == pytest.approx(1.0)
    # Rectified, the first convolution's drivers depend on the picture (its raw mean's would not).
    assert np.abs(heat_a - heat_b).max() > 0.1
    assert [param.requires_grad for param in p.model.parameters()] == flags and not p.model.training
    assert all(param.grad is None for param in p.model.parameters())


def test_the_shipped_default_model_opens_inside():
    loaded = load_checkpoint(MODELS_DIR / "default-digits.pt")
    p = Predictor(loaded.model, loaded.meta)
    canvas = np.full((280, 280), 255, np.uint8)
    canvas[60:220, 130:150] = 0  # a "1" written dark on white, as the canvas gives it
    with Capture(p.model) as capture:
        prediction = p.predict(canvas)
    strip = capture.strip(p.spec)
    assert prediction.top[0][0] == "1"
    assert [view.kind for view in strip.layers] == ["conv", "conv", "conv", "linear"]
    # The first block's most active maps respond to the stroke: brighter on the ink than off it.
    ink = prediction.input[0] > 128
    top = strip.layers[0].maps[0]
    assert abs(top[ink].mean() - top[~ink].mean()) > 0.1 * (top.max() - top.min())
