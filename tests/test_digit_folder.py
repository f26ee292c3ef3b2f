"""A digit set grown from the canvas loads framed like MNIST, so retraining on it makes a digit model."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data import synth  # noqa: E402
from engine.data.folder import DIGIT_MARKER  # noqa: E402
from engine.data.registry import clear_cache, folder_key, load_dataset  # noqa: E402
from engine.train.run import run  # noqa: E402


def write_drawn_digits(root, per_class=12, marker=True):
    """Digits written dark on light on 280-px pages, one folder per class, as "Add to dataset" does."""
    images, labels = synth.generate(per_class * 10, seed=5)
    for img, label in zip(images, labels.tolist(), strict=True):
        page = Image.fromarray(255 - img[0].numpy()).resize((280, 280), Image.BICUBIC)
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        page.save(folder / f"{len(list(folder.iterdir())):03d}.png")
    if marker:
        (root / DIGIT_MARKER).write_text('{"content": "drawn digits"}')


def test_marked_folder_is_framed_like_mnist(tmp_path):
    clear_cache()
    write_drawn_digits(tmp_path / "mine")
    data = load_dataset(DataConfig(dataset=folder_key(tmp_path / "mine")))
    assert data.preparation == "digit" and not data.flip_ok
    assert data.spec == load_dataset(DataConfig(dataset="digits")).spec  # one spec for all digit models
    assert tuple(data.train_images.shape[1:]) == (1, 28, 28)
    ink = data.train_images[:, 0].float()
    ys = (ink.sum(2) * torch.arange(28)).sum(1) / ink.sum((1, 2))
    assert abs(float(ys.mean()) - 13.5) < 1.0  # light-on-dark and centred by mass, as MNIST
    result = run(
        DataConfig(dataset=folder_key(tmp_path / "mine")),
        ModelConfig(arch="mlp"),
        TrainConfig(epochs=1),
        data=data,
    )
    assert result.meta["preparation"] == "digit"


def test_unmarked_folder_stays_an_image_folder(tmp_path):
    clear_cache()
    write_drawn_digits(tmp_path / "photos", per_class=3, marker=False)
    data = load_dataset(DataConfig(dataset=folder_key(tmp_path / "photos")))
    assert data.preparation == "image" and data.spec.height == 64
