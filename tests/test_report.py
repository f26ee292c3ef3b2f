"""The exported report: every file exists and parses, the HTML needs no network, the CLI writes it too."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.checkpoints import save_checkpoint
from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.errors import ReportError
from engine.evaluation import classification_metrics
from engine.formatting import accuracy_text
from engine.report import charts, exports, html
from engine.report.style import FOLD_COLOURS, row_fractions
from engine.train.run import run

NETWORK = ("http://", "https://", "//cdn", "<link", 'src="http', "@import", "url(")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def small_digits(n: int = 500):
    """The built-in digits, cut to ``n`` images so a run takes a second."""
    data = load_dataset(DataConfig(dataset="digits"))
    return replace(data, train_images=data.train_images[:n], train_labels=data.train_labels[:n])


@pytest.fixture(scope="module")
def run_result():
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
    path = html.write_report(
        folder, run_result.meta, run_result.test, run_result.test_probabilities, test.labels, test.images
    )
    return folder, path, run_result


def strict_json(text: str):
    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=no_constants)


class TagChecker(HTMLParser):
    """Collects the tags of a page and the attributes that could load something."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name in ("src", "href", "srcset", "data")]


def parsed(page: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(page)
    return checker


def test_every_export_file_exists_and_parses(written):
    folder, path, result = written
    assert path == folder / "report.html"
    assert sorted(p.name for p in folder.iterdir()) == sorted(html.REPORT_FILES)
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
    records = strict_json((folder / "history.json").read_text())
    assert [list(r) for r in records] == [list(exports.HISTORY_COLUMNS)] * 2
    assert records[-1]["val_acc"] == pytest.approx(result.history[-1]["val_acc"])

    with np.load(folder / "metrics.npz") as npz:  # no pickles: opens with allow_pickle=False
        assert np.array_equal(npz["confusion_matrix"], np.array(result.test["confusion"]))
        assert npz["val_acc"].tolist() == pytest.approx([h["val_acc"] for h in result.history])
        assert np.allclose(npz["test_probabilities"], result.test_probabilities)
        assert npz["test_labels"].tolist() == result.splits.test.labels.tolist()
        assert npz["classes"].tolist() == classes
        assert float(npz["test_accuracy"]) == pytest.approx(result.test["accuracy"])

    for stem in charts_written(folder):
        with Image.open(folder / f"{stem}.png") as img:
            img.verify()
        with Image.open(folder / f"{stem}.png") as img:
            assert img.format == "PNG" and img.width > 400 and img.height > 300
            assert len(img.convert("L").getcolors(1 << 16)) > 20  # drawn on, not a blank page
        assert ET.parse(folder / f"{stem}.svg").getroot().tag.endswith("svg")


def charts_written(folder: Path) -> list[str]:
    stems = [p.stem for p in folder.glob("*.png")]
    assert sorted(stems) == sorted(html.CHARTS)
    return stems


def test_html_is_self_contained_and_says_what_was_run(written):
    folder, path, result = written
    page = path.read_text(encoding="utf-8")
    for marker in NETWORK:
        assert marker not in page, marker
    checker = parsed(page)
    assert checker.links and all(
        s.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,")) for s in checker.links
    )
    wrong = int(np.sum(result.test_probabilities.argmax(1) != result.splits.test.labels.numpy()))
    thumbs = [s for s in checker.links if s.startswith("data:image/png")]
    assert len(thumbs) == min(html.THUMBNAILS, wrong)
    assert page.count("data:image/svg+xml") == 3  # curves, confusion matrix, per-class scores
    for tag in ("script", "link", "iframe", "object"):
        assert tag not in checker.tags
    assert {"table", "img", "figure", "style"} <= set(checker.tags)
    assert "mlp on digits" in page
    n = result.test["n"]  # fewer than 1,000: the headline accuracy has its 95 % interval, explained
    headline = accuracy_text(result.test["accuracy"], n, images=False)
    assert n < 1000 and "–" in headline and headline in page
    assert f"With {n} test images the accuracy is uncertain" in page
    assert "fine-tuning from epoch 2" in page  # phase-2 marker on the curves, said under them
    assert "weighted avg" in page and "Most confused pairs" in page
    assert f"{result.meta['trainable_params']:,}" in page
    assert "batch size" in page and "optimizer" in page  # hyper-parameters


def test_confusion_chart_prints_every_count_in_its_cell(tmp_path):
    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 3, 9]])
    fig = charts.confusion_figure(cm, ["a", "b", "c"])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert sorted(int(t) for t in texts) == sorted(cm.ravel().tolist())
    # colour by share of the true class: the image holds the row-normalised matrix, 0..1
    shown = ax.images[0]
    assert np.allclose(shown.get_array(), row_fractions(cm)) and shown.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    svg = charts.save(fig, tmp_path, "cm")
    assert svg.startswith(b"<?xml") and (tmp_path / "cm.png").stat().st_size > 1000


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
    loss = charts.curves_figure(history).axes[0]
    lines = [(line.get_color(), line.get_linestyle()) for line in loss.get_lines()]
    # per fold: a solid validation and a dashed train curve in the fold's colour
    assert sorted(lines) == sorted((c, s) for c in FOLD_COLOURS[:3] for s in ("-", "--"))
    assert [t.get_text() for t in loss.figure.legends[0].get_texts()] == [
        "fold 1", "fold 2", "fold 3", "validation", "train"
    ]  # fmt: skip
    path = html.write_report(tmp_path, meta, None)
    page = path.read_text()
    assert "3 folds" in page and "<td>3</td>" in page
    assert f"{100 * np.mean(accs):.1f}%" in page and f"{100 * np.std(accs):.2f}" in page
    assert "No test results" in page
    assert not (tmp_path / "confusion.png").exists()  # nothing to draw without a test
    assert not (tmp_path / "per_class.svg").exists()
    assert strict_json((tmp_path / "metrics.json").read_text())["kfold"]["val_acc_std"] == pytest.approx(
        np.std(accs)
    )


def test_a_class_name_with_markup_is_shown_as_text(tmp_path):
    evil = "<script>alert(1)</script>"
    classes = [evil, 'b" onload="x', "c & d", "$\\frac{1$"]  # the last one would trip matplotlib's mathtext
    y_true, y_pred = np.array([0, 0, 1, 1, 2, 2, 3]), np.array([0, 1, 1, 0, 2, 2, 3])
    metrics = classification_metrics(y_true, y_pred, classes)
    meta = {"arch": "<b>mlp</b>", "dataset": "folder:/x/<i>", "classes": classes, "history": []}
    probs = np.eye(4)[y_pred] * 0.8 + 0.2 / 4
    images = np.zeros((7, 1, 8, 8), dtype=np.uint8)
    page = html.write_report(tmp_path, meta, metrics, probs, y_true, images).read_text()
    checker = parsed(page)
    assert "script" not in checker.tags
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onload="x' not in page and "c &amp; d" in page
    assert "&lt;b&gt;mlp&lt;/b&gt;" in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_the_page_renders_in_chromium_with_every_image_and_no_request(written, tmp_path):
    _, path, _ = written
    check = """<script>
    window.addEventListener("load", () => {
      const images = Array.from(document.images);
      const out = document.createElement("pre");
      out.id = "taller-check";
      out.textContent = JSON.stringify({
        images: images.length,
        broken: images.filter((i) => !(i.complete && i.naturalWidth > 0)).length,
        requests: performance.getEntriesByType("resource").map((e) => e.name),
      });
      document.body.appendChild(out);
    });
    </script>"""
    copy = tmp_path / "report.html"
    copy.write_text(path.read_text(encoding="utf-8").replace("</body>", check + "</body>"), encoding="utf-8")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=5000", "--dump-dom", copy.as_uri(),
    ]  # fmt: skip
    dom = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    found = re.search(r'<pre id="taller-check">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    result = json.loads(found.group(1))
    assert result["images"] == len(parsed(copy.read_text()).links) > 3
    assert result["broken"] == 0 and result["requests"] == []


def test_arrays_that_do_not_belong_together_are_refused(written, tmp_path):
    _, _, result = written
    test = result.splits.test
    with pytest.raises(ReportError, match="do not belong together"):
        html.write_report(tmp_path, result.meta, result.test, result.test_probabilities[:-1], test.labels)


def test_an_unwritable_folder_gives_a_message_not_a_traceback(written, tmp_path):
    _, _, result = written
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with pytest.raises(ReportError, match="cannot write the report"):
        html.write_report(blocker / "report", result.meta, result.test)


def test_cli_evaluate_writes_the_same_report(written, tmp_path, capsys):
    _, _, result = written
    checkpoint = save_checkpoint(tmp_path / "model.pt", result.model, result.meta)
    out = tmp_path / "cli-report"
    assert main(["evaluate", str(checkpoint), "--device", "cpu", "--report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"report written to {out / 'report.html'}" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted(html.REPORT_FILES)
    page = (out / "report.html").read_text()
    assert not any(marker in page for marker in NETWORK)
    accuracy = float(re.search(r"test_accuracy=([0-9.]+)", printed).group(1))
    saved = strict_json((out / "metrics.json").read_text())
    assert saved["test"]["accuracy"] == pytest.approx(accuracy, abs=1e-4)


def test_train_and_report_write_one_metrics_layout(written, tmp_path):
    folder, _, result = written
    exports.write_metrics(tmp_path, result.meta, result.test)  # what `main.py train` writes
    for name in ("metrics.json", "history.json"):
        assert strict_json((tmp_path / name).read_text()) == strict_json((folder / name).read_text())
    assert (tmp_path / "metrics.csv").read_text() == (folder / "metrics.csv").read_text()
    with np.load(tmp_path / "metrics.npz") as ours, np.load(folder / "metrics.npz") as theirs:
        assert set(theirs.files) - set(ours.files) == {"test_labels", "test_probabilities"}
