"""Evaluation, K-Fold and runs views: what a user sees and clicks, on real tiny runs on the digits."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFileDialog, QSplitter

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import folder_key
from engine.formatting import accuracy_text
from gui.evaluation.evaluation_panel import EvaluationPanel
from gui.runs.runs_panel import RunsPanel
from gui.widgets.confusion_view import ConfusionMatrixView
from gui.widgets.kfold_view import FoldCurves, KFoldTable

LEFT = Qt.MouseButton.LeftButton
TIMEOUT = 60_000


def small_digits(n: int):
    from engine.data.registry import load_dataset

    data = load_dataset(DataConfig(dataset="digits"))
    return replace(data, train_images=data.train_images[:n], train_labels=data.train_labels[:n])


@pytest.fixture(scope="module")
def data():
    return small_digits(500)


@pytest.fixture(scope="module")
def result(data):
    from engine.train.run import run

    return run(DataConfig(), ModelConfig(arch="mlp"), TrainConfig(epochs=2, device="cpu"), data=data)


@pytest.fixture(scope="module")
def kfold_run():
    from engine.train.run import run

    events = []
    res = run(
        DataConfig(),
        ModelConfig(arch="mlp"),
        TrainConfig(epochs=2, batch_size=128, kfold=3, device="cpu"),
        on_event=events.append,
        data=small_digits(300),
    )
    return res, events


def predictions(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    probs = result.test_probabilities
    return probs, result.splits.test.labels.numpy(), probs.argmax(axis=1)


def shown_panel(qtbot, result) -> EvaluationPanel:
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 800)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_run(result)
    return panel


# --- confusion matrix ------------------------------------------------------------------------------


def test_heatmap_prints_the_counts_and_normalises_rows(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 3, 9]])
    view.set_matrix(cm, ["cat", "dog", "frog"])
    assert view.objectName() == "confusionMatrix"
    assert view.cell_texts() == [[str(v) for v in row] for row in cm]
    assert np.array_equal(view.image.image, cm)  # the colours follow the counts
    view.normaliseCheck.setChecked(True)
    shares = np.array([[float(t) for t in row] for row in view.cell_texts()])
    assert shares.sum(axis=1) == pytest.approx([1, 1, 1], abs=0.02)
    assert view.cell_text(1, 0) == "0.22" and view.image.image.max() <= 1.0
    view.normaliseCheck.setChecked(False)
    assert view.cell_text(2, 2) == "9"
    ticks = view.plot.getPlotItem().getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == ["cat", "dog", "frog"]


def test_clicking_a_cell_with_the_mouse_emits_true_and_predicted(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.resize(500, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_matrix(np.arange(16).reshape(4, 4), list("abcd"))
    qtbot.wait(50)  # let the view box settle its range
    at = view.plot.mapFromScene(view.scene_point(2, 1))
    with qtbot.waitSignal(view.cellClicked, timeout=5000) as clicked:
        qtbot.mouseClick(view.plot.viewport(), LEFT, pos=at)
    assert clicked.args == [2, 1]
    assert view.selected_cell() == (2, 1)


# --- evaluation panel ------------------------------------------------------------------------------


def test_panel_shows_accuracy_per_class_table_confused_pairs_and_mistakes_by_loss(qtbot, result):
    panel = shown_panel(qtbot, result)
    test = result.test
    probs, y, pred = predictions(result)
    # A few hundred test images: the accuracy with its 95 % interval, what that means on hover.
    assert accuracy_text(test["accuracy"], test["n"], images=False) in panel.accuracyLabel.text()
    assert "interval" in panel.accuracyLabel.toolTip()
    table = panel.perClassTable
    assert table.rowCount() == len(test["classes"]) + 2
    assert [table.item(r, 0).text() for r in range(table.rowCount())][-2:] == ["macro avg", "weighted avg"]
    # However narrow the splitter makes it, the class column shows "weighted avg" whole (bold).
    splitter = panel.findChild(QSplitter, "evaluationTopSplitter")
    splitter.setSizes([10_000, 1])  # the table's side dragged as narrow as it goes
    qtbot.wait(10)
    bold = table.item(table.rowCount() - 1, 0).font()
    assert table.columnWidth(0) >= QFontMetrics(bold).horizontalAdvance("weighted avg") + 8
    for r, row in enumerate(test["per_class"]):
        assert float(table.item(r, 3).text()) == pytest.approx(row["f1"], abs=5e-4)
        assert int(table.item(r, 4).text()) == row["support"]
    assert panel.confusionView.cell_texts() == [[str(v) for v in row] for row in test["confusion"]]
    pairs = [panel.confusedList.item(i).text() for i in range(panel.confusedList.count())]
    first = test["most_confused"][0]
    assert pairs[0].startswith(f"{first['true']} → {first['predicted']}: {first['count']}")

    gallery = panel.misclassifiedGallery
    wrong = np.flatnonzero(pred != y)
    assert gallery.count() == min(len(wrong), 150) > 0
    p_true = probs[gallery.indices(), y[gallery.indices()]]
    assert np.all(np.diff(p_true) >= 0)  # most confidently wrong first
    i = gallery.indices()[0]
    c = test["classes"]
    assert gallery.captions()[0] == f"{c[y[i]]} → {c[pred[i]]} (p={probs[i, pred[i]]:.2f})"
    assert not gallery.item(0).icon().isNull()


def test_clicking_a_cell_lists_exactly_that_cells_images(qtbot, result):
    panel = shown_panel(qtbot, result)
    probs, y, pred = predictions(result)
    classes = result.test["classes"]
    t, p = (classes.index(result.test["most_confused"][0][k]) for k in ("true", "predicted"))
    view = panel.confusionView
    qtbot.wait(50)
    qtbot.mouseClick(view.plot.viewport(), LEFT, pos=view.plot.mapFromScene(view.scene_point(t, p)))
    expected = np.flatnonzero((y == t) & (pred == p))
    assert sorted(panel.cellGallery.indices()) == sorted(expected.tolist())
    assert panel.galleryTabs.currentWidget() is panel.cellGallery
    assert all(cap.startswith(f"{classes[t]} → {classes[p]} (p=") for cap in panel.cellGallery.captions())

    # A diagonal cell lists the images that class got right; a most-confused pair does what its cell does.
    right = panel.show_cell(t, t)
    assert (
        sorted(right)
        == np.flatnonzero((y == t) & (pred == t)).tolist()
        == sorted(panel.cellGallery.indices())
    )
    panel.confusedList.itemClicked.emit(panel.confusedList.item(0))
    assert sorted(panel.cellGallery.indices()) == sorted(expected.tolist())
    assert view.selected_cell() == (t, p)


def test_evaluate_runs_in_a_worker_and_gives_the_runs_own_test_results(qtbot, result, data):
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    assert not panel.evaluateButton.isEnabled()  # nothing to evaluate yet
    panel.set_model(result)
    panel.set_data(data)
    assert panel.evaluateButton.isEnabled() and "digits" in panel.evaluateButton.text()
    with qtbot.waitSignal(panel.evaluated, timeout=TIMEOUT) as evaluated:
        qtbot.mouseClick(panel.evaluateButton, LEFT)
        assert panel.is_busy()
        assert panel.stopButton.isVisibleTo(panel) and not panel.evaluateButton.isVisibleTo(panel)
    shown = evaluated.args[0]
    # Same data, same split seed: the test split is the run's own, so the numbers are the run's.
    assert shown["metrics"]["confusion"] == result.test["confusion"]
    assert np.allclose(shown["probabilities"], result.test_probabilities, atol=1e-5)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)
    assert panel.misclassifiedGallery.count() > 0 and panel.evaluateButton.isEnabled()


def test_evaluate_on_data_with_other_classes_is_disabled_saying_why_and_keeps_the_results(
    qtbot, result, tmp_path
):
    from engine.data.registry import load_dataset
    from tests.helpers_data import write_image_folder

    root = write_image_folder(tmp_path / "pets", n_per_class=8, size=28, mode="L", with_corrupt=False)
    pets = load_dataset(DataConfig(dataset=folder_key(root), image_size=28))
    panel = shown_panel(qtbot, result)
    shown = panel.accuracyLabel.text()
    assert shown
    panel.set_data(pets)
    assert not panel.evaluateButton.isEnabled()
    assert "10 classes, the data has 3" in panel.evaluateButton.toolTip()
    panel.evaluate()  # asked anyway (no click can): it fails beside the results, never wiping them
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)
    assert "10 classes, the data has 3" in panel.messageLabel.text()
    assert panel.accuracyLabel.text() == shown and panel.perClassTable.rowCount() == 12


def test_evaluate_on_names_a_folder_by_its_name_with_the_path_in_its_tooltip(qtbot, result):
    panel = shown_panel(qtbot, result)
    folder = "/home/student/pictures/a long way down/ants-and-bees"
    panel.set_data(SimpleNamespace(name=f"folder:{folder}"))
    assert panel.evaluateButton.text() == "Evaluate on ants-and-bees"
    assert folder in panel.evaluateButton.toolTip()


def test_export_makes_a_folder_named_in_its_dialog(qtbot, result, tmp_path, monkeypatch):
    panel = shown_panel(qtbot, result)
    out = tmp_path / "not yet" / "there-report"
    offered = []

    def dialog(parent, caption, suggested, *args, **kwargs):
        offered.append(suggested)
        return str(out), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    with qtbot.waitSignal(panel.exported, timeout=TIMEOUT):
        assert panel.export()
    assert (out / "report.html").is_file()
    assert offered[0].endswith("-report")


def test_a_reopened_checkpoint_shows_its_saved_metrics_until_evaluated(qtbot, result):
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    loaded = SimpleNamespace(model=result.model, meta=json.loads(json.dumps(result.meta)), path="x.pt")
    panel.set_model(loaded)
    assert panel.perClassTable.rowCount() == 12
    assert panel.misclassifiedGallery.count() == 0 and "Evaluate" in panel.messageLabel.text()
    assert panel.show_cell(3, 5) == [] and panel.cellGallery.count() == 0


def test_export_writes_report_files_with_each_chart_drawn_once(qtbot, result, tmp_path):
    panel = shown_panel(qtbot, result)
    assert panel.exportButton.isEnabled()
    with qtbot.waitSignal(panel.exported, timeout=TIMEOUT) as exported:
        assert panel.export(tmp_path / "out")
    out = tmp_path / "out"
    assert exported.args[0] == str(out / "report.html")
    names = {p.name for p in out.iterdir()}
    assert {"report.html", "metrics.json", "metrics.csv", "history.csv", "metrics.npz", "curves.png"} <= names
    charts = {name for name in names if name.endswith(".png")}
    assert charts == {"curves.png", "confusion.png", "per_class.png"}  # matplotlib's, no screenshots
    for png in charts:
        with Image.open(out / png) as img:
            assert img.format == "PNG" and img.width > 100
    assert json.loads((out / "metrics.json").read_text())["test"]["accuracy"] == result.test["accuracy"]
    assert len(list(csv.reader((out / "metrics.csv").open()))) == 1 + 10 + 3
    with np.load(out / "metrics.npz") as npz:
        assert npz["confusion_matrix"].tolist() == result.test["confusion"]
    page = (out / "report.html").read_text()
    assert not any(m in page for m in ("http://", "https://", "//cdn", "<link", 'src="http'))
    assert page.count("data:image/png;base64,") > 0
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)
    assert panel.openReportButton.isVisibleTo(panel)


# --- K-Fold ----------------------------------------------------------------------------------------


def test_kfold_table_adds_a_row_per_fold_and_mean_std_match_the_folds(qtbot, kfold_run):
    res, events = kfold_run
    folds = [e for e in events if e["event"] == "fold_end"]
    table = KFoldTable()
    qtbot.addWidget(table)
    table.clear(3)
    assert table.objectName() == "kfoldTable" and "3 folds" in table.titleLabel.text()
    for i, event in enumerate(folds, start=1):
        table.add_fold(event)
        assert table.table.rowCount() == i + 1  # the folds so far and the mean ± std row
    rows = table.row_texts()
    assert [r[0] for r in rows] == ["Fold 1", "Fold 2", "Fold 3", "Mean ± std"]
    accs = [e["val_acc"] for e in folds]
    mean, std = table.summary()["val_acc"]
    assert (mean, std) == pytest.approx((np.mean(accs), np.std(accs)))
    assert (mean, std) == pytest.approx((res.meta["kfold"]["val_acc_mean"], res.meta["kfold"]["val_acc_std"]))
    assert rows[-1][4] == f"{100 * mean:.2f}% ± {100 * std:.2f}"
    assert rows[1][4] == f"{100 * accs[1]:.2f}%"
    table.set_folds(res.meta["kfold"]["folds"])  # a saved run shows the same table
    assert table.row_texts() == rows


def test_fold_curves_draw_one_curve_per_fold(qtbot, kfold_run):
    import pyqtgraph as pg

    _, events = kfold_run
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    curves = FoldCurves(plot, "validation", scale=100)
    for e in (e for e in events if e["event"] == "epoch_end"):
        curves.add_event(e, "val_acc")
    assert curves.folds() == [1, 2, 3]
    items = plot.getPlotItem().listDataItems()
    assert len(items) == 3  # created once per fold, then updated
    assert len({item.opts["pen"].color().name() for item in items}) == 3
    x, y = curves.curve(2).getData()
    expected = [100 * e["val_acc"] for e in events if e["event"] == "epoch_end" and e["fold"] == 2]
    assert x.tolist() == [1, 2] and y.tolist() == pytest.approx(expected)
    assert [item.name() for item in items] == ["fold 1 validation", "fold 2 validation", "fold 3 validation"]
    curves.clear()
    assert plot.getPlotItem().listDataItems() == []


# --- runs compared ---------------------------------------------------------------------------------


def test_runs_table_gains_a_row_per_run_and_overlays_the_selected(qtbot, result, kfold_run, tmp_path):
    runs = RunsPanel()
    qtbot.addWidget(runs)
    runs.add_result(result)
    runs.add_result(kfold_run[0])
    assert runs.runsTable.rowCount() == runs.run_count() == 2
    first, second = runs.table_rows()
    assert first[1:4] == ["digits", "mlp", "random"]
    assert first[5] == "2" and second[5] == "2 × 3 folds"
    assert first[10] == f"{100 * result.test['accuracy']:.2f}%"
    assert first[9] == f"{100 * result.history[-1]['val_acc']:.2f}%"
    tp = result.meta
    assert first[4] == f"{tp['trainable_params']:,} / {tp['total_params']:,}"
    assert "±" in second[9]
    assert len(runs.plotted_names()) == 2  # new runs join the overlay
    runs.select_runs([1])
    assert runs.plotted_names() == [runs.runs()[1]["name"]]
    runs.runsMetricCombo.setCurrentText("Loss")
    loss_curve = runs.runsPlot.getPlotItem().listDataItems()[0]
    fold_means = np.mean(
        [[h["val_loss"] for h in kfold_run[0].history if h["epoch"] == e] for e in (1, 2)], axis=1
    )
    assert loss_curve.getData()[1].tolist() == pytest.approx(fold_means.tolist())

    out = runs.export_csv(tmp_path / "runs.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 and rows[1]["folds"] == "3"
    assert float(rows[0]["test acc"]) == pytest.approx(result.test["accuracy"], abs=1e-6)


def test_runs_reopened_from_disk_join_the_table_and_bad_files_say_why(qtbot, result, tmp_path):
    from engine.checkpoints import save_checkpoint

    path = save_checkpoint(tmp_path / "saved-run.pt", result.model, result.meta)
    junk = tmp_path / "notes.pt"
    junk.write_text("not a model")
    runs = RunsPanel()
    qtbot.addWidget(runs)
    runs.add_result(result)
    assert runs.add_files([str(path), str(junk)])
    qtbot.waitUntil(runs.addRunButton.isEnabled, timeout=TIMEOUT)  # enabled again once the files are read
    assert runs.run_count() == 2, runs.messageLabel.text()
    assert runs.table_rows()[1][0] == "saved-run.pt"
    assert runs.table_rows()[1][1:] == runs.table_rows()[0][1:]  # same run, same numbers
    assert "notes.pt is not a PyTorch checkpoint (it is a text file)" in runs.messageLabel.text()
    runs.select_runs([0])
    runs.remove_selected()
    assert runs.run_count() == 1 and [r[0] for r in runs.table_rows()] == ["saved-run.pt"]
    assert Path(path).is_file()
