"""The exported report: every file exists and parses, the HTML needs no network, the CLI writes it too."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from engine import report
from engine.config import DataConfig, ModelConfig, TrainConfig

NETWORK = ("http://", "https://", "//cdn", "<link", 'src="http', "@import", "url(")


def small_digits(n: int = 500):
    """The built-in digits, cut to ``n`` images so a run takes a second."""
    from engine.datasets import load_dataset

    data = load_dataset(DataConfig(dataset="digits"))
    return replace(data, train_images=data.train_images[:n], train_labels=data.train_labels[:n])


@pytest.fixture(scope="module")
def run_result():
    from engine.training import run

    # Two phases (unfreeze after epoch 1) so the curves carry the fine-tuning marker.
    return run(
        DataConfig(dataset="digits", seed=0),
        ModelConfig(arch="mlp"),
        TrainConfig(epochs=2, batch_size=64, unfreeze_after=1, device="cpu"),
        data=small_digits(),
    )


@pytest.fixture(scope="module")
def written(run_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    test = run_result.splits.test
    path = report.write_report(
        folder, run_result.meta, run_result.test, run_result.test_probabilities, test.labels, test.images
    )
    return folder, path, run_result


def strict_json(text: str):
    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=no_constants)


def test_every_export_file_exists_and_parses(written):
    folder, path, result = written
    assert path == folder / "report.html"
    assert sorted(p.name for p in folder.iterdir()) == sorted(report.REPORT_FILES)
    classes = result.test["classes"]

    summary = strict_json((folder / "metrics.json").read_text())
    assert summary["test"]["accuracy"] == pytest.approx(result.test["accuracy"])
    assert summary["arch"] == "mlp" and summary["epochs_run"] == 2
    assert summary["trainable_params"] == result.meta["trainable_params"]

    rows = list(csv.reader((folder / "metrics.csv").open()))
    assert rows[0] == ["class", "precision", "recall", "f1", "support"]
    assert [r[0] for r in rows[1:]] == classes + ["macro avg", "weighted avg", "accuracy"]
    for row, expected in zip(rows[1:], result.test["per_class"], strict=False):
        assert float(row[3]) == pytest.approx(expected["f1"]) and int(row[4]) == expected["support"]
    assert float(rows[-1][3]) == pytest.approx(result.test["accuracy"])

    history = list(csv.DictReader((folder / "history.csv").open()))
    assert [int(h["epoch"]) for h in history] == [1, 2] and [h["phase"] for h in history] == ["1", "2"]
    assert float(history[-1]["val_acc"]) == pytest.approx(result.history[-1]["val_acc"])

    with np.load(folder / "metrics.npz") as npz:  # no pickles: opens with allow_pickle=False
        assert np.array_equal(npz["confusion_matrix"], np.array(result.test["confusion"]))
        assert npz["val_acc"].tolist() == pytest.approx([h["val_acc"] for h in result.history])
        assert np.allclose(npz["test_probabilities"], result.test_probabilities)
        assert npz["test_labels"].tolist() == result.splits.test.labels.tolist()
        assert npz["classes"].tolist() == classes
        assert float(npz["test_accuracy"]) == pytest.approx(result.test["accuracy"])

    for name in ("curves.png", "confusion.png"):
        with Image.open(folder / name) as img:
            img.verify()
        with Image.open(folder / name) as img:
            assert img.format == "PNG" and img.width > 400 and img.height > 300
            assert len(img.convert("L").getcolors(1 << 16)) > 20  # drawn on, not a blank page


def test_html_is_self_contained_and_says_what_was_run(written):
    folder, path, result = written
    page = path.read_text(encoding="utf-8")
    for marker in NETWORK:
        assert marker not in page, marker
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    wrong = int(np.sum(result.test_probabilities.argmax(1) != result.splits.test.labels.numpy()))
    assert len(sources) == min(report.THUMBNAILS, wrong)
    assert page.count("<svg") == 3  # loss, accuracy, confusion matrix

    class Checker(HTMLParser):
        tags: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            assert tag not in ("script", "link", "iframe", "object")

    checker = Checker()
    checker.feed(page)
    assert {"table", "svg", "polyline", "rect", "img", "style"} <= set(checker.tags)
    assert "mlp on digits" in page
    assert f"{100 * result.test['accuracy']:.1f}%" in page  # the headline accuracy
    assert "fine-tuning from epoch 2" in page  # phase-2 marker on the curves
    assert "weighted avg" in page and "Most confused pairs" in page
    assert f"{result.meta['trainable_params']:,}" in page
    assert "batch size" in page and "optimizer" in page  # hyper-parameters


def test_confusion_chart_prints_every_count_in_its_cell():
    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 3, 9]])
    canvas = report.confusion_chart(cm, ["a", "b", "c"])
    texts = [item[3] for item in canvas.items if item[0] == "text"]
    cells = [item for item in canvas.items if item[0] == "rect"]
    assert len(cells) == 9
    assert sorted(int(t) for t in texts if t.isdigit()) == sorted(cm.ravel().tolist())
    assert "true a, predicted b: 1 (16.7% of a)" in [c[7] for c in cells]
    svg = report.to_svg(canvas)
    assert svg.count("<rect") == 9 and ">9</text>" in svg


def test_kfold_history_gets_one_curve_per_fold_and_a_fold_table(tmp_path):
    history = [
        {"fold": f, "epoch": e, "phase": 1, "train_loss": 1 / e, "train_acc": 0.5 + e / 10,
         "val_loss": 1.2 / e, "val_acc": 0.4 + e / 10 + f / 100}
        for f in (1, 2, 3)
        for e in (1, 2)
    ]  # fmt: skip
    folds = [{"fold": f, "val_acc": 0.6 + f / 100, "val_loss": 0.6, "train_acc": 0.7, "epochs_run": 2}
             for f in (1, 2, 3)]  # fmt: skip
    accs = [f["val_acc"] for f in folds]
    meta = {
        "arch": "cnn",
        "dataset": "digits",
        "classes": ["0", "1"],
        "history": history,
        "kfold": {"folds": folds, "val_acc_mean": float(np.mean(accs)), "val_acc_std": float(np.std(accs))},
    }
    loss, _ = report.curve_charts(history)
    lines = [item for item in loss.items if item[0] == "line" and item[2] in report.FOLD_COLOURS[:3]]
    # per fold: a validation and a train curve, plus its legend swatch
    assert {item[2] for item in lines} == set(report.FOLD_COLOURS[:3])
    assert sum(1 for item in lines if len(item[1]) == 2 and item[1][0][1] < 280) >= 6
    path = report.write_report(tmp_path, meta, None)
    page = path.read_text()
    assert "3 folds" in page and "fold 3" in page
    assert f"{100 * np.mean(accs):.1f}%" in page and f"{100 * np.std(accs):.2f}" in page
    assert "No test results" in page
    assert not (tmp_path / "confusion.png").exists()  # nothing to draw without a test
    assert strict_json((tmp_path / "metrics.json").read_text())["kfold"]["val_acc_std"] == pytest.approx(
        np.std(accs)
    )


def test_arrays_that_do_not_belong_together_are_refused(written, tmp_path):
    _, _, result = written
    test = result.splits.test
    with pytest.raises(report.ReportError, match="do not belong together"):
        report.write_report(tmp_path, result.meta, result.test, result.test_probabilities[:-1], test.labels)


def test_an_unwritable_folder_gives_a_message_not_a_traceback(written, tmp_path):
    _, _, result = written
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with pytest.raises(report.ReportError, match="cannot write the report"):
        report.write_report(blocker / "report", result.meta, result.test)


def test_cli_evaluate_writes_the_same_report(written, tmp_path, capsys):
    from engine.checkpoints import save_checkpoint
    from engine.cli import main

    _, _, result = written
    checkpoint = save_checkpoint(tmp_path / "model.pt", result.model, result.meta)
    out = tmp_path / "cli-report"
    assert main(["evaluate", str(checkpoint), "--device", "cpu", "--report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"report written to {out / 'report.html'}" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted(report.REPORT_FILES)
    page = (out / "report.html").read_text()
    assert not any(marker in page for marker in NETWORK)
    accuracy = float(re.search(r"test_accuracy=([0-9.]+)", printed).group(1))
    saved = strict_json((out / "metrics.json").read_text())
    assert saved["test"]["accuracy"] == pytest.approx(accuracy, abs=1e-4)
