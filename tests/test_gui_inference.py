"""The Inference panel as a user meets it: draw, undo, see the prediction, drop images, bad files."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from torch import nn  # noqa: E402

from engine.checkpoints import save_checkpoint  # noqa: E402
from engine.config import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from engine.data.folder import DIGIT_MARKER  # noqa: E402
from engine.data.registry import folder_key, load_dataset  # noqa: E402
from engine.data.transforms import normalise  # noqa: E402
from engine.data.types import InputSpec  # noqa: E402
from engine.errors import InferenceError  # noqa: E402
from engine.models.build import build_model  # noqa: E402
from engine.train import runner  # noqa: E402
from engine.train.request import RunRequest  # noqa: E402
from gui.try_it.inference_panel import InferencePanel  # noqa: E402
from gui.try_it.model_picker import DEFAULT_MODEL, TRAINED  # noqa: E402
from tests.helpers_gui import drag, line, shown_inference_panel  # noqa: E402

SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "models" / DEFAULT_MODEL


def _ellipse(cx, cy, rx, ry, n=20):
    turns = [2 * math.pi * i / n for i in range(n + 1)]
    return [(cx + rx * math.sin(a), cy - ry * math.cos(a)) for a in turns]


# How people write digits, as pen strokes in a 10 x 16 box (x right, y down).
DIGIT_STROKES = {
    0: [_ellipse(5, 8, 4.3, 7.8)],
    1: [[(2.5, 3), (5.5, 0), (5.5, 16)]],
    2: [[(1, 4), (2.5, 1), (5, 0), (8, 1), (9, 4), (7.5, 8), (4, 12), (0.5, 16), (10, 16)]],
    3: [
        [
            (1, 1.5),
            (4, 0),
            (7.5, 0.8),
            (8.5, 3.5),
            (7, 6.5),
            (4, 7.5),
            (8, 9),
            (9, 12),
            (7.5, 15),
            (4, 16),
            (0.5, 14.5),
        ]
    ],
    4: [[(7, 16), (7, 0), (0.5, 11), (10, 11)]],
    5: [[(9, 0), (2, 0), (1.5, 7), (5, 6), (8.5, 8), (9, 12), (7, 15.5), (3.5, 16), (0.5, 14)]],
    6: [
        [
            (8, 0.5),
            (4, 3),
            (1.5, 8),
            (1, 12),
            (3, 15.5),
            (6, 16),
            (8.5, 14),
            (9, 11),
            (7, 8.5),
            (4, 8.5),
            (1.5, 10.5),
        ]
    ],
    7: [[(0.5, 0), (9.5, 0), (5, 8), (3.5, 16)]],
    8: [
        [
            (8.5, 3),
            (5, 0),
            (1.5, 3),
            (3, 6.5),
            (7, 9.5),
            (9, 13),
            (5, 16),
            (1, 13),
            (3, 9.5),
            (7, 6.5),
            (8.5, 3),
        ]
    ],
    9: [[(8.5, 4), (5, 7.5), (1.5, 5.5), (2, 1), (5, 0), (8.5, 2), (8.5, 8), (7, 16)]],
}


def _train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, spec: InputSpec, epochs: int):
    torch.manual_seed(0)
    x = normalise(images, spec)
    optimizer = torch.optim.Adam(model.parameters(), 3e-3)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), 32):
            batch = order[start : start + 32]
            loss = nn.functional.cross_entropy(model(x[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def one_thread():
    # Other jobs share this machine; one thread avoids OpenMP oversubscription during training.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digit_model(one_thread):
    """A small model trained here on the built-in digits: (model, meta)."""
    data = load_dataset(DataConfig(dataset="digits"))
    torch.manual_seed(0)
    model = _train(build_model("mlp", data.spec, 10), data.train_images, data.train_labels, data.spec, 4)
    meta = {
        "arch": "mlp",
        "classes": list(data.classes),
        "spec": data.spec.to_dict(),
        "preparation": "digit",
        "dataset": "digits",
    }
    return model, meta


@pytest.fixture(scope="module")
def colour_model(one_thread):
    """A CIFAR-like CNN (3 x 32 x 32, classes a/b): a is reddish, b is bluish."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 80, size=(64, 3, 32, 32), dtype=np.uint8)
    labels = np.arange(64) % 2
    images[labels == 0, 0] += 150
    images[labels == 1, 2] += 150
    spec = InputSpec(3, 32, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    torch.manual_seed(0)
    model = _train(build_model("cnn", spec, 2), torch.from_numpy(images), torch.from_numpy(labels), spec, 3)
    meta = {"arch": "cnn", "classes": ["a", "b"], "spec": spec.to_dict(), "preparation": "image"}
    return model, meta


@pytest.fixture
def panel(qtbot, tmp_path, digit_model):
    return shown_inference_panel(qtbot, tmp_path, *digit_model)


def _draw_digit(canvas, digit, scale, left, top):
    for stroke in DIGIT_STROKES[digit]:
        canvas.add_stroke([(left + scale * x, top + scale * y) for x, y in stroke], width=1.6 * scale)


def test_mouse_drag_draws_and_the_preview_is_centred(qtbot, panel):
    canvas = panel.canvas
    assert canvas.objectName() == "drawingCanvas" and canvas.image().min() == 255  # blank paper
    with qtbot.waitSignal(panel.predictionShown, timeout=3000):
        drag(canvas, line((50, 30), (60, 130)))  # a "1" in the top-left corner
    drawing = canvas.image()
    assert drawing.dtype == np.uint8 and drawing.ndim == 2
    ratio = canvas.devicePixelRatioF()
    assert drawing[round(80 * ratio), round(55 * ratio)] < 60  # dark ink where the mouse went
    assert drawing[round(200 * ratio), round(200 * ratio)] == 255  # light paper elsewhere

    seen = panel.last_outcome.prediction.input[0].astype(np.float64)
    assert seen.shape == (28, 28) and seen.sum() > 0
    rows, cols = np.mgrid[0:28, 0:28]
    centre = ((rows * seen).sum() / seen.sum(), (cols * seen).sum() / seen.sum())
    assert abs(centre[0] - 13.5) < 1.0 and abs(centre[1] - 13.5) < 1.0  # moved from the corner to the middle
    inked = np.flatnonzero(seen.max(axis=1) > 30)
    assert 17 <= inked[-1] - inked[0] + 1 <= 22  # scaled to MNIST's 20-pixel box
    assert not panel.inputPreview.pixmap().isNull()
    assert panel.probabilityPlot.values.sum() == pytest.approx(1.0, abs=1e-4)
    assert "—" in panel.predictionLabel.text()


def test_undo_and_clear(qtbot, panel):
    canvas = panel.canvas
    drag(canvas, line((60, 60), (200, 60)))
    only_first = canvas.image()
    drag(canvas, line((60, 200), (200, 200)))
    assert len(canvas.strokes()) == 2 and (canvas.image() < 128).sum() > (only_first < 128).sum()

    qtbot.mouseClick(canvas.undoButton, Qt.MouseButton.LeftButton)
    assert len(canvas.strokes()) == 1
    assert np.array_equal(canvas.image(), only_first)  # re-rendered without the second stroke
    sharp = canvas.image(ratio=2.0)  # as on a HiDPI screen: twice the pixels, the same drawing
    assert sharp.shape == (2 * canvas.height(), 2 * canvas.width())
    halved = sharp.reshape(canvas.height(), 2, canvas.width(), 2).mean(axis=(1, 3))
    assert np.abs(halved - canvas.image(ratio=1.0)).mean() < 3

    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=2000)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas.is_empty() and canvas.image().min() == 255

    drag(canvas, line((60, 60), (200, 200)))
    qtbot.waitUntil(lambda: panel.last_outcome is not None, timeout=3000)
    qtbot.mouseClick(canvas.clearButton, Qt.MouseButton.LeftButton)
    assert canvas.is_empty() and canvas.image().min() == 255
    qtbot.waitUntil(lambda: panel.last_outcome is None, timeout=3000)  # the old prediction goes away
    assert panel.predictionLabel.text() == "–"
    assert not canvas.undoButton.isEnabled() and not canvas.clearButton.isEnabled()


def test_drawn_digits_are_mostly_recognised(qtbot, panel):
    right = 0
    placements = [(11, 40, 40), (7, 150, 110)]  # large near the top-left, small towards the bottom-right
    for scale, left, top in placements:
        for digit in DIGIT_STROKES:
            with qtbot.waitSignal(panel.predictionShown, timeout=3000) as shown:
                panel.canvas.clear()
                _draw_digit(panel.canvas, digit, scale, left, top)
            right += shown.args[0].top[0][0] == str(digit)
            assert panel.predictionLabel.text().startswith(shown.args[0].top[0][0])
    assert right >= 15, f"only {right} of 20 drawn digits recognised"


def _drop(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = widget.rect().center()
    with warnings.catch_warnings():  # the QPoint form is deprecated in PySide6 6.12, the only one before
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(centre),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def test_image_model_from_models_folder_takes_a_dropped_image(qtbot, panel, tmp_path, colour_model):
    save_checkpoint(panel.models_dir / "colours.pt", *colour_model)
    panel.refresh_models()
    with qtbot.waitSignal(panel.modelChanged, timeout=5000):
        panel.modelPicker.setCurrentIndex(panel.modelPicker.findText("colours.pt"))
    assert panel.inputTabs.currentIndex() == 1  # an image model gets the image tab, not the canvas
    assert "colours.pt" in panel.activeModelLabel.text()

    red = np.zeros((48, 40, 3), dtype=np.uint8)
    red[..., 0] = 210
    Image.fromarray(red).save(tmp_path / "red.png")
    with qtbot.waitSignal(panel.predictionShown, timeout=5000) as shown:
        _drop(panel.dropArea, tmp_path / "red.png")
    assert shown.args[0].input.shape == (3, 32, 32)
    assert panel.topKList.isVisible() and panel.topKList.count() == 2
    assert panel.topKList.item(0).text().startswith("1. a")
    assert panel.predictionLabel.text().startswith("a")
    assert not panel.dropArea.pixmap().isNull()

    Image.fromarray(red[..., ::-1].copy()).save(tmp_path / "blue.png")
    with qtbot.waitSignal(panel.predictionShown, timeout=5000):
        _drop(panel, tmp_path / "blue.png")  # anywhere on the panel works too
    assert panel.predictionLabel.text().startswith("b")

    (tmp_path / "notes.png").write_text("not a picture")
    _drop(panel.dropArea, tmp_path / "notes.png")
    qtbot.waitUntil(panel.inferenceMessage.isVisible, timeout=5000)
    assert "notes.png" in panel.inferenceMessage.text()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    with qtbot.waitSignal(panel.predictionShown, timeout=5000):
        _drop(panel.dropArea, tmp_path / "red.png")  # and the next good file works again
    assert not panel.inferenceMessage.isVisible()


@pytest.mark.parametrize("damage", ["cut off", "not a checkpoint"])
def test_a_broken_checkpoint_shows_a_message_and_the_pane_keeps_working(qtbot, panel, digit_model, damage):
    broken = save_checkpoint(panel.models_dir / "broken.pt", *digit_model)
    if damage == "cut off":  # as by an interrupted copy
        broken.write_bytes(broken.read_bytes()[:2000])
    else:
        broken.write_bytes(b"this is not a checkpoint" * 10)
    panel.refresh_models()
    with qtbot.waitSignal(panel.loadFailed, timeout=5000):
        panel.modelPicker.setCurrentIndex(panel.modelPicker.findText("broken.pt"))
    message = panel.inferenceMessage
    assert message.isVisible() and "broken.pt" in message.text() and "not" in message.text()
    assert panel.active_key == TRAINED and panel.modelPicker.currentData() == TRAINED
    with qtbot.waitSignal(panel.predictionShown, timeout=3000):
        _draw_digit(panel.canvas, 7, 11, 60, 40)
    assert panel.predictionLabel.text()[0].isdigit()


def test_worker_path_shows_only_the_newest_drawing(qtbot, panel, monkeypatch):
    monkeypatch.setattr(panel, "_runs_inline", lambda request: False)  # as for a big model
    for digit in (1, 7, 0):
        _draw_digit(panel.canvas, digit, 8, 40 + 60 * digit // 3, 60)
        panel.predict_canvas()
    qtbot.waitUntil(lambda: not panel.is_busy() and panel.last_outcome is not None, timeout=5000)
    qtbot.waitUntil(lambda: panel.last_outcome.seq == panel._seq, timeout=5000)
    newest = panel.predictor.predict(panel.canvas.image(ratio=1.0)).input
    assert np.array_equal(panel.last_outcome.prediction.input, newest)
    assert panel.runs["worker"] >= 2


def test_saliency_overlay_colours_the_preview(qtbot, panel):
    with qtbot.waitSignal(panel.predictionShown, timeout=3000):
        _draw_digit(panel.canvas, 4, 10, 80, 50)
    grey = panel.inputPreview.pixmap().toImage()
    with qtbot.waitSignal(panel.predictionShown, timeout=3000):
        panel.saliencyCheck.setChecked(True)
    heat = panel.last_outcome.saliency
    assert heat is not None and heat.shape == (28, 28) and heat.max() > 0
    image = panel.inputPreview.pixmap().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 7) for y in range(0, 130, 7)}
    assert any(c[1:3] != c[5:7] for c in colours)  # some pixels are no longer grey
    panel.saliencyCheck.setChecked(False)
    assert panel.inputPreview.pixmap().toImage() == grey


def test_a_map_that_cannot_be_made_is_said_and_the_prediction_still_shown(qtbot, panel, monkeypatch):
    def fails(model_input, target=None):
        raise InferenceError("the model has no layer(s) named features.9")

    monkeypatch.setattr(panel.predictor, "saliency", fails)
    panel.saliencyCheck.setChecked(True)
    with qtbot.waitSignal(panel.predictionShown, timeout=3000):
        _draw_digit(panel.canvas, 4, 10, 80, 50)
    message = panel.inferenceMessage
    assert message.isVisible() and message.role() == "error"
    assert "could not be made" in message.text() and "features.9" in message.text()
    assert panel.predictionLabel.text() != "–" and panel.last_outcome.saliency is None
    panel.saliencyCheck.setChecked(False)  # no map asked for: nothing left to explain
    assert not message.isVisible()


def test_gradcam_on_the_model_just_trained(qtbot, panel, tmp_path):
    """Train, then Try it: the runner's model, evaluated in channels-last, still gets its map."""
    digits = load_dataset(DataConfig(dataset="digits"))
    data = replace(digits, train_images=digits.train_images[:300], train_labels=digits.train_labels[:300])
    cfg = TrainConfig(epochs=1, precision="bf16")  # bfloat16 runs in channels-last on every CPU
    request = RunRequest(DataConfig(dataset="digits"), ModelConfig(arch="cnn"), cfg, data)
    result = runner.start(request, out=tmp_path / "run")
    panel.use_source(result)
    assert panel.active_key == TRAINED
    panel.saliencyCheck.setChecked(True)
    with qtbot.waitSignal(panel.predictionShown, timeout=5000):
        _draw_digit(panel.canvas, 7, 10, 80, 50)
    heat = panel.last_outcome.saliency
    assert heat is not None and heat.shape == (28, 28) and heat.max() == pytest.approx(1.0)
    assert panel.last_outcome.saliency_error is None and not panel.inferenceMessage.isVisible()


def test_gradcam_on_the_default_model_looks_at_the_digit(qtbot, panel):
    """The shipped model, opened as a saved file: the map's hottest point is on the drawn "1"."""
    with qtbot.waitSignal(panel.modelChanged, timeout=10000):
        panel.modelPicker.load(SHIPPED_MODEL)
    panel.saliencyCheck.setChecked(True)
    with qtbot.waitSignal(panel.predictionShown, timeout=5000):
        _draw_digit(panel.canvas, 1, 10, 120, 40)
    outcome = panel.last_outcome
    assert outcome.saliency_error is None and outcome.saliency is not None
    digit = outcome.prediction.input[0] >= 128
    # Where the digit is drawn, not in a corner or on the border: the hottest pixel is within 2 px of the ink.
    row, col = np.unravel_index(np.argmax(outcome.saliency), outcome.saliency.shape)
    ink_rows, ink_cols = np.nonzero(digit)
    assert np.min(np.maximum(abs(ink_rows - row), abs(ink_cols - col))) <= 2


def test_add_to_dataset_grows_an_image_folder(qtbot, panel, tmp_path):
    saver = panel.saver
    assert not saver.addToDatasetButton.isEnabled()  # nothing drawn yet
    for digit in (7, 1, 7):
        with qtbot.waitSignal(panel.predictionShown, timeout=3000) as shown:
            _draw_digit(panel.canvas, digit, 10, 70, 50)
        qtbot.mouseClick(saver.addToDatasetButton, Qt.MouseButton.LeftButton)
        assert saver.confirmRow.isVisible()
        assert saver.labelCombo.currentText() == shown.args[0].top[0][0]  # suggested: the prediction
        saver.labelCombo.setCurrentText(str(digit))  # the user confirms the true label
        with qtbot.waitSignal(panel.sampleSaved, timeout=1000) as saved:
            qtbot.mouseClick(saver.confirmButton, Qt.MouseButton.LeftButton)
        assert panel.canvas.is_empty()  # ready for the next one
    root = tmp_path / "my-digits"
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["1", "7"]
    assert (root / DIGIT_MARKER).is_file()  # marks the folder as drawn digits
    assert len(list((root / "7").glob("*.png"))) == 2
    picture = np.asarray(Image.open(saved.args[0]))
    assert picture.ndim == 2 and picture.max() == 255 and picture.min() < 40  # dark ink on light paper
    assert "7: 2" in saver.countLabel.text() and "1: 1" in saver.countLabel.text()
    assert not list(root.rglob("*.tmp"))

    data = load_dataset(DataConfig(dataset=folder_key(root)))  # loads as an image-folder dataset
    assert data.classes == ["1", "7"] and len(data.train_labels) == 3
    assert data.preparation == "digit" and data.spec.shape == (1, 28, 28)  # framed like MNIST

    _draw_digit(panel.canvas, 3, 10, 70, 50)
    saver.begin()
    saver.labelCombo.setCurrentText("../x")
    qtbot.mouseClick(saver.confirmButton, Qt.MouseButton.LeftButton)
    assert panel.inferenceMessage.isVisible() and "not saved" in panel.inferenceMessage.text()
    assert not panel.canvas.is_empty()


def test_default_model_is_used_when_nothing_was_trained(qtbot, tmp_path, digit_model):
    models = tmp_path / "models"
    save_checkpoint(models / DEFAULT_MODEL, *digit_model)
    widget = InferencePanel(models_dir=models, dataset_root=tmp_path / "my-digits")
    qtbot.addWidget(widget)
    assert widget.predictionCaption.text().startswith("no model")
    with qtbot.waitSignal(widget.modelChanged, timeout=5000):
        widget.show()
    assert DEFAULT_MODEL in widget.activeModelLabel.text()
    assert widget.modelPicker.currentText().startswith(DEFAULT_MODEL)
    assert widget.inputTabs.currentIndex() == 0


def test_inline_prediction_thread_count_is_restored_even_on_error():
    import torch

    from gui.try_it.inference_jobs import single_torch_thread

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with single_torch_thread():
            assert torch.get_num_threads() == 1
            raise RuntimeError("a failing prediction")
    assert torch.get_num_threads() == before  # training started later keeps its threads


def test_switching_models_says_which_one_predicts_now(qtbot, panel, digit_model, colour_model):
    label = panel.activeModelLabel
    assert label.text().startswith("Active model") and not label.property("role")  # the first one
    panel.set_model(*colour_model, name="Colour model")
    assert label.text().startswith("Now predicting with") and "Colour model" in label.text()
    assert label.property("role") == "info"  # highlighted: the answers come from another model now
