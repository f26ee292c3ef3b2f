"""Resolution that fits the model: ImageNet weights read photos as torchvision's weights.transforms()
does (shorter side, centre crop), at training and at inference alike; small data keeps its size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps
from torchvision import transforms as T
from torchvision.models import ResNet18_Weights

from engine.codegen.source import run_source
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data import registry
from engine.data.folder_stream import load_image_folder
from engine.data.prepare import prepare
from engine.data.transforms import pil_to_array
from engine.errors import ConfigError
from engine.models.preprocessing import weights_preprocessing
from engine.train.run import fitted_data_config, run


@pytest.mark.parametrize("shape", [(45, 60), (60, 45), (40, 40)])
def test_centre_crop_is_torchvisions_resize_and_centre_crop(shape):
    pixels = np.random.default_rng(0).integers(0, 255, (*shape, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    reference = T.Compose([T.Resize(36), T.CenterCrop(32)])(image)
    got = pil_to_array(image, 3, (32, 32), resize=36)
    assert np.array_equal(got, np.asarray(reference).transpose(2, 0, 1))


def test_pretrained_models_take_their_weights_own_preprocessing():
    ref = ResNet18_Weights.IMAGENET1K_V1.transforms()  # the enum's numbers; nothing is downloaded
    pre = weights_preprocessing("resnet18")
    assert (pre.crop, pre.resize) == (ref.crop_size[0], ref.resize_size[0]) == (224, 256)
    assert pre.mean == tuple(ref.mean) and pre.std == tuple(ref.std)
    assert weights_preprocessing("cnn") is None
    folder = DataConfig(dataset=registry.folder_key("/photos"))
    fitted = fitted_data_config(folder, ModelConfig(arch="resnet18", pretrained=True))
    assert (fitted.image_size, fitted.resize) == (224, 256)
    # A size the user chose, a model without ImageNet weights and the built-in sets stay as they are.
    chosen = DataConfig(dataset=folder.dataset, image_size=96)
    assert fitted_data_config(chosen, ModelConfig(arch="resnet18", pretrained=True)) == chosen
    assert fitted_data_config(folder, ModelConfig(arch="resnet18")) == folder
    cifar = DataConfig(dataset="cifar10")
    assert fitted_data_config(cifar, ModelConfig(arch="resnet18", pretrained=True)) == cifar
    assert DataConfig(dataset=folder.dataset, image_size=512).image_size == 512
    with pytest.raises(ConfigError):
        DataConfig(dataset=folder.dataset, image_size=513)
    with pytest.raises(ConfigError):
        DataConfig(dataset=folder.dataset, image_size=224, resize=200)


def noise_folder(root, seed: int) -> None:
    """Classes a and b, four 50x30 RGB noise pictures each: every pixel shows a resampling slip."""
    rng = np.random.default_rng(seed)
    for name in ("a", "b"):
        (root / name).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (30, 50, 3), dtype=np.uint8)).save(root / name / f"{i}.png")


@pytest.mark.parametrize("loader", ["memory", "stream"])
def test_cropped_training_pixels_match_inference(tmp_path, loader):
    noise_folder(tmp_path, seed=2)
    data = load_image_folder(tmp_path, 24, "p", loader=loader, resize=28)
    assert data.spec.resize == 28 and data.spec.shape == (3, 24, 24)
    first = tmp_path / "a" / "0.png"
    seen = prepare(Image.open(first), data.spec, "image")  # what predict and the canvas give the model
    assert torch.equal(data.train_images[0], seen)


def test_exported_code_crops_as_training_did(tmp_path):
    noise_folder(tmp_path, seed=3)
    data_cfg = DataConfig(dataset=registry.folder_key(tmp_path), image_size=24, resize=28)
    result = run(data_cfg, ModelConfig(arch="mlp"), TrainConfig(epochs=1, precision="fp32"))
    source = run_source(result.meta)
    start = source.index("def read_image")
    namespace = {"Image": Image, "ImageOps": ImageOps, "np": np}
    exec(source[start : source.index("\n\n\n", start)], namespace)  # the exported reader alone
    first = tmp_path / "a" / "0.png"
    assert np.array_equal(namespace["read_image"](first), pil_to_array(Image.open(first), 3, (24, 24), 28))
