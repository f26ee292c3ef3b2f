"""The Data panel says whether a folder is held in memory or streamed (with the size estimate), lets
the user choose, and shows and removes the decode cache off the GUI thread."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QWidget

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data import registry
from engine.data.cache import cache_size
from engine.train.run import run
from gui.data.data_panel import IMAGE_SIZES, DataPanel
from gui.tasks import run_task


def photo_folder(root):
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (24, 30, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def test_loader_choice_state_and_decode_cache(qtbot, tmp_path):
    registry.clear_cache()
    root = photo_folder(tmp_path / "photos")
    panel = DataPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert max(IMAGE_SIZES) == 512 and panel.imageSizeCombo.findData(512) >= 0
    assert [panel.loaderCombo.itemData(i) for i in range(panel.loaderCombo.count())] == [
        "auto",
        "memory",
        "stream",
    ]
    panel.loaderCombo.setCurrentIndex(panel.loaderCombo.findData("stream"))
    with qtbot.waitSignal(panel.dataLoaded, timeout=30000) as loaded:
        panel.set_image_folder(root)
    assert loaded.args[0].feed == "stream" and panel.data_config().loader == "stream"
    assert panel.loaderCombo.isVisible()
    text = panel.feed.feedLabel.text()
    assert text.startswith("about ") and text.endswith("of pixels: streamed from disk")
    qtbot.waitUntil(lambda: "on disk" in panel.feed.cacheLabel.text(), timeout=10000)
    assert cache_size() > 0 and panel.feed.removeCacheButton.isEnabled()
    with qtbot.waitSignal(panel.statusMessage, timeout=10000) as removed:
        panel.feed.removeCacheButton.click()
    assert "Decode cache removed" in removed.args[0] and cache_size() == 0
    assert not panel.feed.removeCacheButton.isEnabled()
    # The user picks "In memory": the folder loads again, held in memory.
    with qtbot.waitSignal(panel.dataLoaded, timeout=30000) as again:
        panel.loaderCombo.setCurrentIndex(panel.loaderCombo.findData("memory"))
        panel.loaderCombo.activated.emit(panel.loaderCombo.currentIndex())
    assert again.args[0].feed == "memory" and panel.feed.feedLabel.text().endswith("of pixels: in memory")
    panel.set_dataset("digits")
    assert not panel.loaderCombo.isVisible()  # built-in datasets are always in memory


def test_a_streamed_folder_trains_in_a_window_task(qtbot, tmp_path):
    """DataLoader workers started from a task's thread while Qt's event loop runs: no hang, a model."""
    root = photo_folder(tmp_path / "photos")
    data_cfg = DataConfig(dataset=registry.folder_key(root), image_size=16, loader="stream", cache=False)
    owner = QWidget()
    qtbot.addWidget(owner)
    results, epochs = [], []

    def job(on_event, stop):
        train_cfg = TrainConfig(epochs=2, batch_size=4, precision="fp32")
        return run(data_cfg, ModelConfig(arch="mlp"), train_cfg, on_event=on_event, stop=stop)

    task = run_task(owner, job, on_done=results.append, on_events={"epoch_end": epochs.append})
    with qtbot.waitSignal(task.finished, timeout=60000):
        pass
    assert len(results) == 1 and len(results[0].history) == 2 and [e["epoch"] for e in epochs] == [1, 2]
