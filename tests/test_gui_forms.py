"""The window's forms: what opens, what the configs say, messages, and settings across launches."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QPushButton, QSpinBox, QWidget

from engine.config import ConfigError
from engine.data.registry import folder_key
from gui.settings import make_settings
from gui.tasks import Task
from gui.window.main_window import MainWindow

OPERATED = {
    "datasetCombo": QComboBox,
    "modelCombo": QComboBox,
    "optimizerCombo": QComboBox,
    "learningRateSpin": QDoubleSpinBox,
    "epochsSpin": QSpinBox,
    "batchSizeSpin": QSpinBox,
    "valSplitSpin": QDoubleSpinBox,
    "seedSpin": QSpinBox,
    "deviceCombo": QComboBox,
    "scheduleCombo": QComboBox,
    "trainButton": QPushButton,
    "stopButton": QPushButton,
    "saveModelButton": QPushButton,
    "openModelButton": QPushButton,
}


def make_window(qtbot, tmp_path, wait_for_data=True) -> MainWindow:
    window = MainWindow(models_dir=tmp_path / "models")
    qtbot.addWidget(window)
    window.show()
    if wait_for_data:
        qtbot.waitUntil(lambda: window.current_data() is not None, timeout=30000)
    return window


def test_opens_on_digits_with_a_preview(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.data_panel
    assert panel.datasetCombo.currentData() == "digits"
    assert panel.previewGrid.shown() == panel.previewGrid.capacity
    assert "10 classes" in panel.classCountsLabel.text()
    assert "validation" in panel.splitSizesLabel.text()
    assert window.training_panel.trainButton.isEnabled()
    assert not window.training_panel.stopButton.isEnabled()
    assert not window.training_panel.saveModelButton.isEnabled()


def test_widgets_a_user_operates_have_object_names(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, wait_for_data=False)
    for name, cls in OPERATED.items():
        assert window.findChild(cls, name) is not None, name
    for name in (
        "lossPlot",
        "accuracyPlot",
        "trainingProgress",
        "trainingLog",
        "previewGrid",
        "classCountsLabel",
        "dataFolderEdit",
        "augmentCheck",
        "pretrainedCheck",
    ):
        assert window.findChild(object, name) is not None, name


def test_configs_follow_the_forms(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, wait_for_data=False)
    m = window.model_panel
    m.modelCombo.setCurrentIndex(m.modelCombo.findData("mlp"))
    m.optimizerCombo.setCurrentIndex(m.optimizerCombo.findData("sgd"))
    m.learningRateSpin.setValue(0.05)
    m.epochsSpin.setValue(3)
    m.batchSizeSpin.setValue(16)
    m.valSplitSpin.setValue(25)
    m.seedSpin.setValue(7)
    m.augmentCheck.setChecked(True)
    m.scheduleCombo.setCurrentIndex(m.scheduleCombo.findData("cosine"))
    data_cfg, model_cfg, train_cfg = window.current_configs()
    assert (data_cfg.dataset, data_cfg.val_split, data_cfg.seed, data_cfg.augment) == (
        "digits",
        0.25,
        7,
        True,
    )
    assert model_cfg.arch == "mlp" and not model_cfg.pretrained
    assert (train_cfg.optimizer, train_cfg.lr, train_cfg.epochs) == ("sgd", 0.05, 3)
    assert (train_cfg.batch_size, train_cfg.schedule) == (16, "cosine")


def test_out_of_range_values_cannot_be_entered(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, wait_for_data=False)
    m = window.model_panel
    m.epochsSpin.setValue(0)
    m.batchSizeSpin.setValue(-5)
    m.learningRateSpin.setValue(0)
    m.valSplitSpin.setValue(95)
    assert m.epochsSpin.value() == 1 and m.batchSizeSpin.value() == 1
    assert m.learningRateSpin.value() > 0
    window.current_configs()  # the clamped values are all valid


def test_pretrained_only_for_models_whose_imagenet_weights_are_here(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty torch cache
    window = make_window(qtbot, tmp_path, wait_for_data=False)
    m = window.model_panel
    m.modelCombo.setCurrentIndex(m.modelCombo.findData("cnn"))
    assert not m.pretrainedCheck.isEnabled() and m.importWeightsButton.isHidden()
    m.modelCombo.setCurrentIndex(m.modelCombo.findData("resnet18"))
    # Not here: the box cannot be ticked (a ticked box would train from random weights unsaid).
    assert not m.pretrainedCheck.isEnabled() and not m.pretrainedCheck.isChecked()
    assert "are not on this computer" in m.weightsLabel.text() and m.weightsLabel.wordWrap()
    assert not m.importWeightsButton.isHidden()


def test_config_error_is_explained_in_the_window(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path, wait_for_data=False)

    def refuse(**_):
        raise ConfigError("learning rate must be in (0, 10], not 0")

    monkeypatch.setattr(window.model_panel, "train_config", refuse)
    qtbot.mouseClick(window.training_panel.trainButton, Qt.MouseButton.LeftButton)
    assert window.training_panel.messageLabel.isVisible()
    assert "learning rate" in window.training_panel.messageLabel.text()
    assert "learning rate" in window.model_panel.errorLabel.text()
    assert window.training_panel.trainButton.isEnabled()
    assert not window.training_panel.is_running()


def test_missing_mnist_files_show_the_engines_message_and_a_download_button(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path)
    panel = window.data_panel
    panel.set_dataset("mnist")
    panel.dataFolderEdit.setText(str(tmp_path / "empty"))
    panel.dataFolderEdit.editingFinished.emit()
    qtbot.waitUntil(lambda: not panel.is_loading(), timeout=30000)
    assert str(tmp_path / "empty") in panel.messageLabel.text()
    assert panel.messageLabel.isVisible() and "MNIST" in panel.messageLabel.text()
    assert panel.downloadButton.isVisible()
    assert panel.previewGrid.shown() == 0

    from engine.data import registry
    from engine.errors import DatasetError

    calls = []

    def offline(cfg):
        calls.append(cfg.download)
        raise DatasetError("could not download MNIST (no network?)")

    monkeypatch.setattr(registry, "load_dataset", offline)
    with qtbot.waitSignal(panel.loadFailed, timeout=5000):
        qtbot.mouseClick(panel.downloadButton, Qt.MouseButton.LeftButton)
    assert calls == [True]
    assert "could not download" in panel.messageLabel.text()


def test_image_folder_dataset_is_previewed(qtbot, tmp_path):
    root = tmp_path / "pets"
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    window = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30000) as loaded:
        window.data_panel.set_image_folder(root)
    assert loaded.args[0].classes == ["cat", "dog"]
    assert "cat:&nbsp;6" in window.data_panel.classCountsLabel.text()
    data_cfg, _, _ = window.current_configs()
    assert data_cfg.dataset == folder_key(root)


def test_last_choices_come_back_in_a_new_window(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, wait_for_data=False)
    m = window.model_panel
    m.modelCombo.setCurrentIndex(m.modelCombo.findData("mlp"))
    m.learningRateSpin.setValue(0.02)
    m.epochsSpin.setValue(7)
    m.batchSizeSpin.setValue(32)
    m.valSplitSpin.setValue(30)
    m.seedSpin.setValue(42)
    m.augmentCheck.setChecked(True)
    m.scheduleCombo.setCurrentIndex(m.scheduleCombo.findData("step"))
    window.data_panel.set_dataset("fashion-mnist")
    window.data_panel.dataFolderEdit.setText(str(tmp_path / "mydata"))
    window.data_panel.dataFolderEdit.editingFinished.emit()
    window.close()

    again = make_window(qtbot, tmp_path, wait_for_data=False)
    m = again.model_panel
    assert again.data_panel.datasetCombo.currentData() == "fashion-mnist"
    assert again.data_panel.dataFolderEdit.text() == str(tmp_path / "mydata")
    assert m.modelCombo.currentData() == "mlp"
    assert m.learningRateSpin.value() == pytest.approx(0.02)
    assert (m.epochsSpin.value(), m.batchSizeSpin.value(), m.seedSpin.value()) == (7, 32, 42)
    assert m.val_split() == pytest.approx(0.3)
    assert m.augmentCheck.isChecked()
    assert m.scheduleCombo.currentData() == "step"
    assert make_settings().fileName().endswith("settings.ini")


class NotesPanel(QWidget):
    """A stand-in for a later panel: one setting and one config field the forms do not show."""

    def __init__(self):
        super().__init__()
        self.smoothing = 0.0

    def save_settings(self, settings):
        settings.setValue("notes/smoothing", self.smoothing)

    def restore_settings(self, settings):
        self.smoothing = float(settings.value("notes/smoothing", 0.0))

    def train_overrides(self) -> dict:
        return {"label_smoothing": self.smoothing}


def test_a_panel_joins_with_two_lines(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, wait_for_data=False)
    notes = NotesPanel()
    index = window.add_panel(notes, "Notes")
    window.add_config_overrides(train=notes.train_overrides)
    assert window.tabs.tabText(index) == "Notes"
    notes.smoothing = 0.1
    assert window.current_configs()[2].label_smoothing == 0.1
    window.close()

    again = make_window(qtbot, tmp_path, wait_for_data=False)
    restored = NotesPanel()
    again.add_panel(restored, "Notes")
    assert restored.smoothing == 0.1


def test_worker_reports_unexpected_errors_instead_of_crashing(qtbot):
    def broken(on_event, stop):
        on_event({"event": "status", "message": "about to fail"})
        raise RuntimeError("boom")

    task = Task(broken, name="brokenTask")
    with qtbot.waitSignal(task.worker.runFailed, timeout=5000) as failed:
        task.start()
    assert "RuntimeError" in failed.args[0] and "boom" in failed.args[0]
    qtbot.waitUntil(lambda: not task.is_running(), timeout=5000)
