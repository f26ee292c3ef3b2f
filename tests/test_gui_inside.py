"""Try it's Inside view and the Training tab's filters as a user meets them: draw, hover, click, save."""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import inside  # noqa: E402
from engine.checkpoints import MODELS_DIR, load_checkpoint  # noqa: E402
from engine.filter_history import record  # noqa: E402
from gui import theme  # noqa: E402
from gui.training.filter_view import FilterHistoryView  # noqa: E402
from gui.try_it import inference_ui  # noqa: E402
from tests.helpers_gui import drag, line, shown_inference_panel  # noqa: E402

FIRST = "features.block1.conv"


@pytest.fixture(scope="module")
def shipped():
    loaded = load_checkpoint(MODELS_DIR / "default-digits.pt")
    return loaded.model, loaded.meta


@pytest.fixture
def panel(qtbot, tmp_path, shipped, one_torch_thread):
    widget = shown_inference_panel(qtbot, tmp_path, *shipped, name="default-digits.pt")
    widget.resultsTabs.setCurrentIndex(inference_ui.INSIDE)
    return widget


def draw_one(qtbot, panel):
    """A "1" drawn with the mouse; returns once its layers are shown."""
    with qtbot.waitSignal(panel.predictionShown, timeout=10_000):
        drag(panel.canvas, line((140, 40), (140, 240)))
    qtbot.waitUntil(lambda: FIRST in panel.insideView.tiles, timeout=5000)


def test_the_strip_shows_every_layer_of_a_drawing_with_its_answer(qtbot, panel):
    draw_one(qtbot, panel)
    view = panel.insideView
    assert list(view.tiles) == [
        "input",
        FIRST,
        "features.block2.conv",
        "features.block3.conv",
        "classifier.fc",
        "softmax",
    ]
    assert panel.runs == {"inline": 0, "worker": 1}  # the GUI thread only drew
    first = view.tiles[FIRST]
    assert len(first.images) == 16 and first.caption == "16/32 maps"
    assert view.tiles["softmax"].caption.startswith(panel.last_outcome.prediction.top[0][0] + " — ")
    # The maps shown are those of the same forward pass that gave the answer.
    shown = panel.last_outcome.strip.layer(FIRST)
    model, spec = panel.predictor.model, panel.predictor.spec
    x = torch.as_tensor(panel.last_outcome.prediction.input)[None].float().div(255)
    x = (x - torch.tensor(spec.mean)[:, None, None]) / torch.tensor(spec.std)[:, None, None]
    with torch.no_grad():
        direct = model.features.block1.conv(x)[0]
    np.testing.assert_allclose(shown.maps, direct[torch.as_tensor(shown.index)].numpy(), atol=1e-4)
    tip = first.toolTip()
    assert f"<b>{FIRST}</b> (Conv2d)" in tip and "output 32×28×28 · trainable" in tip
    assert "The first convolution: each of its 32 filters (5×5 pixels)" in tip and "16 more not shown" in tip


def test_the_view_updates_without_blocking_the_gui(qtbot, panel, monkeypatch):
    original = inside.Capture.strip

    def slow_strip(self, spec):
        time.sleep(0.3)  # as a large model's layers would take: it must never stall the window
        return original(self, spec)

    monkeypatch.setattr(inside.Capture, "strip", slow_strip)
    ticks: list[float] = []
    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    heartbeat.start()
    for x in (90, 140, 190):  # three strokes: the latest drawing wins
        drag(panel.canvas, line((x, 40), (x, 240)))
        qtbot.wait(30)
    qtbot.waitUntil(
        lambda: panel.last_outcome is not None and panel.last_outcome.seq == panel._seq, timeout=10_000
    )
    heartbeat.stop()
    gaps = np.diff(ticks)
    assert len(ticks) > 20 and gaps.max() < 0.2, f"the window stalled {gaps.max():.2f} s"
    assert panel.runs["inline"] == 0 and FIRST in panel.insideView.tiles


def test_clicking_layers_shows_filters_maps_large_and_what_drives_a_map(qtbot, panel):
    draw_one(qtbot, panel)
    view, detail = panel.insideView, panel.insideView.detail
    QTest.mouseClick(view.tiles[FIRST], Qt.MouseButton.LeftButton)
    assert FIRST in detail.titleLabel.text() and len(detail.mapGrid.images) == 16
    assert detail.filterGrid.isVisibleTo(view) and len(detail.filterGrid.images) == 32  # its 5x5 filters
    with qtbot.waitSignal(panel.predictionShown, timeout=10_000):
        QTest.mouseClick(
            detail.mapGrid, Qt.MouseButton.LeftButton, pos=detail.mapGrid.rect_of(2).center().toPoint()
        )
    outcome = panel.last_outcome
    assert outcome.drivers is not None and outcome.drivers.shape == (28, 28) and outcome.drivers.max() == 1.0
    assert detail.chosen == int(outcome.strip.layer(FIRST).index[2])
    assert detail.driversCaption.text().startswith(
        f"Bright: the pixels that change map {detail.chosen} of {FIRST}"
    )
    QTest.mouseClick(view.tiles["features.block3.conv"], Qt.MouseButton.LeftButton)
    assert "features.block3.conv" in detail.titleLabel.text() and not detail.filterGrid.isVisibleTo(view)
    assert detail.chosen is None  # another layer: its own maps to pick from


def test_save_picture_writes_the_whole_strip_as_png(qtbot, panel, tmp_path):
    draw_one(qtbot, panel)
    path = panel.insideView.save_picture(tmp_path / "strip")
    assert path == tmp_path / "strip.png"
    picture = QImage(str(path))
    tiles = sum(tile.width() for tile in panel.insideView.tiles.values())
    assert picture.width() >= tiles > picture.height() > 100  # every tile, even those scrolled out of sight
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_the_tiles_follow_the_dark_theme(qtbot, panel):
    draw_one(qtbot, panel)
    app = QApplication.instance()
    try:
        theme.apply_theme(app, "dark")
        corner = panel.insideView.tiles[FIRST].grab().toImage().pixelColor(3, 3).name()
        assert corner == theme.THEMES["dark"]["base"]
    finally:
        theme.apply_theme(app, "light")
    assert (
        panel.insideView.tiles[FIRST].grab().toImage().pixelColor(3, 3).name()
        == theme.THEMES["light"]["base"]
    )


def test_the_training_tab_plays_the_filters_epoch_by_epoch(qtbot, tmp_path):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 8, 5)
    for epoch in range(3):  # the start and two epochs, as a run folder keeps them
        record(tmp_path, epoch, 1, {"conv.weight": conv.weight.detach() * (1 + epoch)}, (1, 28, 28))
    view = FilterHistoryView()
    qtbot.addWidget(view)
    view.set_folder(tmp_path)
    assert view.slider.maximum() == 2 and view.slider.value() == 2  # the newest epoch first
    assert "conv" in view.titleLabel.text() and view.epochLabel.text().startswith("After epoch 2")
    view.slider.setValue(0)
    assert view.epochLabel.text().startswith("As the run started")
    view.toggle_play()
    qtbot.waitUntil(lambda: view.slider.value() == 2 and not view.timer.isActive(), timeout=5000)
    assert view.playButton.text() == "Play"
    view.set_folder(Path(tmp_path) / "nothing-here")
    assert not view.slider.isEnabled() and "once a run has started" in view.titleLabel.text()
