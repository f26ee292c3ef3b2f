"""Inference: drawings and image files become what the model was trained on, then probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn

from engine.config import DataConfig
from engine.data.prepare import load_image, prepare, prepare_digit, prepare_image
from engine.data.registry import load_dataset
from engine.data.types import InputSpec
from engine.errors import InferenceError
from engine.predict import Prediction, Predictor, predict_probabilities
from engine.saliency import saliency

DIGIT_SPEC = InputSpec(1, 28, 28, (0.1307,), (0.3081,))
RGB_SPEC = InputSpec(3, 24, 30, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


def draw_digit(canvas, box, pen, digit="4", paper=255, ink=0) -> Image.Image:
    """A pen-drawn digit: ``box`` = (left, top, height) on a ``canvas`` = (width, height) sheet."""
    image = Image.new("L", canvas, paper)
    draw = ImageDraw.Draw(image)
    x, y, s = box
    if digit == "4":
        points = [(x + 0.45 * s, y + s), (x + 0.45 * s, y), (x, y + 0.65 * s), (x + 0.6 * s, y + 0.65 * s)]
        draw.line(points, fill=ink, width=pen, joint="curve")
    elif digit == "7":
        draw.line([(x, y), (x + 0.6 * s, y), (x + 0.25 * s, y + s)], fill=ink, width=pen, joint="curve")
    else:  # "0"
        draw.ellipse([x, y, x + 0.6 * s, y + s], outline=ink, width=pen)
    return image


def centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[0:28, 0:28]
    mass = digit.astype(np.float64)
    return float((ys * mass).sum() / mass.sum()), float((xs * mass).sum() / mass.sum())


def extent(digit: np.ndarray, level: int = 12) -> int:
    rows, cols = np.flatnonzero((digit > level).any(1)), np.flatnonzero((digit > level).any(0))
    return max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


@pytest.fixture
def one_thread():
    """Tiny models train faster on one thread than on cores shared with other work."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_cnn(classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(inplace=True),  # in-place after the conv, like VGG: saliency must cope
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, classes),
    )


# --- prepare_digit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "canvas, box, pen, digit",
    [
        ((280, 280), (60, 40, 180), 14, "4"),
        ((280, 280), (10, 150, 100), 8, "7"),
        ((280, 280), (170, 20, 60), 5, "0"),
        ((1000, 800), (300, 100, 500), 30, "4"),
        ((1000, 800), (700, 600, 150), 10, "7"),
    ],
)
def test_digit_framed_like_mnist_wherever_and_however_big(canvas, box, pen, digit):
    dark_on_light = prepare_digit(draw_digit(canvas, box, pen, digit))
    assert dark_on_light.shape == (28, 28) and dark_on_light.dtype == np.uint8
    assert dark_on_light.max() >= 250  # ink is full white, background black
    assert dark_on_light[0].max() == 0 and dark_on_light[:, 0].max() == 0
    cy, cx = centre_of_mass(dark_on_light)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    assert extent(dark_on_light) <= 20
    light_on_dark = prepare_digit(draw_digit(canvas, box, pen, digit, paper=0, ink=255))
    assert np.abs(light_on_dark.astype(int) - dark_on_light).max() <= 1


def test_same_digit_gives_same_input_at_any_size_and_place():
    small = prepare_digit(draw_digit((280, 280), (20, 20, 90), 9, "7"))
    large = prepare_digit(draw_digit((1000, 800), (400, 200, 450), 45, "7"))
    assert np.corrcoef(small.ravel(), large.ravel())[0, 1] > 0.9


def test_thin_pen_on_large_picture_gets_mnist_stroke_width():
    reference = prepare_digit(draw_digit((280, 280), (60, 40, 180), 22, "4"))  # MNIST-like 0.12
    thin = prepare_digit(draw_digit((1000, 800), (300, 100, 600), 3, "4"))
    # Without thickening a 3 px pen shrinks 30x to 0.1 px and the digit all but disappears.
    assert thin.sum() > 0.6 * reference.sum()
    assert (thin > 128).sum() > 0.6 * (reference > 128).sum()
    assert np.corrcoef(thin.ravel(), reference.ravel())[0, 1] > 0.8


def test_specks_far_from_the_digit_do_not_move_or_shrink_it():
    clean = draw_digit((1000, 800), (300, 150, 400), 20, "7")
    dirty = np.asarray(clean).copy()
    rng = np.random.default_rng(1)
    for _ in range(25):  # dust and pencil dots around the page, away from the digit
        y, x = rng.integers(0, 795), rng.choice([rng.integers(0, 200), rng.integers(700, 995)])
        dirty[y : y + rng.integers(1, 5), x : x + rng.integers(1, 5)] = rng.integers(0, 100)
    a, b = prepare_digit(clean), prepare_digit(dirty)
    assert np.abs(a.astype(int) - b).mean() < 1.0


def test_photo_with_uneven_light_and_paper_grain_matches_clean_scan():
    clean = np.asarray(draw_digit((900, 700), (300, 120, 420), 16, "4"), dtype=np.float32) / 255
    ys, xs = np.mgrid[0:700, 0:900]
    light = 0.5 + 0.45 * (xs / 900) * (1 - 0.5 * ((ys - 350) / 350) ** 2)  # lamp on the right
    grain = np.random.default_rng(0).normal(0, 0.03, clean.shape)
    photo = np.clip(light * (0.3 + 0.7 * clean) + grain, 0, 1)
    a = prepare_digit(clean)
    b = prepare_digit(Image.fromarray(np.round(photo * 255).astype(np.uint8)).convert("RGB"))
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.9


def test_transparent_drawing_is_read_like_paper():
    strokes = np.asarray(draw_digit((300, 300), (60, 40, 200), 12, "4"))
    rgba = np.zeros((300, 300, 4), dtype=np.uint8)  # black pen on a fully transparent canvas
    rgba[..., 3] = 255 - strokes
    expected = prepare_digit(strokes)
    assert np.abs(prepare_digit(rgba).astype(int) - expected).max() <= 1
    assert np.abs(prepare_digit(Image.fromarray(rgba, "RGBA")).astype(int) - expected).max() <= 1


def test_an_already_framed_digit_stays_as_it_is(digits):
    framed = digits.train_images[:60, 0].numpy()
    corr = [np.corrcoef(prepare_digit(d).ravel(), d.ravel())[0, 1] for d in framed]
    # Centring by mass rounds to whole pixels, so a few digits move by one pixel.
    assert np.median(corr) > 0.97 and min(corr) > 0.8


@pytest.mark.parametrize("level", [0, 255, 128])
def test_blank_picture_gives_blank_digit(level):
    assert not prepare_digit(Image.new("L", (280, 280), level)).any()


def test_blank_paper_with_grain_gives_blank_digit():
    paper = np.clip(0.8 + np.random.default_rng(0).normal(0, 0.03, (600, 600)), 0, 1)
    assert not prepare_digit(np.round(paper * 255).astype(np.uint8)).any()


# --- files --------------------------------------------------------------------------------------


def test_load_image_reads_a_real_png(tmp_path):
    path = tmp_path / "seven.png"
    draw_digit((280, 280), (60, 40, 180), 14, "7").save(path)
    image = load_image(path)
    assert image.size == (280, 280)
    assert prepare_digit(image).max() > 250


def test_non_image_file_is_refused_with_its_path(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture")
    with pytest.raises(InferenceError, match="notes.png"):
        load_image(path)


def test_corrupt_png_is_refused_with_its_path(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InferenceError, match="truncated.png"):
        load_image(truncated)
    scrambled = bytearray(data)
    scrambled[60:90] = bytes(30)  # destroys the pixel data (and its checksum)
    broken = tmp_path / "broken.png"
    broken.write_bytes(bytes(scrambled))
    with pytest.raises(InferenceError, match="broken.png"):
        load_image(broken)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(InferenceError, match="missing.png"):
        load_image(tmp_path / "missing.png")


# --- prepare / prepare_image --------------------------------------------------------------------


@pytest.mark.parametrize("spec", [InputSpec(1, 32, 32, (0.5,), (0.25,)), RGB_SPEC])
def test_prepare_image_matches_the_training_conversion(spec):
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 40, 3), dtype=np.uint8))
    out = prepare_image(photo, spec)
    assert out.shape == spec.shape and out.dtype == np.uint8
    expected = photo.convert("L" if spec.channels == 1 else "RGB").resize(
        (spec.width, spec.height), Image.BILINEAR
    )
    expected = np.asarray(expected)
    assert np.array_equal(out, expected[None] if spec.channels == 1 else expected.transpose(2, 0, 1))
    assert np.array_equal(prepare_image(np.asarray(photo), spec), out)  # arrays are taken as pixels too


def test_prepare_digit_for_models_of_other_sizes_and_channels():
    drawing = draw_digit((280, 280), (60, 40, 180), 14, "4")
    digit = prepare(drawing, DIGIT_SPEC, "digit")
    assert digit.dtype == torch.uint8 and digit.shape == (1, 28, 28)
    assert np.array_equal(digit[0].numpy(), prepare_digit(drawing))
    wide = prepare(drawing, InputSpec(3, 32, 32, (0.5,) * 3, (0.25,) * 3), "digit")
    assert wide.shape == (3, 32, 32) and wide.dtype == torch.uint8
    assert torch.equal(wide[0], wide[1]) and torch.equal(wide[0], wide[2]) and wide.max() > 200
    assert prepare(drawing, RGB_SPEC, "image").shape == RGB_SPEC.shape
    with pytest.raises(InferenceError, match="preparation"):
        prepare(drawing, DIGIT_SPEC, "sketch")


# --- probabilities, Predictor -------------------------------------------------------------------


def test_probabilities_sum_to_one_and_mode_is_kept():
    torch.manual_seed(0)
    model = tiny_cnn(5).train()
    images = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8)
    probs = predict_probabilities(model, DIGIT_SPEC, images)
    assert probs.shape == (4, 5) and np.allclose(probs.sum(1), 1.0, atol=1e-5) and (probs >= 0).all()
    assert model.training  # eval mode only while predicting
    assert np.allclose(predict_probabilities(model, DIGIT_SPEC, images), probs)  # BN stats untouched
    with pytest.raises(InferenceError, match="expects"):
        predict_probabilities(model, DIGIT_SPEC, images[:, :, :20])


def test_predictor_names_classes_and_shows_what_the_model_saw():
    torch.manual_seed(0)
    classes = ["zero", "one", "two"]
    meta = {"classes": classes, "spec": DIGIT_SPEC.to_dict(), "preparation": "digit", "arch": "cnn"}
    prediction = Predictor(tiny_cnn(3), meta).predict(draw_digit((280, 280), (60, 40, 180), 14, "7"))
    assert isinstance(prediction, Prediction)
    assert prediction.input.shape == (1, 28, 28) and prediction.input.dtype == np.uint8
    assert [name for name, _ in prediction.top] == [classes[i] for i in np.argsort(-prediction.probabilities)]
    probs = [p for _, p in prediction.top]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-5
    with pytest.raises(InferenceError):
        Predictor(tiny_cnn(3), {"classes": classes})


def test_predictor_from_checkpoint_and_file(tmp_path, monkeypatch):
    from engine import checkpoints
    from engine.models.build import build_model

    # torch.__version__ is a TorchVersion, which weights_only loading refuses: record plain strings.
    versions = checkpoints.library_versions()
    monkeypatch.setattr(checkpoints, "library_versions", lambda: {k: str(v) for k, v in versions.items()})

    model = build_model("cnn", DIGIT_SPEC, 10)
    meta = {"arch": "cnn", "classes": [str(d) for d in range(10)], "spec": DIGIT_SPEC.to_dict()}
    checkpoints.save_checkpoint(tmp_path / "model.pt", model, {**meta, "preparation": "digit"})
    predictor = Predictor.from_checkpoint(tmp_path / "model.pt")
    image = tmp_path / "digit.png"
    draw_digit((280, 280), (60, 40, 180), 14, "7").save(image)
    prediction = predictor.predict(image, top_k=3)
    assert len(prediction.top) == 3 and prediction.probabilities.shape == (10,)


# --- saliency -----------------------------------------------------------------------------------


@pytest.mark.parametrize("with_conv", [True, False])
def test_saliency_shape_range_and_model_left_as_it_was(with_conv):
    torch.manual_seed(0)
    model = (
        tiny_cnn()
        if with_conv
        else nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    )
    model.train()
    model[0].eval()  # a mixed state, as frozen BatchNorm layers leave it
    first = next(model.parameters())
    first.requires_grad_(False)
    image = torch.from_numpy(prepare_digit(draw_digit((280, 280), (60, 40, 180), 14, "4")))[None]
    heat = saliency(model, DIGIT_SPEC, image)
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert [p.requires_grad for p in model.parameters()][0] is False
    assert all(p.requires_grad for p in list(model.parameters())[1:])
    assert all(p.grad is None for p in model.parameters())
    assert model.training and not model[0].training
    assert saliency(model, DIGIT_SPEC, image, target=3).shape == (28, 28)
    with pytest.raises(InferenceError, match="out of range"):
        saliency(model, DIGIT_SPEC, image, target=10)
    assert [p.requires_grad for p in model.parameters()][0] is False


def test_saliency_points_at_the_ink_for_a_pixel_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    image = torch.from_numpy(prepare_digit(draw_digit((280, 280), (60, 40, 180), 14, "7")))[None]
    heat = saliency(model, DIGIT_SPEC, image)
    ink = image[0].numpy() > 128
    assert heat[ink].mean() > 3 * heat[~ink].mean()


# --- a model trained on framed digits reads them on a canvas ------------------------------------


def render_on_canvas(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A framed 28x28 digit written dark on light, at a random size and place on a 280x280 sheet."""
    side = int(rng.integers(56, 260))
    glyph = Image.fromarray(255 - digit).resize((side, side), Image.BILINEAR)
    sheet = Image.new("L", (280, 280), 255)
    sheet.paste(glyph, (int(rng.integers(0, 281 - side)), int(rng.integers(0, 281 - side))))
    return sheet


def test_model_trained_on_framed_digits_reads_them_on_a_canvas(digits, one_thread):
    torch.manual_seed(0)
    images, labels = digits.train_images, digits.train_labels
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    train, held = order[:1300], order[1300:1600]
    model = tiny_cnn()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    x_train = (images[train].float() / 255 - 0.1307) / 0.3081
    for _ in range(3):
        for batch in torch.randperm(len(train)).split(64):
            optimiser.zero_grad()
            nn.functional.cross_entropy(model(x_train[batch]), labels[train][batch]).backward()
            optimiser.step()
    framed = predict_probabilities(model, DIGIT_SPEC, images[held]).argmax(1)
    framed_acc = float((framed == labels[held].numpy()).mean())
    rng = np.random.default_rng(0)
    canvas = torch.stack(
        [prepare(render_on_canvas(images[i, 0].numpy(), rng), DIGIT_SPEC, "digit") for i in held]
    )
    canvas_acc = float(
        (predict_probabilities(model, DIGIT_SPEC, canvas).argmax(1) == labels[held].numpy()).mean()
    )
    assert framed_acc > 0.85
    assert canvas_acc >= 0.9 * framed_acc, (canvas_acc, framed_acc)
