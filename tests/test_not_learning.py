"""The "not learning" guard: a run stuck at chance says so once, with what to try; a run that learns
(even slowly) says nothing. Real runs on the built-in digits (1,221 training images, 20 batches)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import i18n
from engine.checkpoints import read_payload
from engine.cli import main
from engine.train.guard import not_learning
from tests.helpers_gui import RUN_TIMEOUT, open_window

ROOT = Path(__file__).resolve().parent.parent
WORDS = "learning little or nothing"


def train(tmp_path, capsys, *options: str) -> tuple[int, list[str], dict]:
    """``taller train`` on the digits MLP for one epoch: exit status, warning lines, metrics.json."""
    out = tmp_path / "run"
    code = main(["train", "--model", "mlp", "--epochs", "1", "--out", str(out), *options])
    err = capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return code, [line for line in err.splitlines() if WORDS in line], metrics


@pytest.fixture(scope="module")
def tiny_rate_run(tmp_path_factory):
    """``python main.py train`` at --lr 1e-9 for two epochs, in a process of its own: once for the
    tests that read what it printed and wrote."""
    run = tmp_path_factory.mktemp("lr1e-9") / "run"
    argv = ["train", "--model", "mlp", "--epochs", "2", "--lr", "1e-9", "--out", str(run)]
    done = subprocess.run(
        [sys.executable, "main.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    return done.returncode, done.stderr.splitlines(), run


def test_lr_1e_9_warns_once_naming_the_cause_and_the_finder(tiny_rate_run):
    code, lines, _run = tiny_rate_run
    assert code == 0  # a warning, not a failure: the run and its files are there
    said = [line for line in lines if WORDS in line]
    assert len(said) == 1, said  # two epochs, one warning
    line = said[0]
    assert line.startswith("warning: the model is learning little or nothing: after 20 batches")
    assert "(1e-09) is likely too small" in line
    assert "Find learning rate" in line and "taller lr-find" in line


def test_the_run_folder_and_its_report_carry_the_warning(tiny_rate_run, tmp_path, capsys):
    _code, _lines, run = tiny_rate_run
    warnings = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["warnings"]
    assert [(w["kind"], w["cause"], w["flat"]) for w in warnings] == [("not_learning", "low", True)]
    assert abs(warnings[0]["chance"] - 2.3026) < 0.01  # ln 10: the digits' classes are balanced
    assert WORDS in warnings[0]["message"]
    assert read_payload(run / "model.pt")["meta"]["warnings"] == warnings
    assert main(["evaluate", str(run / "model.pt"), "--report", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert 'class="warning"' in page and WORDS in page and "is likely too small" in page


def test_the_report_says_it_in_the_readers_language(tiny_rate_run, tmp_path, capsys):
    _code, _lines, run = tiny_rate_run
    i18n.set_language("es")
    try:
        assert main(["evaluate", str(run / "model.pt"), "--report", str(tmp_path / "informe")]) == 0
    finally:
        i18n.set_language(None)
    page = (tmp_path / "informe" / "report.html").read_text(encoding="utf-8")
    assert "el modelo aprende poco o nada" in page and "Buscar tasa de aprendizaje" in page
    assert "2,30" in page  # the loss with a decimal comma, as Spanish writes it
    assert WORDS not in page


def test_a_rate_so_high_that_the_model_diverges_to_chance_warns_too(tmp_path, capsys):
    code, said, metrics = train(tmp_path, capsys, "--optimizer", "sgd", "--lr", "10")
    assert code == 0 and len(said) == 1
    assert "is likely too high; try one 10 times lower" in said[0]
    assert metrics["warnings"][0]["cause"] == "high"


def test_a_normal_run_says_nothing(tmp_path, capsys):
    code, said, metrics = train(tmp_path, capsys)
    assert code == 0 and said == []
    assert "warnings" not in metrics


def batches(loss_values, accuracy, classes=10, size=64, seed=0):
    """Per-batch (loss, logits, labels) with the given mean losses and about ``accuracy`` correct."""
    g = torch.Generator().manual_seed(seed)
    losses, outputs, labels = [], [], []
    for loss in loss_values:
        y = torch.arange(size) % classes
        right = torch.rand(size, generator=g) < accuracy
        guess = torch.where(right, y, (y + 1) % classes)
        losses.append(torch.tensor(float(loss)))
        outputs.append(torch.nn.functional.one_hot(guess, classes).float())
        labels.append(y)
    return losses, outputs, labels


def test_a_hard_dataset_that_learns_slowly_stays_silent():
    # CIFAR-like: 300 batches, the loss creeps from ln 10 to 2.15 and accuracy to 19 %.
    slow = [2.31 - 0.16 * i / 299 for i in range(300)]
    assert not_learning(*batches(slow, 0.19), lr=1e-3) is None
    # The same creep with the accuracy still at chance: its loss came down, so still learning.
    assert not_learning(*batches(slow, 0.10), lr=1e-3) is None
    # Flat at ln 10 for 300 batches: not learning, whatever the accuracy of the frozen guesses.
    flat = not_learning(*batches([2.30] * 300, 0.16), lr=1e-3)
    assert flat is not None and flat["cause"] == "low"


def test_the_window_says_it_in_the_log_the_status_bar_and_above_the_log(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, "mlp", epochs=1)
    window.model_panel.learningRateSpin.setValue(10)  # diverges surely; the box goes no lower than 1e-5
    panel = window.training_panel
    statuses: list[str] = []
    panel.statusMessage.connect(statuses.append)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        panel.trainButton.click()
    said = [line for line in panel.trainingLog.toPlainText().splitlines() if WORDS in line]
    assert len(said) == 1 and said[0].startswith("Warning: the model is learning little or nothing")
    assert "is likely too high" in said[0] and "Find learning rate" in said[0]
    assert said[0] in statuses
    # The status bar moves on as the run ends; the line above the log keeps it until the next run.
    assert panel.messageLabel.isVisible() and panel.messageLabel.text() == said[0]
    assert panel.messageLabel.role() == "warning"
