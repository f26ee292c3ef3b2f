"""Files that decode "fine" but wrong, split layouts, and data too small to train, made for real.

Images are written with Pillow in the modes that used to go wrong (16/32-bit grey, CMYK, palette,
transparency, EXIF rotation, animation, huge); the folder loader and ``predict`` must read each as
the same uint8 pixels, through the one decoder.
"""

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.decode import open_image
from engine.data.folder import load_folder
from engine.data.prepare import load_image, prepare_image
from engine.data.splits import imbalance_warning, split_dataset
from engine.data.transforms import pil_to_array
from engine.data.types import InputSpec
from engine.errors import DatasetError, InferenceError
from engine.train.run import run

GREY = InputSpec(1, 16, 16, (0.5,), (0.25,))


def fill(path, mode, value, size=(16, 16), **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path, **save)
    return path


def grey_of(path) -> np.ndarray:
    """What predict's image path reads (one grey channel at 16x16)."""
    return prepare_image(load_image(path), GREY)


@pytest.mark.parametrize(
    "mode, value, suffix, expected",
    [
        ("I;16", 128 * 257, "png", 128),  # 16-bit: scaled, not clipped to 255
        ("I;16", 65535, "png", 255),
        ("I;16", 200, "png", 1),  # a dim 16-bit picture stays dim: 200/65535, not 200/255
        ("I", 64 * 257, "tif", 64),  # 32-bit integer grey
        ("F", 0.5, "tif", 128),  # float grey in [0, 1]
        ("LA", (0, 0), "png", 255),  # fully transparent: white paper
        ("LA", (0, 255), "png", 0),
        ("RGBA", (0, 0, 0, 0), "png", 255),
        ("1", 1, "png", 255),
    ],
)
def test_grey_modes_become_the_pixels_they_show(tmp_path, mode, value, suffix, expected):
    path = fill(tmp_path / f"x.{suffix}", mode, value)
    assert np.all(np.abs(grey_of(path).astype(int) - expected) <= 1), (mode, grey_of(path)[0, 0, 0])


def test_cmyk_and_palette_become_rgb(tmp_path):
    cmyk = fill(tmp_path / "c.jpg", "CMYK", (0, 255, 255, 0))  # pure red in print colours
    rgb = pil_to_array(open_image(cmyk), 3, (16, 16))
    assert rgb[0].mean() > 200 and rgb[1].mean() < 60 and rgb[2].mean() < 60
    pal = Image.new("P", (16, 16), 1)
    pal.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    pal.save(tmp_path / "p.png")
    rgb = pil_to_array(open_image(tmp_path / "p.png"), 3, (16, 16))
    assert rgb[2].min() == 255 and rgb[0].max() == 0


def test_exif_rotation_and_first_gif_frame(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90°": the camera was held upright
    fill(tmp_path / "photo.jpg", "RGB", (200, 10, 10), size=(40, 20), exif=exif)
    assert open_image(tmp_path / "photo.jpg").size == (20, 40)
    frames = [Image.new("L", (16, 16), 0), Image.new("L", (16, 16), 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)
    assert grey_of(tmp_path / "anim.gif").max() == 0


def test_a_decompression_bomb_is_a_message(tmp_path, monkeypatch, capsys):
    path = fill(tmp_path / "huge.png", "L", 0, size=(64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 4096 pixels is "huge" now
    with pytest.raises(InferenceError, match="too large to open safely"):
        open_image(path)
    data = tmp_path / "data"
    for c in ("a", "b"):
        for i in range(3):
            fill(data / c / f"{i}.png", "L", 40 * i, size=(8, 8))
    (data / "a" / "huge.png").write_bytes(path.read_bytes())
    loaded = load_folder(data, None, "folder")
    assert any("too large" in reason for _, reason in loaded.skipped)


def test_16_bit_folder_and_predict_agree(tmp_path):
    data = tmp_path / "deep"
    for c, level in (("dark", 20), ("light", 200)):
        for i in range(3):
            fill(data / c / f"{i}.png", "I;16", level * 257 + i)
    loaded = load_folder(data, 16, "folder")
    assert loaded.spec.channels == 1 and sorted(set(loaded.train_images.flatten().tolist())) == [20, 200]
    assert np.array_equal(loaded.train_images[0].numpy(), grey_of(data / "dark" / "0.png"))


def test_channels_come_from_files_that_decode(tmp_path):
    data = tmp_path / "grey"
    for c in ("a", "b"):
        for i in range(3):
            fill(data / c / f"{i}.png", "L", 30 * i)
    colour = fill(tmp_path / "colour.png", "RGB", (250, 0, 0), size=(64, 64))
    (data / "a" / "cut.png").write_bytes(colour.read_bytes()[:60])  # a colour header, no pixels
    loaded = load_folder(data, None, "folder")
    assert loaded.spec.channels == 1 and [p for p, _ in loaded.skipped][-1].endswith("cut.png")


# --- layouts ----------------------------------------------------------------------------------


def tree(root, layout: dict[str, int], size=8):
    """``{"train/cat": 4, ...}``: that many small grey images in each folder."""
    for folder, n in layout.items():
        for i in range(n):
            fill(root / folder / f"{i}.png", "L", (37 * i + 11 * len(folder)) % 256, size=(size, size))
    return root


def test_train_val_test_folders_are_splits_in_any_case(tmp_path):
    root = tree(
        tmp_path / "d", {"Train/cat": 5, "Train/dog": 5, "VALID/cat": 2, "VALID/dog": 1, "test/cat": 2}
    )
    (root / "test" / "dog").mkdir()
    fill(root / "test" / "dog" / "0.png", "L", 9, size=(8, 8))
    data = load_folder(root, None, "folder")
    assert data.classes == ["cat", "dog"] and len(data.val_labels) == 3 and len(data.test_labels) == 3
    splits = split_dataset(data, 0.2, 0)
    assert len(splits.val) == 3 and len(splits.train) == 10  # its own validation replaces the random one
    assert "Train/ + VALID/ + test/" in data.layout


def test_only_train_and_validation(tmp_path):
    root = tree(tmp_path / "d", {"train/a": 6, "train/b": 6, "validation/a": 2, "validation/b": 2})
    data = load_folder(root, None, "folder")
    assert data.classes == ["a", "b"] and data.test_labels is None and len(split_dataset(data).val) == 4


def test_split_and_class_folders_mixed_are_refused(tmp_path, capsys):
    root = tree(tmp_path / "d", {"train/a": 2, "train/b": 2, "cats": 2})
    with pytest.raises(DatasetError, match="mixes split folders and class folders.*two layouts"):
        load_folder(root, None, "folder")
    assert main(["train", "--dataset", f"folder:{root}", "--out", str(tmp_path / "o")]) == 1
    assert "DATA/train/<class>/" in capsys.readouterr().err


def test_val_classes_must_match(tmp_path):
    root = tree(tmp_path / "d", {"train/a": 3, "train/b": 3, "val/a": 1, "val/c": 1})
    with pytest.raises(DatasetError, match="val classes.*missing in val: \\['b'\\]"):
        load_folder(root, None, "folder")


# --- data that cannot train -------------------------------------------------------------------


def test_empty_class_folders_are_left_out_with_a_warning(tmp_path, capsys):
    root = tree(tmp_path / "d", {"a": 6, "b": 6})
    (root / "empty").mkdir()
    data = load_folder(root, None, "folder")
    assert data.classes == ["a", "b"] and "empty" in data.warnings[0]
    argv = [
        "train",
        "--dataset",
        f"folder:{root}",
        "--model",
        "mlp",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv) == 0
    assert "warning: left out 1 class folder(s)" in capsys.readouterr().err


def test_fewer_than_two_classes_with_images_is_refused(tmp_path):
    root = tree(tmp_path / "d", {"a": 6})
    (root / "b").mkdir()
    (root / "c").mkdir()
    with pytest.raises(DatasetError, match="at least two class folders.*a: 6, b: 0, c: 0"):
        load_folder(root, None, "folder")


def test_a_class_too_small_for_the_splits_is_refused_with_counts(tmp_path, capsys):
    root = tree(tmp_path / "d", {"a": 2, "b": 8})
    argv = [
        "train",
        "--dataset",
        f"folder:{root}",
        "--model",
        "mlp",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "too few images" in err and "a: 2, b: 8" in err and "at least 3" in err
    assert not (tmp_path / "o" / "model.pt").exists()


def test_own_splits_need_fewer_pool_images(tmp_path):
    root = tree(
        tmp_path / "d", {"train/a": 1, "train/b": 1, "val/a": 1, "val/b": 1, "test/a": 1, "test/b": 1}
    )
    data = load_folder(root, None, "folder")
    result = run(
        DataConfig(dataset=f"folder:{root}"), ModelConfig(arch="mlp"), TrainConfig(epochs=1), data=data
    )
    assert len(result.history) == 1


def test_heavy_imbalance_is_warned(tmp_path, capsys):
    root = tree(tmp_path / "d", {"big": 40, "small": 3})
    data = load_folder(root, None, "folder")
    assert "heavily unbalanced" in imbalance_warning(data)
    argv = [
        "train",
        "--dataset",
        f"folder:{root}",
        "--model",
        "mlp",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    main(argv)
    assert "warning: the classes are heavily unbalanced: big has" in capsys.readouterr().err
