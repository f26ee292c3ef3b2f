"""New dataset…: classes named, pictures dropped (files and a folder) and pasted, saved, trained."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from engine.data.gather import write_gathered
from gui.data.gather_dialog import GatherDialog
from tests.test_gui_training import RUN_TIMEOUT, make_window

LEFT = Qt.MouseButton.LeftButton


def _pictures(folder, kind: int, count: int) -> list:
    """``count`` 16x16 pictures of one kind: a bright band on the left, right or top."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(kind)
    paths = []
    for i in range(count):
        pixels = rng.integers(0, 40, (16, 16), dtype=np.uint8)
        band = [np.s_[:, :6], np.s_[:, 10:], np.s_[:6, :]][kind]
        pixels[band] = 220
        path = folder / f"p{i}.png"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def _drop(grid, paths) -> None:
    """Drop files or folders on a grid, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, LEFT, none)
    assert QApplication.sendEvent(grid.viewport(), enter) and enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, LEFT, none)
    assert QApplication.sendEvent(grid.viewport(), drop)


def test_dataset_gathered_by_drops_and_paste_opens_and_trains(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, arch="mlp", epochs=1, batch_size=8)
    dialog: GatherDialog = window.new_dataset()
    # Where it goes is asked: the data folder at first.
    assert dialog.folderEdit.text() == str(window.data_panel.data_config().data_dir)
    assert dialog.choose_folder(tmp_path / "data") and str(tmp_path / "data") in dialog.whereLabel.text()
    assert not dialog.saveButton.isEnabled()  # no name, no pictures yet
    left = _pictures(tmp_path / "in" / "left", 0, 12)
    right = _pictures(tmp_path / "in" / "right", 1, 12)
    top = _pictures(tmp_path / "in" / "top", 2, 11)

    dialog.classList.item(0).setText("left")
    dialog.classList.setCurrentRow(0)
    _drop(dialog.grid(), [tmp_path / "in" / "left"])  # a whole folder
    dialog.classList.item(1).setText("right")
    dialog.classList.setCurrentRow(1)
    _drop(dialog.grid(), right)  # single files
    qtbot.mouseClick(dialog.addClassButton, LEFT)
    dialog.classList.item(2).setText("top")
    dialog.classList.setCurrentRow(2)
    _drop(dialog.grid(), top)
    QGuiApplication.clipboard().setImage(QImage(str(top[0])))
    dialog.paste()  # Ctrl+V: one more picture from the clipboard
    # A picture in the wrong class moves to the right one.
    dialog.classList.setCurrentRow(0)
    dialog.grid().item(0).setSelected(True)
    dialog.move_selected(1)
    dialog.classList.setCurrentRow(1)
    dialog.grid().item(dialog.grid().count() - 1).setSelected(True)
    dialog.move_selected(0)

    assert {k: len(v) for k, v in dialog.gathered().items()} == {"left": 12, "right": 12, "top": 12}
    assert "left: 12 images" in dialog.countsLabel.text()
    dialog.nameEdit.setText("bands")
    assert dialog.saveButton.isEnabled()
    with qtbot.waitSignal(dialog.datasetSaved, timeout=RUN_TIMEOUT) as saved:
        qtbot.mouseClick(dialog.saveButton, LEFT)
    folder = tmp_path / "data" / "bands"
    assert saved.args[0] == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["left", "right", "top"]
    assert len(list((folder / "top").iterdir())) == 12
    assert left[0].exists()  # the originals stay where they were
    again = window.new_dataset()  # the place chosen is offered next time
    assert again.data_dir == tmp_path / "data" and again.folderEdit.text() == str(tmp_path / "data")
    again.reject()

    # The Data panel opens it, and a model trains on it.
    qtbot.waitUntil(lambda: window.current_data() is not None and window.is_idle(), timeout=RUN_TIMEOUT)
    assert list(window.current_data().classes) == ["left", "right", "top"]
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as finished:
        assert window.train()
    assert finished.args[0].history


def test_few_pictures_warn_and_bad_choices_block_saving(qtbot, tmp_path):
    dialog = GatherDialog(tmp_path / "data")
    qtbot.addWidget(dialog)
    dialog.nameEdit.setText("tiny")
    _drop(dialog.grid(1), _pictures(tmp_path / "b", 1, 3))
    assert not dialog.saveButton.isEnabled()  # class 1 is still empty
    dialog.classList.setCurrentRow(0)
    _drop(dialog.grid(), _pictures(tmp_path / "a", 0, 2))
    assert dialog.saveButton.isEnabled()
    assert dialog.messageLabel.role() == "warning" and "Few images" in dialog.messageLabel.text()
    assert not dialog.webcamButton.isEnabled() or dialog.webcamButton.toolTip() == ""


def test_writing_an_existing_dataset_is_refused_and_leaves_nothing(tmp_path):
    picture = _pictures(tmp_path / "in", 0, 1)[0]
    (tmp_path / "data" / "taken").mkdir(parents=True)
    try:
        write_gathered(tmp_path / "data", "taken", {"a": [picture], "b": [picture]})
    except Exception as exc:  # noqa: BLE001 - the message is what matters
        assert "exists already" in str(exc)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["taken"]
